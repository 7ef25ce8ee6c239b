"""Images from disk: one image file, or a folder with one sub-folder of images per class.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clip_course.data.dataset import IMAGE_SUFFIXES, ImageDataset
from clip_course.errors import DatasetError


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
