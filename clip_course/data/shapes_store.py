"""Rendered ShapesWorld sets kept in the user cache, so one build renders each set once.

A set is a pure function of its arguments (name, split, size, seed, image size), of the code that
draws it and of numpy's random streams; the key holds all of them (the code as the sha256 of the
``data/shapes*.py`` sources). Notebooks 03, 04, 06 and 07 run in separate kernels and used to render
the same sets again, about a fifth of the offline build's time. A read checks the arrays against
the sha256 stored beside them: a stale, damaged or foreign file is deleted and the set rendered
again, never used. Files are plain ``.npz`` read with ``allow_pickle=False`` (nothing in them runs).
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from clip_course.core.cache import user_cache_dir
from clip_course.errors import OutputPathError
from clip_course.io import atomic_path, sha256_bytes

__all__ = ["cache_key", "cache_path", "read", "write"]

_SOURCES = Path(__file__).parent


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """sha256 of every module that decides what a ShapesWorld image looks like."""
    h = hashlib.sha256()
    for path in sorted(_SOURCES.glob("shapes*.py")):
        if path.name != Path(__file__).name:  # this file decides where sets are kept, not what they hold
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def cache_key(name: str, split: str, n: int, seed: int, image_size: int) -> dict[str, str | int]:
    """Everything a rendered set depends on."""
    return {"dataset": name, "split": split, "n": int(n), "seed": int(seed), "image_size": int(image_size),
            "code_sha256": _code_digest(), "numpy": np.__version__}


def cache_path(key: dict[str, str | int]) -> Path:
    """The file for ``key`` under the user cache: readable name/split prefix plus a hash of the whole key."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{key['dataset']}_{key['split']}")[-60:]
    return user_cache_dir() / "shapes" / f"{stem}_{digest}.npz"


def _checksum(images: np.ndarray, labels: np.ndarray) -> str:
    """sha256 of both arrays' bytes, shapes and dtypes (which the bytes do not show)."""
    head = f"{images.shape}{images.dtype}{labels.shape}{labels.dtype}".encode()
    return sha256_bytes(head, np.ascontiguousarray(images).tobytes(), np.ascontiguousarray(labels).tobytes())


def read(key: dict[str, str | int]) -> tuple[np.ndarray, np.ndarray] | None:
    """(images uint8 (N, S, S, 3), labels int (N,)) of ``key``, or None when absent or unusable.

    An unusable file (another key, arrays that do not match their checksum, unreadable) is
    deleted with one warning.
    """
    path = cache_path(key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as blob:
            images, labels = blob["images"], blob["labels"]
            stored_key, stored_sum = json.loads(str(blob["key"])), str(blob["sha256"])
        size = int(key["image_size"])
        problem = (
            "its key differs" if stored_key != key
            else f"its images have shape {images.shape}" if images.shape != (key["n"], size, size, 3)
            else f"its images are {images.dtype}" if images.dtype != np.uint8
            else f"it holds {labels.shape[0]} labels" if labels.shape != (key["n"],)
            else "its arrays do not match their checksum (altered or damaged)"
            if stored_sum != _checksum(images, labels)
            else None
        )
    except Exception as err:  # a truncated or foreign file fails in many ways
        problem = f"it could not be read ({type(err).__name__}: {err})"
    if problem is None:
        return images, labels
    warnings.warn(f"ShapesWorld cache {path} is unusable ({problem}); deleted it, rendering again.", stacklevel=3)
    path.unlink(missing_ok=True)
    return None


def write(key: dict[str, str | int], images: np.ndarray, labels: np.ndarray) -> None:
    """Keep a rendered set; a cache folder that cannot be written only costs the next render."""
    try:
        with atomic_path(cache_path(key)) as tmp, open(tmp, "wb") as f:
            np.savez(f, images=images, labels=labels, key=np.array(json.dumps(key, sort_keys=True)),
                     sha256=np.array(_checksum(images, labels)))
    except (OSError, OutputPathError) as err:
        warnings.warn(f"ShapesWorld cache not written ({err}); the set will be rendered again next time.",
                      stacklevel=3)
