"""Figures of notebook 07: zero-shot against the probe per dataset (the paper's Figure 5), and the model sweep.

Plain data in, a :class:`matplotlib.figure.Figure` out, saved atomically with ``save=path``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from clip_course.data.naming import model_name
from clip_course.figures.style import CYCLE, PALETTE, finish, new_figure, style

__all__ = ["accuracy_vs_speed", "zeroshot_minus_probe"]

#: One colour per dataset family, the same in every figure of the chapter.
_FAMILY_COLOURS = {
    "objects": PALETTE["blue"], "fine-grained": PALETTE["sky"], "style-shifted": PALETTE["orange"],
    "specialised": PALETTE["vermillion"], "abstract or synthetic": PALETTE["purple"],
    "counting": PALETTE["green"], "other": PALETTE["grey"],
}


def zeroshot_minus_probe(entries: Mapping[str, Mapping[str, Any]],
                         title: str = "Zero-shot minus the full-data linear probe, per dataset",
                         save: str | os.PathLike | None = None) -> Figure:
    """Horizontal bars of zero-shot top-1 minus probe top-1 (points) with 95% intervals, sorted.

    ``entries[name]`` holds ``family`` and ``zeroshot_minus_probe = {diff, lo, hi}``; bars right of
    zero are datasets where zero-shot wins, as in the paper's Figure 5.
    """
    names = sorted(entries, key=lambda n: entries[n]["zeroshot_minus_probe"]["diff"])
    d = np.array([entries[n]["zeroshot_minus_probe"]["diff"] for n in names], dtype=float)
    lo = np.array([entries[n]["zeroshot_minus_probe"]["lo"] for n in names], dtype=float)
    hi = np.array([entries[n]["zeroshot_minus_probe"]["hi"] for n in names], dtype=float)
    families = [entries[n]["family"] for n in names]
    with style():
        fig = new_figure((6.4, 0.9 + 0.36 * max(len(names), 2)))
        ax = fig.add_subplot()
        y = np.arange(len(names))
        ax.barh(y, d, color=[_FAMILY_COLOURS.get(f, PALETTE["grey"]) for f in families], height=0.62)
        ax.errorbar(d, y, xerr=[d - lo, hi - d], fmt="none", ecolor="black", elinewidth=1.0, capsize=2.5)
        ax.axvline(0, color="#444444", lw=0.9)
        ax.set_yticks(y, names)
        span = max(float(np.nanmax(np.abs(np.r_[lo, hi, 1.0]))), 1.0)
        for yi, di, upper, lower in zip(y, d, hi, lo, strict=True):
            x, ha = (upper + 0.02 * span, "left") if di >= 0 else (lower - 0.02 * span, "right")
            ax.text(x, float(yi), "0.0" if abs(di) < 0.05 else f"{di:+.1f}".replace("-", "−"), va="center", ha=ha,
                    fontsize=8.5)
        ax.set_xlim(-1.25 * span, 1.25 * span)
        ax.set_xlabel("Δ top-1 (points): zero-shot − linear probe; right of 0, zero-shot wins")
        ax.grid(True, axis="x")
        shown = [f for f in _FAMILY_COLOURS if f in families]
        handles = [ax.barh([np.nan], [np.nan], color=_FAMILY_COLOURS[f]) for f in shown]
        ax.legend(handles, shown, loc="lower right", title="family")
        ax.set_title(title)
    return finish(fig, save)


def _label(model: str, entry: Mapping[str, Any]) -> str:
    """A sweep point's label: the model's name from its checkpoint's hash where the entry records
    one (:func:`clip_course.data.naming.model_name`), else the name without any folder."""
    if entry.get("checkpoint_sha256"):
        return model_name({"name": model, "checkpoint_sha256": entry["checkpoint_sha256"]}).en.replace(" (sha256",
                                                                                                 "\n(sha256")
    return str(model).replace("\\", "/").rsplit("/", 1)[-1]


def accuracy_vs_speed(sweep: Mapping[str, Mapping[str, Any]], title: str = "Zero-shot accuracy against speed",
                      save: str | os.PathLike | None = None) -> Figure:
    """Mean zero-shot top-1 over the datasets against measured images/s, marker area by parameters.

    ``sweep[model]`` holds ``images_per_s``, ``parameters`` and ``mean_zeroshot_top1``.
    """
    models = sorted(sweep, key=lambda m: sweep[m]["parameters"])
    rate = np.array([sweep[m]["images_per_s"] for m in models], dtype=float)
    acc = np.array([sweep[m]["mean_zeroshot_top1"] for m in models], dtype=float)
    params = np.array([sweep[m]["parameters"] for m in models], dtype=float)
    with style():
        fig = new_figure((6.4, 3.8))
        ax = fig.add_subplot()
        area = 40 + 260 * params / params.max()
        ax.scatter(rate, acc, s=area, c=[CYCLE[i % len(CYCLE)] for i in range(len(models))], alpha=0.85,
                   edgecolors="black", linewidths=0.6)
        for m, x, yv, p in zip(models, rate, acc, params, strict=True):
            ax.annotate(f"{_label(m, sweep[m])}\n{p / 1e6:.1f} M params", (x, yv), xytext=(14, 0),
                        textcoords="offset points",
                        fontsize=8.5, va="center", ha="left")
        ax.set_xscale("log")
        if len(models) == 1:  # one point: keep a readable decade around it
            ax.set_xlim(rate[0] / 4, rate[0] * 8)
        ax.set_xlabel("measured images/s on this run's device (log scale)")
        ax.set_ylabel("mean zero-shot top-1 (%)")
        ax.grid(True)
        ax.set_title(title)
    return finish(fig, save)
