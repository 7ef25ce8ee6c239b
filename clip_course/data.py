"""Datasets as uint8 arrays plus labels and class names.

- ``cifar10`` / ``cifar100``: read from CIFAR's python-pickle batches under ``data/`` by our
  own reader (so tests can use CIFAR-format files they write); :func:`download_cifar`
  fetches them through torchvision.
- ``shapes10`` / ``shapes100`` / ``shapes100_unseen``: the offline ShapesWorld
  (:mod:`clip_course.synthetic`).
- ``folder:PATH``: one sub-folder per class, images of any size.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from clip_course.fileio import sha256_bytes
from clip_course.prompts import CIFAR10_CLASSES, CIFAR100_CLASSES

DATA_ROOT = Path("data")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
_CIFAR = {
    "cifar10": {
        "folder": "cifar-10-batches-py",
        "train": [f"data_batch_{i}" for i in range(1, 6)],
        "test": ["test_batch"],
        "labels": b"labels",
        "classes": CIFAR10_CLASSES,
    },
    "cifar100": {
        "folder": "cifar-100-python",
        "train": ["train"],
        "test": ["test"],
        "labels": b"fine_labels",
        "classes": CIFAR100_CLASSES,
    },
}


class DatasetError(ValueError):
    """A dataset is unknown, missing or malformed; the message names it and the fix."""


@dataclass
class ImageDataset:
    """Images with integer labels into ``classes``.

    ``images`` is a uint8 array (N, H, W, 3) when all images share a size, else a list of
    (H, W, 3) uint8 arrays.
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
            self.images[indices]
            if isinstance(self.images, np.ndarray)
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


def load_dataset(
    name: str,
    split: str = "test",
    root: str | Path = DATA_ROOT,
    limit: int | None = None,
    seed: int = 0,
) -> ImageDataset:
    """Load a dataset by name (see the module docstring); ``limit`` takes a seeded subset."""
    if split not in ("train", "test"):
        raise DatasetError(f"Unknown split {split!r}; use 'train' or 'test'.")
    if name in _CIFAR:
        ds = read_cifar(name, split, root)
    elif name.startswith("shapes"):
        from clip_course.synthetic import load_shapes_dataset

        ds = load_shapes_dataset(name, split)
    elif name.startswith("folder:"):
        ds = read_image_folder(name.split(":", 1)[1], split=split)
    else:
        raise DatasetError(
            f"Unknown dataset {name!r}; use one of {dataset_names()} or 'folder:PATH' "
            f"(one sub-folder of images per class)."
        )
    return ds.limit(limit, seed)


def dataset_names() -> list[str]:
    """Names :func:`load_dataset` accepts (besides ``folder:PATH``)."""
    return [*_CIFAR, "shapes10", "shapes100", "shapes100_unseen"]


def cifar_present(name: str, root: str | Path = DATA_ROOT) -> bool:
    """True when CIFAR's train and test batches are on disk under ``root``."""
    spec = _CIFAR[name]
    folder = Path(root) / spec["folder"]
    return all((folder / f).is_file() for f in spec["train"] + spec["test"])


def read_cifar(name: str, split: str, root: str | Path = DATA_ROOT) -> ImageDataset:
    """Read CIFAR-10/100 python-pickle batches into uint8 (N, 32, 32, 3)."""
    spec = _CIFAR[name]
    folder = Path(root) / spec["folder"]
    images, labels = [], []
    for fname in spec[split]:
        path = folder / fname
        if not path.is_file():
            raise DatasetError(
                f"{name} {split} data not found: {path} is missing. Run `make download` on a "
                f"machine with internet (or copy CIFAR's python version into {Path(root)}), or "
                f"use the offline profile (shapes10 / shapes100)."
            )
        try:
            with open(path, "rb") as f:
                batch = pickle.load(f, encoding="bytes")
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            lab = np.asarray(batch[spec["labels"]], dtype=np.int64)
        except Exception as err:
            raise DatasetError(
                f"{path} is not a readable CIFAR batch ({type(err).__name__}: {err}); delete "
                f"{folder} and run `make download` again."
            ) from err
        if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(lab):
            raise DatasetError(f"{path} has data of shape {data.shape}, expected (N, 3072).")
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(lab)
    lab = np.concatenate(labels)
    if lab.min() < 0 or lab.max() >= len(spec["classes"]):
        raise DatasetError(f"{folder} holds labels outside 0..{len(spec['classes']) - 1}.")
    return ImageDataset(name, split, np.ascontiguousarray(np.concatenate(images)), lab, list(spec["classes"]))


def download_cifar(name: str, root: str | Path = DATA_ROOT) -> Path:
    """Fetch CIFAR through torchvision (md5-checked) into ``root``; returns its folder."""
    from torchvision import datasets

    cls = {"cifar10": datasets.CIFAR10, "cifar100": datasets.CIFAR100}[name]
    cls(str(root), train=True, download=True)
    cls(str(root), train=False, download=True)
    return Path(root) / _CIFAR[name]["folder"]


def load_image(path: str | Path) -> np.ndarray:
    """One image file as RGB uint8 (H, W, 3); a clear error for a missing or non-image file."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"Image file {path} does not exist.")
    try:
        with Image.open(path) as im:
            return np.array(im.convert("RGB"), dtype=np.uint8)  # a writable copy
    except (UnidentifiedImageError, OSError) as err:
        raise DatasetError(
            f"{path} is not a readable image ({err}); remove it or replace it with a JPEG/PNG."
        ) from err


def read_image_folder(root: str | Path, split: str = "test") -> ImageDataset:
    """A folder with one sub-folder of images per class (sorted class names)."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"Image folder {root} does not exist.")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise DatasetError(f"Image folder {root} needs at least two class sub-folders, found {classes}.")
    images, labels = [], []
    for k, cls in enumerate(classes):
        files = sorted(p for p in (root / cls).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DatasetError(f"Class folder {root / cls} holds no images ({sorted(IMAGE_SUFFIXES)}).")
        for p in files:
            images.append(load_image(p))
            labels.append(k)
    same = len({im.shape for im in images}) == 1
    imgs = np.stack(images) if same else images
    return ImageDataset(f"folder:{root}", split, imgs, np.asarray(labels, dtype=np.int64), classes)
