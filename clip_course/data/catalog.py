"""Datasets as uint8 arrays plus labels and class names.

- ``cifar10`` / ``cifar100``: read from CIFAR's python-pickle batches under ``data/`` by our
  own reader (so tests can use CIFAR-format files they write); :func:`download_cifar`
  fetches them through torchvision.
- ``shapes10`` / ``shapes100`` / ``shapes100_unseen``: the offline ShapesWorld
  (:mod:`clip_course.synthetic`).
- ``folder:PATH``: one sub-folder per class, images of any size.
"""

from __future__ import annotations

from pathlib import Path

from clip_course.data.cifar import _CIFAR, read_cifar
from clip_course.data.dataset import DATA_ROOT, ImageDataset
from clip_course.data.folders import read_image_folder
from clip_course.errors import DatasetError


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
        from clip_course.data.shapes import load_shapes_dataset

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
