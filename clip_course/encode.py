"""Batched image and text encoding, with preprocessing on the model's device and a feature cache.

Preprocessing reproduces clip's own PIL transform (``Resize(R, BICUBIC)`` of the shorter
side, ``CenterCrop(R)``, ``ToTensor``, ``Normalize``) on whole uint8 batches on the model's
device. PIL's bicubic (a = -0.5, antialiased when shrinking, rounded to uint8 after each of its
two passes) is not ``F.interpolate``'s, so the resize is done the way PIL does it: one matrix
per axis whose coefficients are read off PIL itself (by resizing unit impulses in mode "F"),
quantised to PIL's 22-bit fixed point, applied horizontally then vertically with PIL's
rounding and clamping after each pass. In float64 (CPU, CUDA) this is exact integer
arithmetic, so the uint8 result equals PIL's bit for bit; the centre crop is folded into the
matrices so only the kept rows and columns are computed.

:func:`image_features` adds an on-disk cache keyed on everything that changes the features
(checkpoint hash, dataset content, resolution, :data:`PREPROCESS_VERSION`, dtype).
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from clip_course.fileio import atomic_path

#: Bump whenever preprocessing output changes: it is part of every feature-cache key.
PREPROCESS_VERSION = "pil-bicubic-separable-1"

#: clip's Normalize constants (clip/clip.py ``_transform``).
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

# PIL's 8-bit resampling works in fixed point with this many fractional bits (Resample.c).
_PIL_PRECISION_BITS = 32 - 8 - 2


class ImageInputError(ValueError):
    """Images given to the encoder have the wrong type, dtype or shape."""


class TextInputError(ValueError):
    """Texts given to the encoder are not a list of strings."""


class TextTooLongError(TextInputError):
    """A text does not fit the model's context length."""


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
def pil_fixed_point_matrix(in_size: int, out_size: int) -> np.ndarray:
    """:func:`pil_resize_matrix` quantised as PIL's 8-bit path does (22 fractional bits,
    round half away from zero). Entries are integer multiples of 2**-22 (exact in floats)."""
    scale = float(1 << _PIL_PRECISION_BITS)
    m = pil_resize_matrix(in_size, out_size) * scale
    return np.where(m < 0, np.ceil(m - 0.5), np.floor(m + 0.5)) / scale


