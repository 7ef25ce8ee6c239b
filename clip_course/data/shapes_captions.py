"""ShapesWorld v2 captions: web alt-text, not sentences of the evaluation templates.

A caption is a short lowercase string as found under images on the web ("crimson disc
clipart free download", "pencil sketch heart", "img 3 tiny blue arrow png"): the shape is
named by its class word only about half the time (else a synonym, or not at all), the
colour 60% of the time (half of those by a synonym), size, position, background and the
rendering style sometimes, with filler words around. A stated fraction of attribute words
is wrong (:data:`LABEL_NOISE`). Captions never say how many copies an image shows, and
never use the frames of the evaluation templates ("a photo of a ...").

The contrastive batch's targets come from what captions *state*: caption j is a positive
for image i when every attribute it states agrees with image i (the pair itself is always
a positive, even when its caption is wrong, as a scraped pair would be).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clip_course.data.shapes_world import (
    BACKGROUNDS,
    COLOUR_NAMES,
    POSITIONS,
    SHAPES,
    SIZES,
    STYLES,
    Scenes,
    held_out_mask,
)

__all__ = [
    "caption_matches", "Captions", "LABEL_NOISE", "make_captions", "SHAPE_SYNONYMS", "STYLE_WORDS", "vocabulary_texts",
]

#: Synonyms captions use instead of the class word (evaluation prompts use the class word).
SHAPE_SYNONYMS = {
    "circle": ["disc", "round dot"], "square": ["box", "block"], "triangle": ["pyramid", "trigon"],
    "star": ["starburst", "pentagram"], "heart": ["love heart", "valentine"],
    "diamond": ["rhombus", "lozenge"], "cross": ["plus sign", "plus"], "ring": ["donut", "hoop"],
    "crescent": ["moon", "half moon"], "arrow": ["pointer", "chevron arrow"],
}
_COLOUR_SYNONYMS = {
    "red": ["crimson", "scarlet"], "orange": ["tangerine", "amber"], "yellow": ["golden", "lemon"],
    "green": ["lime", "emerald"], "blue": ["navy", "azure"], "purple": ["violet", "lilac"],
    "pink": ["rose", "magenta"], "brown": ["chocolate", "tan"], "white": ["ivory", "snow"],
    "black": ["ebony", "jet"],
}
_SIZE_WORDS = {"small": ["small", "tiny", "little"], "big": ["big", "large", "huge"]}
_POSITION_WORDS = {"centre": ["centered", "middle"], "left": ["left side"], "right": ["right side"],
                  "top": ["top"], "bottom": ["bottom"]}
_BACKGROUND_WORDS = {b: [f"{b} background", f"on {b}"] for b in BACKGROUNDS}
STYLE_WORDS = {
    "flat": ["flat", "vector", "clipart"], "outline": ["outline", "line art", "outlined"],
    "sketch": ["sketch", "pencil drawing", "hand drawn"], "photo": ["photo", "photograph", "realistic"],
    "cartoon": ["cartoon", "comic", "sticker"],
}
_FILLER = ["free", "download", "hd", "png", "jpg", "stock", "image", "icon", "illustration", "design",
          "art", "wallpaper", "cute", "simple", "graphic", "logo", "symbol", "new", "best", "my",
          "img", "1", "2", "3", "set", "pic", "of", "the", "a", "with", "and", "for", "kids"]
#: Probability each stated attribute word is wrong (another value of that attribute).
LABEL_NOISE = {"shape": 0.05, "colour": 0.15}
#: Probability a caption states each attribute (the shape: by class word or synonym).
_STATE_P = {"shape": 0.85, "colour": 0.6, "size": 0.3, "position": 0.15, "background": 0.15, "style": 0.6}
_CLASS_WORD_P = 0.4  # a stated shape/colour uses its class word (else a synonym)


@dataclass
class Captions:
    """Caption strings plus the attribute index each one states (-1: not stated)."""

    text: list[str]
    shape: np.ndarray
    colour: np.ndarray
    size: np.ndarray
    position: np.ndarray
    background: np.ndarray
    style: np.ndarray

    @property
    def names_colour(self) -> np.ndarray:
        return self.colour >= 0


def _pick(words: list[str], rng: np.random.Generator) -> str:
    return words[rng.integers(len(words))]


def _stated(scenes: Scenes, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Which value each caption states per attribute (-1 none), label noise included."""
    n = len(scenes)
    values = {"shape": (scenes.shape, len(SHAPES)), "colour": (scenes.colour, len(COLOUR_NAMES)),
              "size": (scenes.size, len(SIZES)), "position": (scenes.position, len(POSITIONS)),
              "background": (scenes.background, len(BACKGROUNDS)), "style": (scenes.style, len(STYLES))}
    out = {}
    for key, (true, k) in values.items():
        said = np.where(rng.random(n) < _STATE_P[key], true, -1)
        if key in LABEL_NOISE:
            wrong = (said >= 0) & (rng.random(n) < LABEL_NOISE[key])
            said = np.where(wrong, (true + rng.integers(1, k, n)) % k, said)
        out[key] = said
    out["position"] = np.where(scenes.count > 1, -1, out["position"])
    both = (out["shape"] >= 0) & (out["colour"] >= 0)
    leak = both & held_out_mask(np.maximum(out["shape"], 0), np.maximum(out["colour"], 0))
    out["colour"] = np.where(leak, -1, out["colour"])  # a wrong word never names a held-out pair
    return out


