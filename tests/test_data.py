"""Datasets: our CIFAR reader on CIFAR-format files the test writes, folders, subsets."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import write_cifar
from PIL import Image

from clip_course.core.prompts import CIFAR10_CLASSES, CIFAR100_CLASSES
from clip_course.data.catalog import load_dataset
from clip_course.data.cifar import cifar_present
from clip_course.data.folders import read_image_folder
from clip_course.errors import DatasetError


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_cifar_reader_matches_written_batches(tmp_path, name):
    written = write_cifar(tmp_path, name)
    assert cifar_present(name, tmp_path)
    for split in ("train", "test"):
        ds = load_dataset(name, split, root=tmp_path)
        data, labels = written[split]
        assert ds.images.shape == (len(data), 32, 32, 3) and ds.images.dtype == np.uint8
        # CIFAR stores each row as 1024 R, then 1024 G, then 1024 B values, row-major.
        first = data[0]
        assert ds.images[0, 0, 0].tolist() == [first[0], first[1024], first[2048]]
        assert ds.images[0, 1, 2, 1] == first[1024 + 32 + 2]
        np.testing.assert_array_equal(ds.labels, labels)
    assert ds.classes == (CIFAR10_CLASSES if name == "cifar10" else CIFAR100_CLASSES)


def test_missing_cifar_names_path_and_fix(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_dataset("cifar10", "test", root=tmp_path)
    assert "test_batch" in str(err.value) and "make download" in str(err.value)


def test_corrupt_cifar_batch(tmp_path):
    write_cifar(tmp_path, "cifar10")
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(b"not a pickle")
    with pytest.raises(DatasetError, match="not a readable CIFAR batch"):
        load_dataset("cifar10", "test", root=tmp_path)


def test_wrong_shape_cifar_batch(tmp_path):
    write_cifar(tmp_path, "cifar10")
    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "wb") as f:
        pickle.dump({b"data": np.zeros((3, 100), np.uint8), b"labels": [0, 1, 2]}, f)
    with pytest.raises(DatasetError, match="expected"):
        load_dataset("cifar10", "test", root=tmp_path)


def test_limit_is_seeded_and_ordered(tmp_path):
    write_cifar(tmp_path, "cifar10", n_test=50)
    full = load_dataset("cifar10", "test", root=tmp_path)
    a = load_dataset("cifar10", "test", root=tmp_path, limit=10, seed=1)
    b = load_dataset("cifar10", "test", root=tmp_path, limit=10, seed=1)
    c = load_dataset("cifar10", "test", root=tmp_path, limit=10, seed=2)
    assert len(a) == 10 and a.fingerprint == b.fingerprint != c.fingerprint != full.fingerprint
    # every subset image is one of the full set's, with its label
    rows = {full.images[i].tobytes(): full.labels[i] for i in range(len(full))}
    assert all(rows[img.tobytes()] == lab for img, lab in zip(a.images, a.labels, strict=True))


def test_unknown_dataset_and_split():
    with pytest.raises(DatasetError, match="cifar100"):
        load_dataset("imagenet")
    with pytest.raises(DatasetError, match="split"):
        load_dataset("cifar10", "val")


def _save(path, size, color):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)


def test_image_folder_mixed_sizes(tmp_path):
    _save(tmp_path / "cat" / "a.png", (40, 30), (200, 0, 0))
    _save(tmp_path / "cat" / "b.jpg", (64, 64), (0, 0, 200))
    _save(tmp_path / "dog" / "c.png", (20, 50), (0, 200, 0))
    ds = read_image_folder(tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.labels.tolist() == [0, 0, 1]
    assert isinstance(ds.images, list) and ds.images[0].shape == (30, 40, 3)
    assert ds.images[2][0, 0].tolist() == [0, 200, 0]


def test_image_folder_unreadable_file_named(tmp_path):
    _save(tmp_path / "cat" / "a.png", (8, 8), (1, 2, 3))
    _save(tmp_path / "dog" / "b.png", (8, 8), (1, 2, 3))
    (tmp_path / "dog" / "broken.jpg").write_bytes(b"\x00garbage")
    with pytest.raises(DatasetError, match="broken.jpg"):
        load_dataset(f"folder:{tmp_path}")


def test_image_folder_needs_two_classes(tmp_path):
    _save(tmp_path / "cat" / "a.png", (8, 8), (1, 2, 3))
    with pytest.raises(DatasetError, match="two class"):
        read_image_folder(tmp_path)


def test_fingerprint_tells_image_sizes_apart():
    from clip_course.data.dataset import ImageDataset

    pixels = np.arange(2 * 4 * 3, dtype=np.uint8)
    a = ImageDataset("f", "test", [pixels.reshape(2, 4, 3)], np.zeros(1, np.int64), ["x"])
    b = ImageDataset("f", "test", [pixels.reshape(4, 2, 3)], np.zeros(1, np.int64), ["x"])
    assert a.fingerprint != b.fingerprint


class _Payload:
    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_crafted_cifar_batch_payload_not_run(tmp_path):
    write_cifar(tmp_path, "cifar10")
    marker = tmp_path / "MARKER_cifar"
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    with open(batch, "wb") as f:
        pickle.dump({b"data": np.zeros((1, 3072), np.uint8), b"labels": [0], b"x": _Payload(marker)}, f)
    with pytest.raises(DatasetError, match=r"test_batch.*posix\.system|test_batch.*os\.system"):
        load_dataset("cifar10", "test", root=tmp_path)
    assert not marker.exists()


def test_cifar_batch_in_python2_layout_still_reads(tmp_path):
    """CIFAR's own files are protocol-2 pickles of byte-keyed dicts with a numpy array."""
    written = write_cifar(tmp_path, "cifar10", n_test=6)
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    data, labels = written["test"]
    with open(batch, "wb") as f:
        pickle.dump({b"batch_label": b"testing batch 1 of 1", b"labels": labels.tolist(), b"data": data,
                     b"filenames": [b"x.png"] * len(labels)}, f, protocol=2)
    ds = load_dataset("cifar10", "test", root=tmp_path)
    assert ds.labels.tolist() == labels.tolist()
