"""Figures of notebook 01: the image-text similarity matrix, pretraining curves, the pipeline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from clip_course.figures.style import (
    CYCLE,
    PALETTE,
    RIGHT,
    SEQUENTIAL,
    finish,
    new_figure,
    shorten,
    show_image,
    style,
)

__all__ = ["pipeline_diagram", "pretraining_diagram", "similarity_heatmap", "training_curves"]


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
        fig = new_figure((side + (1.2 if images is not None else 0.4), side + 0.8))
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
            ax.set_xticklabels([shorten(c, 46) for c in captions], rotation=40, ha="right",
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
                inset = ax.inset_axes((-0.5 - 1.08, i - 0.5, 1.0, 1.0), transform=ax.transData, clip_on=False)
                show_image(inset, img)
            ax.text(-1.08, -0.62, "images", ha="center", va="bottom", fontsize=10)
        else:
            ax.set_yticks(range(n), [f"I{i + 1}" for i in range(n)])
            ax.set_ylabel("images")
        ax.set_title(title, pad=14 if images is not None else 6)
    return finish(fig, save)


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
        fig = new_figure((3.6 * len(panels), 3.2))
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
    return finish(fig, save)


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



def _canvas(width: float, height: float) -> tuple[Figure, Any]:
    """A diagram's figure and its axes in inches-like data units, without axis decorations."""
    fig = new_figure((width, height))
    ax = fig.add_subplot()
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    return fig, ax


def _box(ax: Any, x: float, y: float, w: float, h: float, text: str, colour: str, size: float = 9) -> None:
    """A rounded box with centred text, in data coordinates (the diagrams' building block)."""
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.04,rounding_size=0.12",
                                fc=colour, ec="#333333", lw=0.9, alpha=0.95))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, wrap=True)


def _arrow(ax: Any, x0: float, y0: float, x1: float, y1: float) -> None:
    ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=14, lw=1.3, color="#333333"))


def pipeline_diagram(
    classnames: Sequence[str],
    templates: Sequence[str],
    probabilities: Sequence[float] | None = None,
    image: np.ndarray | None = None,
    save: str | os.PathLike | None = None,
    scale: float = 100.0,
) -> Figure:
    """The zero-shot pipeline: prompts -> text encoder -> classifier W; image -> f; softmax(s f W), with
    ``s`` the model's learned logit scale (100 for OpenAI's CLIP).

    Shows the first few classes and templates as they are filled in, and, if given, the
    image and the class probabilities that come out.
    """
    names = list(classnames)[:4]
    tmpl = list(templates)[:3]
    with style():
        fig, ax = _canvas(11, 4.6)

        prompts = [t.format(c) for c in names[:2] for t in tmpl[:2]]
        more = len(classnames) * len(templates) - len(prompts)
        ptext = "\n".join(shorten(p, 30) for p in prompts) + (f"\n… {more} more" if more > 0 else "")
        _box(ax, 0.1, 2.45, 2.7, 1.95, f"prompts: {len(templates)} templates\n× {len(classnames)} classes\n\n{ptext}",
            "#FFF4D6", 8.5)
        _arrow(ax, 2.85, 3.42, 3.45, 3.42)
        _box(ax, 3.5, 2.95, 1.7, 0.95, "text\nencoder", "#D9ECF7")
        _arrow(ax, 5.25, 3.42, 5.85, 3.42)
        _box(ax, 5.9, 2.75, 2.2, 1.35,
             f"classifier W\n({len(classnames)} columns)\nmean of normalised\nprompt embeddings",
            "#D9ECF7", 8.5)
        if image is not None:
            inset = ax.inset_axes([0.75, 0.25, 1.4, 1.4], transform=ax.transData)
            show_image(inset, image)
        else:
            _box(ax, 0.7, 0.35, 1.5, 1.2, "image", "#E8F5EE")
        _arrow(ax, 2.3, 0.95, 3.45, 0.95)
        _box(ax, 3.5, 0.48, 1.7, 0.95, "image\nencoder", "#E8F5EE")
        _arrow(ax, 5.25, 0.95, 5.85, 0.95)
        _box(ax, 5.9, 0.55, 2.2, 0.8, "image feature f\n(L2-normalised)", "#E8F5EE", 8.5)
        _arrow(ax, 7.0, 2.7, 8.55, 1.9)
        _arrow(ax, 8.15, 0.95, 8.55, 1.45)
        _box(ax, 8.6, 1.2, 2.3, 0.95, f"softmax({scale:.3g} · f · W)\n→ class probabilities", "#F6E3EE", 9)
        if probabilities is not None:
            p = np.asarray(probabilities, dtype=float)
            order = np.argsort(p)[-4:]  # the four most probable classes, best on top
            inset = ax.inset_axes([8.95, 2.55, 1.8, 1.5], transform=ax.transData)
            inset.barh(range(len(order)), p[order] * 100,
                       color=[RIGHT if i == order[-1] else PALETTE["grey"] for i in order])
            inset.set_yticks(range(len(order)), [shorten(classnames[i], 14) for i in order], fontsize=8)
            inset.set_xlim(0, 100)
            inset.set_xticks([0, 50, 100], ["0%", "50%", "100%"])
            inset.tick_params(axis="x", labelsize=7)
        ax.set_title("Zero-shot classification: the class names become the classifier")
    return finish(fig, save)


