"""ShapesWorld v2: a procedural world of small captioned images, the offline profile's data.

Each image shows one shape (10 kinds) in one of 10 named colours, big or small, at one of
five positions, on a plain or textured background, in one of five rendering styles
(:data:`STYLES`), with a little pixel noise; a quarter of pretraining images repeat the shape
two to four times. Each colour name covers a range of shades, so neighbouring names overlap
partly and the colour-shape classes are genuinely finer than the shapes, as CIFAR-100's are.
Captions are web alt-text (:mod:`clip_course.data.shapes_captions`): synonyms, missing and
extra words, wrong attribute words, style words; never the evaluation templates' sentences.

Evaluation sets, CIFAR-shaped (uint8 (N, 32, 32, 3), class-balanced), labelled splits in the
``flat`` style only:

- ``shapes10``: class = shape (CIFAR-10-like);
- ``shapes100``: class = colour x shape, e.g. "red circle" (CIFAR-100-like, finer classes);
- ``shapes100_unseen``: images of the :data:`HELD_OUT_PAIRS` only, which never appear in
  pretraining (neither image nor caption); classes are still all 100 colour-shape names,
  so it is a 100-way test of compositional zero-shot (chance 1%);
- ``shapes10_<style>`` / ``shapes100_<style>`` for style in outline, sketch, photo, cartoon:
  the same classes drawn in another style, the shifted test sets of the robustness study;
- ``shapes_count``: how many copies (one .. four) of a small shape an image shows, a
  concept captions never state (CLEVR counting's role in the paper's Figure 5).

Everything is deterministic by seed. Importing this module registers the ``shapes`` and
``shapes_count`` template sets in :mod:`clip_course.core.prompts`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from clip_course.core import prompts
from clip_course.data import shapes_captions, shapes_store
from clip_course.data.dataset import ImageDataset
from clip_course.data.shapes_captions import Captions, caption_matches, make_captions
from clip_course.data.shapes_render import (
    _BG_LEVEL,
    HUE_JITTER_DEG,
    MIN_CONTRAST,
    _shades,
    render,
    render_scenes,
)
from clip_course.data.shapes_world import (
    BACKGROUNDS,
    COLOUR_NAMES,
    COLOURS,
    COUNTS,
    HELD_OUT_PAIRS,
    POSITIONS,
    SHAPES,
    SIZES,
    STYLES,
    Scenes,
    held_out_mask,
    sample_scenes,
    with_counts,
)
from clip_course.errors import ShapesWorldError

__all__ = [
    "_BG_LEVEL", "_shades", "BACKGROUNDS", "BASE_NAMES", "caption_matches", "Captions", "class_names", "COLOUR_NAMES",
    "COLOURS", "COUNT_TEMPLATES", "COUNTS", "DATASET_NAMES", "DEFAULT_SIZES", "held_out_mask", "HELD_OUT_PAIRS",
    "HUE_JITTER_DEG", "load_shapes_dataset", "make_captions", "MIN_CONTRAST", "parse_name", "POSITIONS",
    "pretraining_scenes", "render", "render_scenes", "sample_scenes", "Scenes", "SHAPES", "SHAPES100_CLASSES",
    "SHAPES_TEMPLATES", "SHIFTED_STYLES", "SIZES", "STYLES", "vocabulary_texts", "with_counts",
]

_SHAPES10_CLASSES = list(SHAPES)
#: "colour shape" names, colour-major: index = colour * 10 + shape.
SHAPES100_CLASSES = [f"{c} {s}" for c in COLOUR_NAMES for s in SHAPES]
_COUNT_CLASSES = ["one", "two", "three", "four"]

#: Zero-shot prompts (they live in :mod:`clip_course.core.prompts` with every dataset's): English
#: sentences around the class word, none of them a caption (captions are alt-text without articles).
SHAPES_TEMPLATES = prompts.SHAPES_TEMPLATES
#: Counting prompts (CLEVR-style); captions never state a number of shapes.
COUNT_TEMPLATES = prompts.COUNT_TEMPLATES

SHIFTED_STYLES = STYLES[1:]
BASE_NAMES = ("shapes10", "shapes100", "shapes100_unseen")
_SHIFTED_NAMES = tuple(f"{b}_{s}" for b in ("shapes10", "shapes100") for s in SHIFTED_STYLES)
DATASET_NAMES = (*BASE_NAMES, *_SHIFTED_NAMES, "shapes_count")
#: Default (train, test) sizes per base set (shifted sets take their base's).
DEFAULT_SIZES = {
    "shapes10": (5000, 1000),
    "shapes100": (9000, 1800),  # 100 / 90 images per seen class
    "shapes100_unseen": (1000, 1000),
    "shapes_count": (4000, 1000),
}
_SPLIT_SEEDS = {"train": 1, "test": 2}
_DATASET_SEEDS = {"shapes10": 10, "shapes100": 100, "shapes100_unseen": 1000, "shapes_count": 4}
#: Pretraining mixture: styles uniform, this share of images with 2..4 copies.
_PRETRAIN_MULTI = 0.25


def parse_name(name: str) -> tuple[str, int]:
    """(base set, style index) of a dataset name, e.g. shapes10_sketch -> (shapes10, 2)."""
    if name not in DATASET_NAMES:
        raise ShapesWorldError(f"Unknown ShapesWorld dataset {name!r}; use one of {list(DATASET_NAMES)}.")
    base, _, style = name.rpartition("_") if name in _SHIFTED_NAMES else (name, "", "flat")
    return base, STYLES.index(style)


def class_names(name: str) -> list[str]:
    """The class names of a ShapesWorld dataset."""
    base, _ = parse_name(name)
    if base == "shapes_count":
        return list(_COUNT_CLASSES)
    return list(_SHAPES10_CLASSES if base == "shapes10" else SHAPES100_CLASSES)


def pretraining_scenes(n: int, rng: np.random.Generator) -> Scenes:
    """Pretraining's scene distribution: seen pairs, every style, some repeated shapes."""
    scenes = sample_scenes(n, rng, exclude_held_out=True, style=rng.integers(0, len(STYLES), n))
    count = np.where(rng.random(n) < _PRETRAIN_MULTI, rng.integers(2, 5, n), 1)
    return with_counts(scenes, count)


