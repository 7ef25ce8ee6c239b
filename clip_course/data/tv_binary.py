"""Readers of the array-file formats torchvision downloads: MNIST's idx, SVHN's .mat, STL10's .bin.

Each reads the files exactly where torchvision's class puts them (see
:mod:`clip_course.data.torchvision_sets` for the folders) and returns uint8 RGB images
(N, H, W, 3) and int64 labels, decoded the way torchvision decodes them: grey idx images repeated
to three channels (what ``convert("RGB")`` does to torchvision's mode-L images), SVHN's label 10
read as the digit 0, STL10's column-major 96x96 planes transposed and its labels 1..10 made 0..9.

No md5 is checked (torchvision checks one only at download, and for STL10 and SVHN also at every
read): the tests write tiny files in the same layouts, whose md5s cannot match the published
ones. ``scipy.io.loadmat`` parses MATLAB v5 data and runs nothing from the file.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from clip_course.errors import DatasetError
from clip_course.io import printable

__all__ = ["DatasetError", "loadmat_isolated", "printable", "read_idx", "read_mnist_like", "read_stl10", "read_svhn"]

#: idx header: two zero bytes, the element type (0x08 = unsigned byte), the number of dimensions.
_IDX_UBYTE = 0x08


def read_idx(path: Path) -> np.ndarray:
    """An idx (``*-ubyte``) file as a uint8 array of its stated shape (``.gz`` beside it is read too)."""
    gz = path.with_name(path.name + ".gz")
    try:
        if path.is_file():
            data = path.read_bytes()
        elif gz.is_file():
            data = gzip.decompress(gz.read_bytes())
        else:
            raise DatasetError(f"{printable(path)} is missing.")
    except (OSError, EOFError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        raise DatasetError(f"{printable(gz)} is not a readable gzip file ({printable(err)}); "
                           "download it again.") from None
    if len(data) < 4 or data[0] or data[1] or data[2] != _IDX_UBYTE or not 1 <= data[3] <= 3:
        raise DatasetError(f"{printable(path)} is not an unsigned-byte idx file (header {data[:4].hex()}).")
    nd = data[3]
    if len(data) < 4 + 4 * nd:
        raise DatasetError(f"{printable(path)} ends inside its idx header ({len(data)} bytes).")
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd)
    if body.size != math.prod(dims):  # math.prod: numpy's would wrap around for absurd dims
        raise DatasetError(f"{printable(path)} holds {body.size} bytes after its header, not the {dims} it states.")
    return body.reshape(dims)


def read_mnist_like(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``<folder>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (MNIST, FashionMNIST, KMNIST)."""
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(folder / "raw" / f"{prefix}-images-idx3-ubyte")
    labels = read_idx(folder / "raw" / f"{prefix}-labels-idx1-ubyte").astype(np.int64)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetError(f"{folder / 'raw'}: {prefix} images {images.shape} and labels {labels.shape} "
                           "do not pair up.")
    return np.ascontiguousarray(np.repeat(images[..., None], 3, axis=3)), labels


def _loadmat_child(path: str, kwargs: dict, conn: Any) -> None:
    from scipy.io import loadmat  # in the child only

    try:
        conn.send(("ok", loadmat(path, **kwargs)))
    except Exception as err:  # scipy raises many types for a damaged file
        conn.send(("error", f"{type(err).__name__}: {err}"))
    finally:
        conn.close()


def loadmat_isolated(path: Path, **kwargs: Any) -> dict:
    """``scipy.io.loadmat`` in a forked child: a damaged .mat can crash scipy's C parser (a
    fuzzed file segfaulted it), so the parent gets a :class:`DatasetError` instead of dying.
    Where fork is not available the file is read in this process."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        from scipy.io import loadmat

        try:
            return loadmat(path, **kwargs)
        except Exception as err:
            raise DatasetError(f"{printable(path)} is not a readable MATLAB .mat file ({type(err).__name__}: "
                               f"{printable(err)}).") from err
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_loadmat_child, args=(str(path), kwargs, child), daemon=True)
    proc.start()
    child.close()
    try:
        status, value = parent.recv()
    except EOFError:
        status, value = "crash", None
    finally:
        proc.join()
        parent.close()
    if status == "ok":
        return value
    why = value if status == "error" else f"the MATLAB reader crashed on it (exit {proc.exitcode})"
    raise DatasetError(f"{printable(path)} is not a readable MATLAB .mat file ({printable(why)}).")


def read_svhn(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """SVHN's ``{train,test}_32x32.mat``: X (32, 32, 3, N) uint8, y (N, 1) with 10 for the digit 0."""
    mat = loadmat_isolated(path)
    try:
        x, y = np.asarray(mat["X"]), np.asarray(mat["y"])
    except Exception as err:  # without X / y
        raise DatasetError(f"{printable(path)} is not SVHN's .mat file "
                           f"({type(err).__name__}: {printable(err)}).") from err
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[2] != 3 or y.size != x.shape[3]:
        raise DatasetError(f"{path}: X is {x.dtype} {x.shape} and y has {y.size} labels; expected uint8 "
                           f"(32, 32, 3, N) and N labels.")
    if not np.issubdtype(y.dtype, np.number) or y.size and not np.isin(y, np.arange(1, 11)).all():
        raise DatasetError(f"{printable(path)}: y holds values outside SVHN's labels 1..10.")
    labels = y.astype(np.int64).reshape(-1)
    labels[labels == 10] = 0
    return np.ascontiguousarray(x.transpose(3, 0, 1, 2)), labels


def read_stl10(folder: Path, split: str, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``stl10_binary/{train,test}_{X,y}.bin``: 3 x 96 x 96 column-major planes per image, labels 1..10."""
    names_file = folder / "class_names.txt"
    try:
        found = names_file.read_text(encoding="utf-8").split() if names_file.is_file() else []
        raw = np.fromfile(folder / f"{split}_X.bin", dtype=np.uint8)
        labels = np.fromfile(folder / f"{split}_y.bin", dtype=np.uint8).astype(np.int64) - 1
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"{printable(folder)}: STL10's files cannot be read ({type(err).__name__}: "
                           f"{printable(err)}); download STL10 again.") from None
    if found != classes:
        raise DatasetError(f"{printable(names_file)} lists {found[:12]}, not STL10's classes {classes}.")
    side = 96
    if raw.size % (3 * side * side) or raw.size // (3 * side * side) != len(labels):
        raise DatasetError(f"{printable(folder)}/{split}_X.bin holds {raw.size} bytes for {len(labels)} labels "
                           f"(3 x 96 x 96 bytes per image).")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(classes)):
        raise DatasetError(f"{printable(folder)}/{split}_y.bin holds labels outside STL10's 1..{len(classes)}.")
    # torchvision: reshape (N, 3, 96, 96) then swap the last two axes; as (H, W, 3): axes (0, 3, 2, 1)
    images = raw.reshape(-1, 3, side, side).transpose(0, 3, 2, 1)
    return np.ascontiguousarray(images), labels
