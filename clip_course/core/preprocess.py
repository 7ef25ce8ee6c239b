"""clip's image preprocessing (bicubic resize, centre crop, normalise) on the model's device,
bit-for-bit equal to its PIL transform, as two matrix products read off PIL.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache

import numpy as np
import torch

from clip_course.errors import ImageInputError

__all__ = [
    "CLIP_MEAN", "CLIP_STD", "crop_offsets", "ImageInputError", "pil_resize_matrix", "preprocess_fingerprint",
    "preprocess_images", "preprocess_images_differentiable", "PREPROCESS_VERSION", "resample_uint8_batch",
    "resize_crop_matrices", "resized_size",
]

#: Bump whenever preprocessing output changes: it is part of every feature-cache key.
PREPROCESS_VERSION = "pil-bicubic-separable-1"

#: clip's Normalize constants (clip/clip.py ``_transform``).
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

# PIL's 8-bit resampling works in fixed point with this many fractional bits (Resample.c).
_PIL_PRECISION_BITS = 32 - 8 - 2

_DEVICE_MATRICES: OrderedDict[tuple, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()


# --------------------------------------------------------------------------- geometry


def resized_size(height: int, width: int, resolution: int) -> tuple[int, int]:
    """Output (h, w) of torchvision's ``Resize(resolution)``: shorter side -> ``resolution``.

    The longer side is truncated, ``int(resolution * long / short)``, as torchvision does.
    """
    if width <= height:
        return int(resolution * height / width), resolution
    return resolution, int(resolution * width / height)


def crop_offsets(height: int, width: int, resolution: int) -> tuple[int, int]:
    """(top, left) of torchvision's ``CenterCrop(resolution)``: Python ``round`` (half to even)."""
    return int(round((height - resolution) / 2.0)), int(round((width - resolution) / 2.0))


# --------------------------------------------------------------------------- resize matrices


def _pil_bicubic(x: float) -> float:
    """PIL's bicubic kernel (a = -0.5), written as Resample.c writes it."""
    a = -0.5
    x = -x if x < 0.0 else x
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    if x < 2.0:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def _pil_coefficients(in_size: int, out_size: int) -> np.ndarray:
    """Resample.c's ``precompute_coeffs`` for bicubic, in the same double arithmetic order."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 2.0 * filterscale
    ss = 1.0 / filterscale
    m = np.zeros((out_size, in_size), dtype=np.float64)
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size) - xmin
        w = [_pil_bicubic((x + xmin - center + 0.5) * ss) for x in range(xmax)]
        ww = 0.0
        for v in w:  # sequential sum, as in C
            ww += v
        m[xx, xmin : xmin + xmax] = [v / ww for v in w] if ww != 0.0 else w
    return m


def _pil_readout(in_size: int, out_size: int) -> np.ndarray:
    """PIL's own coefficients (float32 precision): an identity image in mode "F" resized
    along its width gives, in row ``i``, the weight of input pixel ``i`` in each output."""
    from PIL import Image

    eye = Image.fromarray(np.eye(in_size, dtype=np.float32))
    out = eye.resize((out_size, in_size), Image.Resampling.BICUBIC)
    return np.asarray(out, dtype=np.float64).T


@lru_cache(maxsize=32)
def pil_resize_matrix(in_size: int, out_size: int) -> np.ndarray:
    """PIL's bicubic resampling coefficients as a float64 (out_size, in_size) matrix.

    The matrix is read off PIL itself (:func:`_pil_readout`). PIL computes it in double but
    mode "F" returns float32, too coarse to quantise exactly as PIL's 8-bit path does, so when
    our double-precision copy of PIL's formula agrees with the readout (it does for the
    Pillow versions we know) that copy is used; otherwise PIL's readout wins.
    """
    readout = _pil_readout(in_size, out_size)
    exact = _pil_coefficients(in_size, out_size)
    return exact if np.abs(exact - readout).max() <= 1e-6 else readout


@lru_cache(maxsize=32)
def _pil_fixed_point_matrix(in_size: int, out_size: int) -> np.ndarray:
    """:func:`pil_resize_matrix` quantised as PIL's 8-bit path does (22 fractional bits,
    round half away from zero). Entries are integer multiples of 2**-22 (exact in floats)."""
    scale = float(1 << _PIL_PRECISION_BITS)
    m = pil_resize_matrix(in_size, out_size) * scale
    return np.where(m < 0, np.ceil(m - 0.5), np.floor(m + 0.5)) / scale
_DEVICE_MATRICES_SIZE = 32

#: (input size, output size) pairs whose resize coefficients stand for the resampling formula
#: in :func:`preprocess_fingerprint`: a downscale and an upscale.
_FINGERPRINT_SIZES = ((500, 224), (37, 224), (64, 32))


@lru_cache(maxsize=1)
def _coefficients_digest() -> str:
    import hashlib

    h = hashlib.sha256()
    for n_in, n_out in _FINGERPRINT_SIZES:
        h.update(np.ascontiguousarray(_pil_fixed_point_matrix(n_in, n_out)).tobytes())
    return h.hexdigest()


def preprocess_fingerprint() -> str:
    """Hash of what defines preprocessing output: the version, normalisation constants and the
    resize coefficients. Part of every feature-cache key, so a change to any of them (not only a
    hand-bumped :data:`PREPROCESS_VERSION`) invalidates cached features."""
    import hashlib
    import json

    spec = {"version": PREPROCESS_VERSION, "mean": list(CLIP_MEAN), "std": list(CLIP_STD),
            "precision_bits": _PIL_PRECISION_BITS, "coefficients": _coefficients_digest()}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def resize_crop_matrices(
    height: int,
    width: int,
    resolution: int,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
    fixed_point: bool = True,
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(vertical (R, H), horizontal (R, W)) matrices doing Resize + CenterCrop, or None.

    None means the image needs no resampling (clip's transform only crops it). Matrices are
    cached per (size, resolution, device, dtype); an axis PIL would not resample is an exact
    crop (a 0/1 selection matrix).
    """
    new_h, new_w = resized_size(height, width, resolution)
    if (new_h, new_w) == (height, width):
        return None
    top, left = crop_offsets(new_h, new_w, resolution)
    key = (height, width, resolution, str(device), dtype, fixed_point)
    if key in _DEVICE_MATRICES:
        _DEVICE_MATRICES.move_to_end(key)
    else:
        make = _pil_fixed_point_matrix if fixed_point else pil_resize_matrix
        v = make(height, new_h)[top : top + resolution]
        h = make(width, new_w)[left : left + resolution]
        _DEVICE_MATRICES[key] = (
            torch.from_numpy(np.ascontiguousarray(v)).to(device=device, dtype=dtype),
            torch.from_numpy(np.ascontiguousarray(h)).to(device=device, dtype=dtype),
        )
        while len(_DEVICE_MATRICES) > _DEVICE_MATRICES_SIZE:
            _DEVICE_MATRICES.popitem(last=False)
    return _DEVICE_MATRICES[key]


