"""The house style every figure shares: palette, fonts, sizes, and atomic PNG/SVG saving.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.rcsetup import (
    cycler,  # what matplotlib.cycler is (its stubs leave the re-export out)
)

if TYPE_CHECKING:  # matplotlib.typing exists from matplotlib 3.8 on
    from matplotlib.typing import RcKeyType

from clip_course.io import atomic_path

__all__ = [
    "Any", "COUNTS", "CYCLE", "finish", "matplotlib", "new_figure", "os", "PALETTE", "RIGHT", "save_figure",
    "SEQUENTIAL", "shorten", "show_image", "style", "use_style", "wrap", "WRONG",
]

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

_STYLE: dict[RcKeyType, Any] = {
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
    "axes.prop_cycle": cycler(color=CYCLE),
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
    with matplotlib.rc_context(_STYLE):
        yield


def use_style() -> None:
    """Set the house style globally (notebooks call this once)."""
    matplotlib.rcParams.update(_STYLE)


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


def new_figure(figsize: tuple[float, float]) -> Figure:
    return Figure(figsize=figsize, layout="constrained")


def finish(fig: Figure, save: str | os.PathLike | None, svg: bool = False) -> Figure:
    if save is not None:
        save_figure(fig, save, svg=svg)
    return fig


def shorten(text: str, width: int = 38) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def show_image(ax: Any, image: np.ndarray) -> None:
    image = np.asarray(image)
    small = max(image.shape[:2]) <= 64  # ShapesWorld/CIFAR: keep pixels crisp
    ax.imshow(image, interpolation="nearest" if small else "antialiased")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)


def wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text
