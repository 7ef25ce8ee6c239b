"""ShapesWorld: a procedural world of small captioned images, the offline profile's data.

Each image shows one shape (10 kinds) in one of 10 named colours, big or small, at one of
five positions, on a plain or textured background, with a little pixel noise. Each colour
name covers a range of shades (hue, saturation, pastel, lighting and tint vary per image),
so neighbouring names (orange/yellow/brown, red/pink, blue/purple) overlap partly and the
colour-shape classes are genuinely finer than the shapes, as CIFAR-100's are. Captions
name the shape always and the other attributes sometimes, in varied phrasings and orders
("a small red triangle on a grey background", "a photo of a big blue circle", "a star").

Evaluation sets, CIFAR-shaped (uint8 (N, 32, 32, 3), class-balanced):

- ``shapes10``: class = shape (CIFAR-10-like);
- ``shapes100``: class = colour x shape, e.g. "red circle" (CIFAR-100-like, finer classes);
- ``shapes100_unseen``: images of the :data:`HELD_OUT_PAIRS` only, which never appear in
  pretraining (neither image nor caption); classes are still all 100 colour-shape names,
  so it is a 100-way test of compositional zero-shot (chance 1%).

``shapes10`` and ``shapes100`` draw their images, like pretraining, from the 90 seen pairs
only, so they measure the pretraining world and the held-out pairs are measured on their
own; ``shapes100`` still classifies into all 100 names (the 10 unseen ones as distractors).

Everything is deterministic by seed. Importing this module registers the ``shapes``
template sets in :mod:`clip_course.prompts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from clip_course.core import prompts
from clip_course.errors import ShapesWorldError

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
_BG_LEVEL = {"grey": 128, "light grey": 175, "dark grey": 80, "striped": 128, "checkered": 128}
_POSITION_PHRASES = {
    "centre": ["in the centre", "in the middle"],
    "left": ["on the left"],
    "right": ["on the right"],
    "top": ["at the top"],
    "bottom": ["at the bottom"],
}

#: (shape, colour) pairs never shown in pretraining: one per shape and one per colour.
HELD_OUT_PAIRS = [(s, COLOUR_NAMES[(3 * i + 1) % 10]) for i, s in enumerate(SHAPES)]

SHAPES10_CLASSES = list(SHAPES)
#: "colour shape" names, colour-major: index = colour * 10 + shape.
SHAPES100_CLASSES = [f"{c} {s}" for c in COLOUR_NAMES for s in SHAPES]

#: Caption frames; ``{}`` receives the noun phrase (with its attributes).
CAPTION_FRAMES = [
    "a photo of a {}.", "a picture of a {}.", "an image of a {}.", "a drawing of a {}.",
    "a rendering of a {}.", "a photo of the {}.", "a picture of the {}.", "a {}.", "the {}.",
    "{}", "there is a {}.", "this is a {}.", "a photo showing a {}.", "a {}",
]

#: Zero-shot ensemble in the spirit of CLIP's 18 CIFAR templates, all in the caption grammar.
SHAPES_TEMPLATES = prompts.SHAPES_TEMPLATES


DATASET_NAMES = ("shapes10", "shapes100", "shapes100_unseen")
#: Default (train, test) sizes per evaluation set.
DEFAULT_SIZES = {
    "shapes10": (5000, 1000),
    "shapes100": (9000, 1800),  # 100 / 90 images per seen class
    "shapes100_unseen": (1000, 1000),
}
_SPLIT_SEEDS = {"train": 1, "test": 2}
_DATASET_SEEDS = {"shapes10": 10, "shapes100": 100, "shapes100_unseen": 1000}


@dataclass
class Scenes:
    """Attributes of N scenes as index arrays (into SHAPES, COLOURS, SIZES, ...)."""

    shape: np.ndarray
    colour: np.ndarray
    size: np.ndarray
    position: np.ndarray
    background: np.ndarray

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
) -> Scenes:
    """Random scenes; given ``shape``/``colour`` arrays are kept, held-out pairs redrawn.

    Big shapes are always centred (there is no room to move them at 32 px).
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
    return Scenes(shape, colour, size, position, background)


