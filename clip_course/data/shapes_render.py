"""ShapesWorld's pixels: shape masks, backgrounds, colour shades and the five rendering styles.

``flat`` fills the shape with its colour (the labelled evaluation style); ``outline`` draws
only its contour; ``sketch`` draws broken, doubled pencil strokes and hatching on white paper;
``photo`` adds shading, a fill texture, a tinted gradient background and defocus blur;
``cartoon`` saturates the fill, adds a thick black border and a pastel background. Scenes
with a count above one show that many small copies in distinct quadrants.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from clip_course.data.shapes_world import (
    BACKGROUNDS,
    COLOUR_NAMES,
    COLOURS,
    POSITIONS,
    SHAPES,
    SIZES,
    STYLES,
    Scenes,
    _index,
)
from clip_course.errors import ShapesWorldError

__all__ = ["HUE_JITTER_DEG", "MIN_CONTRAST", "render", "render_scenes"]

_BG_LEVEL = {"grey": 128, "light grey": 175, "dark grey": 80, "striped": 128, "checkered": 128}

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
_SATURATION = (0.6, 1.1)
_PASTEL = 0.3  # at most this fraction mixed towards white
_LIGHT = (0.6, 1.15)
_TINT = 30.0  # per-channel offset (coloured light)
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
    sat = rng.uniform(*_SATURATION, (n, 1))
    white = rng.uniform(0, _PASTEL, (n, 1))
    light = rng.uniform(*_LIGHT, (n, 1))
    tint = rng.uniform(-_TINT, _TINT, (n, 3))
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


def _alpha(shape: np.ndarray, cx: np.ndarray, cy: np.ndarray, radius: np.ndarray, angle: np.ndarray,
           image_size: int, s: int) -> np.ndarray:
    """Anti-aliased coverage (N, size, size) float32 of one shape per row (supersampled by s)."""
    n = len(shape)
    grid = ((np.arange(image_size * s) + 0.5) / s).astype(np.float32)
    xs, ys = grid[None, None, :], grid[None, :, None]
    alpha = np.zeros((n, image_size, image_size), dtype=np.float32)
    for k, kind in enumerate(SHAPES):
        idx = np.flatnonzero(shape == k)
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
    return alpha


def _copies_alpha(scenes: Scenes, idx: np.ndarray, radius: np.ndarray, rng: np.random.Generator,
                  image_size: int, s: int) -> np.ndarray:
    """Coverage of ``count`` small copies per scene in ``idx``, one per random quadrant."""
    q = image_size / 4
    cells = np.array([(q, q), (3 * q, q), (q, 3 * q), (3 * q, 3 * q)], dtype=np.float32)
    order = rng.permuted(np.tile(np.arange(4), (idx.size, 1)), axis=1)
    out = np.zeros((idx.size, image_size, image_size), dtype=np.float32)
    for j in range(int(scenes.count[idx].max())):
        on = np.flatnonzero(scenes.count[idx] > j)
        centre = cells[order[on, j]] + rng.uniform(-1.5, 1.5, (on.size, 2)).astype(np.float32) * image_size / 32
        r = (0.8 * radius[idx[on]]).astype(np.float32)
        angle = rng.uniform(-0.3, 0.3, on.size).astype(np.float32)
        a = _alpha(scenes.shape[idx[on]], centre[:, 0], centre[:, 1], r, angle, image_size, s)
        out[on] = np.maximum(out[on], a)
    return out


def _erode(a: np.ndarray, width: int) -> np.ndarray:
    """Grey-level erosion by a plus-shaped element, ``width`` times (zero outside the image)."""
    for _ in range(width):
        p = np.pad(a, ((0, 0), (1, 1), (1, 1)))
        a = np.minimum.reduce([a, p[:, :-2, 1:-1], p[:, 2:, 1:-1], p[:, 1:-1, :-2], p[:, 1:-1, 2:]])
    return a


def _edge(a: np.ndarray, width: int) -> np.ndarray:
    return np.clip(a - _erode(a, width), 0, 1)


def _blur(img: np.ndarray) -> np.ndarray:
    """3 x 3 box blur of (N, H, W, C) or (N, H, W), edges replicated."""
    pad = ((0, 0), (1, 1), (1, 1)) + ((0, 0),) * (img.ndim - 3)
    p = np.pad(img, pad, mode="edge")
    h, w = img.shape[1:3]
    return cast(np.ndarray, sum(p[:, i : i + h, j : j + w] for i in range(3) for j in range(3))) / 9.0


def _smooth_noise(n: int, size: int, rng: np.random.Generator, cells: int = 4) -> np.ndarray:
    """A blurred blocky random field (N, size, size), about unit scale."""
    coarse = rng.standard_normal((n, cells, cells)).astype(np.float32)
    up = np.kron(coarse, np.ones((size // cells, size // cells), dtype=np.float32))
    return _blur(_blur(up))


def _stylise(style: str, a: np.ndarray, bg: np.ndarray, rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Compose (N, H, W, 3) float images of one style from coverage, grey background and colour."""
    n, size = a.shape[0], a.shape[1]
    fill = rgb[:, None, None, :]
    if style == "outline":
        e = _edge(a, 1)[..., None]
        return bg[..., None] * (1 - e) + fill * e
    if style == "sketch":
        keep = (rng.random(a.shape) < 0.8).astype(np.float32)
        e = _edge(a, 1) * keep
        shift = np.asarray(rng.integers(-1, 2, (n, 2)))  # an array (the stubs say a scalar)
        e2 = np.stack([np.roll(e[i], tuple(shift[i]), (0, 1)) for i in range(n)]) * 0.5
        yy, xx = np.mgrid[0:size, 0:size]
        phase = np.asarray(rng.integers(0, 4, n))[:, None, None]
        hatch = a * (((xx + yy + phase) % 4) == 0) * 0.6
        ink = np.maximum.reduce([e, e2, hatch])[..., None]
        paper = rng.uniform(215, 240, (n, 1, 1, 1)).astype(np.float32)
        pencil = 0.55 * fill + 0.45 * 40.0
        return paper * (1 - ink) + pencil * ink
    if style == "photo":
        yy, xx = (np.mgrid[0:size, 0:size] / (size - 1) * 2 - 1).astype(np.float32)
        d = rng.uniform(-1, 1, (n, 2, 1, 1)).astype(np.float32)
        light = 1 + 0.25 * (d[:, 0] * xx + d[:, 1] * yy)
        tex = 1 + 0.12 * _smooth_noise(n, size, rng)
        body = fill * (light * tex)[..., None]
        tint = rng.uniform(-30, 30, (n, 1, 1, 3)).astype(np.float32)
        ground = bg[..., None] + tint + 20 * (d[:, 1] * xx - d[:, 0] * yy)[..., None]
        ground = ground + 10 * _smooth_noise(n, size, rng)[..., None]
        return _blur(ground * (1 - a[..., None]) + body * a[..., None])
    if style == "cartoon":
        grey = fill.mean(-1, keepdims=True)
        vivid = np.clip(grey + (fill - grey) * 1.4, 0, 255)
        pastel = rng.uniform(170, 250, (n, 1, 1, 3)).astype(np.float32)
        img = pastel * (1 - a[..., None]) + vivid * a[..., None]
        e = _edge(a, 2)[..., None]
        return img * (1 - e) + 20.0 * e
    raise ShapesWorldError(f"Unknown style {style!r}; choose one of {STYLES}.")


