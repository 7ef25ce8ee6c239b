"""Images from disk: one image file, or a folder with one sub-folder of images per class.

A folder dataset has a train and a test split, so that a probe never tests on the images it
trained on: ``train/`` and ``test/`` sub-folders when the folder has both (torchvision's
ImageFolder layouts often do), else a seeded split stratified by class. ``meta["split"]``
records which.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from clip_course.data.dataset import IMAGE_SUFFIXES, ImageDataset
from clip_course.errors import DatasetError

#: Share of each class held out as the test split of a folder without train/ and test/.
FOLDER_TEST_FRACTION = 0.5
#: Seed of that split: fixed, so that train and test never overlap whatever --seed is.
FOLDER_SPLIT_SEED = 0

#: PIL modes holding more than 8 bits per channel: the value range each is scaled from.
_WIDE_MODES = {"I;16": 65535, "I;16B": 65535, "I;16L": 65535, "I;16N": 65535, "I": 2**31 - 1}


def _to_rgb_uint8(im, path: Path) -> np.ndarray:
    """RGB uint8 of a PIL image, scaling 16/32-bit integer and float modes by their range.

    PIL's ``convert("RGB")`` clips such modes to 0..255 (a 16-bit PNG saturates, a float image
    in [0, 1] turns black); here they are scaled as torchvision's ``to_tensor`` users expect:
    integers by the mode's maximum, floats as [0, 1].
    """
    mode = im.mode
    if mode not in _WIDE_MODES and mode != "F":
        return np.array(im.convert("RGB"), dtype=np.uint8)  # a writable copy
    a = np.asarray(im)
    if mode == "F":
        if not np.isfinite(a).all():
            raise DatasetError(f"{path} is a float image (mode F) with NaN or inf pixels; fix or remove it.")
        lo, hi = float(a.min()), float(a.max())
        if lo < 0.0 or hi > 1.0:
            raise DatasetError(
                f"{path} is a float image (mode F) with values in [{lo:g}, {hi:g}], not [0, 1]; "
                f"save it as 8- or 16-bit, or scale it to [0, 1]."
            )
        scaled = a.astype(np.float64)
    else:
        if mode == "I" and a.min() < 0:
            raise DatasetError(
                f"{path} is a 32-bit integer image (mode I) with negative pixels; save it as 8- or 16-bit."
            )
        # older Pillow opens a 16-bit grayscale PNG as mode I (PNG has no 32-bit mode)
        top = 65535 if im.format == "PNG" else _WIDE_MODES[mode]
        scaled = a.astype(np.float64) / top
    gray = np.clip(np.round(scaled * 255.0), 0, 255).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=2)


def load_image(path: str | Path) -> np.ndarray:
    """One image file as RGB uint8 (H, W, 3); a clear error for a missing or non-image file."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"Image file {path} does not exist.")
    try:
        with Image.open(path) as im:
            return _to_rgb_uint8(im, path)
    except (UnidentifiedImageError, OSError) as err:
        raise DatasetError(
            f"{path} is not a readable image ({err}); remove it or replace it with a JPEG/PNG."
        ) from err


class FileImages(Sequence):
    """Images decoded from their files when indexed, for datasets too large to hold decoded.

    Food-101's 75,750 training photos are ~45 GB as uint8; as paths they are a few MB. Indexing
    gives an RGB uint8 (H, W, 3) array (:func:`load_image`); ``sizes`` reads only the files'
    headers (the encoder batches by size); ``fingerprint_parts`` hashes the files' bytes, so the
    feature cache sees the same content key without decoding anything.
    """

    def __init__(self, paths: Sequence[str | Path]) -> None:
        self.paths = [Path(p) for p in paths]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return FileImages(self.paths[i])
        return load_image(self.paths[int(i)])

    def stack(self, indices: Sequence[int]) -> np.ndarray:
        """The images at ``indices`` (all of one size) as uint8 (B, H, W, 3), decoded in threads."""
        from concurrent.futures import ThreadPoolExecutor

        paths = [self.paths[int(i)] for i in indices]
        if len(paths) < 8:
            return np.stack([load_image(p) for p in paths])
        with ThreadPoolExecutor(min(16, os.cpu_count() or 1)) as pool:  # PIL decodes without the GIL
            return np.stack(list(pool.map(load_image, paths)))

    def subset(self, indices: Sequence[int]) -> FileImages:
        return FileImages([self.paths[int(i)] for i in indices])

    @functools.cached_property
    def sizes(self) -> list[tuple[int, int]]:
        """(H, W) of every image, from the file headers."""
        from PIL import Image, UnidentifiedImageError

        out = []
        for path in self.paths:
            try:
                with Image.open(path) as im:
                    out.append((im.height, im.width))
            except (UnidentifiedImageError, OSError) as err:
                raise DatasetError(f"{path} is not a readable image ({err}); remove it or download the dataset again.") from err
        return out

    def fingerprint_parts(self) -> list[bytes]:
        """sha256 digest of each file's bytes, in order."""
        parts = []
        for path in self.paths:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while block := f.read(1 << 20):
                    h.update(block)
            parts.append(h.digest())
        return parts


