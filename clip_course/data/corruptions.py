"""Seeded image corruptions for distribution-shift tests, after CIFAR-10-C.

Five kinds, five severities each, with the parameters Hendrycks & Dietterich (ICLR 2019) used
to build CIFAR-10-C (``make_cifar_c.py``), so severity 3 here means what it means there:

============== ================================================ ===========================
kind           what it does                                     parameter at severity 1..5
============== ================================================ ===========================
gaussian_noise add N(0, sigma) noise to pixels in [0, 1]        sigma .04 .06 .08 .09 .10
blur           Gaussian blur (truncated at 4 sigma, edge mode)  sigma .4 .6 .7 .8 1.0 px
contrast       pull each channel toward its image mean          factor .75 .5 .4 .3 .15
jpeg           JPEG round trip through PIL                      quality 80 65 58 50 40
pixelate       box-downsample then box-upsample (PIL)           scale .95 .9 .85 .75 .65
============== ================================================ ===========================

Severity 0 is the clean image. Spatial parameters are CIFAR's at 32 px; for larger images
the blur sigma scales with ``min(H, W) / 32`` so a severity blurs the same fraction of the
image (pixelate's scale is already relative). Results are rounded to uint8 (CIFAR-10-C
truncated; rounding avoids a systematic darkening of 0.5/255). Everything is pure
numpy/PIL and deterministic: only Gaussian noise is random, drawn from
``numpy.random.default_rng(seed)``, and its severities scale the same draw, so for one
seed a higher severity is the same noise, stronger.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image

from clip_course.data.dataset import ImageDataset
from clip_course.errors import CorruptionError

__all__ = [
    "Callable", "check_kind", "check_severity", "corrupt", "corrupt_dataset", "corrupted_name", "CORRUPTIONS",
    "ImageDataset", "PARAMETERS", "SEVERITIES",
]

SEVERITIES = (1, 2, 3, 4, 5)
_REFERENCE_SIZE = 32  # the image size CIFAR-10-C's spatial parameters were chosen for

#: kind -> parameter per severity 1..5 (CIFAR-10-C's values).
PARAMETERS: dict[str, tuple[float, ...]] = {
    "gaussian_noise": (0.04, 0.06, 0.08, 0.09, 0.10),
    "blur": (0.4, 0.6, 0.7, 0.8, 1.0),
    "contrast": (0.75, 0.5, 0.4, 0.3, 0.15),
    "jpeg": (80, 65, 58, 50, 40),
    "pixelate": (0.95, 0.9, 0.85, 0.75, 0.65),
}


def _gaussian_noise(x: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(x.shape, dtype=np.float32)
    return x.astype(np.float32) + noise * np.float32(sigma * 255.0)


def _gaussian_kernel(sigma: float, truncate: float = 4.0) -> np.ndarray:
    """Normalised 1-D Gaussian taps, radius ``round(truncate * sigma)`` (scipy's rule)."""
    radius = max(int(truncate * sigma + 0.5), 1)
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


def _blur_axis(x: np.ndarray, kernel: np.ndarray, axis: int) -> np.ndarray:
    # Edge padding = scipy/skimage mode "nearest"; a sum of shifted slices is one
    # vectorised pass over the whole batch per tap.
    r = len(kernel) // 2
    pad = [(0, 0)] * x.ndim
    pad[axis] = (r, r)
    xp = np.pad(x, pad, mode="edge")
    n = x.shape[axis]
    out = np.zeros_like(x)
    for i, w in enumerate(kernel):
        out += w * np.take(xp, np.arange(i, i + n), axis=axis)
    return out


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    sigma = sigma * min(x.shape[1], x.shape[2]) / _REFERENCE_SIZE
    k = _gaussian_kernel(sigma)
    return _blur_axis(_blur_axis(x.astype(np.float32), k, 1), k, 2)


def _contrast(x: np.ndarray, factor: float) -> np.ndarray:
    x = x.astype(np.float32)
    means = x.mean(axis=(1, 2), keepdims=True)
    return (x - means) * np.float32(factor) + means


def _per_image(x: np.ndarray, fn: Callable[[Image.Image], Image.Image]) -> np.ndarray:
    return np.stack([np.asarray(fn(Image.fromarray(im)).convert("RGB")) for im in x])


def _jpeg(x: np.ndarray, quality: float) -> np.ndarray:
    def roundtrip(im: Image.Image) -> Image.Image:
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=int(quality))
        buf.seek(0)
        return Image.open(buf)

    return _per_image(x, roundtrip)