def pretraining_diagram(n: int = 4, save: str | os.PathLike | None = None, example: str = "a red circle …") -> Figure:
    """Contrastive pretraining, after the paper's Figure 1: N images and N captions through their
    encoders, and the N x N matrix of similarities whose diagonal (the true pairs) is trained up.
    ``example``: the caption shown in the captions box (one of the build's own captions)."""
    with style():
        fig, ax = _canvas(9.5, 4.4)

        _box(ax, 0.1, 3.1, 1.9, 0.9, f"N captions\n“{example}”", "#FFF4D6")
        _arrow(ax, 2.05, 3.55, 2.55, 3.55)
        _box(ax, 2.6, 3.1, 1.5, 0.9, "text\nencoder", "#D9ECF7")
        _box(ax, 0.1, 0.5, 1.9, 0.9, "N images", "#E8F5EE")
        _arrow(ax, 2.05, 0.95, 2.55, 0.95)
        _box(ax, 2.6, 0.5, 1.5, 0.9, "image\nencoder", "#E8F5EE")
        cell, x0, y0 = 0.62, 5.4, 0.35
        for j in range(n):  # text embeddings T1..TN along the top
            _box(ax, x0 + j * cell, y0 + n * cell + 0.15, cell * 0.9, 0.45, f"T{j + 1}", "#D9ECF7", 8)
        for i in range(n):  # image embeddings I1..IN down the side, the matrix beside them
            _box(ax, x0 - 0.75, y0 + (n - 1 - i) * cell, 0.6, cell * 0.9, f"I{i + 1}", "#E8F5EE", 8)
            for j in range(n):
                colour = RIGHT if i == j else "#F2F4F7"
                ax.add_patch(FancyBboxPatch((x0 + j * cell, y0 + (n - 1 - i) * cell), cell * 0.9, cell * 0.9,
                                            boxstyle="square,pad=0", fc=colour, ec="#999999", lw=0.6))
                ax.text(x0 + j * cell + cell * 0.45, y0 + (n - 1 - i) * cell + cell * 0.45, f"I{i + 1}·T{j + 1}",
                        ha="center", va="center", fontsize=6.5, color="white" if i == j else "#333333")
        _arrow(ax, 4.15, 3.55, x0 - 0.1, y0 + n * cell + 0.38)
        _arrow(ax, 4.15, 0.95, x0 - 0.8, y0 + cell * 1.5)
        ax.text(x0 + n * cell / 2, 0.05, "diagonal: the N true pairs (pulled up); the rest: N² − N negatives",
                ha="center", fontsize=8.5)
        ax.set_title("Contrastive pretraining: which caption goes with which image?")
    return finish(fig, save)