# Per (size, resolution, device, dtype); bounded, since a folder of photos can hold many sizes.
_DEVICE_MATRICES: OrderedDict[tuple, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
_DEVICE_MATRICES_SIZE = 32


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
        make = pil_fixed_point_matrix if fixed_point else pil_resize_matrix
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


# --------------------------------------------------------------------------- images


def _as_uint8_images(images) -> np.ndarray | torch.Tensor | list:
    """Validate ``images``: a uint8 (N, H, W, 3) array/tensor, or a list of (H, W, 3) arrays."""
    if isinstance(images, (np.ndarray, torch.Tensor)):
        uint8 = torch.uint8 if isinstance(images, torch.Tensor) else np.uint8
        if images.dtype != uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ImageInputError(
                f"images must be uint8 (N, H, W, 3) RGB, got {images.dtype} {tuple(images.shape)}. "
                f"Convert float images in [0, 1] with (x * 255).round().astype(np.uint8)."
            )
        return images
    if isinstance(images, Sequence) and not isinstance(images, (str, bytes)):
        for i, im in enumerate(images):
            arr = np.asarray(im)
            if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[-1] != 3:
                raise ImageInputError(
                    f"images[{i}] must be a uint8 (H, W, 3) RGB array, got {arr.dtype} "
                    f"{arr.shape}. Load images with clip_course.data.load_image."
                )
        return list(images)
    raise ImageInputError(
        f"images must be a uint8 numpy array (N, H, W, 3) or a list of (H, W, 3) arrays, "
        f"got {type(images).__name__}."
    )


def _size_groups(images: np.ndarray | torch.Tensor | list) -> dict[tuple[int, int], np.ndarray]:
    """Indices of the images sharing each (H, W): one resize-matrix pair per group."""
    if not isinstance(images, list):
        return {tuple(images.shape[1:3]): np.arange(len(images))}
    groups: dict[tuple[int, int], list[int]] = {}
    for i, im in enumerate(images):
        groups.setdefault(tuple(np.shape(im)[:2]), []).append(i)
    return {k: np.asarray(v) for k, v in groups.items()}


def _gather(images, idx: np.ndarray) -> torch.Tensor:
    """The images at ``idx`` as one uint8 (B, H, W, 3) CPU tensor."""
    if isinstance(images, torch.Tensor):
        return images[torch.from_numpy(idx)]
    if isinstance(images, np.ndarray):
        contiguous = idx[-1] - idx[0] + 1 == len(idx)
        batch = images[idx[0] : idx[-1] + 1] if contiguous else images[idx]
        return torch.from_numpy(np.ascontiguousarray(batch))
    return torch.from_numpy(np.stack([np.asarray(images[i]) for i in idx]))


def _finish(features: torch.Tensor, normalize: bool) -> torch.Tensor:
    features = features.float()
    return features / features.norm(dim=-1, keepdim=True) if normalize else features


def _embed_dim(lm) -> int:
    return int(lm.model.text_projection.shape[1])


# Batches of features kept on the device before copying them back (see encode_images).
_PENDING_BATCHES = 16


def encode_images(
    lm,
    images: np.ndarray | torch.Tensor | Sequence[np.ndarray],
    batch_size: int = 256,
    normalize: bool = True,
    progress: bool = True,
) -> torch.Tensor:
    """Image features, float32 (N, D) on CPU, L2-normalised unless ``normalize=False``.

    ``lm`` is a :class:`clip_course.models.LoadedModel`. ``images`` is uint8 (N, H, W, 3) or
    a list of (H, W, 3) uint8 arrays of any sizes (batched by size). Preprocessing and the
    encoder run on ``lm.device`` in the model's dtype (fp16 on CUDA, fp32 on CPU).
    """
    images = _as_uint8_images(images)
    if batch_size < 1:
        raise ImageInputError(f"batch_size must be positive, got {batch_size}.")
    out = torch.empty(len(images), _embed_dim(lm), dtype=torch.float32)
    # Pinned host memory lets the copy to the GPU overlap with compute.
    pin = lm.device.type == "cuda" and not (isinstance(images, torch.Tensor) and images.is_cuda)
    pending: list[tuple[np.ndarray, torch.Tensor]] = []

    def flush() -> None:
        # Features wait on the device and come back in groups, so the host does not stop at
        # every batch to wait for the GPU (which would leave it idle between batches).
        for chunk, feats in pending:
            out[torch.from_numpy(chunk)] = feats.cpu()
        pending.clear()

    with torch.inference_mode(), tqdm(total=len(images), desc="encode images", disable=not progress) as bar:
        for idx in _size_groups(images).values():
            for start in range(0, len(idx), batch_size):
                chunk = idx[start : start + batch_size]
                batch = _gather(images, chunk)
                batch = batch.pin_memory() if pin else batch
                x = preprocess_images(batch.to(lm.device, non_blocking=pin), lm.input_resolution)
                pending.append((chunk, lm.model.encode_image(x.to(lm.dtype)).float()))
                if len(pending) >= _PENDING_BATCHES:
                    flush()
                bar.update(len(chunk))
        flush()
    return _finish(out, normalize)


# --------------------------------------------------------------------------- texts


def tokenize(lm, texts: Sequence[str]) -> torch.Tensor:
    """clip.tokenize without truncation; a too-long text raises :class:`TextTooLongError`."""
    import clip

    texts = list(texts)
    bad = [t for t in texts if not isinstance(t, str)]
    if bad:
        raise TextInputError(f"texts must be strings; got {type(bad[0]).__name__} {bad[0]!r}.")
    try:
        return clip.tokenize(texts, context_length=lm.context_length, truncate=False)
    except RuntimeError:
        for t in texts:  # find which one: clip's message holds the whole list
            try:
                clip.tokenize([t], context_length=lm.context_length, truncate=False)
            except RuntimeError:
                raise TextTooLongError(
                    f"Text {t!r} is longer than the model's context length "
                    f"({lm.context_length} tokens); shorten it."
                ) from None
        raise


def encode_texts(
    lm, texts: Sequence[str], normalize: bool = True, batch_size: int = 1024
) -> torch.Tensor:
    """Text features, float32 (N, D) on CPU, in batches of ``batch_size`` texts."""
    if isinstance(texts, str):
        raise TextInputError(f"texts must be a list of strings, got the single string {texts!r}.")
    tokens = tokenize(lm, texts)
    out = torch.empty(len(tokens), _embed_dim(lm), dtype=torch.float32)
    with torch.inference_mode():
        for start in range(0, len(tokens), batch_size):
            batch = tokens[start : start + batch_size].to(lm.device)
            out[start : start + len(batch)] = lm.model.encode_text(batch).float().cpu()
    return _finish(out, normalize)


# --------------------------------------------------------------------------- feature cache

_MEMO: OrderedDict[str, torch.Tensor] = OrderedDict()
_MEMO_SIZE = 8


def cache_key(lm, dataset) -> dict:
    """Everything the raw image features of ``dataset`` under ``lm`` depend on."""
    return {
        "checkpoint_sha256": lm.checkpoint_sha256,
        "dataset": dataset.name,
        "split": dataset.split,
        "fingerprint": dataset.fingerprint,
        "n": len(dataset),
        "resolution": int(lm.input_resolution),
        "preprocess_version": PREPROCESS_VERSION,
        "dtype": str(lm.dtype).replace("torch.", ""),
    }


def cache_path(cache_dir: str | Path, key: dict) -> Path:
    """The cache file for ``key``: readable dataset/split prefix plus a hash of the whole key."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{key['dataset']}_{key['split']}")[-60:]
    return Path(cache_dir) / "features" / f"{stem}_{digest}.pt"


def _read_cache(path: Path, key: dict, dim: int) -> torch.Tensor | None:
    """Cached raw features, or None (with a warning) when the file is unusable."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        feats = blob["features"]
        problem = (
            "its key differs" if blob.get("key") != key
            else f"its features have shape {tuple(feats.shape)}" if tuple(feats.shape) != (key["n"], dim)
            else f"its features are {feats.dtype}" if feats.dtype != torch.float32
            else "its features hold NaN or inf" if not torch.isfinite(feats).all()
            else None
        )
    except Exception as err:  # a truncated or foreign file fails in many ways
        problem = f"it could not be read ({type(err).__name__}: {err})"
    if problem is None:
        return feats
    warnings.warn(f"Feature cache {path} is unusable ({problem}); recomputing.", stacklevel=3)
    return None


def _write_cache(path: Path, key: dict, feats: torch.Tensor) -> None:
    with atomic_path(path) as tmp:
        torch.save({"key": key, "features": feats.contiguous()}, tmp)


def image_features(
    lm,
    dataset,
    normalize: bool = True,
    cache_dir: str | Path | None = "data/cache",
    batch_size: int = 256,
    progress: bool = True,
) -> torch.Tensor:
    """Features of every image of ``dataset`` (an ``ImageDataset``), float32 (N, D) on CPU.

    Raw features are cached once under ``cache_dir`` (None: no disk cache) and in memory,
    keyed by :func:`cache_key`; they are L2-normalised on return when ``normalize``.
    """
    key = cache_key(lm, dataset)
    memo_key = json.dumps(key, sort_keys=True)
    if memo_key in _MEMO:
        _MEMO.move_to_end(memo_key)
        return _finish(_MEMO[memo_key].clone(), normalize)
    path = cache_path(cache_dir, key) if cache_dir is not None else None
    feats = _read_cache(path, key, _embed_dim(lm)) if path is not None and path.is_file() else None
    if feats is None:
        feats = encode_images(lm, dataset.images, batch_size, normalize=False, progress=progress)
        if path is not None:
            _write_cache(path, key, feats)
    _MEMO[memo_key] = feats
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return _finish(feats.clone(), normalize)


def clear_memo() -> None:
    """Forget in-memory features (the disk cache stays)."""
    _MEMO.clear()
