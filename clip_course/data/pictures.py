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
from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = ["composite", "diagram", "emblem", "picture", "PICTURES"]

_SIZE = 224


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _canvas(colour: tuple[int, int, int]) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (_SIZE, _SIZE), colour)
    return img, ImageDraw.Draw(img)


def _coastline(rng: np.random.Generator, n: int = 72) -> list[tuple[int, int]]:
    """An irregular province outline: a radius that wanders smoothly around the centre."""
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    noise = rng.normal(0, 1, n)
    for _ in range(3):  # smooth the wander so the border reads as a coast, not as spikes
        noise = (np.roll(noise, 1) + noise + np.roll(noise, -1)) / 3
    radius = 82 * (1 + 0.18 * np.sin(2 * angles + 0.6) + 0.1 * np.cos(3 * angles) + 0.35 * noise)
    return [(int(112 + r * np.cos(t) * 1.05), int(112 + r * np.sin(t) * 0.9))
            for r, t in zip(radius, angles, strict=True)]


def _map_picture() -> np.ndarray:
    """A white map of a province on a pale blue sea: an irregular outline divided into prefectures (grey
    borders, the nearest-seat regions of twelve seats), a river, the capital as a red star, other seats
    as dots, and a north arrow and scale bar as on a printed map."""
    img, d = _canvas((198, 224, 244))
    rng = np.random.default_rng(7)
    outline = _coastline(rng)
    mask_img = Image.new("L", (_SIZE, _SIZE), 0)
    ImageDraw.Draw(mask_img).polygon(outline, fill=1)
    mask = np.asarray(mask_img).astype(bool)
    seats = np.array([(112, 112)] + [(int(x), int(y)) for x, y in rng.uniform(45, 180, (11, 2))])
    yy, xx = np.mgrid[0:_SIZE, 0:_SIZE]
    region = np.argmin((xx[..., None] - seats[:, 0]) ** 2 + (yy[..., None] - seats[:, 1]) ** 2, axis=-1)
    border = np.zeros_like(mask)
    border[:, 1:] |= region[:, 1:] != region[:, :-1]
    border[1:, :] |= region[1:, :] != region[:-1, :]
    pixels = np.asarray(img).copy()
    pixels[mask] = (252, 252, 250)
    pixels[mask & border] = (120, 120, 120)
    img = Image.fromarray(pixels)
    d = ImageDraw.Draw(img)
    d.line(outline + outline[:1], fill=(30, 30, 30), width=2)  # the coast and the province border
    river = [(int(x), int(112 + 28 * np.sin(x / 23) + (x - 112) * 0.2)) for x in range(40, 200, 8)]
    d.line([pt for pt in river if mask[pt[1], pt[0]]], fill=(70, 130, 210), width=3)
    for x, y in seats[1:]:
        if mask[y, x]:
            d.ellipse((x - 3, y - 3, x + 3, y + 3), fill=(40, 40, 40))
    star = [(112 + r * np.cos(np.pi / 2 + k * np.pi / 5), 112 - r * np.sin(np.pi / 2 + k * np.pi / 5))
            for k, r in zip(range(10), [8, 3.5] * 5, strict=True)]
    d.polygon(star, fill=(210, 30, 30))  # the capital
    d.polygon([(205, 14), (199, 32), (205, 28), (211, 32)], fill=(30, 30, 30))  # north arrow
    d.text((205, 40), "N", fill=(30, 30, 30), font=_font(11), anchor="mm")
    d.rectangle((12, 206, 62, 210), fill=(30, 30, 30))  # scale bar
    d.rectangle((37, 206, 62, 210), fill=(250, 250, 250), outline=(30, 30, 30))
    return np.asarray(img)