def _exact_dtype(device: torch.device) -> torch.dtype:
    """float64 where the device has it (exact fixed-point arithmetic); else float32."""
    return torch.float32 if device.type == "mps" else torch.float64


# --------------------------------------------------------------------------- preprocessing


def _normalise(x: torch.Tensor, scale: float) -> torch.Tensor:
    """(x * scale - mean) / std per channel for x (B, 3, R, R), as one fused multiply-add."""
    mean = torch.tensor(CLIP_MEAN, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD, dtype=torch.float64).view(1, 3, 1, 1)
    # Constants made in float64 on the CPU, cast before moving (MPS has no float64).
    a, b = (scale / std).to(x.dtype).to(x.device), (-mean / std).to(x.dtype).to(x.device)
    return torch.addcmul(b, x, a)


def _pil_round_(x: torch.Tensor) -> torch.Tensor:
    """PIL's ``clip8``, in place: floor(x + 0.5) clamped to 0..255."""
    return x.add_(0.5).floor_().clamp_(0.0, 255.0)


def resample_uint8_batch(
    x: torch.Tensor, matrices: tuple[torch.Tensor, torch.Tensor] | None, crop: tuple[int, int, int]
) -> torch.Tensor:
    """Pure tensor part of :func:`preprocess_images` (no caches: safe to ``torch.compile``).

    ``x``: uint8 (B, H, W, 3); ``matrices`` from :func:`resize_crop_matrices`; ``crop``:
    (top, left, R) used only when ``matrices`` is None. Returns float32 (B, 3, R, R) normalised.
    """
    x = x.permute(0, 3, 1, 2)
    if matrices is None:
        top, left, r = crop
        out = x[:, :, top : top + r, left : left + r].float()
    else:
        v, h = matrices
        # Horizontal pass first, then vertical, each rounded to uint8 like PIL.
        y = _pil_round_(torch.matmul(x.to(h.dtype), h.T))
        out = _pil_round_(torch.matmul(v, y)).float()
    return _normalise(out, 1.0 / 255.0)


def _check_uint8_batch(images: torch.Tensor, name: str = "images") -> None:
    if not isinstance(images, torch.Tensor):
        raise ImageInputError(f"{name} must be a torch.Tensor, got {type(images).__name__}.")
    if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ImageInputError(
            f"{name} must be uint8 (B, H, W, 3) RGB, got {images.dtype} {tuple(images.shape)}. "
            f"Convert float images in [0, 1] with (x * 255).round().to(torch.uint8) and put "
            f"channels last."
        )


def preprocess_images(images: torch.Tensor, resolution: int) -> torch.Tensor:
    """clip's ``_transform(resolution)`` on a uint8 (B, H, W, 3) batch, on its device.

    Returns float32 (B, 3, R, R) normalised with CLIP's mean and std, equal to clip's PIL
    ``preprocess`` of each image (bit-exact before normalisation where float64 is available).
    """
    _check_uint8_batch(images)
    _, height, width, _ = images.shape
    dtype = _exact_dtype(images.device)
    matrices = resize_crop_matrices(height, width, resolution, images.device, dtype)
    top, left = crop_offsets(height, width, resolution)
    return resample_uint8_batch(images, matrices, (top, left, resolution))


def preprocess_images_differentiable(images_float01: torch.Tensor, resolution: int) -> torch.Tensor:
    """The same transform on float (B, 3, H, W) images in [0, 1], without uint8 rounding.

    Differentiable with respect to the images (for optimising images through CLIP); uses
    PIL's unquantised coefficients in the input's dtype.
    """
    x = images_float01
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 3 or not x.is_floating_point():
        raise ImageInputError(
            f"images_float01 must be a float tensor (B, 3, H, W) in [0, 1], got "
            f"{getattr(x, 'dtype', type(x).__name__)} {tuple(getattr(x, 'shape', ()))}."
        )
    _, _, height, width = x.shape
    matrices = resize_crop_matrices(height, width, resolution, x.device, x.dtype, fixed_point=False)
    if matrices is None:
        top, left = crop_offsets(height, width, resolution)
        out = x[:, :, top : top + resolution, left : left + resolution]
    else:
        v, h = matrices
        out = torch.matmul(v, torch.matmul(x, h.T))
    return _normalise(out, 1.0)