def _pixelate(x: np.ndarray, scale: float) -> np.ndarray:
    h, w = x.shape[1:3]
    small = (max(int(w * scale), 1), max(int(h * scale), 1))
    return _per_image(x, lambda im: im.resize(small, Image.Resampling.BOX).resize((w, h), Image.Resampling.BOX))


_FUNCS: dict[str, Callable[..., np.ndarray]] = {
    "gaussian_noise": _gaussian_noise,
    "blur": _blur,
    "contrast": _contrast,
    "jpeg": _jpeg,
    "pixelate": _pixelate,
}

#: The corruption kinds, in the order figures show them.
CORRUPTIONS: tuple[str, ...] = tuple(_FUNCS)


def _check_images(images: np.ndarray) -> np.ndarray:
    if not isinstance(images, np.ndarray):
        raise CorruptionError(
            f"images must be a numpy array, got {type(images).__name__}; stack same-sized "
            f"images into a uint8 (N, H, W, 3) array first."
        )
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise CorruptionError(
            f"images must be uint8 (N, H, W, 3), got {images.dtype} {images.shape}; convert "
            f"with np.asarray(..., dtype=np.uint8) and add a batch axis for one image."
        )
    return images


def check_kind(kind: str) -> str:
    """``kind`` if it is a known corruption, else a :class:`CorruptionError` listing them."""
    if kind not in _FUNCS:
        raise CorruptionError(f"Unknown corruption {kind!r}; choose one of {list(CORRUPTIONS)}.")
    return kind


def check_severity(severity: int) -> int:
    """``severity`` as an int in 0..5, else a :class:`CorruptionError`."""
    if isinstance(severity, bool) or int(severity) != severity or not 0 <= severity <= 5:
        raise CorruptionError(f"Severity must be an integer 0..5 (0 = clean), got {severity!r}.")
    return int(severity)


def corrupt(images: np.ndarray, kind: str, severity: int, seed: int = 0) -> np.ndarray:
    """Apply corruption ``kind`` at ``severity`` (0..5) to uint8 (N, H, W, 3) ``images``.

    Returns a new uint8 array of the same shape; severity 0 returns an unchanged copy.
    The same (images, kind, severity, seed) always gives the same bytes.
    """
    images = _check_images(images)
    check_kind(kind)
    severity = check_severity(severity)
    if severity == 0 or len(images) == 0:
        return images.copy()
    param = PARAMETERS[kind][severity - 1]
    if kind == "gaussian_noise":
        out = _gaussian_noise(images, param, np.random.default_rng(seed))
    else:
        out = _FUNCS[kind](images, param)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def corrupted_name(name: str, kind: str, severity: int) -> str:
    """The dataset name of a corrupted test set, e.g. ``shapes10+gaussian_noise@3``."""
    return f"{name}+{kind}@{severity}"


def corrupt_dataset(dataset, kind: str, severity: int, seed: int = 0):
    """A new :class:`~clip_course.data.ImageDataset` holding ``dataset``'s images corrupted.

    Its name (``shapes10+blur@3``) and therefore its fingerprint and feature-cache key differ
    from the clean set's; labels, classes and split are kept. Severity 0 returns ``dataset``.
    """
    if check_severity(severity) == 0:
        check_kind(kind)
        return dataset
    if isinstance(dataset.images, np.ndarray):
        images: np.ndarray | list[np.ndarray] = corrupt(dataset.images, kind, severity, seed)
    else:  # images of different sizes: one at a time, each its own seed stream
        images = [corrupt(im[None], kind, severity, seed + i)[0] for i, im in enumerate(dataset.images)]
    meta = {**dataset.meta, "corruption": {"kind": kind, "severity": severity, "seed": seed,
                                           "clean": dataset.name}}
    return ImageDataset(corrupted_name(dataset.name, kind, severity), dataset.split, images,
                        dataset.labels, dataset.classes, meta)
