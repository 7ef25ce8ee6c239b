"""Open models and data scale: CLIP_benchmark's published zero-shot figures, drawn (cited as theirs)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from clip_course.figures.style import CYCLE, finish, new_figure, style

__all__ = ["data_scale"]

_TAB10 = matplotlib.colormaps["tab10"]  # nine datasets: more colours than the house cycle holds
#: One colour per pretraining data set, the same in both panels.
_DATA_COLOURS = {"WIT-400M": CYCLE[0], "LAION-400M": CYCLE[1], "LAION-2B": CYCLE[2]}


def data_scale(scale: Mapping[str, Mapping[str, Mapping[str, float | None]]], points: Sequence[Mapping[str, Any]],
               save: str | os.PathLike | None = None) -> Figure:
    """Left: per architecture and dataset, published zero-shot top-1 against the pretraining data
    (``scale[arch][dataset][data]``); right: mean top-1 over the datasets against GMACs per (model, tag).
    """
    with style():
        fig = new_figure((10.5, 4.0))  # short enough to follow its heading on a page half filled
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        for k, rows in enumerate(scale.values()):
            datas = list(next(iter(rows.values())))
            x = np.arange(len(datas)) + 0.1 * k
            for i, (dataset, accs) in enumerate(rows.items()):
                y = [np.nan if accs[d] is None else accs[d] for d in datas]
                left.plot(x, y, marker="o" if k == 0 else "s", linestyle="-" if k == 0 else "--",
                          color=_TAB10(i % 10), label=dataset.removeprefix("vtab/") if k == 0 else None)
            left.set_xticks(np.arange(len(datas)), datas)
        left.set_ylabel("published zero-shot top-1 (%)")
        left.set_title(" (solid) / ".join(scale) + " (dashed)", fontsize=10)
        left.legend(fontsize=7.5, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.1))
        left.grid(True)
        placed: list[Mapping[str, Any]] = []
        for p in sorted(points, key=lambda p: (p["gmacs"], p["mean_acc1"])):
            right.scatter(p["gmacs"], p["mean_acc1"], s=60, color=_DATA_COLOURS.get(p["training_data"], "grey"),
                          edgecolors="black", linewidths=0.6)
            # labels of points that (nearly) coincide fan out upwards
            k = sum(q["gmacs"] == p["gmacs"] and abs(q["mean_acc1"] - p["mean_acc1"]) < 1.0 for q in placed)
            placed.append(p)
            # OpenAI's points label below themselves, the LAION points of the same compute to the right
            below = p["pretrained"] == "openai"
            right.annotate(f"{p['model'].removesuffix('-quickgelu')} {p['pretrained']}", (p["gmacs"], p["mean_acc1"]),
                           xytext=(-4, -11 - 9 * k) if below else (6, -4 + 9 * k), textcoords="offset points",
                           fontsize=6.5)
        for data, colour in _DATA_COLOURS.items():
            right.scatter([], [], color=colour, edgecolors="black", label=data)
        right.set_xscale("log")
        right.margins(y=0.1)  # room for the labels drawn under the lowest points
        right.set_xlabel("GMACs per image-text pair (log scale)")
        right.set_ylabel("mean published zero-shot top-1 (%)")
        right.legend(fontsize=8, loc="lower right")
        right.grid(True)
        fig.suptitle("CLIP_benchmark (LAION): open pretraining data against OpenAI's", fontsize=11)
    return finish(fig, save)
