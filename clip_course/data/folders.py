"""Images from disk: one image file, or a folder with one sub-folder of images per class.

A folder dataset has a train and a test split, so that a probe never tests on the images it
trained on: ``train/`` and ``test/`` sub-folders when the folder has both (torchvision's
ImageFolder layouts often do), else a seeded split stratified by class. ``meta["split"]``
records which.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import re
import struct
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from clip_course.data.dataset import IMAGE_SUFFIXES, ImageDataset
from clip_course.errors import DatasetError
from clip_course.io import printable

__all__ = [
    "DatasetError", "FileImages", "ImageRangeWarning", "load_image", "np", "open_image", "Path", "read_image_folder",
    "stratified_test_mask",
]

#: Share of each class held out as the test split of a folder without train/ and test/.
_FOLDER_TEST_FRACTION = 0.5
#: Seed of that split: fixed, so that train and test never overlap whatever --seed is.
_FOLDER_SPLIT_SEED = 0

#: 16-bit grayscale modes (the data's range is the format's: 0..65535).
_MODES_16 = {"I;16", "I;16B", "I;16L", "I;16N"}
#: Modes whose alpha is premultiplied, or that PIL converts to RGB only through another mode.
_VIA = {"La": "LA", "RGBa": "RGBA", "PA": "RGBA"}


class ImageRangeWarning(UserWarning):
    """An image's pixel values were outside the range its mode implies and were rescaled."""


def _gray_to_rgb(scaled: np.ndarray) -> np.ndarray:
    gray = np.clip(np.round(scaled * 255.0), 0, 255).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=2)


def _min_max(a: np.ndarray, path: Path, what: str) -> np.ndarray:
    """``a`` scaled from its own [min, max] to [0, 1], with one warning naming the file."""
    lo, hi = float(a.min()), float(a.max())
    warnings.warn(f"{printable(path)}: {what} values in [{lo:g}, {hi:g}] scaled from their min/max to 0..255.",
                  ImageRangeWarning, stacklevel=3)
    return (a.astype(np.float64) - lo) / (hi - lo) if hi > lo else np.zeros(a.shape)


def _to_rgb_uint8(im, path: Path) -> np.ndarray:
    """RGB uint8 of a PIL image of any mode, integers scaled by the range their data uses.

    PIL's ``convert("RGB")`` clips wide modes to 0..255 (a 16-bit PNG saturates, a float image
    in [0, 1] turns black, 16-bit data in a 32-bit TIFF turns black), so those are scaled here:

    - ``I;16*``: by 65535.
    - ``I`` (32-bit signed container): by 65535 when the pixels fit 16 bits (a 16-bit TIFF or
      PNG that PIL opens as ``I``), else by 2^31 - 1; negative pixels by their min/max, with
      an :class:`ImageRangeWarning`.
    - ``F``: as [0, 1] when they lie in it, else by their min/max with a warning; NaN or inf
      is refused.
    - every 8-bit mode (``1``, ``L``, ``P``, ``LA``, ``RGBA``, ``CMYK``, ``YCbCr``, ``HSV``, ...)
      by PIL's own conversion (alpha is dropped, as torchvision's ImageFolder does).
    """
    mode = im.mode
    if mode in _MODES_16 or mode == "I":
        a = np.asarray(im).astype(np.int64)
        if a.size == 0:
            raise DatasetError(f"{printable(path)} is an empty image (0 pixels); remove it.")
        if a.min() < 0:
            return _gray_to_rgb(_min_max(a, path, "negative 32-bit integer"))
        top = 65535 if mode in _MODES_16 or a.max() <= 65535 else 2**31 - 1
        return _gray_to_rgb(a / top)
    if mode == "F":
        a = np.asarray(im)
        if not np.isfinite(a).all():
            raise DatasetError(f"{printable(path)} is a float image (mode F) with NaN or inf pixels; fix or remove it.")
        if a.size and (a.min() < 0.0 or a.max() > 1.0):
            return _gray_to_rgb(_min_max(a, path, "float (mode F)"))
        return _gray_to_rgb(a.astype(np.float64))
    try:
        if mode in _VIA:
            im = im.convert(_VIA[mode])
        return np.array(im.convert("RGB"), dtype=np.uint8)  # a writable copy
    except ValueError as err:  # a mode PIL cannot convert to RGB
        raise DatasetError(f"{printable(path)} has image mode {mode!r}, which cannot be converted to RGB ({err}); "
                           f"save it as RGB or grayscale.") from err


