"""The shipped MiniCLIP checkpoint: unpacked from ``assets/miniclip.pt.xz`` into a sha-checked
user cache, with its metadata and training log.
"""

from __future__ import annotations

import lzma
from functools import lru_cache
from pathlib import Path
from typing import Any

from clip_course.core.cache import user_cache_dir
from clip_course.errors import PretrainError
from clip_course.io import atomic_path, read_json, sha256_bytes, sha256_file

__all__ = [
    "ASSETS", "cache_dir", "miniclip_checkpoint", "sha256_file", "SHIPPED_CHECKPOINT", "SHIPPED_LOG", "SHIPPED_META",
    "shipped_metadata", "training_log",
]

ASSETS = Path(__file__).parent / "assets"
SHIPPED_CHECKPOINT = ASSETS / "miniclip.pt.xz"
SHIPPED_META = ASSETS / "miniclip.json"
SHIPPED_LOG = ASSETS / "miniclip_log.json"


# ---------------------------------------------------------------- the shipped checkpoint

def cache_dir() -> Path:
    """Where materialised checkpoints live: the user cache (:func:`clip_course.core.cache.user_cache_dir`)."""
    return user_cache_dir()


def shipped_metadata() -> dict[str, Any]:
    """The shipped checkpoint's metadata: config, sha256s, sizes, measured accuracies."""
    if not SHIPPED_META.is_file():
        raise PretrainError(
            f"The MiniCLIP metadata {SHIPPED_META} is missing from this installation; reinstall "
            f"the package or run `make pretrain`."
        )
    return read_json(SHIPPED_META)


def training_log() -> dict[str, Any]:
    """The shipped checkpoint's training log (per-step loss, accuracy, temperature, lr) and config."""
    return read_json(SHIPPED_LOG)


@lru_cache(maxsize=4)
def _verified(path: str, size: int, mtime_ns: int, expected: str) -> bool:
    return sha256_file(path) == expected


def miniclip_checkpoint() -> Path:
    """Path of the shipped MiniCLIP state dict, decompressed once into :func:`cache_dir`.

    The file is keyed by its sha256 and verified when read; a corrupt copy is rewritten.
    """
    meta = shipped_metadata()
    expected = meta["sha256"]
    target = cache_dir() / f"miniclip-{expected[:16]}.pt"
    if target.is_file():
        st = target.stat()
        if _verified(str(target), st.st_size, st.st_mtime_ns, expected):
            return target
    if not SHIPPED_CHECKPOINT.is_file():
        raise PretrainError(f"The shipped MiniCLIP checkpoint {SHIPPED_CHECKPOINT} is missing; run `make pretrain`.")
    data = lzma.decompress(SHIPPED_CHECKPOINT.read_bytes())
    if sha256_bytes(data) != expected:
        raise PretrainError(
            f"{SHIPPED_CHECKPOINT} does not match its recorded sha256 {expected[:16]}...; the "
            f"installation is corrupt. Reinstall, or run `make pretrain` to retrain it."
        )
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target
