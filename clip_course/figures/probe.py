"""Figures of notebook 04: the regularisation sweep, k-shot curves, the probe against zero-shot.

Each function takes plain data (arrays, dicts, lists), returns a :class:`matplotlib.figure.Figure`
and, given ``save=path``, writes a PNG there atomically (:func:`save_figure`). Figures are
built with ``Figure()`` rather than pyplot, so a notebook shows each figure once (when it is
the cell's value or passed to ``display``) and tests leak no pyplot state.

The palette is Okabe & Ito's colour-blind-safe set; "right" is blue and "wrong" vermillion,
never red against green.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from clip_course.figures.style import CYCLE, PALETTE, finish, new_figure, style
from clip_course.figures.zeroshot import accuracy_comparison
from clip_course.tasks.stats import crossover_k

__all__ = ["finish", "kshot_curve", "new_figure", "PALETTE", "probe_vs_zeroshot", "style", "sweep_curve"]


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
        fig = new_figure((6.4, 3.8))
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
    return finish(fig, save)


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
        fig = new_figure((4.6 * len(names), 3.9))
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
                ax.axhline(full[name], color=colour, ls=":", lw=1.3,
                           label=f"probe, all training data ({full[name]:.1f}%)")
            ax.set_xscale("log", base=2)
            ax.set_xticks(ks, [f"{k:g}" for k in ks])
            ax.set_xlabel("labelled examples per class (k)")
            ax.set_ylabel("top-1 (%)")
            ax.set_ylim(0, 100)
            ax.grid(True)
            ax.set_title(name)
            ax.legend(loc="best")
        fig.suptitle(title)
    return finish(fig, save)


def probe_vs_zeroshot(
    table: Mapping[str, Mapping[str, Mapping[str, float]]],
    title: str = "Linear probe against zero-shot",
    save: str | os.PathLike | None = None,
) -> Figure:
    """Top-1 and top-5 of the probe and of zero-shot per dataset: ``table[d][method][metric]``."""
    return accuracy_comparison(table, references=(), title=title, save=save)
