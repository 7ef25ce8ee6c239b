"""Image features cached on disk and in memory, keyed on everything that changes them
(checkpoint, dataset fingerprint, preprocessing, resolution, dtype) and validated when read.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections import OrderedDict
from pathlib import Path

import torch

from clip_course.core import preprocess
from clip_course.core.cache import USER_CACHE, resolve_cache_dir
from clip_course.core.encode import embed_dim, encode_images, finish_features
from clip_course.core.types import DatasetLike, LoadedModelLike
from clip_course.io import atomic_path, sha256_bytes

__all__ = ["cache_key", "clear_memo", "image_features", "LoadedModelLike", "preprocess", "warnings"]

_MEMO_SIZE = 8

_MEMO: OrderedDict[str, torch.Tensor] = OrderedDict()


def cache_key(lm: LoadedModelLike, dataset: DatasetLike) -> dict:
    """Everything the raw image features of ``dataset`` under ``lm`` depend on."""
    # the model's own normalisation (open_clip's), absent on clip's models and on stand-ins
    mean, std = getattr(lm, "image_mean", None), getattr(lm, "image_std", None)
    return {
        "checkpoint_sha256": lm.checkpoint_sha256,
        # the tag and the code that built the model: an open_clip and an openai model never share an entry
        "pretrained": getattr(lm, "pretrained", None),
        "loader": getattr(lm, "loader", "clip"),
        "normalisation": [list(mean), list(std)] if mean and std else None,
        "dataset": dataset.name,
        "split": dataset.split,
        "fingerprint": dataset.fingerprint,
        "n": len(dataset),
        "resolution": int(lm.input_resolution),
        "preprocess_version": preprocess.PREPROCESS_VERSION,
        "preprocess": preprocess.preprocess_fingerprint(),
        "dtype": str(lm.dtype).replace("torch.", ""),
    }


def _cache_path(cache_dir: str | Path, key: dict) -> Path:
    """The cache file for ``key``: readable dataset/split prefix plus a hash of the whole key."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{key['dataset']}_{key['split']}")[-60:]
    return Path(cache_dir) / "features" / f"{stem}_{digest}.pt"


def _checksum(feats: torch.Tensor) -> str:
    """sha256 of the tensor's bytes (with its shape and dtype, which the bytes do not show)."""
    t = feats.detach().cpu().contiguous()
    return sha256_bytes(f"{tuple(t.shape)}{t.dtype}".encode(), t.view(torch.uint8).numpy().tobytes())


def _read_cache(path: Path, key: dict, dim: int) -> torch.Tensor | None:
    """Cached raw features, or None (with a warning, the file deleted) when the file is unusable."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        feats = blob["features"]
        problem = (
            "its key differs" if blob.get("key") != key
            else f"its features have shape {tuple(feats.shape)}" if tuple(feats.shape) != (key["n"], dim)
            else f"its features are {feats.dtype}" if feats.dtype != torch.float32
            else "it has no checksum" if "sha256" not in blob
            else "its features do not match their checksum (altered or damaged)"
            if blob["sha256"] != _checksum(feats)
            else "its features hold NaN or inf" if not torch.isfinite(feats).all()
            else None
        )
    except Exception as err:  # a truncated or foreign file fails in many ways
        problem = f"it could not be read ({type(err).__name__}: {err})"
    if problem is None:
        return feats
    warnings.warn(f"Feature cache {path} is unusable ({problem}); deleted it, recomputing.", stacklevel=3)
    path.unlink(missing_ok=True)
    return None


def _write_cache(path: Path, key: dict, feats: torch.Tensor) -> None:
    feats = feats.contiguous()
    with atomic_path(path) as tmp:
        torch.save({"key": key, "features": feats, "sha256": _checksum(feats)}, tmp)


def image_features(
    lm: LoadedModelLike,
    dataset: DatasetLike,
    normalize: bool = True,
    cache_dir: str | Path | None = USER_CACHE,
    batch_size: int = 256,
    progress: bool = True,
) -> torch.Tensor:
    """Features of every image of ``dataset`` (an ``DatasetLike``), float32 (N, D) on CPU.

    Raw features are cached once under ``cache_dir`` (default: the user cache folder,
    :func:`clip_course.core.cache.user_cache_dir`; None: no disk cache) and in memory,
    keyed by :func:`cache_key`; they are L2-normalised on return when ``normalize``.
    """
    key = cache_key(lm, dataset)
    memo_key = json.dumps(key, sort_keys=True)
    if memo_key in _MEMO:
        _MEMO.move_to_end(memo_key)
        return finish_features(_MEMO[memo_key].clone(), normalize)
    folder = resolve_cache_dir(cache_dir)
    path = _cache_path(folder, key) if folder is not None else None
    feats = _read_cache(path, key, embed_dim(lm)) if path is not None and path.is_file() else None
    if feats is None:
        feats = encode_images(lm, dataset.images, batch_size, normalize=False, progress=progress)
        if path is not None:
            _write_cache(path, key, feats)
    _MEMO[memo_key] = feats
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return finish_features(feats.clone(), normalize)


def clear_memo() -> None:
    """Forget in-memory features (the disk cache stays)."""
    _MEMO.clear()
