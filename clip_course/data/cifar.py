"""CIFAR-10/100 in the python pickle layout torchvision downloads into ``data/``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TypedDict

import numpy as np

from clip_course.core.prompts import CIFAR10_CLASSES, CIFAR100_CLASSES
from clip_course.data.dataset import DATA_ROOT, ImageDataset
from clip_course.errors import DatasetError

__all__ = ["cifar_present", "DATA_ROOT", "DatasetError", "download_cifar", "ImageDataset", "Path", "read_cifar"]

#: The only globals a CIFAR python batch names (numpy arrays, old and new numpy module paths).
_CIFAR_GLOBALS = {
    (mod, name)
    for core in ("numpy.core", "numpy._core")
    for mod, name in ((f"{core}.multiarray", "_reconstruct"), (f"{core}.multiarray", "scalar"),
                      (f"{core}.numeric", "_frombuffer"))
} | {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}  # bytes under protocol 2


class _RefusedGlobal(pickle.UnpicklingError):
    """A batch names a global outside :data:`_CIFAR_GLOBALS`."""


class _CifarUnpickler(pickle.Unpickler):
    """Admits dicts, lists, bytes, ints, strings and numpy arrays: all a CIFAR batch holds."""

    def find_class(self, module: str, name: str):
        if (module, name) in _CIFAR_GLOBALS:
            return super().find_class(module, name)
        raise _RefusedGlobal(f"it names the global {module}.{name}, which a CIFAR batch never does")


def _load_batch(path: Path) -> dict:
    with open(path, "rb") as f:
        return _CifarUnpickler(f, encoding="bytes").load()


class _Spec(TypedDict):
    """Where one CIFAR's python-pickle batches live and how their labels are keyed."""

    folder: str
    train: list[str]
    test: list[str]
    labels: bytes
    classes: list[str]


_CIFAR: dict[str, _Spec] = {
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
    if split not in ("train", "test"):
        raise DatasetError(f"Unknown split {split!r}; use 'train' or 'test'.")
    for fname in spec["train"] if split == "train" else spec["test"]:
        path = folder / fname
        if not path.is_file():
            raise DatasetError(
                f"{name} {split} data not found: {path} is missing. Run `make download` on a "
                f"machine with internet (or copy CIFAR's python version into {Path(root)}), or "
                f"use the offline profile (shapes10 / shapes100)."
            )
        try:
            batch = _load_batch(path)
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            lab = np.asarray(batch[spec["labels"]], dtype=np.int64)
        except _RefusedGlobal as err:
            raise DatasetError(
                f"Refused to read {path}: {err}. Nothing from it ran; delete {folder} and run "
                f"`make download` again."
            ) from err
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
    if lab.size == 0:
        raise DatasetError(f"{folder} holds no {split} images; delete it and run `make download` again.")
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