@contextlib.contextmanager
def open_image(path: Path) -> Iterator[Any]:
    """``PIL.Image.open`` with one clear error for a non-image and for an image too large to decode.

    PIL warns (``DecompressionBombWarning``) above ``Image.MAX_IMAGE_PIXELS`` (89.5 Mpx) and carries
    on, then fails at twice that: here both are one :class:`DatasetError` naming the file, its size
    and the fix, before anything is decoded.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as err:
        size = re.search(r"\((\d+) pixels\)", str(err))
        many = f"{int(size.group(1)) / 1e6:.0f} million pixels" if size else "too many pixels"
        raise DatasetError(
            f"{printable(path)} has {many}, more than the {(Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} million that are "
            f"decoded safely (PIL's decompression-bomb limit); downscale it or remove it."
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise DatasetError(
            f"{printable(path)} is not a readable image ({printable(err)}); remove it or replace it with a JPEG/PNG."
        ) from err
    with im:
        yield im


def load_image(path: str | Path) -> np.ndarray:
    """One image file as RGB uint8 (H, W, 3); a clear error for a missing or non-image file."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"Image file {printable(path)} does not exist.")
    with open_image(path) as im:
        try:
            return _to_rgb_uint8(im, path)
        except DatasetError:
            raise
        except (OSError, ValueError, SyntaxError, EOFError, IndexError, struct.error, MemoryError) as err:
            # a header that parsed but data that does not decode (truncated, corrupt)
            raise DatasetError(
                f"{printable(path)} is not a readable image ({printable(err)}); remove it or replace it with "
                f"a JPEG/PNG."
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
        out = []
        for path in self.paths:
            with open_image(path) as im:
                out.append((im.height, im.width))
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
        raise DatasetError(f"Image folder {printable(root)} needs at least two class sub-folders, found {classes}.")
    return classes


def _read_classes(root: Path, classes: list[str]) -> tuple[list[np.ndarray], list[int]]:
    images, labels = [], []
    for k, cls in enumerate(classes):
        folder = root / cls
        files = sorted(p for p in folder.iterdir() if not p.is_dir() and _visible(p)
                       and p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
        if not files:
            raise DatasetError(f"Class folder {printable(folder)} holds no images ({sorted(IMAGE_SUFFIXES)}).")
        for p in files:
            images.append(load_image(p))
            labels.append(k)
    return images, labels


def stratified_test_mask(labels: np.ndarray, test_fraction: float = _FOLDER_TEST_FRACTION,
                         seed: int = _FOLDER_SPLIT_SEED) -> np.ndarray:
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
    ``meta["images_per_class"]`` counts each class's images in this split (and, for a
    stratified split, ``meta["folder_images_per_class"]`` in the whole folder).
    """
    if not str(root).strip():  # Path("") is the current folder: never what an empty value meant
        raise DatasetError("The image folder path is empty; give the folder that holds one sub-folder per class "
                           "(folder:PATH).")
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"Image folder {printable(root)} does not exist.")
    if split not in ("train", "test"):
        raise DatasetError(f"Unknown split {split!r}; use 'train' or 'test'.")
    if (root / "train").is_dir() and (root / "test").is_dir():
        classes = sorted(set(_class_folders(root / "train")) | set(_class_folders(root / "test")))
        images, labels = _read_classes(root / split, classes)
        meta: dict[str, object] = {"split": "subfolders", "folder": str(root / split)}
        lab = np.asarray(labels, dtype=np.int64)
    else:
        classes = _class_folders(root)
        images, labels = _read_classes(root, classes)
        lab = np.asarray(labels, dtype=np.int64)
        mask = stratified_test_mask(lab)
        keep = np.flatnonzero(mask if split == "test" else ~mask)
        if len(keep) == 0:
            raise DatasetError(
                f"Image folder {printable(root)} has no {split} images: every class has a single image, which "
                f"goes to test. Add images, or give train/ and test/ sub-folders."
            )
        lab_all = lab
        images, lab = [images[i] for i in keep], lab[keep]
        meta = {"split": "stratified", "test_fraction": _FOLDER_TEST_FRACTION, "split_seed": _FOLDER_SPLIT_SEED,
                "folder_images_per_class": dict(zip(classes, np.bincount(lab_all, minlength=len(classes)).tolist(),
                                                    strict=True))}
    # how many images each class has in this split: small folders are where this matters
    meta["images_per_class"] = dict(zip(classes, np.bincount(lab, minlength=len(classes)).tolist(), strict=True))
    same = len({im.shape for im in images}) == 1
    imgs = np.stack(images) if same else images
    return ImageDataset(f"folder:{root}", split, imgs, lab, class_words(classes), meta)


def class_words(folders: list[str]) -> list[str]:
    """Folder names as the words prompts read: ``blue_square`` -> ``blue square`` (the names as they
    are when two would become the same words)."""
    words = [" ".join(f.replace("_", " ").split()) for f in folders]
    return words if len(set(words)) == len(words) else list(folders)
