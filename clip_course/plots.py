"""Every figure of notebooks 01-04, one function per kind of figure, in one house style.

Each function takes plain data (arrays, dicts, lists), returns a :class:`matplotlib.figure.Figure`
and, given ``save=path``, writes a PNG there atomically (:func:`save_figure`). Figures are
built with ``Figure()`` rather than pyplot, so a notebook shows each figure once (when it is
the cell's value or passed to ``display``) and tests leak no pyplot state.

The palette is Okabe & Ito's colour-blind-safe set; "right" is blue and "wrong" vermillion,
never red against green.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from clip_course.fileio import atomic_path

# Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#9A9A9A",
    "light": "#E6E6E6",
}
CYCLE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "black")]
RIGHT = PALETTE["blue"]
WRONG = PALETTE["vermillion"]
SEQUENTIAL = "viridis"  # perceptually uniform and colour-blind safe
COUNTS = "Blues"

STYLE: dict[str, Any] = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.08,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.8,
    "axes.grid": False,
    "axes.axisbelow": True,
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.7,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "legend.frameon": False,
    "legend.fontsize": 9,
    "lines.linewidth": 2.0,
    "lines.markersize": 5,
    "image.cmap": SEQUENTIAL,
    "figure.titlesize": 12,
    "figure.titleweight": "bold",
}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The house style for the duration of a ``with`` block."""
    with matplotlib.rc_context(STYLE):
        yield


def use_style() -> None:
    """Set the house style globally (notebooks call this once)."""
    matplotlib.rcParams.update(STYLE)


def save_figure(fig: Figure, path: str | os.PathLike, svg: bool = False) -> Path:
    """Write ``fig`` as PNG at ``path`` atomically (and an SVG beside it if ``svg``)."""
    path = Path(path)
    with style():
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
        if svg:
            with atomic_path(path.with_suffix(".svg")) as tmp:
                fig.savefig(tmp, format="svg")
    return path


def _new(figsize: tuple[float, float]) -> Figure:
    return Figure(figsize=figsize, layout="constrained")


def _finish(fig: Figure, save: str | os.PathLike | None, svg: bool = False) -> Figure:
    if save is not None:
        save_figure(fig, save, svg=svg)
    return fig


def _short(text: str, width: int = 38) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _show_image(ax: Any, image: np.ndarray) -> None:
    image = np.asarray(image)
    small = max(image.shape[:2]) <= 64  # ShapesWorld/CIFAR: keep pixels crisp
    ax.imshow(image, interpolation="nearest" if small else "antialiased")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)


# ---------------------------------------------------------------------------------- 01 intro
def similarity_heatmap(
    similarity: Any,
    images: Sequence[np.ndarray] | None = None,
    captions: Sequence[str] | None = None,
    title: str = "Image-text cosine similarity in one batch",
    annotate: bool | None = None,
    save: str | os.PathLike | None = None,
) -> Figure:
    """The N x N similarity matrix of a batch (images = rows, texts = columns), diagonal marked.

    The diagonal holds the N matching pairs, the contrastive objective's positives; the
    N^2 - N other cells are its negatives. ``images`` adds a thumbnail per row and
    ``captions`` labels the columns.
    """
    sim = np.asarray(similarity, dtype=float)
    if sim.ndim != 2 or sim.shape[0] != sim.shape[1]:
        raise ValueError(f"similarity must be square (N, N), got shape {sim.shape}.")
    n = sim.shape[0]
    annotate = n <= 10 if annotate is None else annotate
    with style():
        side = min(4.0 + 0.45 * n, 11.0)
        fig = _new((side + (1.2 if images is not None else 0.4), side + 0.8))
        ax = fig.add_subplot()
        im = ax.imshow(sim, cmap=SEQUENTIAL)
        cb = fig.colorbar(im, ax=ax, shrink=0.75, pad=0.02)
        cb.set_label("cosine similarity")
        if annotate:
            mid = (sim.max() + sim.min()) / 2
            for i in range(n):
                for j in range(n):
                    ax.text(j, i, f"{sim[i, j]:.2f}", ha="center", va="center", fontsize=7.5,
                            color="black" if sim[i, j] > mid else "white")
        for i in range(n):  # the positives
            ax.add_patch(Rectangle((i - 0.45, i - 0.45), 0.9, 0.9, fill=False, lw=2.2, ec=PALETTE["orange"]))
        ax.set_xticks(range(n))
        if captions is not None:
            ax.set_xticklabels([_short(c, 46) for c in captions], rotation=40, ha="right",
                               rotation_mode="anchor", fontsize=8.5)
        else:
            ax.set_xticklabels([f"T{j + 1}" for j in range(n)])
        diag = np.diag(sim).mean()
        off = (sim.sum() - np.trace(sim)) / max(n * n - n, 1)
        ax.set_xlabel(f"texts (captions of the batch)\n\norange squares: the {n} matching pairs "
                      f"(mean {diag:.2f}); the other {n * n - n} cells: non-matching (mean {off:.2f})")
        if images is not None:
            ax.set_yticks([])
            for i, img in enumerate(images[:n]):
                inset = ax.inset_axes([-0.5 - 1.08, i - 0.5, 1.0, 1.0], transform=ax.transData, clip_on=False)
                _show_image(inset, img)
            ax.text(-1.08, -0.62, "images", ha="center", va="bottom", fontsize=10)
        else:
            ax.set_yticks(range(n), [f"I{i + 1}" for i in range(n)])
            ax.set_ylabel("images")
        ax.set_title(title, pad=14 if images is not None else 6)
    return _finish(fig, save)