def render_scenes(
    scenes: Scenes,
    rng: np.random.Generator,
    image_size: int = 32,
    noise: float = 5.0,
    supersample: int = 2,
    colour_spread: float = 1.0,
) -> np.ndarray:
    """Render scenes to uint8 (N, image_size, image_size, 3), anti-aliased by supersampling.

    ``colour_spread`` scales the per-image colour variation (1: the world's, 0: none). Flat
    single-copy scenes draw exactly the random numbers ShapesWorld v1 drew.
    """
    cx, cy, radius, angle = (a.astype(np.float32) for a in _geometry(scenes, image_size, rng))
    rgb = _shades(scenes, rng, colour_spread)
    bg = _backgrounds(scenes, image_size, rng)
    alpha = _alpha(scenes.shape, cx, cy, radius, angle, image_size, supersample)
    img = bg[..., None] * (1 - alpha[..., None]) + rgb[:, None, None, :] * alpha[..., None]
    img += noise * rng.standard_normal(img.shape, dtype=np.float32)
    many = np.flatnonzero(scenes.count > 1)
    if many.size:
        alpha[many] = _copies_alpha(scenes, many, radius, rng, image_size, supersample)
    restyle = np.flatnonzero((scenes.style != 0) | (scenes.count > 1))
    for k, style in enumerate(STYLES):
        idx = restyle[scenes.style[restyle] == k]
        if idx.size:
            a, b, c = alpha[idx], bg[idx], rgb[idx]
            out = b[..., None] * (1 - a[..., None]) + c[:, None, None, :] * a[..., None] if k == 0 \
                else _stylise(style, a, b, c, rng)
            img[idx] = out + noise * rng.standard_normal(out.shape, dtype=np.float32)
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
    style: str = "flat",
    count: int = 1,
) -> np.ndarray:
    """One image (image_size, image_size, 3) uint8 of a named scene, e.g. a small red circle.

    The colour is the name's own shade unless ``colour_spread`` > 0 (1 varies it as the
    datasets and pretraining do), so a named scene shows what its name says.
    """
    if count not in (1, 2, 3, 4):
        raise ShapesWorldError(f"count must be 1..4, got {count!r}.")
    scenes = Scenes(
        np.array([_index(shape, SHAPES, "shape")]),
        np.array([_index(colour, COLOUR_NAMES, "colour")]),
        np.array([_index(size, SIZES, "size") if count == 1 else 0]),
        np.array([_index(position, POSITIONS, "position") if count == 1 else 0]),
        np.array([_index(background, BACKGROUNDS, "background")]),
        np.array([_index(style, STYLES, "style")]),
        np.array([count]),
    )
    return render_scenes(scenes, np.random.default_rng(rng), image_size, colour_spread=colour_spread)[0]
