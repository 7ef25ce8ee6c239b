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
    # train/ and test/ sub-folders: the test split is exactly the test folder's images
    _save(tmp_path / "test" / "cat" / "a.png", (40, 30), (200, 0, 0))
    _save(tmp_path / "test" / "cat" / "b.jpg", (64, 64), (0, 0, 200))
    _save(tmp_path / "test" / "dog" / "c.png", (20, 50), (0, 200, 0))
    for cls in ("cat", "dog"):
        _save(tmp_path / "train" / cls / "t.png", (8, 8), (1, 2, 3))
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


def _two_class_folder(root, per_class: int):
    for cls in ("cat", "dog"):
        for i in range(per_class):
            _save(root / cls / f"{i}.png", (8, 8), (10 * i, 100 if cls == "cat" else 200, 0))


def test_folder_split_is_stratified_disjoint_and_recorded(tmp_path):
    _two_class_folder(tmp_path, 6)
    train, test = (load_dataset(f"folder:{tmp_path}", s) for s in ("train", "test"))
    assert len(train) == 6 and len(test) == 6
    assert sorted(train.labels.tolist()) == sorted(test.labels.tolist()) == [0, 0, 0, 1, 1, 1]
    seen = {(int(lab), im.tobytes()) for lab, im in zip(train.labels, train.images, strict=True)}
    assert not seen & {(int(lab), im.tobytes()) for lab, im in zip(test.labels, test.images, strict=True)}
    assert train.fingerprint != test.fingerprint
    assert test.meta == {"split": "stratified", "test_fraction": 0.5, "split_seed": 0,
                         "images_per_class": {"cat": 3, "dog": 3}, "folder_images_per_class": {"cat": 6, "dog": 6}}
    again = load_dataset(f"folder:{tmp_path}", "test")  # seeded: the same split every time
    assert np.array_equal(again.images, test.images)


def test_folder_with_train_and_test_subfolders(tmp_path):
    _two_class_folder(tmp_path / "train", 3)
    _two_class_folder(tmp_path / "test", 2)
    train, test = load_dataset(f"folder:{tmp_path}", "train"), load_dataset(f"folder:{tmp_path}", "test")
    assert len(train) == 6 and len(test) == 4 and train.classes == test.classes == ["cat", "dog"]
    assert test.meta["split"] == "subfolders"


def test_folder_skips_hidden_files(tmp_path):
    _two_class_folder(tmp_path, 2)
    (tmp_path / "cat" / "._0.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble resource fork")
    (tmp_path / "dog" / ".DS_Store").write_bytes(b"junk")
    assert len(load_dataset(f"folder:{tmp_path}", "test")) == 2


def _mode_image(path, kind):
    ramp = np.linspace(0, 1, 16 * 16).reshape(16, 16)
    if kind == "png16":
        Image.fromarray((ramp * 65535).round().astype(np.uint16)).save(path)
    elif kind == "tif32":
        Image.fromarray((ramp * (2**31 - 1)).round().astype(np.int32)).save(path)
    else:
        Image.fromarray(ramp.astype(np.float32)).save(path)
    return np.round(ramp * 255).astype(np.uint8)


@pytest.mark.parametrize("kind, suffix", [("png16", ".png"), ("tif32", ".tif"), ("float", ".tif")])
def test_wide_and_float_images_scaled_by_mode_range(tmp_path, kind, suffix):
    from clip_course.data.folders import load_image

    path = tmp_path / f"img{suffix}"
    expected = _mode_image(path, kind)
    got = load_image(path)
    assert got.dtype == np.uint8 and got.shape == (16, 16, 3)
    assert np.abs(got[..., 0].astype(int) - expected).max() <= 1
    assert (got == 255).mean() < 0.01  # not saturated, not black
    assert got.max() >= 254


def test_float_image_out_of_range_scaled_with_a_warning_naming_mode(tmp_path):
    from clip_course.data.folders import ImageRangeWarning, load_image

    path = tmp_path / "hdr.tif"
    Image.fromarray(np.linspace(1.0, 3.5, 16, dtype=np.float32).reshape(4, 4)).save(path)
    with pytest.warns(ImageRangeWarning, match=r"hdr\.tif.*mode F.*\[1, 3\.5\]"):
        got = load_image(path)
    assert got.min() == 0 and got.max() == 255  # its own min/max, not clipped to white