def _words(said: dict[str, int], rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """The noun-phrase words and the style/background/position words of one caption."""
    noun = []
    if said["size"] >= 0:
        noun.append(_pick(_SIZE_WORDS[SIZES[said["size"]]], rng))
    if said["colour"] >= 0:
        c = COLOUR_NAMES[said["colour"]]
        noun.append(c if rng.random() < _CLASS_WORD_P else _pick(_COLOUR_SYNONYMS[c], rng))
    if said["shape"] >= 0:
        s = SHAPES[said["shape"]]
        noun.append(s if rng.random() < _CLASS_WORD_P else _pick(SHAPE_SYNONYMS[s], rng))
    else:
        noun.append(_pick(["shape", "thing", "object", ""], rng))
    extra = []
    if said["style"] >= 0:
        extra.append(_pick(STYLE_WORDS[STYLES[said["style"]]], rng))
    if said["position"] >= 0:
        extra.append(_pick(_POSITION_WORDS[POSITIONS[said["position"]]], rng))
    if said["background"] >= 0:
        extra.append(_pick(_BACKGROUND_WORDS[BACKGROUNDS[said["background"]]], rng))
    return [w for w in noun if w], extra


def _alt_text(said: dict[str, int], rng: np.random.Generator) -> str:
    """One alt-text caption for the stated attribute indices (see the module docstring)."""
    noun, extra = _words(said, rng)
    filler = [_pick(_FILLER, rng) for _ in range(rng.integers(0, 3))]
    form = rng.integers(4)
    if form == 0:
        parts = [*noun, *extra, *filler]
    elif form == 1:
        parts = [*extra, *noun, *filler]
    elif form == 2:
        parts = [*filler, *noun, *extra]
    else:
        parts = [*noun, "-", *filler, *extra]
    text = " ".join(p for p in parts if p).strip(" -")
    return text or "image"


def make_captions(scenes: Scenes, rng: np.random.Generator) -> Captions:
    """One random alt-text caption per scene, with the attributes it states."""
    said = _stated(scenes, rng)
    texts = [_alt_text({k: int(v[i]) for k, v in said.items()}, rng) for i in range(len(scenes))]
    return Captions(texts, **said)


def caption_matches(scenes: Scenes, caps: Captions) -> np.ndarray:
    """(N, N) bool: every attribute caption j states agrees with image i, or i == j.

    In a contrastive batch these are all positives, not just the diagonal.
    """
    big = scenes.size == SIZES.index("big")
    # Position words: a big (centred) shape is "centered" as a small centred one is.
    position = np.where(big, POSITIONS.index("centre"), scenes.position)
    ok = np.ones((len(scenes), len(caps.text)), dtype=bool)
    for attr, said in ((scenes.shape, caps.shape), (scenes.colour, caps.colour), (scenes.size, caps.size),
                       (position, caps.position), (scenes.background, caps.background),
                       (scenes.style, caps.style)):
        ok &= (attr[:, None] == said[None, :]) | (said[None, :] < 0)
    np.fill_diagonal(ok, True)
    return ok


def vocabulary_texts(templates: list[str]) -> list[str]:
    """Texts covering every word captions and ``templates`` can produce (for the token table)."""
    words = [*SHAPES, *COLOUR_NAMES, *_FILLER, "shape", "thing", "object", "image", "-"]
    for table in (SHAPE_SYNONYMS, _COLOUR_SYNONYMS, _SIZE_WORDS, _POSITION_WORDS, _BACKGROUND_WORDS, STYLE_WORDS):
        words += [w for ws in table.values() for w in ws]
    return words + [t.format("") for t in templates] + ["one two three four"]
