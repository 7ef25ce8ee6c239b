"""Figures of notebook 02: prompt rankings for single images, refinement steps, image grids.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from clip_course.figures.style import (
    CYCLE,
    PALETTE,
    RIGHT,
    finish,
    new_figure,
    shorten,
    show_image,
    style,
    wrap,
)

__all__ = ["image_grid", "prompt_bars", "prompt_panels", "refinement_chart"]


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
        fig = new_figure((8.6 if image is not None else 5.8, 0.45 * len(ranked[:top]) + 1.6))
        if image is not None:
            ax_img, ax = fig.subplots(1, 2, width_ratios=[1, 1.7])
            show_image(ax_img, image)
        else:
            ax = fig.add_subplot()
        _rank_axes(ax, ranked[:top] if top else ranked)
        if title:
            fig.suptitle(title)
    return finish(fig, save)


def _rank_axes(ax: Any, ranked: Sequence[tuple[str, float]], width: int = 42) -> None:
    """Ranked prompts on ``ax``, best on top; the winner in blue, its probability labelled."""
    ranked = sorted(ranked, key=lambda t: float(t[1]))  # ascending: barh draws bottom-up
    prompts = [p for p, _ in ranked]
    probs = np.array([float(q) for _, q in ranked]) * 100
    colours = [PALETTE["grey"]] * len(probs)
    if len(probs):
        colours[-1] = RIGHT
    ax.barh(range(len(probs)), probs, color=colours, height=0.7)
    ax.set_yticks(range(len(probs)), [shorten(p, width) for p in prompts])
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
        fig = new_figure((6.8 * ncols, max(rows_h, 2.6) * nrows + 0.4))
        subs = np.atleast_1d(np.asarray(fig.subfigures(nrows, ncols, wspace=0.04, hspace=0.05), dtype=object)).ravel()
        for sub, (name, image, ranked) in zip(subs, items, strict=False):
            ax_img, ax = sub.subplots(1, 2, width_ratios=[1.2, 1.6])
            show_image(ax_img, image)
            ax_img.set_title(wrap(name, 24), fontsize=10, loc="center")
            _rank_axes(ax, ranked, width=34)
        for sub in subs[len(items):]:
            sub.set_visible(False)
        if title:
            fig.suptitle(title)
    return finish(fig, save)


def refinement_chart(
    steps: Sequence[Sequence[tuple[str, float]]],
    image: np.ndarray | None = None,
    title: str | None = None,
    save: str | os.PathLike | None = None,
) -> Figure:
    """Progressive refinement: each prompt's probability across the steps of a prompt series.

    ``steps`` holds one ranking per prompt list (as :func:`clip_course.tasks.single_image.refinement_series`
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
        fig = new_figure((10.5 if image is not None else 7.5, 3.9 + 0.22 * len(order)))
        if image is not None:
            ax_img, ax = fig.subplots(1, 2, width_ratios=[1, 2.6])
            show_image(ax_img, image)
        else:
            ax = fig.add_subplot()
        x = np.arange(len(steps))
        for p in order:
            ys = [dict(r).get(p) for r in steps]
            xs = [i for i, y in zip(x, ys, strict=True) if y is not None]
            vals = [100 * y for y in ys if y is not None]
            ls = "-" if len(xs) > 1 else "none"
            ax.plot(xs, vals, ls, marker="o", color=colours[p], label=shorten(p, 60))
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
    return finish(fig, save)


def _step_labels(steps: Sequence[Sequence[tuple[str, float]]]) -> list[str]:
    """'+ "new prompt"' when a step adds exactly one prompt to the previous one, else 'step i'."""
    labels, seen = [], set()
    for i, ranking in enumerate(steps):
        prompts = [p for p, _ in ranking]
        new = [p for p in prompts if p not in seen]
        seen.update(prompts)
        labels.append(wrap(f"+ “{new[0]}”", 20) if len(new) == 1 else f"step {i + 1}")
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
        fig = new_figure((cell * ncols, (cell + (0.45 if titles else 0)) * nrows + (0.4 if title else 0)))
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        for k, ax in enumerate(axes):
            if k < len(images):
                show_image(ax, images[k])
                if titles:
                    ax.set_title(wrap(titles[k], 22), fontsize=8, fontweight="normal", loc="center")
            else:
                ax.axis("off")
        if title:
            fig.suptitle(title)
    return finish(fig, save)
