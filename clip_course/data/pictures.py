"""Six pictures that play the roles of the original course report's six (section 二), drawn here.

The original tested CLIP by hand on a map of a Chinese province, a drawn (anime) picture of a
person with a dog, a photo of a person laughing with a dog, a university emblem, a diagram of NLP
models and a creative composite of sky, architecture and an artificial lawn. Those pictures are not
ours to ship; these are drawn with PIL (and one scikit-image photo), deterministic, with nothing
downloaded, so the paper profile asks the same questions with the same prompt lists of pictures
that play the same roles. :data:`PICTURES` names each with the role it plays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["composite", "diagram", "emblem", "picture", "PICTURES"]

_SIZE = 224


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _canvas(colour: tuple[int, int, int]) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (_SIZE, _SIZE), colour)
    return img, ImageDraw.Draw(img)


def _map_picture() -> np.ndarray:
    """A white map of a province divided into prefectures (black borders) on a pale blue sea."""
    img, d = _canvas((200, 225, 245))
    rng = np.random.default_rng(7)
    outline = [(30, 60), (70, 25), (130, 30), (190, 55), (200, 120), (175, 185), (110, 205), (50, 180), (22, 120)]
    d.polygon(outline, fill=(250, 250, 250), outline=(0, 0, 0), width=3)
    cx, cy = 110, 115
    for x, y in outline[::2]:  # prefecture borders from the centre to the coast, slightly wavy
        pts = [(cx + (x - cx) * t + rng.integers(-6, 7), cy + (y - cy) * t + rng.integers(-6, 7))
               for t in np.linspace(0, 1, 6)]
        d.line([(int(a), int(b)) for a, b in pts], fill=(60, 60, 60), width=2)
    d.ellipse((cx - 5, cy - 5, cx + 5, cy + 5), fill=(200, 30, 30))  # the capital
    return np.asarray(img)


def _person(d: ImageDraw.ImageDraw, x: int, y: int, skin: tuple[int, int, int], shirt: tuple[int, int, int],
            smile: bool) -> None:
    d.ellipse((x - 22, y - 22, x + 22, y + 22), fill=skin, outline=(30, 30, 30), width=2)  # head
    d.ellipse((x - 10, y - 8, x - 4, y - 2), fill=(30, 30, 30))
    d.ellipse((x + 4, y - 8, x + 10, y - 2), fill=(30, 30, 30))
    if smile:
        d.arc((x - 12, y - 4, x + 12, y + 14), 10, 170, fill=(150, 20, 20), width=3)
    d.rectangle((x - 25, y + 24, x + 25, y + 90), fill=shirt, outline=(30, 30, 30), width=2)  # body
    d.line((x - 25, y + 35, x - 50, y + 75), fill=skin, width=8)  # arms
    d.line((x + 25, y + 35, x + 48, y + 70), fill=skin, width=8)


def _dog(d: ImageDraw.ImageDraw, x: int, y: int, fur: tuple[int, int, int]) -> None:
    d.ellipse((x - 35, y - 15, x + 25, y + 20), fill=fur, outline=(30, 30, 30), width=2)  # body
    d.ellipse((x + 10, y - 40, x + 45, y - 8), fill=fur, outline=(30, 30, 30), width=2)  # head
    d.polygon([(x + 14, y - 36), (x + 8, y - 55), (x + 24, y - 40)], fill=fur, outline=(30, 30, 30))  # ears
    d.polygon([(x + 34, y - 40), (x + 44, y - 56), (x + 44, y - 34)], fill=fur, outline=(30, 30, 30))
    d.ellipse((x + 33, y - 28, x + 39, y - 22), fill=(20, 20, 20))  # nose and eye
    d.ellipse((x + 22, y - 32, x + 26, y - 28), fill=(20, 20, 20))
    for dx in (-28, -12, 4, 18):  # legs
        d.line((x + dx, y + 15, x + dx, y + 38), fill=fur, width=7)
    d.line((x - 35, y - 5, x - 52, y - 25), fill=fur, width=6)  # tail


def drawn_picture() -> np.ndarray:
    """A flat, cartoon-style drawing in blue tones of a smiling person beside a dog."""
    img, d = _canvas((120, 170, 230))
    d.rectangle((0, 170, _SIZE, _SIZE), fill=(70, 110, 190))
    _person(d, 75, 70, (255, 220, 190), (40, 70, 160), smile=True)
    _dog(d, 160, 160, (235, 235, 245))
    return np.asarray(img)


def _person_with_dog() -> np.ndarray:
    """A photo of a person (scikit-image's astronaut, Eileen Collins) with a drawn dog beside her:
    the photo-like counterpart of :func:`drawn_picture`."""
    from skimage import data

    img = Image.fromarray(data.astronaut()).resize((_SIZE, _SIZE))
    d = ImageDraw.Draw(img)
    _dog(d, 165, 180, (150, 100, 55))
    return np.asarray(img)


def emblem() -> np.ndarray:
    """A round university emblem: a gold ring lettered BEIHANG UNIVERSITY around a navy disc with a
    stylised wing and the founding year."""
    img, d = _canvas((255, 255, 255))
    d.ellipse((8, 8, _SIZE - 8, _SIZE - 8), fill=(20, 50, 120), outline=(200, 160, 40), width=10)
    d.ellipse((48, 48, _SIZE - 48, _SIZE - 48), outline=(200, 160, 40), width=4)
    d.text((_SIZE // 2, 32), "BEIHANG", fill=(240, 210, 90), font=_font(20), anchor="mm")
    d.text((_SIZE // 2, _SIZE - 32), "UNIVERSITY", fill=(240, 210, 90), font=_font(18), anchor="mm")
    d.polygon([(70, 130), (112, 70), (154, 130), (112, 112)], fill=(240, 240, 250))  # a wing
    d.text((_SIZE // 2, 150), "1952", fill=(240, 210, 90), font=_font(18), anchor="mm")
    return np.asarray(img)


def diagram() -> np.ndarray:
    """A diagram of language models (Transformer, ELMo, GPT, BERT, GPT-2, GPT-3) as boxes joined by
    arrows, with no word saying what field they belong to."""
    img, d = _canvas((255, 255, 255))
    boxes = {"Transformer": (112, 30), "ELMo": (45, 95), "GPT": (112, 95), "BERT": (180, 95),
             "GPT-2": (80, 160), "RoBERTa": (170, 160), "GPT-3": (80, 205)}
    edges = [("Transformer", "GPT"), ("Transformer", "BERT"), ("ELMo", "BERT"), ("GPT", "GPT-2"),
             ("BERT", "RoBERTa"), ("GPT-2", "GPT-3")]
    for a, b in edges:
        (xa, ya), (xb, yb) = boxes[a], boxes[b]
        d.line((xa, ya + 12, xb, yb - 12), fill=(90, 90, 90), width=2)
        d.polygon([(xb, yb - 12), (xb - 5, yb - 20), (xb + 5, yb - 20)], fill=(90, 90, 90))
    for name, (x, y) in boxes.items():
        w = 7 * len(name) + 10
        d.rectangle((x - w // 2, y - 12, x + w // 2, y + 12), fill=(230, 240, 255), outline=(40, 70, 160), width=2)
        d.text((x, y), name, fill=(0, 0, 0), font=_font(13), anchor="mm")
    return np.asarray(img)


def composite() -> np.ndarray:
    """A creative composite: a photo-like sky gradient, a tall building and, below it, a lawn that is a
    flat painted green with a regular pattern rather than grass."""
    img, d = _canvas((255, 255, 255))
    for y in range(150):  # the sky, darker at the top
        t = y / 150
        d.line((0, y, _SIZE, y), fill=(int(60 + 110 * t), int(120 + 90 * t), int(210 + 40 * t)))
    d.ellipse((20, 25, 80, 50), fill=(250, 250, 250))  # a cloud
    d.rectangle((85, 35, 165, 150), fill=(170, 165, 160), outline=(90, 90, 90), width=2)  # the building
    d.polygon([(80, 38), (125, 8), (170, 38)], fill=(140, 60, 50))
    for wy in range(50, 140, 18):
        for wx in range(95, 160, 20):
            d.rectangle((wx, wy, wx + 10, wy + 10), fill=(60, 80, 110))
    d.rectangle((0, 150, _SIZE, _SIZE), fill=(60, 190, 70))  # the painted lawn
    for x in range(0, _SIZE, 16):
        d.line((x, 150, x + 8, _SIZE), fill=(90, 215, 95), width=3)
    return np.asarray(img)


#: The six pictures by name: (role in the original course report, its image number, drawing function).
PICTURES: dict[str, tuple[str, int, Callable[[], np.ndarray]]] = {
    "map": ("a white map of a province", 1, _map_picture),
    "drawn": ("a drawn picture of a person with a dog", 2, drawn_picture),
    "person_dog": ("a photo of a person with a dog", 3, _person_with_dog),
    "emblem": ("a university emblem", 4, emblem),
    "diagram": ("a diagram with model names", 5, diagram),
    "composite": ("a composite of sky, a building and a painted lawn", 6, composite),
}


def picture(name: str) -> np.ndarray:
    """One of :data:`PICTURES` as an RGB uint8 array (``KeyError`` names the known ones)."""
    if name not in PICTURES:
        raise KeyError(f"No picture {name!r}; the pictures are {sorted(PICTURES)}.")
    return PICTURES[name][2]()