# ---------------------------------------------------------------- rendering

def _shape_mask(kind: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inside-test of a unit shape in its own frame (u right, v down, extent about 1)."""
    r = np.hypot(u, v)
    if kind == "circle":
        return r <= 0.95
    if kind == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.78
    if kind == "triangle":
        w = v - 0.2  # centroid at the origin
        return (w <= 0.55) & (w >= -1.0 + 1.8 * np.abs(u))
    if kind == "star":
        # Radius interpolated between 5 outer and 5 inner vertices: a five-pointed star.
        phi = np.mod(np.arctan2(u, -v), 2 * np.pi / 5) - np.pi / 5
        return r <= 0.42 + 0.6 * (np.abs(phi) / (np.pi / 5)) ** 1.4
    if kind == "heart":
        x, y = u / 0.95, -(v - 0.08) / 0.95
        return (x * x + y * y - 1) ** 3 - x * x * y**3 <= 0
    if kind == "diamond":
        return np.abs(u) / 0.8 + np.abs(v) <= 1.0
    if kind == "cross":
        arm = 0.3
        return ((np.abs(u) <= arm) & (np.abs(v) <= 0.95)) | ((np.abs(v) <= arm) & (np.abs(u) <= 0.95))
    if kind == "ring":
        return (r <= 0.95) & (r >= 0.55)
    if kind == "crescent":
        return (r <= 0.95) & (np.hypot(u - 0.45, v + 0.15) >= 0.78)
    if kind == "arrow":
        shaft = (u >= -0.95) & (u <= 0.1) & (np.abs(v) <= 0.22)
        head = (u >= 0.0) & (u <= 0.95) & (np.abs(v) <= 0.8 * (0.95 - u))
        return shaft | head
    raise ShapesWorldError(f"Unknown shape {kind!r}; choose one of {SHAPES}.")


def _backgrounds(scenes: Scenes, size: int, rng: np.random.Generator) -> np.ndarray:
    """Grey-level backgrounds (N, size, size) float, textures with random phase."""
    n = len(scenes)
    names = np.array(BACKGROUNDS)[scenes.background]
    level = np.array([_BG_LEVEL[b] for b in names], dtype=np.float32)
    bg = np.repeat(level[:, None, None], size, 1).repeat(size, 2).astype(np.float32)
    yy, xx = np.mgrid[0:size, 0:size]
    period = rng.integers(3, 6, n)
    phase = rng.integers(0, 6, n)
    vertical = rng.random(n) < 0.5
    for i in np.flatnonzero(names == "striped"):
        coord = xx if vertical[i] else yy
        bg[i] += np.where(((coord + phase[i]) // period[i]) % 2 == 0, 25.0, -25.0)
    for i in np.flatnonzero(names == "checkered"):
        cell = ((xx + phase[i]) // period[i] + (yy + phase[i]) // period[i]) % 2
        bg[i] += np.where(cell == 0, 25.0, -25.0)
    return bg


def _geometry(scenes: Scenes, size: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Centre (cx, cy), half-extent and rotation per scene, in pixels / radians."""
    n = len(scenes)
    big = scenes.size == SIZES.index("big")
    radius = np.where(big, rng.uniform(0.36, 0.44, n), rng.uniform(0.19, 0.25, n)) * size
    reach = np.maximum(size / 2 - radius - 0.5, 0) * rng.uniform(0.75, 1.0, n)
    jitter = rng.uniform(-1.0, 1.0, (2, n)) * size / 32
    dx = np.select([scenes.position == POSITIONS.index(p) for p in ("left", "right")], [-reach, reach], 0.0)
    dy = np.select([scenes.position == POSITIONS.index(p) for p in ("top", "bottom")], [-reach, reach], 0.0)
    cx = size / 2 + dx + jitter[0]
    cy = size / 2 + dy + jitter[1]
    angle = rng.uniform(-0.3, 0.3, n)
    return cx, cy, radius, angle


#: Per-image spread of each colour name (see :func:`_shades`). Wide enough that neighbouring
#: names overlap partly (an ideal observer of the exact object colour names about 80% right).
HUE_JITTER_DEG = 22.0
SATURATION = (0.6, 1.1)
PASTEL = 0.3  # at most this fraction mixed towards white
LIGHT = (0.6, 1.15)
TINT = 30.0  # per-channel offset (coloured light)
MIN_CONTRAST = 40.0  # the object always stands out from its background by this much


def _hue_rotate(rgb: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Rotate each RGB row about the grey axis by ``theta`` radians (a hue shift)."""
    k = np.full(3, 1 / np.sqrt(3))
    cos, sin = np.cos(theta)[:, None], np.sin(theta)[:, None]
    return rgb * cos + np.cross(k, rgb) * sin + k * (rgb @ k)[:, None] * (1 - cos)


def _shades(scenes: Scenes, rng: np.random.Generator, spread: float = 1.0) -> np.ndarray:
    """Object colour per scene, float (N, 3): the named colour under per-image variation.

    Hue, saturation, pastel, lighting and tint vary per image, so neighbouring names
    (orange/yellow/brown, red/pink/orange, blue/purple) overlap partly, as CIFAR-100's
    fine classes do; the shape itself is kept visible against its background. ``spread``
    scales every variation (0: the name's own shade); the random draws are the same.
    """
    n = len(scenes)
    hue = rng.uniform(-HUE_JITTER_DEG, HUE_JITTER_DEG, n)
    sat = rng.uniform(*SATURATION, (n, 1))
    white = rng.uniform(0, PASTEL, (n, 1))
    light = rng.uniform(*LIGHT, (n, 1))
    tint = rng.uniform(-TINT, TINT, (n, 3))
    if spread != 1.0:
        hue, white, tint = hue * spread, white * spread, tint * spread
        sat, light = 1 + spread * (sat - 1), 1 + spread * (light - 1)
    rgb = np.array([COLOURS[c] for c in COLOUR_NAMES], dtype=np.float64)[scenes.colour]
    rgb = _hue_rotate(rgb, np.deg2rad(hue))
    grey = rgb.mean(1, keepdims=True)
    rgb = grey + (rgb - grey) * sat
    rgb = rgb * (1 - white) + 255 * white
    rgb = rgb * light + tint
    rgb = np.clip(rgb, 0, 255)
    level = np.array([_BG_LEVEL[BACKGROUNDS[b]] for b in scenes.background], dtype=np.float64)[:, None]
    # Too close to the background grey: shift lighter (or darker) until the brightest
    # (darkest) channel is MIN_CONTRAST away; backgrounds lie in 80..175, so this fits in 0..255.
    faint = np.abs(rgb - level).max(1, keepdims=True) < MIN_CONTRAST
    lighter = rgb.mean(1, keepdims=True) >= level
    shift = np.where(lighter, np.maximum(level + MIN_CONTRAST - rgb.max(1, keepdims=True), 0),
                     -np.maximum(rgb.min(1, keepdims=True) - (level - MIN_CONTRAST), 0))
    return (rgb + np.where(faint, shift, 0.0)).astype(np.float32)


def render_scenes(
    scenes: Scenes,
    rng: np.random.Generator,
    image_size: int = 32,
    noise: float = 5.0,
    supersample: int = 2,
    colour_spread: float = 1.0,
) -> np.ndarray:
    """Render scenes to uint8 (N, image_size, image_size, 3), anti-aliased by supersampling.

    ``colour_spread`` scales the per-image colour variation (1: the world's, 0: none).
    """
    n = len(scenes)
    cx, cy, radius, angle = (a.astype(np.float32) for a in _geometry(scenes, image_size, rng))
    rgb = _shades(scenes, rng, colour_spread)
    bg = _backgrounds(scenes, image_size, rng)
    s = supersample
    grid = ((np.arange(image_size * s) + 0.5) / s).astype(np.float32)
    xs, ys = grid[None, None, :], grid[None, :, None]
    alpha = np.zeros((n, image_size, image_size), dtype=np.float32)
    for k, kind in enumerate(SHAPES):
        idx = np.flatnonzero(scenes.shape == k)
        if idx.size == 0:
            continue
        dx = xs - cx[idx, None, None]
        dy = ys - cy[idx, None, None]
        cos, sin = np.cos(angle[idx])[:, None, None], np.sin(angle[idx])[:, None, None]
        r = radius[idx, None, None]
        u = (dx * cos + dy * sin) / r
        v = (-dx * sin + dy * cos) / r
        m = _shape_mask(kind, u, v).astype(np.float32)
        alpha[idx] = m.reshape(idx.size, image_size, s, image_size, s).mean(axis=(2, 4))
    img = bg[..., None] * (1 - alpha[..., None]) + rgb[:, None, None, :] * alpha[..., None]
    img += noise * rng.standard_normal(img.shape, dtype=np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def render(
    shape: str,
    colour: str,
    size: str = "big",
    position: str = "centre",
    background: str = "grey",
    rng: np.random.Generator | int | None = 0,
    image_size: int = 32,
    colour_spread: float = 0.0,
) -> np.ndarray:
    """One image (image_size, image_size, 3) uint8 of a named scene, e.g. a small red circle.

    The colour is the name's own shade unless ``colour_spread`` > 0 (1 varies it as the
    datasets and pretraining do), so a named scene shows what its name says.
    """
    scenes = Scenes(
        np.array([_index(shape, SHAPES, "shape")]),
        np.array([_index(colour, COLOUR_NAMES, "colour")]),
        np.array([_index(size, SIZES, "size")]),
        np.array([_index(position, POSITIONS, "position")]),
        np.array([_index(background, BACKGROUNDS, "background")]),
    )
    return render_scenes(scenes, np.random.default_rng(rng), image_size, colour_spread=colour_spread)[0]


# ---------------------------------------------------------------- captions

@dataclass
class Captions:
    """Caption strings plus which attributes each one names (for matching in a batch)."""

    text: list[str]
    names_colour: np.ndarray
    names_size: np.ndarray
    names_position: np.ndarray
    names_background: np.ndarray


def _article(word: str, rng: np.random.Generator) -> str:
    # Mostly "a" as CLIP's templates write it ("a photo of a orange ..."), sometimes "an".
    return "an" if word[0] in "aeiou" and rng.random() < 0.3 else "a"


def _noun_phrase(attrs: dict[str, str], use: dict[str, bool], rng: np.random.Generator) -> str:
    words = [attrs[k] for k in ("size", "colour") if use[k]]
    if use["colour"] and rng.random() < 0.15:  # other orders: "circle that is red"
        size = f"{attrs['size']} " if use["size"] else ""
        form = rng.integers(3)
        colour, shape = attrs["colour"], attrs["shape"]
        return [f"{size}{shape} that is {colour}", f"{size}{colour} coloured {shape}",
                f"{size}{shape} in {colour}"][form]
    return " ".join([*words, attrs["shape"]])


def caption(attrs: dict[str, str], rng: np.random.Generator, use: dict[str, bool] | None = None) -> str:
    """One caption naming the shape and the attributes flagged in ``use`` (random if None)."""
    if use is None:
        use = {"colour": rng.random() < 0.6, "size": rng.random() < 0.4,
               "position": rng.random() < 0.25, "background": rng.random() < 0.3}
    np_ = _noun_phrase(attrs, use, rng)
    if use["position"]:
        phrases = _POSITION_PHRASES[attrs["position"]]
        np_ += " " + phrases[rng.integers(len(phrases))]
    if use["background"]:
        np_ += f" on a {attrs['background']} background"
    prefix, suffix = CAPTION_FRAMES[rng.integers(len(CAPTION_FRAMES))].split("{}")
    if prefix == "a " or prefix.endswith(" a "):
        prefix = prefix[:-2] + _article(np_, rng) + " "
    return prefix + np_ + suffix


def make_captions(scenes: Scenes, rng: np.random.Generator) -> Captions:
    """One random caption per scene, with the attributes it names."""
    n = len(scenes)
    use = {
        "colour": rng.random(n) < 0.6,
        "size": rng.random(n) < 0.4,
        "position": rng.random(n) < 0.25,
        "background": rng.random(n) < 0.3,
    }
    texts = [caption(scenes.describe(i), rng, {k: bool(v[i]) for k, v in use.items()}) for i in range(n)]
    return Captions(texts, use["colour"], use["size"], use["position"], use["background"])


def caption_matches(scenes: Scenes, caps: Captions) -> np.ndarray:
    """(N, N) bool: caption j is a true description of image i (every named attribute agrees).

    In a contrastive batch these are all positives, not just the diagonal.
    """
    def agree(attr: np.ndarray, named: np.ndarray) -> np.ndarray:
        return (attr[:, None] == attr[None, :]) | ~named[None, :]

    big = scenes.size == SIZES.index("big")
    # Position words: a big (centred) shape is "in the centre" as a small centred one is.
    position = np.where(big, POSITIONS.index("centre"), scenes.position)
    return (
        (scenes.shape[:, None] == scenes.shape[None, :])
        & agree(scenes.colour, caps.names_colour)
        & agree(scenes.size, caps.names_size)
        & agree(position, caps.names_position)
        & agree(scenes.background, caps.names_background)
    )


def vocabulary_texts() -> list[str]:
    """Texts covering every word captions and templates can produce (for the token table)."""
    words = [*SHAPES, *COLOUR_NAMES, *SIZES, *BACKGROUNDS]
    words += [p for ps in _POSITION_PHRASES.values() for p in ps]
    words += ["that is", "coloured", "in", "an", "a", "on a background", "."]
    return words + [f.format("") for f in CAPTION_FRAMES] + [t.format("") for t in SHAPES_TEMPLATES]


# ---------------------------------------------------------------- evaluation sets

def _balanced_labels(n: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    if n < n_classes:
        raise ShapesWorldError(f"A split needs at least {n_classes} images, got {n}.")
    return rng.permutation(np.arange(n) % n_classes)


@lru_cache(maxsize=8)
def _generate(name: str, split: str, n: int, seed: int, image_size: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, _DATASET_SEEDS[name], _SPLIT_SEEDS[split]])
    held = np.array([COLOUR_NAMES.index(c) * 10 + SHAPES.index(s) for s, c in HELD_OUT_PAIRS])
    if name == "shapes10":
        labels = _balanced_labels(n, 10, rng)
        scenes = sample_scenes(n, rng, shape=labels, exclude_held_out=True)
    else:
        pairs = held if name == "shapes100_unseen" else np.setdiff1d(np.arange(100), held)
        labels = pairs[_balanced_labels(n, len(pairs), rng)]
        scenes = sample_scenes(n, rng, shape=labels % 10, colour=labels // 10)
    images = render_scenes(scenes, rng, image_size)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_shapes_dataset(
    name: str,
    split: str = "test",
    n: int | None = None,
    seed: int = 0,
    image_size: int = 32,
):
    """A ShapesWorld evaluation set as :class:`clip_course.data.ImageDataset`.

    ``n`` defaults to :data:`DEFAULT_SIZES`; the same arguments always give the same images.
    """
    from clip_course.data.dataset import ImageDataset

    if name not in DATASET_NAMES:
        raise ShapesWorldError(f"Unknown ShapesWorld dataset {name!r}; use one of {list(DATASET_NAMES)}.")
    if split not in _SPLIT_SEEDS:
        raise ShapesWorldError(f"Unknown split {split!r}; use 'train' or 'test'.")
    n = DEFAULT_SIZES[name][split == "test"] if n is None else int(n)
    images, labels = _generate(name, split, n, seed, image_size)
    classes = SHAPES10_CLASSES if name == "shapes10" else SHAPES100_CLASSES
    meta = {"world": "ShapesWorld", "seed": seed, "image_size": image_size,
            "held_out_pairs": [f"{c} {s}" for s, c in HELD_OUT_PAIRS]}
    return ImageDataset(name, split, images.copy(), labels.copy(), list(classes), meta)
