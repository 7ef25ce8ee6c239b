"""Readers of the one-file-per-image layouts torchvision downloads (EuroSAT, DTD, Flowers102, ...).

Each returns the image paths, their labels and, where the dataset's own files define them, the
class names, following the torchvision class of the same name: the same folders, index files and
label order (``ImageFolder``'s sorted class folders, DTD's sorted split-file classes, Flowers102's
and Oxford-IIIT Pet's 1-based labels made 0-based, GTSRB's test CSV, ...). Images are not decoded
here: :class:`~clip_course.data.folders.FileImages` decodes each when it is used.

No md5 is checked (torchvision checks one only at download time, and for Flowers102's two .mat
files also at every read): the tests write tiny files in the same layouts, whose md5s cannot match
the published ones. ``scipy.io.loadmat`` parses MATLAB v5 data and runs nothing from the file.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from clip_course.data.tv_binary import loadmat_isolated
from clip_course.errors import DatasetError
from clip_course.io import printable

__all__ = [
    "dtd", "fgvc_aircraft", "flowers102", "food101", "gtsrb", "image_folders", "IMG_EXTENSIONS", "Named", "oxford_pets",
    "stanford_cars", "sun397",
]

#: torchvision's ``IMG_EXTENSIONS`` (what ImageFolder accepts).
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")

_Listing = tuple[list[Path], np.ndarray, list[str] | None]
#: A listing whose class names are known (an ImageFolder's class folders).
Named = tuple[list[Path], np.ndarray, list[str]]


@contextlib.contextmanager
def _parsing(path: Path) -> Iterator[None]:
    """Whatever a damaged index file makes the parsing below raise becomes one DatasetError naming it."""
    try:
        yield
    except DatasetError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, csv.Error, OSError) as err:
        # UnicodeDecodeError and json.JSONDecodeError are ValueErrors
        raise DatasetError(f"{printable(path)} is damaged or not the dataset's file ({type(err).__name__}: "
                           f"{printable(err)}); delete the dataset's folder and download it again.") from None


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise DatasetError(f"{printable(path)} is missing.")
    with _parsing(path):
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _loadmat(path: Path) -> dict:
    return loadmat_isolated(path, squeeze_me=True)


def _image_folder(folder: Path, extensions: Sequence[str] = IMG_EXTENSIONS) -> Named:
    """torchvision ``ImageFolder``: sorted class folders, each walked recursively in sorted order."""
    if not folder.is_dir():
        raise DatasetError(f"{folder} is missing.")
    classes = sorted(e.name for e in os.scandir(folder) if e.is_dir())
    paths, labels = [], []
    for k, cls in enumerate(classes):
        for here, _, fnames in sorted(os.walk(folder / cls, followlinks=True)):
            for fname in sorted(fnames):
                if fname.lower().endswith(tuple(extensions)):
                    paths.append(Path(here) / fname)
                    labels.append(k)
    if not paths:
        raise DatasetError(f"{folder} holds no images in class folders.")
    return paths, np.asarray(labels, dtype=np.int64), classes


def image_folders(folders: Sequence[Path], extensions: Sequence[str] = IMG_EXTENSIONS) -> Named:
    """Several ImageFolder splits joined (e.g. train + valid); they must share their class folders."""
    parts = [_image_folder(f, extensions) for f in folders]
    for f, part in zip(folders[1:], parts[1:], strict=True):
        if part[2] != parts[0][2]:
            raise DatasetError(f"{f} has class folders {part[2][:5]}..., unlike {folders[0]}'s {parts[0][2][:5]}...")
    return ([p for part in parts for p in part[0]], np.concatenate([part[1] for part in parts]), parts[0][2])


def dtd(base: Path, splits: Sequence[str], partition: int = 1) -> _Listing:
    """``dtd/dtd/labels/<split><partition>.txt`` lines ``class/name.jpg``; classes sorted over all splits."""
    rows = {}
    for s in ("train", "val", "test"):
        path = base / "labels" / f"{s}{partition}.txt"
        rows[s] = [line.split("/", 1) for line in _lines(path)]
        if any(len(r) != 2 for r in rows[s]):
            raise DatasetError(f"{printable(path)} has a line that is not class/name.jpg; download DTD again.")
    classes = sorted({cls for split_rows in rows.values() for cls, _ in split_rows})
    index = {c: i for i, c in enumerate(classes)}
    chosen = [r for s in splits for r in rows[s]]
    return ([base / "images" / cls / name for cls, name in chosen],
            np.asarray([index[cls] for cls, _ in chosen], dtype=np.int64), classes)


def flowers102(base: Path, splits: Sequence[str]) -> _Listing:
    """``flowers-102/setid.mat`` (trnid / valid / tstid) and ``imagelabels.mat`` (labels 1..102)."""
    keys = {"train": "trnid", "val": "valid", "test": "tstid"}
    set_ids, labels = _loadmat(base / "setid.mat"), _loadmat(base / "imagelabels.mat")
    with _parsing(base / "imagelabels.mat"):
        per_image = np.atleast_1d(np.asarray(labels["labels"], dtype=np.int64)) - 1
        if per_image.ndim != 1:
            raise ValueError(f"labels have shape {per_image.shape}")
    with _parsing(base / "setid.mat"):
        ids = [int(i) for s in splits for i in np.atleast_1d(set_ids[keys[s]])]
    if ids and (min(ids) < 1 or max(ids) > len(per_image)):
        raise DatasetError(f"{base / 'setid.mat'} names image ids outside 1..{len(per_image)} of imagelabels.mat.")
    return [base / "jpg" / f"image_{i:05d}.jpg" for i in ids], per_image[np.asarray(ids, dtype=np.int64) - 1], None


def oxford_pets(base: Path, splits: Sequence[str]) -> _Listing:
    """``oxford-iiit-pet/annotations/{trainval,test}.txt`` lines ``<image id> <class 1..37> ...``."""
    paths, labels = [], []
    for s in splits:
        path = base / "annotations" / f"{s}.txt"
        for line in _lines(path):
            if line.startswith("#"):
                continue
            with _parsing(path):
                image_id, label = line.split()[:2]
                labels.append(int(label) - 1)
            paths.append(base / "images" / f"{image_id}.jpg")
    return paths, np.asarray(labels, dtype=np.int64), None


def food101(base: Path, splits: Sequence[str]) -> _Listing:
    """``food-101/meta/{train,test}.json``: {class: ["class/id", ...]}; classes sorted (over both
    files, so train and test share them), "_" read as " " (as CLIP_benchmark does)."""
    metas = {}
    for s in ("train", "test"):
        meta_file = base / "meta" / f"{s}.json"
        if not meta_file.is_file():
            raise DatasetError(f"{meta_file} is missing.")
        with _parsing(meta_file):
            metas[s] = json.loads(meta_file.read_text(encoding="utf-8"))
            if not isinstance(metas[s], dict) or not all(
                    isinstance(v, list) and all(isinstance(r, str) for r in v) for v in metas[s].values()):
                raise ValueError("expected {class: [\"class/id\", ...]}")
    classes = sorted({c for meta in metas.values() for c in meta})
    index = {c: i for i, c in enumerate(classes)}
    paths, labels = [], []
    for s in splits:
        for cls, rel_paths in metas[s].items():
            paths += [base / "images" / f"{rel}.jpg" for rel in rel_paths]
            labels += [index[cls]] * len(rel_paths)
    return paths, np.asarray(labels, dtype=np.int64), [c.replace("_", " ") for c in classes]


def gtsrb(base: Path, splits: Sequence[str]) -> _Listing:
    """Train: ``gtsrb/GTSRB/Training/<00000..00042>/*.ppm``; test: ``GTSRB/Final_Test/Images`` +
    ``GT-final_test.csv``."""
    (split,) = splits
    if split == "train":
        paths, labels, _ = _image_folder(base / "GTSRB" / "Training", (".ppm",))
        return paths, labels, None
    gt = base / "GT-final_test.csv"
    if not gt.is_file():
        raise DatasetError(f"{gt} is missing.")
    images = base / "GTSRB" / "Final_Test" / "Images"
    with _parsing(gt), open(gt, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter=";", skipinitialspace=True))
        return ([images / r["Filename"] for r in rows], np.asarray([int(r["ClassId"]) for r in rows], dtype=np.int64),
                None)


def fgvc_aircraft(base: Path, splits: Sequence[str]) -> _Listing:
    """``fgvc-aircraft-2013b/data/variants.txt`` and ``images_variant_<split>.txt`` (``<id> <variant>``)."""
    data = base / "data"
    classes = _lines(data / "variants.txt")
    index = {c: i for i, c in enumerate(classes)}
    paths, labels = [], []
    for s in splits:
        for line in _lines(data / f"images_variant_{s}.txt"):
            with _parsing(data / f"images_variant_{s}.txt"):
                image_id, variant = line.split(" ", 1)
            if variant not in index:
                raise DatasetError(f"{data / f'images_variant_{s}.txt'} names {variant!r}, not in variants.txt.")
            paths.append(data / "images" / f"{image_id}.jpg")
            labels.append(index[variant])
    return paths, np.asarray(labels, dtype=np.int64), classes


def sun397(base: Path, splits: Sequence[str]) -> _Listing:
    """``SUN397/ClassName.txt`` (``/a/abbey``) and every ``sun_*.jpg`` below, labelled by its folder."""
    classes = [c[3:] for c in _lines(base / "ClassName.txt")]
    index = {c: i for i, c in enumerate(classes)}
    paths = sorted(base.rglob("sun_*.jpg"))
    labels = [index.get("/".join(p.relative_to(base).parts[1:-1]), -1) for p in paths]
    if -1 in labels:
        raise DatasetError(f"{paths[labels.index(-1)]} lies in a folder ClassName.txt does not name.")
    return paths, np.asarray(labels, dtype=np.int64), [c.replace("_", " ").replace("/", " ") for c in classes]


def stanford_cars(base: Path, splits: Sequence[str]) -> _Listing:
    """``stanford_cars/devkit/cars_meta.mat`` class names; train/test annotation .mat files (classes 1..196)."""
    (split,) = splits
    annos = base / "devkit" / "cars_train_annos.mat" if split == "train" else base / "cars_test_annos_withlabels.mat"
    images = base / ("cars_train" if split == "train" else "cars_test")
    meta = base / "devkit" / "cars_meta.mat"
    with _parsing(meta):
        classes = [str(c) for c in np.atleast_1d(_loadmat(meta)["class_names"])]
    with _parsing(annos):
        rows = np.atleast_1d(_loadmat(annos)["annotations"])
        return ([images / str(r["fname"]) for r in rows],
                np.asarray([int(r["class"]) - 1 for r in rows], dtype=np.int64), classes)