def _visible(p: Path) -> bool:
    # hidden entries (.DS_Store, macOS ._x.png resource forks, .ipynb_checkpoints) are not data
    return not p.name.startswith(".")


def _class_folders(root: Path) -> list[str]:
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and _visible(p))
    if len(classes) < 2:
        raise DatasetError(f"Image folder {root} needs at least two class sub-folders, found {classes}.")
    return classes


def _read_classes(root: Path, classes: list[str]) -> tuple[list[np.ndarray], list[int]]:
    images, labels = [], []
    for k, cls in enumerate(classes):
        folder = root / cls
        files = sorted(p for p in folder.iterdir() if not p.is_dir() and _visible(p)
                       and p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
        if not files:
            raise DatasetError(f"Class folder {folder} holds no images ({sorted(IMAGE_SUFFIXES)}).")
        for p in files:
            images.append(load_image(p))
            labels.append(k)
    return images, labels


def stratified_test_mask(labels: np.ndarray, test_fraction: float = FOLDER_TEST_FRACTION,
                         seed: int = FOLDER_SPLIT_SEED) -> np.ndarray:
    """Boolean mask of the test images: per class a seeded ``ceil(n * test_fraction)`` of them.

    Every class with images is in the test split; a class of one image is in test only.
    """
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(labels), dtype=bool)
    for k in np.unique(labels):
        idx = np.flatnonzero(labels == k)
        n_test = min(len(idx), max(1, math.ceil(len(idx) * test_fraction)))
        mask[rng.permutation(idx)[:n_test]] = True
    return mask


def read_image_folder(root: str | Path, split: str = "test") -> ImageDataset:
    """One split of a folder with one sub-folder of images per class (sorted by folder name; the
    class names are the folder names read as words, see :func:`class_words`).

    With ``train/`` and ``test/`` sub-folders each holds the class folders of its split;
    otherwise the images are split per class by :func:`stratified_test_mask`.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"Image folder {root} does not exist.")
    if split not in ("train", "test"):
        raise DatasetError(f"Unknown split {split!r}; use 'train' or 'test'.")
    if (root / "train").is_dir() and (root / "test").is_dir():
        classes = sorted(set(_class_folders(root / "train")) | set(_class_folders(root / "test")))
        images, labels = _read_classes(root / split, classes)
        meta = {"split": "subfolders", "folder": str(root / split)}
        lab = np.asarray(labels, dtype=np.int64)
    else:
        classes = _class_folders(root)
        images, labels = _read_classes(root, classes)
        lab = np.asarray(labels, dtype=np.int64)
        mask = stratified_test_mask(lab)
        keep = np.flatnonzero(mask if split == "test" else ~mask)
        if len(keep) == 0:
            raise DatasetError(
                f"Image folder {root} has no {split} images: every class has a single image, which "
                f"goes to test. Add images, or give train/ and test/ sub-folders."
            )
        images, lab = [images[i] for i in keep], lab[keep]
        meta = {"split": "stratified", "test_fraction": FOLDER_TEST_FRACTION, "split_seed": FOLDER_SPLIT_SEED}
    same = len({im.shape for im in images}) == 1
    imgs = np.stack(images) if same else images
    return ImageDataset(f"folder:{root}", split, imgs, lab, class_words(classes), meta)


def class_words(folders: list[str]) -> list[str]:
    """Folder names as the words prompts read: ``blue_square`` -> ``blue square`` (the names as they
    are when two would become the same words)."""
    words = [" ".join(f.replace("_", " ").split()) for f in folders]
    return words if len(set(words)) == len(words) else list(folders)
