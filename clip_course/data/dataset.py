"""The dataset container every loader returns: uint8 images, labels, class names, a content
fingerprint that keys the feature cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from clip_course.errors import DatasetError
from clip_course.io import sha256_bytes

__all__ = ["DATA_ROOT", "DatasetError", "IMAGE_SUFFIXES", "ImageDataset", "np", "Path", "sha256_bytes"]

DATA_ROOT = Path("data")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


@dataclass
class ImageDataset:
    """Images with integer labels into ``classes``.

    ``images`` is a uint8 array (N, H, W, 3) when all images share a size, else a list of
    (H, W, 3) uint8 arrays, or (large photo datasets) a :class:`~clip_course.data.folders.FileImages`
    that decodes each image when indexed.
    """

    name: str
    split: str
    images: np.ndarray | list[np.ndarray]
    labels: np.ndarray
    classes: list[str]
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)

    @cached_property
    def fingerprint(self) -> str:
        """Content hash of images, labels and class names (a cache key)."""
        if hasattr(self.images, "fingerprint_parts"):  # data.folders.FileImages: the files' bytes
            parts = self.images.fingerprint_parts()
        else:
            arrays = self.images if isinstance(self.images, list) else [self.images]
            # shapes too: the same bytes can be images of different sizes
            parts = [str(a.shape).encode() + np.ascontiguousarray(a).tobytes() for a in arrays]
        return sha256_bytes(
            self.name.encode(), self.split.encode(), "\n".join(self.classes).encode(),
            np.asarray(self.labels, dtype=np.int64).tobytes(), *parts,
        )

    def subset(self, indices: np.ndarray) -> ImageDataset:
        """The images at ``indices``, same classes."""
        indices = np.asarray(indices)
        imgs = (
            self.images[indices] if isinstance(self.images, np.ndarray)
            else self.images.subset(indices) if hasattr(self.images, "subset")
            else [self.images[i] for i in indices]
        )
        return ImageDataset(self.name, self.split, imgs, self.labels[indices], self.classes, dict(self.meta))

    def limit(self, n: int | None, seed: int = 0) -> ImageDataset:
        """A seeded random subset of at most ``n`` images, in original order (all if None)."""
        if n is None or n >= len(self):
            return self
        if n <= 0:
            raise DatasetError(f"limit must be positive, got {n}.")
        idx = np.sort(np.random.default_rng(seed).choice(len(self), size=n, replace=False))
        return self.subset(idx)
