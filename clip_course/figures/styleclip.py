"""Figures of notebook 05: before/after, frame strips, similarity curves, the lambda sweep, GIFs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from clip_course.figures import style
from clip_course.io import atomic_path
from clip_course.tasks.styleclip import EditResult

__all__ = ["plot_batch", "plot_before_after", "plot_curves", "plot_strip", "plot_sweep", "save_gif"]

# ------------------------------------------------------------------------------- figures


def plot_before_after(result: EditResult, index: int = 0, save: str | os.PathLike | None = None):
    """Start image, edited image and their difference, with the similarities."""

    before, after = result.before[index], result.after[index]
    diff = np.abs(after.astype(np.float32) - before.astype(np.float32)).mean(-1) / 255
    with style.style():
        fig = style.new_figure((8.4, 3.2))
        axes = fig.subplots(1, 3)
        titles = [f"start  (sim {result.similarity_before[index]:.3f})",
                  f"edited (sim {result.similarity_after[index]:.3f})",
                  "|change| (mean over RGB)"]
        for ax, img, title in zip(axes, [before, after, None], titles, strict=True):
            if img is None:
                im = ax.imshow(diff, cmap="magma", vmin=0, vmax=max(float(diff.max()), 1e-6))
                ax.set_xticks([])
                ax.set_yticks([])
                fig.colorbar(im, ax=ax, shrink=0.8)
            else:
                style.show_image(ax, img)
            ax.set_title(title, fontsize=9, loc="center")
        fig.suptitle(f"StyleCLIP edit toward \"{result.text}\"")
    return style.finish(fig, save)


def plot_strip(result: EditResult, index: int = 0, n: int = 8, save: str | os.PathLike | None = None):
    """``n`` evenly spaced recorded frames of the trajectory, with step and similarity."""

    picks = np.unique(np.linspace(0, len(result.frames) - 1, min(n, len(result.frames))).round().astype(int))
    sims = dict(zip(result.steps, (s[index] for s in result.similarity), strict=True))
    with style.style():
        fig = style.new_figure((1.6 * len(picks), 2.1))
        axes = np.atleast_1d(fig.subplots(1, len(picks)))
        for ax, k in zip(axes, picks, strict=True):
            step, images = result.frames[k]
            style.show_image(ax, images[index])
            ax.set_title(f"step {step}\nsim {sims[step]:.3f}", fontsize=8, loc="center", fontweight="normal")
        fig.suptitle(f"Trajectory toward \"{result.text}\"")
    return style.finish(fig, save)


def plot_curves(result: EditResult, index: int = 0, save: str | os.PathLike | None = None):
    """Similarity to the text, distance to the start latent, and the learning rate per step."""

    steps = result.steps
    with style.style():
        fig = style.new_figure((9.0, 3.0))
        ax1, ax2, ax3 = fig.subplots(1, 3)
        ax1.plot(steps, [s[index] for s in result.similarity], color=style.PALETTE["blue"])
        ax1.set(xlabel="step", ylabel="cosine similarity", title="CLIP similarity to the text")
        ax2.plot(steps, [d[index] for d in result.distance], color=style.PALETTE["orange"])
        ax2.set(xlabel="step", ylabel="||w - w0||", title="Distance to the start latent")
        ax3.plot(steps, result.lr, color=style.PALETTE["grey"])
        ax3.set(xlabel="step", ylabel="learning rate", title="Schedule")
        for ax in (ax1, ax2, ax3):
            ax.grid(True)
    return style.finish(fig, save)


def plot_sweep(run: EditResult, rows: Sequence[dict], save: str | os.PathLike | None = None):
    """Edit strength against faithfulness over l2_lambda, with each lambda's result image."""

    n = len(rows)
    with style.style():
        fig = style.new_figure((max(7.5, 1.6 * (n + 1)), 5.2))
        top, bottom = np.asarray(fig.subfigures(2, 1, height_ratios=[1.1, 1.0]), dtype=object)  # two: an array
        ax = top.subplots(1, 1)
        sim = [r["similarity_after"] for r in rows]
        change = [r["pixel_change"] for r in rows]
        ax.plot(change, sim, "o-", color=style.PALETTE["blue"])
        for r in rows:
            ax.annotate(f"λ={r['l2_lambda']:g}", (r["pixel_change"], r["similarity_after"]),
                        textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.axhline(rows[0]["similarity_before"], color=style.PALETTE["grey"], ls="--", lw=1)
        ax.set(xlabel="mean pixel change from the start (lower = more faithful)",
               ylabel="similarity after", title="Edit strength vs faithfulness over l2_lambda")
        ax.grid(True)
        axes = np.atleast_1d(bottom.subplots(1, n + 1))
        style.show_image(axes[0], run.before[0])
        axes[0].set_title("start", fontsize=8, loc="center", fontweight="normal")
        for k, r in enumerate(rows):
            style.show_image(axes[k + 1], run.after[k])
            axes[k + 1].set_title(f"λ={r['l2_lambda']:g}", fontsize=8, loc="center", fontweight="normal")
    return style.finish(fig, save)


def plot_batch(run: EditResult, labels: Sequence[str] | None = None, save: str | os.PathLike | None = None):
    """Every sample of a batched edit: start (top row) and result (bottom row)."""

    n = len(run.before)
    with style.style():
        fig = style.new_figure((1.5 * n, 3.6))
        axes = np.atleast_2d(fig.subplots(2, n))
        if n == 1:
            axes = axes.reshape(2, 1)
        for k in range(n):
            style.show_image(axes[0, k], run.before[k])
            style.show_image(axes[1, k], run.after[k])
            axes[0, k].set_title(style.wrap(labels[k], 18) if labels else f"start {k}", fontsize=7,
                                 loc="center", fontweight="normal")
            axes[1, k].set_title(f"sim {run.similarity_before[k]:.2f}→{run.similarity_after[k]:.2f}",
                                 fontsize=7, loc="center", fontweight="normal")
        fig.suptitle(f"Starts (top) edited toward \"{run.text}\" (bottom)")
    return style.finish(fig, save)


def save_gif(
    result: EditResult, path: str | os.PathLike, index: int = 0, size: int = 256, duration_ms: int = 80
) -> Path:
    """The trajectory as an animated GIF (Pillow), frames resized to ``size`` px."""
    from PIL import Image

    frames = []
    for _, images in result.frames:
        img = Image.fromarray(images[index])
        small = img.width <= 64
        frames.append(img.resize((size, size), Image.Resampling.NEAREST if small else Image.Resampling.LANCZOS))
    frames += [frames[-1]] * 10  # hold the result for a moment
    path = Path(path)
    with atomic_path(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=duration_ms, loop=0)
    return path
