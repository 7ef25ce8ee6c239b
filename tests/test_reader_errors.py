"""Damaged index and label files of the torchvision layouts: one DatasetError naming the file."""

from __future__ import annotations

import io

import numpy as np
import pytest

from clip_course.data import tv_binary, tv_files
from clip_course.errors import DatasetError


def _write(path, data: bytes | str):
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return path


def test_dtd_line_without_a_class(tmp_path):
    for s in ("train", "val", "test"):
        _write(tmp_path / "labels" / f"{s}1.txt", "banded/a.jpg\n")
    _write(tmp_path / "labels" / "val1.txt", "no_slash_here.jpg\n")
    with pytest.raises(DatasetError, match=r"val1\.txt has a line that is not class/name\.jpg"):
        tv_files.dtd(tmp_path, ("train",))


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"apple_pie": [3]}', b"\xff\xfe"])
def test_food101_meta_damaged(tmp_path, content):
    _write(tmp_path / "meta" / "train.json", b'{"apple_pie": ["apple_pie/1"]}')
    _write(tmp_path / "meta" / "test.json", content)
    with pytest.raises(DatasetError, match=r"test\.json is damaged"):
        tv_files.food101(tmp_path, ("train",))


@pytest.mark.parametrize("line", ["Abyssinian_1", "Abyssinian_1 one 1 1"])
def test_pets_annotation_damaged(tmp_path, line):
    _write(tmp_path / "annotations" / "test.txt", f"{line}\n")
    with pytest.raises(DatasetError, match=r"test\.txt is damaged"):
        tv_files.oxford_pets(tmp_path, ("test",))


def test_gtsrb_csv_damaged(tmp_path):
    _write(tmp_path / "GT-final_test.csv", "Filename;ClassId\n00000.ppm;seven\n")
    with pytest.raises(DatasetError, match=r"GT-final_test\.csv is damaged"):
        tv_files.gtsrb(tmp_path, ("test",))


def test_idx_absurd_dimensions(tmp_path):
    # 2^32-1 cubed overflows numpy's int64 product; math.prod does not
    head = bytes([0, 0, 8, 3]) + (2**32 - 1).to_bytes(4, "big") * 3
    path = _write(tmp_path / "x-idx3-ubyte", head + b"\x00" * 8)
    with pytest.raises(DatasetError, match=r"x-idx3-ubyte holds 8 bytes after its header"):
        tv_binary.read_idx(path)
    short = _write(tmp_path / "y-idx3-ubyte", bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(DatasetError, match="ends inside its idx header"):
        tv_binary.read_idx(short)


def test_idx_gz_damaged(tmp_path):
    _write(tmp_path / "z-idx1-ubyte.gz", b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(DatasetError, match=r"z-idx1-ubyte\.gz is not a readable gzip file"):
        tv_binary.read_idx(tmp_path / "z-idx1-ubyte")


def test_svhn_labels_out_of_range(tmp_path):
    from scipy.io import savemat

    buf = io.BytesIO()
    savemat(buf, {"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[1], [11]], np.uint8)})
    path = _write(tmp_path / "test_32x32.mat", buf.getvalue())
    with pytest.raises(DatasetError, match=r"test_32x32\.mat: y holds values outside SVHN's labels 1\.\.10"):
        tv_binary.read_svhn(path)


def test_stl10_labels_out_of_range_and_missing_file(tmp_path):
    classes = [f"c{i}" for i in range(10)]
    _write(tmp_path / "class_names.txt", "\n".join(classes))
    _write(tmp_path / "test_X.bin", bytes(3 * 96 * 96))
    with pytest.raises(DatasetError, match="cannot be read"):
        tv_binary.read_stl10(tmp_path, "test", classes)
    _write(tmp_path / "test_y.bin", bytes([0]))  # labels are 1..10: 0 is none of them
    with pytest.raises(DatasetError, match=r"test_y\.bin holds labels outside"):
        tv_binary.read_stl10(tmp_path, "test", classes)