def training_curves(
    log: Mapping[str, Sequence[float]] | Sequence[Mapping[str, float]],
    title: str = "MiniCLIP pretraining",
    save: str | os.PathLike | None = None,
) -> Figure:
    """Contrastive pretraining curves: one panel per logged quantity against the step.

    ``log`` is a dict of equal-length lists or a list of per-step dicts. It needs ``step``
    and plots, when present: ``loss``, ``accuracy`` (in-batch, %, or a 0-1 fraction) and
    ``temperature`` (or ``logit_scale``, shown as the temperature 1/scale). Any
    ``val_*``/``eval_*`` keys are drawn as points on the matching panel.
    """
    cols = _columns(log)
    if "step" not in cols:
        raise ValueError(f"The training log needs a 'step' column; it has {sorted(cols)}.")
    if "temperature" not in cols and "logit_scale" in cols:
        cols["temperature"] = [1.0 / s if s else float("nan") for s in cols["logit_scale"]]
    panels = [k for k in ("loss", "accuracy", "temperature") if k in cols]
    extra = sorted(k for k in cols if k.startswith(("val_", "eval_", "zeroshot_")))
    if not panels:
        raise ValueError(f"Nothing to plot: the log has none of loss/accuracy/temperature ({sorted(cols)}).")
    labels = {
        "loss": "contrastive loss (symmetric CE)",
        "accuracy": "in-batch accuracy",
        "temperature": "temperature τ = 1 / logit scale",
    }
    step = np.asarray(cols["step"], dtype=float)
    with style():
        fig = _new((3.6 * len(panels), 3.2))
        axes = np.atleast_1d(fig.subplots(1, len(panels)))
        for ax, key, colour in zip(axes, panels, CYCLE, strict=False):
            y = np.asarray(cols[key], dtype=float)
            if key == "accuracy" and np.nanmax(y) <= 1.0:
                y = 100 * y
            window = max(1, len(y) // 40)
            if window > 1 and key != "temperature":  # per-batch values are noisy: show a running mean
                ax.plot(step, y, color=colour, lw=0.8, alpha=0.3)
                ax.plot(step, _running_mean(y, window), color=colour, lw=1.8, label=f"running mean ({window} steps)")
                ax.legend(loc="best")
            else:
                ax.plot(step, y, color=colour, lw=1.6)
            for k in extra:
                if key in k:
                    pts = [(s, v) for s, v in zip(cols["step"], cols[k], strict=True) if v is not None]
                    if pts:
                        xs, ys = map(np.asarray, zip(*pts, strict=True))
                        ax.plot(xs, ys, "o--", color=PALETTE["black"], lw=1, ms=4, label=k.replace("_", " "))
                        ax.legend(loc="best")
            ax.set_title(labels[key])
            ax.set_xlabel("step")
            ax.grid(True)
            if key == "accuracy":
                ax.set_ylabel("%")
                ax.set_ylim(0, 100)
            if key == "temperature":
                ax.axhline(0.07, color=PALETTE["grey"], ls=":", lw=1)
                ax.annotate("CLIP's initial τ = 0.07", (step[-1], 0.07), xytext=(0, 4),
                            textcoords="offset points", ha="right", fontsize=8, color="#555555")
        fig.suptitle(title)
    return _finish(fig, save)


def _running_mean(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` points (fewer at the start), same length as ``y``."""
    c = np.cumsum(np.insert(np.asarray(y, dtype=float), 0, 0.0))
    idx = np.arange(1, len(y) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def _columns(log: Any) -> dict[str, list]:
    """Per-step columns of a log; scalars beside them (seconds, config, ...) are dropped."""
    if isinstance(log, Mapping) and isinstance(log.get("log"), (Mapping, list)):
        log = log["log"]  # a record wrapping the log with its config
    if isinstance(log, Mapping):
        cols = {k: list(v) for k, v in log.items() if isinstance(v, (list, tuple, np.ndarray))}
        n = len(cols.get("step", []))
        return {k: v for k, v in cols.items() if len(v) == n}
    rows = list(log)
    keys = sorted({k for r in rows for k in r})
    return {k: [r.get(k) for r in rows] for k in keys}


def pipeline_diagram(
    classnames: Sequence[str],
    templates: Sequence[str],
    probabilities: Sequence[float] | None = None,
    image: np.ndarray | None = None,
    save: str | os.PathLike | None = None,
) -> Figure:
    """The zero-shot pipeline: prompts -> text encoder -> classifier W; image -> f; softmax(100 f W).

    Shows the first few classes and templates as they are filled in, and, if given, the
    image and the class probabilities that come out.
    """
    names = list(classnames)[:4]
    tmpl = list(templates)[:3]
    with style():
        fig = _new((11, 4.6))
        ax = fig.add_subplot()
        ax.set_xlim(0, 11)
        ax.set_ylim(0, 4.6)
        ax.axis("off")

        def box(x: float, y: float, w: float, h: float, text: str, colour: str, size: float = 9) -> None:
            ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.04,rounding_size=0.12",
                                        fc=colour, ec="#333333", lw=0.9, alpha=0.95))
            ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, wrap=True)

        def arrow(x0: float, y0: float, x1: float, y1: float) -> None:
            ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=14,
                                         lw=1.3, color="#333333"))

        prompts = [t.format(c) for c in names[:2] for t in tmpl[:2]]
        more = len(classnames) * len(templates) - len(prompts)
        ptext = "\n".join(_short(p, 30) for p in prompts) + (f"\n… {more} more" if more > 0 else "")
        box(0.1, 2.45, 2.7, 1.95, f"prompts: {len(templates)} templates\n× {len(classnames)} classes\n\n{ptext}",
            "#FFF4D6", 8.5)
        arrow(2.85, 3.42, 3.45, 3.42)
        box(3.5, 2.95, 1.7, 0.95, "text\nencoder", "#D9ECF7")
        arrow(5.25, 3.42, 5.85, 3.42)
        box(5.9, 2.75, 2.2, 1.35, f"classifier W\n({len(classnames)} columns)\nmean of normalised\nprompt embeddings",
            "#D9ECF7", 8.5)
        if image is not None:
            inset = ax.inset_axes([0.75, 0.25, 1.4, 1.4], transform=ax.transData)
            _show_image(inset, image)
        else:
            box(0.7, 0.35, 1.5, 1.2, "image", "#E8F5EE")
        arrow(2.3, 0.95, 3.45, 0.95)
        box(3.5, 0.48, 1.7, 0.95, "image\nencoder", "#E8F5EE")
        arrow(5.25, 0.95, 5.85, 0.95)
        box(5.9, 0.55, 2.2, 0.8, "image feature f\n(L2-normalised)", "#E8F5EE", 8.5)
        arrow(7.0, 2.7, 8.55, 1.9)
        arrow(8.15, 0.95, 8.55, 1.45)
        box(8.6, 1.2, 2.3, 0.95, "softmax(100 · f · W)\n→ class probabilities", "#F6E3EE", 9)
        if probabilities is not None:
            p = np.asarray(probabilities, dtype=float)
            order = np.argsort(p)[-4:]  # the four most probable classes, best on top
            inset = ax.inset_axes([8.95, 2.55, 1.8, 1.5], transform=ax.transData)
            inset.barh(range(len(order)), p[order] * 100,
                       color=[RIGHT if i == order[-1] else PALETTE["grey"] for i in order])
            inset.set_yticks(range(len(order)), [_short(classnames[i], 14) for i in order], fontsize=8)
            inset.set_xlim(0, 100)
            inset.set_xticks([0, 50, 100], ["0%", "50%", "100%"])
            inset.tick_params(axis="x", labelsize=7)
        ax.set_title("Zero-shot classification: the class names become the classifier")
    return _finish(fig, save)


# ---------------------------------------------------------------------------- 02 single image
def prompt_bars(
    ranked: Sequence[tuple[str, float]],
    image: np.ndarray | None = None,
    title: str | None = None,
    top: int | None = None,
    save: str | os.PathLike | None = None,
) -> Figure:
    """One image beside its ranked prompts: softmax probabilities (%) as horizontal bars."""
    with style():
        fig = _new((8.6 if image is not None else 5.8, 0.45 * len(ranked[:top]) + 1.6))
        if image is not None:
            ax_img, ax = fig.subplots(1, 2, width_ratios=[1, 1.7])
            _show_image(ax_img, image)
        else:
            ax = fig.add_subplot()
        _rank_axes(ax, ranked[:top] if top else ranked)
        if title:
            fig.suptitle(title)
    return _finish(fig, save)


def _rank_axes(ax: Any, ranked: Sequence[tuple[str, float]], width: int = 42) -> None:
    """Ranked prompts on ``ax``, best on top; the winner in blue, its probability labelled."""
    ranked = sorted(ranked, key=lambda t: float(t[1]))  # ascending: barh draws bottom-up
    prompts = [p for p, _ in ranked]
    probs = np.array([float(q) for _, q in ranked]) * 100
    colours = [PALETTE["grey"]] * len(probs)
    if len(probs):
        colours[-1] = RIGHT
    ax.barh(range(len(probs)), probs, color=colours, height=0.7)
    ax.set_yticks(range(len(probs)), [_short(p, width) for p in prompts])
    for y, v in enumerate(probs):
        inside = v > 80  # a long bar carries its label inside, so it never leaves the axes
        ax.text(v - 1.5 if inside else v + 1.5, y, f"{v:.1f}%", va="center", fontsize=8.5,
                ha="right" if inside else "left", color="white" if inside else "#222222")
    ax.set_xlim(0, 100)
    ax.set_xlabel("probability (%)")
    ax.grid(True, axis="x")


def prompt_panels(
    items: Sequence[tuple[str, np.ndarray, Sequence[tuple[str, float]]]],
    ncols: int = 2,
    title: str | None = None,
    save: str | os.PathLike | None = None,
) -> Figure:
    """Several images, each with its ranked prompts: ``items`` = [(name, image, ranked), ...]."""
    if not items:
        raise ValueError("prompt_panels needs at least one (name, image, ranked) item.")
    ncols = max(1, min(ncols, len(items)))
    nrows = math.ceil(len(items) / ncols)
    rows_h = max(len(r) for _, _, r in items) * 0.34 + 1.1
    with style():
        fig = _new((6.8 * ncols, max(rows_h, 2.6) * nrows + 0.4))
        subs = np.atleast_1d(fig.subfigures(nrows, ncols, wspace=0.04, hspace=0.05)).ravel()
        for sub, (name, image, ranked) in zip(subs, items, strict=False):
            ax_img, ax = sub.subplots(1, 2, width_ratios=[1.2, 1.6])
            _show_image(ax_img, image)
            ax_img.set_title(_wrap(name, 24), fontsize=10, loc="center")
            _rank_axes(ax, ranked, width=34)
        for sub in subs[len(items):]:
            sub.set_visible(False)
        if title:
            fig.suptitle(title)
    return _finish(fig, save)


def refinement_chart(
    steps: Sequence[Sequence[tuple[str, float]]],
    image: np.ndarray | None = None,
    title: str | None = None,
    save: str | os.PathLike | None = None,
) -> Figure:
    """Progressive refinement: each prompt's probability across the steps of a prompt series.

    ``steps`` holds one ranking per prompt list (as :func:`clip_course.single_image.refinement_series`
    returns). Each prompt is a line from the step it first appears; the winner of each step
    is ringed, so a change of winner as detail is added is visible at a glance.
    """
    if not steps:
        raise ValueError("refinement_chart needs at least one step.")
    order: list[str] = []
    for ranking in steps:
        for p, _ in ranking:
            if p not in order:
                order.append(p)
    colours = {p: CYCLE[i % len(CYCLE)] for i, p in enumerate(order)}
    with style():
        fig = _new((10.5 if image is not None else 7.5, 3.9 + 0.22 * len(order)))
        if image is not None:
            ax_img, ax = fig.subplots(1, 2, width_ratios=[1, 2.6])
            _show_image(ax_img, image)
        else:
            ax = fig.add_subplot()
        x = np.arange(len(steps))
        for p in order:
            ys = [dict(r).get(p) for r in steps]
            xs = [i for i, y in zip(x, ys, strict=True) if y is not None]
            vals = [100 * y for y in ys if y is not None]
            ls = "-" if len(xs) > 1 else "none"
            ax.plot(xs, vals, ls, marker="o", color=colours[p], label=_short(p, 60))
        for i, ranking in enumerate(steps):
            if ranking:
                win, prob = max(ranking, key=lambda t: t[1])
                ax.plot(i, 100 * prob, "o", ms=15, mfc="none", mec=colours[win], mew=2)
        ax.set_xticks(x, _step_labels(steps))
        ax.set_ylim(-3, 103)
        ax.set_ylabel("probability (%)")
        ax.grid(True, axis="y")
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.2), ncol=1, title="prompt (ringed: winner of the step)",
                  title_fontsize=9, alignment="left")
        if title:
            ax.set_title(title)
    return _finish(fig, save)


def _step_labels(steps: Sequence[Sequence[tuple[str, float]]]) -> list[str]:
    """'+ "new prompt"' when a step adds exactly one prompt to the previous one, else 'step i'."""
    labels, seen = [], set()
    for i, ranking in enumerate(steps):
        prompts = [p for p, _ in ranking]
        new = [p for p in prompts if p not in seen]
        seen.update(prompts)
        labels.append(_wrap(f"+ “{new[0]}”", 20) if len(new) == 1 else f"step {i + 1}")
    return labels


def image_grid(
    images: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    ncols: int = 6,
    title: str | None = None,
    cell: float = 1.7,
    save: str | os.PathLike | None = None,
) -> Figure:
    """A plain grid of images with optional captions."""
    if len(images) == 0:
        raise ValueError("image_grid needs at least one image.")
    ncols = max(1, min(ncols, len(images)))
    nrows = math.ceil(len(images) / ncols)
    with style():
        fig = _new((cell * ncols, (cell + (0.45 if titles else 0)) * nrows + (0.4 if title else 0)))
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        for k, ax in enumerate(axes):
            if k < len(images):
                _show_image(ax, images[k])
                if titles:
                    ax.set_title(_wrap(titles[k], 22), fontsize=8, fontweight="normal", loc="center")
            else:
                ax.axis("off")
        if title:
            fig.suptitle(title)
    return _finish(fig, save)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


# ------------------------------------------------------------------------- 03 zero-shot CIFAR
def accuracy_comparison(
    scores: Mapping[str, Mapping[str, Mapping[str, float]]],
    references: Sequence[str] = (),
    metrics: Sequence[str] = ("top1", "top5"),
    title: str = "Zero-shot accuracy",
    note: str | None = None,
    save: str | os.PathLike | None = None,
) -> Figure:
    """Grouped bars: one panel per metric, one group per dataset, one bar per source.

    ``scores[dataset][source][metric]`` in percent; sources named in ``references`` (the
    paper's or CLIP_benchmark's figures) are drawn hatched and pale, so they read as cited
    numbers rather than ours. Missing values leave a gap.
    """
    datasets = list(scores)
    sources: list[str] = []
    for d in datasets:
        sources += [s for s in scores[d] if s not in sources]
    ours = [s for s in sources if s not in references]
    sources = ours + [s for s in sources if s in references]
    colours = {s: CYCLE[i % len(CYCLE)] for i, s in enumerate(ours)}
    refcols = [PALETTE["grey"], PALETTE["black"], PALETTE["purple"]]
    colours.update({s: refcols[i % 3] for i, s in enumerate(s for s in sources if s in references)})
    width = 0.8 / max(len(sources), 1)
    with style():
        panel_w = min(max(3.6, 1.0 + 0.42 * len(datasets) * len(sources)), 8.0)
        fig = _new((panel_w * len(metrics), 4.2))
        axes = np.atleast_1d(fig.subplots(1, len(metrics), sharey=True))
        for ax, metric in zip(axes, metrics, strict=True):
            for j, s in enumerate(sources):
                for i, d in enumerate(datasets):
                    v = scores[d].get(s, {}).get(metric)
                    if v is None:
                        continue
                    ref = s in references
                    x = i - 0.4 + width * (j + 0.5)
                    ax.bar(x, v, width * 0.92, color=colours[s], alpha=0.45 if ref else 1.0,
                           hatch="//" if ref else None, edgecolor=colours[s] if ref else "white",
                           label=s if i == 0 or s not in [q for dd in datasets[:i] for q in scores[dd]] else None)
                    ax.text(x, v + 1, f"{v:.1f}", ha="center", va="bottom", fontsize=7.5, rotation=90)
            ax.set_xticks(range(len(datasets)), datasets)
            ax.set_ylim(0, 112)
            ax.set_yticks(range(0, 101, 20))
            ax.set_title({"top1": "top-1 (%)", "top5": "top-5 (%)"}.get(metric, metric))
            ax.grid(True, axis="y")
        handles, labels = [], []
        for ax in axes:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4))
        fig.suptitle(title)
        if note:
            axes[0].annotate(note, (0, 1), xycoords="axes fraction", xytext=(0, -2), textcoords="offset points",
                             va="top", fontsize=8, color="#555555", style="italic")
    return _finish(fig, save)


def per_class_accuracy(
    accuracy: Mapping[str, float | None],
    title: str = "Per-class accuracy",
    mean: float | None = None,
    save: str | os.PathLike | None = None,
) -> Figure:
    """Per-class top-1 (%) sorted from worst to best; the mean as a dashed line.

    Up to 20 classes read as horizontal bars; more classes become a sorted column chart.
    """
    items = sorted(((c, v) for c, v in accuracy.items() if v is not None), key=lambda t: t[1])
    if not items:
        raise ValueError("per_class_accuracy got no class with a value.")
    names = [c for c, _ in items]
    vals = np.array([v for _, v in items], dtype=float)
    mean = float(vals.mean()) if mean is None else mean
    colours = [WRONG if v < mean else RIGHT for v in vals]
    with style():
        if len(items) <= 20:
            fig = _new((6.2, 0.3 * len(items) + 1.4))
            ax = fig.add_subplot()
            ax.barh(names, vals, color=colours, height=0.72)
            ax.axvline(mean, color=PALETTE["black"], ls="--", lw=1.2)
            ax.text(mean, len(items) - 0.3, f" mean {mean:.1f}%", fontsize=8.5, va="bottom")
            ax.set_xlim(0, 100)
            ax.set_xlabel("top-1 accuracy (%)")
            ax.grid(True, axis="x")
            for y, v in enumerate(vals):
                ax.text(v + 1, y, f"{v:.0f}", va="center", fontsize=8)
        else:
            fig = _new((max(8.0, 0.13 * len(items) + 1.5), 4.6))
            ax = fig.add_subplot()
            ax.bar(range(len(items)), vals, color=colours, width=0.8)
            ax.axhline(mean, color=PALETTE["black"], ls="--", lw=1.2)
            ax.text(0, mean + 1.5, f"mean {mean:.1f}%", fontsize=8.5)
            ax.set_xticks(range(len(items)), names, rotation=90, fontsize=max(5.0, 9 - len(items) / 25))
            ax.set_xlim(-0.7, len(items) - 0.3)
            ax.set_ylim(0, 102)
            ax.set_ylabel("top-1 accuracy (%)")
            ax.grid(True, axis="y")
        ax.set_title(title)
    return _finish(fig, save)


def confusion_matrix(
    confusion: Any,
    classes: Sequence[str],
    normalize: bool = True,
    title: str = "Confusion matrix",
    save: str | os.PathLike | None = None,
) -> Figure:
    """True class (rows) against predicted class (columns); rows normalised to % by default."""
    cm = np.asarray(confusion, dtype=float)
    if cm.shape != (len(classes), len(classes)):
        raise ValueError(f"confusion has shape {cm.shape} but there are {len(classes)} classes.")
    shown = 100 * cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    n = len(classes)
    with style():
        side = min(3.2 + 0.42 * n, 13)
        fig = _new((side + 1.0, side))
        ax = fig.add_subplot()
        im = ax.imshow(shown, cmap=COUNTS, vmin=0, vmax=100 if normalize else None)
        fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02).set_label("% of the true class" if normalize else "images")
        if n <= 20:
            for i in range(n):
                for j in range(n):
                    v = shown[i, j]
                    if v >= 0.5:
                        ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7.5,
                                color="white" if v > 55 else "#222222")
            ax.set_xticks(range(n), [_short(c, 16) for c in classes], rotation=45, ha="right")
            ax.set_yticks(range(n), [_short(c, 16) for c in classes])
        else:
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title(title)
    return _finish(fig, save)


def most_confused(
    pairs: Sequence[Mapping[str, Any]],
    n: int = 12,
    title: str = "Most-confused pairs",
    save: str | os.PathLike | None = None,
) -> Figure:
    """The largest off-diagonal confusions as bars "true → predicted" (% of the true class).

    ``pairs`` are rows as :func:`clip_course.zeroshot.most_confused_pairs` returns them.
    """
    rows = list(pairs)[:n]
    with style():
        fig = _new((6.6, 0.32 * max(len(rows), 1) + 1.4))
        ax = fig.add_subplot()
        if not rows:
            ax.text(0.5, 0.5, "no confusions: every image was classified correctly",
                    ha="center", va="center", transform=ax.transAxes)
            ax.axis("off")
        else:
            labels = [f"{r['true']} → {r['predicted']}" for r in rows][::-1]
            rates = [float(r["rate"]) for r in rows][::-1]
            counts = [int(r["count"]) for r in rows][::-1]
            ax.barh(labels, rates, color=WRONG, height=0.7)
            for y, (v, c) in enumerate(zip(rates, counts, strict=True)):
                ax.text(v + 0.5, y, f"{v:.0f}% ({c})", va="center", fontsize=8)
            ax.set_xlim(0, max(rates) * 1.25 + 1)
            ax.set_xlabel("% of the true class predicted as the other class")
            ax.grid(True, axis="x")
        ax.set_title(title)
    return _finish(fig, save)


def prediction_grid(
    images: Sequence[np.ndarray],
    labels: Sequence[int],
    top_indices: Any,
    top_probs: Any,
    classes: Sequence[str],
    ncols: int = 4,
    title: str = "Test images and their top-5 predictions",
    save: str | os.PathLike | None = None,
) -> Figure:
    """Each image above its top-k predictions; the true class's bar in blue, wrong top-1 in vermillion.

    ``top_indices``/``top_probs`` are (N, k) class indices and probabilities (0-1).
    """
    idx = np.asarray(top_indices)
    prob = np.asarray(top_probs, dtype=float)
    n = len(images)
    if n == 0:
        raise ValueError("prediction_grid needs at least one image.")
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    k = idx.shape[1]
    with style():
        fig = _new((3.1 * ncols, (2.2 + 0.24 * k) * nrows + 0.4))
        subs = np.atleast_1d(fig.subfigures(nrows, ncols, wspace=0.03, hspace=0.04)).ravel()
        for s, sub in enumerate(subs):
            if s >= n:
                sub.set_visible(False)
                continue
            ax_img, ax = sub.subplots(2, 1, height_ratios=[1.6, 0.22 * k + 0.25])
            _show_image(ax_img, images[s])
            right = idx[s, 0] == labels[s]
            ax_img.set_title(("✓ " if right else "✗ ") + f"true: {classes[labels[s]]}", fontsize=9,
                             color=RIGHT if right else WRONG, loc="center")
            cols = [RIGHT if c == labels[s] else (WRONG if j == 0 else PALETTE["grey"])
                    for j, c in enumerate(idx[s])]
            ax.barh(range(k)[::-1], 100 * prob[s], color=cols, height=0.75)
            ax.set_yticks(range(k)[::-1], [_short(classes[c], 18) for c in idx[s]], fontsize=7.5)
            ax.set_xlim(0, 100)
            ax.tick_params(axis="x", labelsize=7)
            ax.grid(True, axis="x")
        fig.suptitle(title)
    return _finish(fig, save)


# -------------------------------------------------------------------------- 04 linear probe
def sweep_curve(
    sweeps: Mapping[str, Mapping[str, Any]],
    title: str = "Regularisation sweep (validation split)",
    save: str | os.PathLike | None = None,
) -> Figure:
    """Validation accuracy against the inverse regularisation strength C (log axis).

    ``sweeps[name] = {"C": [...], "accuracy": [...], "best_C": c}``; the chosen C is marked.
    """
    with style():
        fig = _new((6.4, 3.8))
        ax = fig.add_subplot()
        for (name, sw), colour in zip(sweeps.items(), CYCLE, strict=False):
            cs = np.asarray(sw["C"], dtype=float)
            acc = np.asarray(sw["accuracy"], dtype=float)
            order = np.argsort(cs)
            ax.plot(cs[order], acc[order], "o-", color=colour, ms=3.5, lw=1.6, label=name)
            best = sw.get("best_C")
            if best is not None:
                b = int(np.argmin(np.abs(np.log(cs) - math.log(best))))
                ax.plot(cs[b], acc[b], "*", ms=14, color=colour, mec="black", mew=0.6)
                ax.annotate(f"C = {best:.3g}", (cs[b], acc[b]), xytext=(0, 11), textcoords="offset points",
                            ha="center", fontsize=8.5, color=colour, fontweight="bold",
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + 0.1 * (hi - lo))  # headroom for the C labels above the stars
        ax.set_xscale("log")
        ax.set_xlabel("C (inverse L2 strength; larger = weaker regularisation)")
        ax.set_ylabel("validation top-1 (%)")
        ax.grid(True)
        ax.legend(title="★ chosen C")
        ax.set_title(title)
    return _finish(fig, save)


def crossover_k(ks: Sequence[float], means: Sequence[float], level: float) -> float | None:
    """The shots per class at which a rising k-shot curve first reaches ``level``.

    Linear interpolation in log2(k) between the last point below and the first at or above;
    ``None`` if the curve never reaches it, the smallest k if it starts above.
    """
    ks_a = np.asarray(ks, dtype=float)
    m = np.asarray(means, dtype=float)
    order = np.argsort(ks_a)
    ks_a, m = ks_a[order], m[order]
    above = np.nonzero(m >= level)[0]
    if len(above) == 0:
        return None
    j = int(above[0])
    if j == 0:
        return float(ks_a[0])
    x0, x1 = math.log2(ks_a[j - 1]), math.log2(ks_a[j])
    t = (level - m[j - 1]) / (m[j] - m[j - 1])
    return float(2 ** (x0 + t * (x1 - x0)))


def kshot_curve(
    curves: Mapping[str, Mapping[Any, Mapping[str, float]]],
    zeroshot: Mapping[str, float],
    full: Mapping[str, float] | None = None,
    title: str = "Few-shot linear probe against zero-shot",
    save: str | os.PathLike | None = None,
) -> Figure:
    """k-shot probe accuracy (mean ± std over seeds) per dataset, with its zero-shot line.

    ``curves[name][k] = {"mean": .., "std": ..}`` (k may be a string key from JSON);
    ``zeroshot[name]`` is the zero-shot top-1 and ``full[name]`` the probe on all training
    data (drawn as a dotted ceiling). The crossover, where the probe catches up with
    zero-shot, is marked.
    """
    names = list(curves)
    with style():
        fig = _new((4.6 * len(names), 3.9))
        axes = np.atleast_1d(fig.subplots(1, len(names), squeeze=False)).ravel()
        for ax, name, colour in zip(axes, names, CYCLE, strict=False):
            pts = sorted((float(k), float(v["mean"]), float(v.get("std", 0.0))) for k, v in curves[name].items())
            ks, mean, std = (np.array(c) for c in zip(*pts, strict=True))
            ax.fill_between(ks, mean - std, mean + std, color=colour, alpha=0.2, lw=0)
            ax.plot(ks, mean, "o-", color=colour, label="linear probe, k shots per class")
            zs = zeroshot.get(name)
            if zs is not None:
                ax.axhline(zs, color=PALETTE["black"], ls="--", lw=1.3, label=f"zero-shot ({zs:.1f}%)")
                k_star = crossover_k(ks, mean, zs)
                if k_star is not None and k_star > ks[0]:
                    ax.axvline(k_star, color=PALETTE["grey"], ls=":", lw=1.2)
                    ax.annotate(f"probe matches zero-shot\nat ≈ {k_star:.1f} shots", (k_star, zs),
                                xytext=(8, -30), textcoords="offset points", fontsize=8)
            if full and full.get(name) is not None:
                ax.axhline(full[name], color=colour, ls=":", lw=1.3, label=f"probe, all training data ({full[name]:.1f}%)")
            ax.set_xscale("log", base=2)
            ax.set_xticks(ks, [f"{k:g}" for k in ks])
            ax.set_xlabel("labelled examples per class (k)")
            ax.set_ylabel("top-1 (%)")
            ax.set_ylim(0, 100)
            ax.grid(True)
            ax.set_title(name)
            ax.legend(loc="best")
        fig.suptitle(title)
    return _finish(fig, save)


def probe_vs_zeroshot(
    table: Mapping[str, Mapping[str, Mapping[str, float]]],
    title: str = "Linear probe against zero-shot",
    save: str | os.PathLike | None = None,
) -> Figure:
    """Top-1 and top-5 of the probe and of zero-shot per dataset: ``table[d][method][metric]``."""
    return accuracy_comparison(table, references=(), title=title, save=save)
