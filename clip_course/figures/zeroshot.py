"""Figures of notebook 03: accuracy against published figures, per-class accuracy, confusion,
most-confused pairs, top-5 prediction grids.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from clip_course.figures.style import (
    COUNTS,
    CYCLE,
    PALETTE,
    RIGHT,
    WRONG,
    finish,
    new_figure,
    shorten,
    show_image,
    style,
)

__all__ = [
    "accuracy_comparison", "Any", "confusion_matrix", "Mapping", "most_confused", "os", "PALETTE", "per_class_accuracy",
    "prediction_grid",
]


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
        fig = new_figure((panel_w * len(metrics), 4.2))
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
    return finish(fig, save)


def per_class_accuracy(
    accuracy: Mapping[str, float | None],
    title: str = "Per-class accuracy",
    mean: float | None = None,
    save: str | os.PathLike | None = None,
    show: int = 15,
) -> Figure:
    """Per-class top-1 (%) sorted from worst to best as horizontal bars; the mean as a dashed line.

    With more than ``2 * show`` classes only the ``show`` worst and ``show`` best are drawn (labels
    stay readable at print size); the mean is still over every class, and the title says so.
    """
    present = sorted(((c, v) for c, v in accuracy.items() if v is not None), key=lambda t: t[1])
    items: list[tuple[str, float | None]] = [*present]  # the gap row below has no value
    if not items:
        raise ValueError("per_class_accuracy got no class with a value.")
    vals_all = np.array([v for _, v in items], dtype=float)
    mean = float(vals_all.mean()) if mean is None else mean
    n_all = len(items)
    if n_all > 2 * show:
        title = f"{title}: worst and best {show} of {n_all}"
        items = items[:show] + [("…", None)] + items[-show:]
    names = [c for c, _ in items]
    vals = np.array([np.nan if v is None else v for _, v in items], dtype=float)
    colours = [WRONG if v < mean else RIGHT for v in np.nan_to_num(vals, nan=mean)]
    with style():
        fig = new_figure((6.2, 0.24 * len(items) + 1.4))
        ax = fig.add_subplot()
        ax.barh(names, np.nan_to_num(vals), color=colours, height=0.72)
        ax.axvline(mean, color=PALETTE["black"], ls="--", lw=1.2)
        ax.text(mean, len(items) - 0.3, f" mean of per-class accuracies {mean:.1f}% ({n_all} classes)",
                fontsize=8.5, va="bottom")
        ax.set_xlim(0, 100)
        ax.set_xlabel("top-1 accuracy (%)")
        ax.grid(True, axis="x")
        ax.tick_params(axis="y", labelsize=8)
        for y, v in enumerate(vals):
            if not np.isnan(v):
                ax.text(v + 1, y, f"{v:.0f}", va="center", fontsize=7.5)
        ax.set_title(title)
    return finish(fig, save)


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
        fig = new_figure((side + 1.0, side))
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
            ax.set_xticks(range(n), [shorten(c, 16) for c in classes], rotation=45, ha="right")
            ax.set_yticks(range(n), [shorten(c, 16) for c in classes])
        else:
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title(title)
    return finish(fig, save)


def most_confused(
    pairs: Sequence[Mapping[str, Any]],
    n: int = 12,
    title: str = "Most-confused pairs",
    save: str | os.PathLike | None = None,
) -> Figure:
    """The largest off-diagonal confusions as bars "true → predicted" (% of the true class).

    ``pairs`` are rows as :func:`clip_course.tasks.zeroshot.most_confused_pairs` returns them.
    """
    rows = list(pairs)[:n]
    with style():
        fig = new_figure((6.6, 0.32 * max(len(rows), 1) + 1.4))
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
    return finish(fig, save)


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
        fig = new_figure((3.1 * ncols, (2.2 + 0.24 * k) * nrows + 0.4))
        subs = np.atleast_1d(np.asarray(fig.subfigures(nrows, ncols, wspace=0.03, hspace=0.04), dtype=object)).ravel()
        for s, sub in enumerate(subs):
            if s >= n:
                sub.set_visible(False)
                continue
            ax_img, ax = sub.subplots(2, 1, height_ratios=[1.6, 0.22 * k + 0.25])
            show_image(ax_img, images[s])
            right = idx[s, 0] == labels[s]
            ax_img.set_title(("✓ " if right else "✗ ") + f"true: {classes[labels[s]]}", fontsize=9,
                             color=RIGHT if right else WRONG, loc="center")
            cols = [RIGHT if c == labels[s] else (WRONG if j == 0 else PALETTE["grey"])
                    for j, c in enumerate(idx[s])]
            ax.barh(range(k)[::-1], 100 * prob[s], color=cols, height=0.75)
            ax.set_yticks(range(k)[::-1], [shorten(classes[c], 18) for c in idx[s]], fontsize=7.5)
            ax.set_xlim(0, 100)
            ax.tick_params(axis="x", labelsize=7)
            ax.grid(True, axis="x")
        fig.suptitle(title)
    return finish(fig, save)