def _person(d: ImageDraw.ImageDraw, x: int, y: int, skin: tuple[int, int, int], shirt: tuple[int, int, int],
            smile: bool) -> None:
    """A person drawn in an anime style: a large head with spiky dark hair, big eyes with highlights, a
    blush, an open smile, and a body with arms."""
    ink = (30, 30, 40)
    d.rectangle((x - 25, y + 28, x + 25, y + 95), fill=shirt, outline=ink, width=2)  # body
    d.polygon([(x - 10, y + 28), (x, y + 44), (x + 10, y + 28)], fill=(245, 245, 250), outline=ink)  # collar
    d.line((x - 25, y + 38, x - 48, y + 82), fill=skin, width=9)  # arms
    d.line((x + 25, y + 38, x + 50, y + 74), fill=skin, width=9)
    d.ellipse((x - 28, y - 30, x + 28, y + 30), fill=skin, outline=ink, width=2)  # head
    hair = (60, 40, 90)
    d.chord((x - 31, y - 36, x + 31, y + 12), 180, 360, fill=hair, outline=ink)  # hair and spiky bangs
    for k in range(-3, 4):
        d.polygon([(x + 9 * k - 6, y - 14), (x + 9 * k + 2, y + 2), (x + 9 * k + 6, y - 14)], fill=hair)
    for ex in (x - 12, x + 12):  # big eyes with a highlight
        d.ellipse((ex - 7, y - 2, ex + 7, y + 14), fill=(255, 255, 255), outline=ink, width=2)
        d.ellipse((ex - 5, y + 1, ex + 5, y + 13), fill=(60, 110, 200))
        d.ellipse((ex - 3, y + 2, ex + 1, y + 6), fill=(255, 255, 255))
    for bx in (x - 19, x + 19):  # blush
        d.ellipse((bx - 5, y + 15, bx + 5, y + 19), fill=(245, 160, 160))
    if smile:
        d.chord((x - 8, y + 14, x + 8, y + 26), 0, 180, fill=(170, 40, 50), outline=ink)


def _dog(d: ImageDraw.ImageDraw, x: int, y: int, fur: tuple[int, int, int]) -> None:
    """A dog in profile facing right: floppy ears, a long muzzle with a nose and tongue, a raised tail."""
    ink = (30, 30, 30)
    dark = tuple(int(c * 0.7) for c in fur)
    d.line((x - 33, y - 5, x - 50, y - 32), fill=fur, width=7)  # tail, raised
    for dx in (-26, -12, 6, 18):  # legs
        d.line((x + dx, y + 12, x + dx, y + 38), fill=fur, width=8)
        d.ellipse((x + dx - 5, y + 34, x + dx + 6, y + 41), fill=dark)
    d.ellipse((x - 38, y - 16, x + 28, y + 20), fill=fur, outline=ink, width=2)  # body
    d.ellipse((x + 8, y - 44, x + 42, y - 10), fill=fur, outline=ink, width=2)  # head
    d.ellipse((x + 28, y - 30, x + 56, y - 12), fill=fur, outline=ink, width=2)  # muzzle
    d.ellipse((x + 50, y - 28, x + 58, y - 20), fill=(20, 20, 20))  # nose
    d.chord((x + 40, y - 18, x + 50, y - 4), 0, 180, fill=(230, 90, 110))  # tongue
    d.ellipse((x + 24, y - 36, x + 30, y - 30), fill=(20, 20, 20))  # eye
    d.ellipse((x + 6, y - 42, x + 22, y - 12), fill=dark, outline=ink, width=1)  # floppy ear


def drawn_picture() -> np.ndarray:
    """A flat, anime-style drawing in blue tones of a laughing person beside a dog."""
    img, d = _canvas((120, 170, 230))
    d.rectangle((0, 170, _SIZE, _SIZE), fill=(70, 110, 190))
    _person(d, 75, 72, (255, 222, 196), (40, 70, 160), smile=True)
    _dog(d, 160, 160, (235, 235, 245))
    return np.asarray(img)


def _person_with_dog() -> np.ndarray:
    """A photo of a person (scikit-image's astronaut, Eileen Collins) with a drawn dog beside her:
    the photo-like counterpart of :func:`drawn_picture`."""
    from skimage import data

    img = Image.fromarray(data.astronaut()).resize((_SIZE, _SIZE))
    layer = Image.new("RGB", (_SIZE, _SIZE), (0, 0, 0))
    _dog(ImageDraw.Draw(layer), 160, 180, (150, 100, 55))
    outline = Image.new("RGB", (_SIZE, _SIZE), (0, 0, 0))
    _dog(ImageDraw.Draw(outline), 160, 180, (255, 255, 255))
    shape = outline.convert("L")
    # fur texture, soft edges and a light from above, so the dog sits less like a sticker on the photo
    fur = np.asarray(layer).astype(float) * (1 + 0.18 * np.random.default_rng(3).normal(0, 1, (_SIZE, _SIZE, 1)))
    fur *= np.linspace(1.15, 0.8, _SIZE)[:, None, None]
    layer = Image.fromarray(np.clip(fur, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    img.paste(layer, (0, 0), shape.point(lambda v: 255 if v > 0 else 0).filter(ImageFilter.GaussianBlur(1.2)))
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
