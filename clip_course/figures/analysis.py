"""Figures of the analysis notebook (06), in the house style of :mod:`clip_course.figures.probe`.

One function per kind of figure; each takes plain data (mostly the entries of
``results/06_analysis.json``, see :mod:`clip_course.tasks.studies`), returns a
:class:`matplotlib.figure.Figure` and, given ``save=path``, writes a PNG atomically through
:func:`clip_course.figures.style.save_figure`. The few-shot curve is :func:`clip_course.figures.probe.kshot_curve`
itself, re-exported here so the notebook draws every figure from one module.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from clip_course.data.corruptions import corrupt
from clip_course.figures.probe import kshot_curve
from clip_course.figures.style import (
    PALETTE,
    RIGHT,
    WRONG,
    finish,
    new_figure,
    shorten,
    show_image,
    style,
)
from clip_course.figures.zeroshot import accuracy_comparison

__all__ = [
    "coarse_fine", "corruption_examples", "kshot_curve", "prompt_templates", "reference_comparison", "retrieval_grid",
    "robustness_curves", "Save",
]

_ZS_COLOUR = PALETTE["blue"]
_PROBE_COLOUR = PALETTE["orange"]
Save = str | os.PathLike | None


# ------------------------------------------------------------------------------- prompts


def prompt_templates(
    prompts: Mapping[str, Mapping[str, Any]],
    title: str = "Prompt engineering: each template alone against the ensemble",
    save: Save = None,
) -> Figure:
    """Per dataset, each template's top-1 as sorted dots, with bare / single / ensemble lines.

    ``prompts[dataset]`` is an entry of the results' ``prompts`` section.
    """
    names = list(prompts)
    if not names:
        raise ValueError("prompt_templates needs at least one dataset.")
    n_t = max(len(p["per_template"]) for p in prompts.values())
    with style():
        fig = new_figure((5.4 * len(names), 0.27 * n_t + 2.3))
        axes = np.atleast_1d(fig.subplots(1, len(names), squeeze=False)).ravel()
        for ax, name in zip(axes, names, strict=True):
            p = prompts[name]
            items = sorted(p["per_template"].items(), key=lambda kv: kv[1])
            vals = [v for _, v in items]
            # A dot plot, not bars: templates often differ by less than a point, and dots need
            # no zero baseline, so the axis can zoom onto the spread.
            ax.hlines(range(len(items)), 0, vals, color=PALETTE["light"], lw=1.0)
            ax.plot(vals, range(len(items)), "o", color=PALETTE["black"], ms=4.5, label="one template alone")
            ax.set_yticks(range(len(items)), [shorten(t, 40) for t, _ in items], fontsize=7.5)
            lines = [("bare class name", p["bare"], PALETTE["vermillion"], ":"),
                     ('"a photo of a {}."', p["single"], PALETTE["orange"], "--"),
                     (f"ensemble of {len(items)}", p["ensemble"], RIGHT, "-")]
            for label, v, colour, ls in lines:
                ax.axvline(v, color=colour, ls=ls, lw=1.8, label=f"{label}: {v:.1f}%")
            every = [*vals, p["bare"], p["single"], p["ensemble"]]
            lo, hi = min(every), max(every)
            pad = max(1.0, 0.15 * (hi - lo))
            ax.set_xlim(max(0.0, lo - pad), min(100.0, hi + pad))
            ax.set_xlabel("zero-shot top-1 (%)")
            ax.grid(True, axis="x")
            ax.set_title(f"{name} (ensemble {p['ensemble_gain_points']:+.1f} pts)")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1, fontsize=8)
        fig.suptitle(title)
    return finish(fig, save)


# ------------------------------------------------------------------------------- robustness


def robustness_curves(
    robustness: Mapping[str, Mapping[str, Any]],
    title: str = "Distribution shift: accuracy against corruption severity",
    save: Save = None,
) -> Figure:
    """One panel per corruption (zero-shot and probe top-1 against severity) and a last
    panel with the mean over corruptions relative to clean accuracy."""
    kinds = list(robustness)
    if not kinds:
        raise ValueError("robustness_curves needs at least one corruption.")
    n = len(kinds) + 1
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    with style():
        fig = new_figure((3.6 * ncols, 2.9 * nrows + 0.5))
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
        rel: dict[str, list[np.ndarray]] = {"zeroshot": [], "probe": []}
        for ax, kind in zip(axes, kinds, strict=False):
            e = robustness[kind]
            sev = e["severities"]
            for key, colour, label in (("zeroshot", _ZS_COLOUR, "zero-shot"), ("probe", _PROBE_COLOUR, "linear probe")):
                ys = np.asarray(e[key], dtype=float)
                ax.plot(sev, ys, "o-", color=colour, label=label)
                rel[key].append(ys / ys[0] if ys[0] > 0 else ys * np.nan)
            ax.set_xticks(sev)
            ax.set_ylim(0, 102)
            ax.grid(True)
            ax.set_xlabel("severity (0 = clean)")
            ax.set_ylabel("top-1 (%)")
            ax.set_title(kind.replace("_", " "), fontsize=10)
        ax = axes[len(kinds)]
        for key, colour, label in (("zeroshot", _ZS_COLOUR, "zero-shot"), ("probe", _PROBE_COLOUR, "linear probe")):
            ax.plot(robustness[kinds[0]]["severities"], 100 * np.nanmean(np.stack(rel[key]), axis=0), "o-",
                    color=colour, label=label)
        ax.set_title("mean over corruptions")
        ax.set_xticks(robustness[kinds[0]]["severities"])
        ax.set_ylim(0, 105)
        ax.grid(True)
        ax.set_xlabel("severity (0 = clean)")
        ax.set_ylabel("% of clean accuracy kept")
        for extra in axes[len(kinds) + 1:]:
            extra.axis("off")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=2)
        fig.suptitle(title)
    return finish(fig, save)


def corruption_examples(
    images: Sequence[np.ndarray] | np.ndarray,
    corruptions: Sequence[str],
    severities: Sequence[int] = (0, 1, 2, 3, 4, 5),
    seed: int = 0,
    title: str = "The corruptions at each severity",
    save: Save = None,
) -> Figure:
    """Rows: corruptions; columns: severities; one test image per row (cycled from ``images``)."""
    imgs = [np.asarray(im, dtype=np.uint8) for im in images]
    if not imgs or not corruptions:
        raise ValueError("corruption_examples needs at least one image and one corruption.")
    with style():
        fig = new_figure((1.25 * len(severities) + 1.2, 1.3 * len(corruptions) + 0.7))
        axes = np.atleast_2d(fig.subplots(len(corruptions), len(severities), squeeze=False))
        for r, kind in enumerate(corruptions):
            image = imgs[r % len(imgs)]
            for c, sev in enumerate(severities):
                ax = axes[r, c]
                show_image(ax, corrupt(image[None], kind, sev, seed)[0])
                if r == 0:
                    ax.set_title("clean" if sev == 0 else f"severity {sev}", fontsize=8.5,
                                 fontweight="normal", loc="center")
            axes[r, 0].set_ylabel(kind.replace("_", "\n"), fontsize=8.5, rotation=0, ha="right", va="center")
        fig.suptitle(title)
    return finish(fig, save)


# ------------------------------------------------------------------------------- retrieval


def retrieval_grid(
    results: Sequence[Mapping[str, Any]],
    images: Sequence[np.ndarray] | np.ndarray,
    title: str = "Text-to-image search: the best matches for free-text queries",
    save: Save = None,
) -> Figure:
    """One row per query: the query text, then its top-k images captioned with their class.

    ``results`` are :func:`clip_course.tasks.studies.free_text_search` entries; ``images`` the
    searched set (indexed by ``top_indices``).
    """
    if not results:
        raise ValueError("retrieval_grid needs at least one query result.")
    k = max(len(r["top_indices"]) for r in results)
    with style():
        fig = new_figure((1.25 * k + 2.4, 1.55 * len(results) + 0.5))
        axes = np.atleast_2d(fig.subplots(len(results), k + 1, squeeze=False,
                                          width_ratios=[1.9] + [1] * k))
        for r, res in enumerate(results):
            label_ax = axes[r, 0]
            label_ax.axis("off")
            label_ax.text(1.0, 0.5, "\n".join(textwrap.wrap(f'"{res["query"]}"', 20)), ha="right",
                          va="center", fontsize=9, transform=label_ax.transAxes)
            for c in range(k):
                ax = axes[r, c + 1]
                if c >= len(res["top_indices"]):
                    ax.axis("off")
                    continue
                show_image(ax, images[res["top_indices"][c]])
                ax.set_title(shorten(res["top_labels"][c], 16), fontsize=7, fontweight="normal", loc="center")
        fig.suptitle(title)
    return finish(fig, save)


# ------------------------------------------------------------------------------- coarse vs fine


def coarse_fine(
    summary: Mapping[str, Any],
    coarse: str = "coarse",
    fine: str = "fine",
    title: str = "Fine-grained against coarse classes",
    save: Save = None,
) -> Figure:
    """Left: coarse vs fine top-1 beside chance. Right: per coarse class, coarse vs fine top-1
    (when fine classes group under coarse ones), else the worst fine classes."""
    with style():
        fig = new_figure((10.5, 4.2))
        ax, ax2 = fig.subplots(1, 2, width_ratios=[1, 2.3])
        vals = [summary["coarse_top1"], summary["fine_top1"]]
        chance = [summary["chance"]["coarse"], summary["chance"]["fine"]]
        labels = [f"{coarse}\n({summary['n_classes']['coarse']} classes)",
                  f"{fine}\n({summary['n_classes']['fine']} classes)"]
        ax.bar([0, 1], vals, color=[RIGHT, PALETTE["sky"]], width=0.6)
        ax.bar([0, 1], chance, color="none", edgecolor=PALETTE["black"], hatch="//", width=0.6, label="chance")
        for x, v in enumerate(vals):
            ax.text(x, v + 1.5, f"{v:.1f}%", ha="center", fontsize=9)
        ax.set_xticks([0, 1], labels)
        ax.set_ylim(0, 122)
        ax.set_yticks(range(0, 101, 20))
        ax.set_ylabel("zero-shot top-1 (%)")
        ax.set_title(f"drop: {summary['drop_points']:.1f} points")
        ax.legend(loc="upper right")
        ax.grid(True, axis="y")
        per = summary.get("per_coarse_class")
        if per:
            names = [r["class"] for r in per]
            xs = np.arange(len(per))
            ax2.bar(xs - 0.2, [r["coarse_top1"] for r in per], 0.4, color=RIGHT, label=f"{coarse} ({len(names)}-way)")
            ax2.bar(xs + 0.2, [r["fine_top1"] for r in per], 0.4, color=PALETTE["sky"],
                    label=f"{fine}: mean over its fine classes")
            ax2.set_xticks(xs, names, rotation=30, ha="right")
            ax2.set_ylim(0, 122)
            ax2.set_yticks(range(0, 101, 20))
            ax2.set_ylabel("zero-shot top-1 (%)")
            ax2.set_title("per coarse class, largest drop first")
            ax2.legend(loc="upper right", ncol=2)
            ax2.grid(True, axis="y")
        else:
            worst = list(summary["worst_classes"])[::-1]
            ax2.barh(range(len(worst)), [r["top1"] for r in worst], color=WRONG, height=0.7)
            ax2.set_yticks(range(len(worst)), [
                f"{r['class']} → {r['confused_with']}" if r.get("confused_with") else r["class"] for r in worst
            ], fontsize=8)
            ax2.set_xlim(0, 100)
            ax2.set_xlabel("top-1 (%)  (→ most frequent wrong answer)")
            ax2.set_title(f"the {len(worst)} hardest {fine} classes")
            ax2.grid(True, axis="x")
        fig.suptitle(title)
    return finish(fig, save)


# ------------------------------------------------------------------------------- comparison


def reference_comparison(
    rows: Sequence[Mapping[str, Any]],
    title: str = "Our numbers beside the published ones",
    save: Save = None,
) -> Figure:
    """Grouped bars of the comparison table: ours (solid) beside the paper and CLIP_benchmark
    (hatched); groups name our dataset and the reference dataset."""
    scores: dict[str, dict[str, dict[str, float]]] = {}
    profile = rows[0]["profile"] if rows else "?"
    ours = f"ours ({profile})"
    for r in rows:
        group = f"ours: {r['dataset']}\nref.: {r['reference_dataset']}"
        for source, key in ((ours, "ours"), ("paper", "paper"), ("CLIP_benchmark", "clip_benchmark")):
            if r.get(key) is not None:
                scores.setdefault(group, {}).setdefault(source, {})[r["quantity"]] = float(r[key])
    metrics = list(dict.fromkeys(r["quantity"] for r in rows))
    note = f"references: {rows[0]['reference_model']} on CIFAR" if rows else None
    return accuracy_comparison(scores, references=("paper", "CLIP_benchmark"), metrics=metrics,
                               title=title, note=note, save=save)