def vocabulary_texts() -> list[str]:
    """Texts covering every word captions and templates can produce (for the token table)."""
    return shapes_captions.vocabulary_texts([*SHAPES_TEMPLATES, *COUNT_TEMPLATES])


# ---------------------------------------------------------------- evaluation sets

def _balanced_labels(n: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    if n < n_classes:
        raise ShapesWorldError(f"A split needs at least {n_classes} images, got {n}.")
    return rng.permutation(np.arange(n) % n_classes)


@lru_cache(maxsize=8)
def _generate(name: str, split: str, n: int, seed: int, image_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of a set, read-only: from this process's memory, else the user cache, else drawn."""
    key = shapes_store.cache_key(name, split, n, seed, image_size)
    kept = shapes_store.read(key)
    images, labels = kept if kept is not None else _render(name, split, n, seed, image_size)
    if kept is None:
        shapes_store.write(key, images, labels)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _render(name: str, split: str, n: int, seed: int, image_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw a set from its seed (the same arguments always give the same arrays)."""
    base, style = parse_name(name)
    # A shifted set redraws its base's scenes (same seed): the same objects, another style.
    rng = np.random.default_rng([seed, _DATASET_SEEDS[base], _SPLIT_SEEDS[split]])
    held = np.array([COLOUR_NAMES.index(c) * 10 + SHAPES.index(s) for s, c in HELD_OUT_PAIRS])
    if base == "shapes_count":
        labels = _balanced_labels(n, len(_COUNT_CLASSES), rng)
        scenes = with_counts(sample_scenes(n, rng, exclude_held_out=True), labels + 1)
    elif base == "shapes10":
        labels = _balanced_labels(n, 10, rng)
        scenes = sample_scenes(n, rng, shape=labels, exclude_held_out=True, style=style)
    else:
        pairs = held if base == "shapes100_unseen" else np.setdiff1d(np.arange(100), held)
        labels = pairs[_balanced_labels(n, len(pairs), rng)]
        scenes = sample_scenes(n, rng, shape=labels % 10, colour=labels // 10, style=style)
    return render_scenes(scenes, rng, image_size), labels


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
    base, style = parse_name(name)
    if split not in _SPLIT_SEEDS:
        raise ShapesWorldError(f"Unknown split {split!r}; use 'train' or 'test'.")
    n = DEFAULT_SIZES[base][split == "test"] if n is None else int(n)
    images, labels = _generate(name, split, n, seed, image_size)
    classes = class_names(name)
    meta = {"world": "ShapesWorld v2", "seed": seed, "image_size": image_size, "style": STYLES[style],
            "held_out_pairs": [f"{c} {s}" for s, c in HELD_OUT_PAIRS]}
    return ImageDataset(name, split, images.copy(), labels.copy(), list(classes), meta)
