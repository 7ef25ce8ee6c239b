"""ShapesWorld's vocabulary of attributes and its scenes (what an image shows).

A scene is one shape kind in one named colour, big or small, at one of five positions, on
one of five backgrounds, drawn in one of five rendering styles, and (rarely in pretraining,
always in the counting set) repeated one to four times. Everything else lives in
:mod:`clip_course.data.shapes_render` (pixels), :mod:`clip_course.data.shapes_captions`
(alt-text) and :mod:`clip_course.data.shapes` (evaluation sets).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clip_course.errors import ShapesWorldError

__all__ = [
    "BACKGROUNDS", "COLOUR_NAMES", "COLOURS", "COUNTS", "held_out_mask", "HELD_OUT_PAIRS", "POSITIONS", "sample_scenes",
    "Scenes", "SHAPES", "SIZES", "STYLES", "with_counts",
]

SHAPES = [
    "circle", "square", "triangle", "star", "heart",
    "diamond", "cross", "ring", "crescent", "arrow",
]
COLOURS = {
    "red": (220, 30, 30),
    "orange": (245, 140, 20),
    "yellow": (240, 220, 30),
    "green": (40, 170, 50),
    "blue": (30, 70, 220),
    "purple": (130, 40, 180),
    "pink": (245, 130, 190),
    "brown": (130, 80, 35),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
}
COLOUR_NAMES = list(COLOURS)
SIZES = ["small", "big"]
POSITIONS = ["centre", "left", "right", "top", "bottom"]
#: Backgrounds: three plain greys and two grey textures (every colour contrasts with each).
BACKGROUNDS = ["grey", "light grey", "dark grey", "striped", "checkered"]
#: Renderings ("domains"): the labelled evaluation splits are ``flat`` only; the others are
#: the shifted test sets (``shapes10_sketch`` ...), as ImageNet-Sketch / -R are for ImageNet.
STYLES = ["flat", "outline", "sketch", "photo", "cartoon"]
#: Numbers of copies a scene can show (the counting set's classes).
COUNTS = [1, 2, 3, 4]

#: (shape, colour) pairs never shown in pretraining: one per shape and one per colour.
HELD_OUT_PAIRS = [(s, COLOUR_NAMES[(3 * i + 1) % 10]) for i, s in enumerate(SHAPES)]


@dataclass
class Scenes:
    """Attributes of N scenes as index arrays (into SHAPES, COLOURS, SIZES, ...).

    ``style`` (index into :data:`STYLES`) and ``count`` (copies, 1..4) default to flat, 1.
    """

    shape: np.ndarray
    colour: np.ndarray
    size: np.ndarray
    position: np.ndarray
    background: np.ndarray
    # None -> filled by __post_init__ (flat style, one copy), so every reader sees an array
    style: np.ndarray = None  # type: ignore[assignment]
    count: np.ndarray = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        n = len(self.shape)
        if self.style is None:
            self.style = np.zeros(n, dtype=np.int64)
        if self.count is None:
            self.count = np.ones(n, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.shape)

    def describe(self, i: int) -> dict[str, str]:
        """Scene ``i`` as attribute names."""
        return {
            "shape": SHAPES[self.shape[i]],
            "colour": COLOUR_NAMES[self.colour[i]],
            "size": SIZES[self.size[i]],
            "position": POSITIONS[self.position[i]],
            "background": BACKGROUNDS[self.background[i]],
            "style": STYLES[self.style[i]],
            "count": str(int(self.count[i])),
        }


def _index(value: str, names: list[str], what: str) -> int:
    if value not in names:
        raise ShapesWorldError(f"Unknown {what} {value!r}; choose one of {names}.")
    return names.index(value)


def held_out_mask(shape: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """True where (shape, colour) is one of :data:`HELD_OUT_PAIRS`."""
    table = np.zeros((len(SHAPES), len(COLOUR_NAMES)), dtype=bool)
    for s, c in HELD_OUT_PAIRS:
        table[SHAPES.index(s), COLOUR_NAMES.index(c)] = True
    return table[shape, colour]


def sample_scenes(
    n: int,
    rng: np.random.Generator,
    shape: np.ndarray | None = None,
    colour: np.ndarray | None = None,
    exclude_held_out: bool = True,
    style: int | np.ndarray = 0,
) -> Scenes:
    """Random scenes; given ``shape``/``colour`` arrays are kept, held-out pairs redrawn.

    Big shapes are always centred (there is no room to move them at 32 px). ``style`` is
    one style index for all (default flat) or an array; the count is 1 (see
    :func:`with_counts`).
    """
    fixed_colour = colour is not None
    shape = rng.integers(0, len(SHAPES), n) if shape is None else np.asarray(shape)
    colour = rng.integers(0, len(COLOUR_NAMES), n) if colour is None else np.asarray(colour)
    if exclude_held_out and not fixed_colour:
        bad = held_out_mask(shape, colour)
        while bad.any():  # resample the colour only: the shape distribution stays uniform
            colour[bad] = rng.integers(0, len(COLOUR_NAMES), int(bad.sum()))
            bad = held_out_mask(shape, colour)
    size = rng.integers(0, len(SIZES), n)
    position = np.where(size == SIZES.index("big"), 0, rng.integers(0, len(POSITIONS), n))
    background = rng.integers(0, len(BACKGROUNDS), n)
    styles = np.broadcast_to(np.asarray(style, dtype=np.int64), (n,)).copy()
    return Scenes(shape, colour, size, position, background, styles)


def with_counts(scenes: Scenes, count: np.ndarray) -> Scenes:
    """The scenes with ``count`` copies each; repeated scenes are small and unpositioned."""
    count = np.asarray(count, dtype=np.int64)
    many = count > 1
    size = np.where(many, SIZES.index("small"), scenes.size)
    position = np.where(many, 0, scenes.position)
    return Scenes(scenes.shape, scenes.colour, size, position, scenes.background, scenes.style, count)
