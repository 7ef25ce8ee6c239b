"""Datasets by name (torchvision's layouts), CLIP_benchmark's names, templates and figures, and the
results table across runs. Every dataset here is a handful of files the test writes itself, in
exactly the layout torchvision's own class reads; no network."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.io import savemat

from clip_course.cli import main
from clip_course.core import prompts
from clip_course.data import download, torchvision_sets
from clip_course.data.catalog import load_dataset
from clip_course.errors import DatasetError, PromptError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import clip

pytestmark = pytest.mark.usefixtures("one_torch_thread")
REFS = Path(prompts.__file__).resolve().parents[1] / "references"


def _json(name: str) -> dict:
    return json.loads((REFS / name).read_text(encoding="utf-8"))


def _rgb(rng, n, h, w, k=None, n_classes=10):
    """Random uint8 images; with class labels ``k``, a class-specific colour plus noise (learnable)."""
    noise = rng.integers(0, 60, size=(n, h, w, 3))
    if k is None:
        return rng.integers(0, 256, size=(n, h, w, 3), dtype=np.uint8)
    base = np.stack([np.asarray(k) * 180 // n_classes, 200 - np.asarray(k) * 15, (np.asarray(k) * 97) % 190], -1)
    return (base[:, None, None, :] + noise).astype(np.uint8)


def _save(path: Path, array: np.ndarray) -> None:
    """PNG bytes (lossless), whatever the file name says: PIL and torchvision read by content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, format="PNG")


def _idx(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


# ----------------------------------------------------------------------------- writers (torchvision's layouts)


def write_mnist(root: Path, folder: str = "MNIST", n=(12, 6), seed=0) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for split, prefix, count in (("train", "train", n[0]), ("test", "t10k", n[1])):
        images, labels = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8), rng.integers(0, 10, count)
        _idx(root / folder / "raw" / f"{prefix}-images-idx3-ubyte", images)
        _idx(root / folder / "raw" / f"{prefix}-labels-idx1-ubyte", labels)
        out[split] = (images, labels)
    return out


def write_svhn(root: Path, seed=1) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for split, count in (("train", 9), ("test", 5)):
        x = rng.integers(0, 256, (32, 32, 3, count), dtype=np.uint8)
        y = rng.integers(1, 11, (count, 1))  # 10 is the digit 0
        (root / "svhn").mkdir(parents=True, exist_ok=True)
        savemat(root / "svhn" / f"{split}_32x32.mat", {"X": x, "y": y})
        out[split] = (x, y)
    return out


def write_stl10(root: Path, seed=2) -> dict:
    rng = np.random.default_rng(seed)
    folder = root / "stl10_binary"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "class_names.txt").write_text("\n".join(prompts.TORCHVISION_CLASSES["stl10"]) + "\n")
    out = {}
    for split, count in (("train", 6), ("test", 4)):
        images = rng.integers(0, 256, (count, 96, 96, 3), dtype=np.uint8)
        labels = rng.integers(1, 11, count).astype(np.uint8)  # 1..10 on disk
        # STL10 stores each image as 3 planes in column-major order: (channel, column, row)
        images.transpose(0, 3, 2, 1).tofile(folder / f"{split}_X.bin")
        labels.tofile(folder / f"{split}_y.bin")
        out[split] = (images, labels)
    (folder / "unlabeled_X.bin").write_bytes(b"")
    return out


def write_eurosat(root: Path, per_class=10, seed=3) -> dict[Path, tuple[np.ndarray, int]]:
    rng = np.random.default_rng(seed)
    written = {}
    for k, cls in enumerate(torchvision_sets.EUROSAT_FOLDERS):
        images = _rgb(rng, per_class, 64, 64, [k] * per_class)
        for i, im in enumerate(images):
            path = root / "eurosat" / "2750" / cls / f"{cls}_{i + 1}.jpg"
            _save(path, im)
            written[path] = (im, k)
    return written


def write_dtd(root: Path, seed=4) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    base = root / "dtd" / "dtd"
    classes = ["banded", "blotchy", "zigzagged"]
    splits = {"train": [], "val": [], "test": []}
    for k, cls in enumerate(classes):
        for i in range(6):
            name = f"{cls}_{i:04d}.jpg"
            _save(base / "images" / cls / name, _rgb(rng, 1, 20 + k, 30, [k], 3)[0])
            splits[("train", "val", "test")[i % 3]].append(f"{cls}/{name}")
    for split, lines in splits.items():
        for p in range(1, 11):
            (base / "labels").mkdir(parents=True, exist_ok=True)
            (base / "labels" / f"{split}{p}.txt").write_text("\n".join(lines) + "\n")
    return splits


def write_flowers(root: Path, seed=5) -> dict:
    rng = np.random.default_rng(seed)
    base = root / "flowers-102"
    n = 12
    labels = rng.integers(1, 103, n)  # 1-based, per image id 1..n
    images = {i: _rgb(rng, 1, 24, 28 + i)[0] for i in range(1, n + 1)}
    for i, im in images.items():
        _save(base / "jpg" / f"image_{i:05d}.jpg", im)
    ids = rng.permutation(np.arange(1, n + 1))
    setid = {"trnid": ids[:3].reshape(1, -1), "valid": ids[3:5].reshape(1, -1), "tstid": ids[5:].reshape(1, -1)}
    savemat(base / "imagelabels.mat", {"labels": labels.reshape(1, -1)})
    savemat(base / "setid.mat", setid)
    return {"labels": labels, "images": images, "setid": {k: v.ravel() for k, v in setid.items()}}


# ----------------------------------------------------------------------------- readers against the files


def test_mnist_idx_family_reads_the_written_pixels_and_labels(tmp_path):
    for name, folder in (("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST"), ("kmnist", "KMNIST")):
        written = write_mnist(tmp_path, folder)
        for split in ("train", "test"):
            ds = load_dataset(name, split, root=tmp_path)
            images, labels = written[split]
            assert np.array_equal(ds.images, np.repeat(images[..., None], 3, axis=3))
            assert ds.labels.tolist() == labels.tolist() and ds.classes == prompts.class_names(name)
    assert load_dataset("mnist", "test", root=tmp_path).classes == _json("clip_benchmark_en_classnames.json")["mnist"]


def test_svhn_mat_reads_the_written_pixels_and_maps_label_10_to_0(tmp_path):
    written = write_svhn(tmp_path)
    for split in ("train", "test"):
        ds = load_dataset("svhn", split, root=tmp_path)
        x, y = written[split]
        for n in range(x.shape[3]):
            assert np.array_equal(ds.images[n], x[:, :, :, n])
        assert ds.labels.tolist() == [0 if v == 10 else int(v) for v in y.ravel()]
    assert ds.classes[0] == "zero"


def test_stl10_binary_reads_the_written_pixels_and_zero_based_labels(tmp_path):
    written = write_stl10(tmp_path)
    for split in ("train", "test"):
        ds = load_dataset("stl10", split, root=tmp_path)
        images, labels = written[split]
        assert np.array_equal(ds.images, images) and ds.labels.tolist() == (labels.astype(int) - 1).tolist()
    (tmp_path / "stl10_binary" / "class_names.txt").write_text("cat\ndog\n")
    with pytest.raises(DatasetError, match="class_names.txt"):
        load_dataset("stl10", "test", root=tmp_path)


def test_flowers102_mat_labels_and_train_plus_val(tmp_path):
    w = write_flowers(tmp_path)
    train, test = load_dataset("flowers", "train", root=tmp_path), load_dataset("flowers102", "test", root=tmp_path)
    expect_train = [*w["setid"]["trnid"], *w["setid"]["valid"]]
    assert [int(p.stem.split("_")[1]) for p in train.images.paths] == [int(i) for i in expect_train]
    assert train.labels.tolist() == [int(w["labels"][i - 1]) - 1 for i in expect_train]
    for im, i in zip(test.images, w["setid"]["tstid"], strict=True):
        assert np.array_equal(im, w["images"][int(i)])
    assert test.name == "flowers" and test.classes == _json("clip_benchmark_en_classnames.json")["flowers"]


def test_eurosat_seeded_split_is_deterministic_disjoint_stratified_and_recorded(tmp_path):
    written = write_eurosat(tmp_path)
    train, test = load_dataset("eurosat", "train", root=tmp_path), load_dataset("eurosat", "test", root=tmp_path)
    again = load_dataset("eurosat", "test", root=tmp_path, seed=7)  # --seed never moves the split
    assert again.images.paths == test.images.paths and again.fingerprint == test.fingerprint
    tr, te = set(train.images.paths), set(test.images.paths)
    assert not tr & te and tr | te == set(written)
    assert np.bincount(test.labels).tolist() == [2] * 10  # 20% of each class
    assert test.meta["split"] == "seeded" and test.meta["split_seed"] == torchvision_sets.SPLIT_SEED
    assert test.meta["sizes"] == {"train": 80, "test": 20}
    for path, im, label in zip(test.images.paths, test.images, test.labels, strict=True):
        assert np.array_equal(im, written[path][0]) and label == written[path][1]
    assert test.classes == _json("clip_benchmark_en_classnames.json")["eurosat"]
    limited = load_dataset("eurosat", "test", root=tmp_path, limit=5, seed=1)
    assert len(limited) == 5 and set(limited.images.paths) <= te


def test_dtd_reads_its_label_files(tmp_path):
    splits = write_dtd(tmp_path)
    train, test = load_dataset("dtd", "train", root=tmp_path), load_dataset("dtd", "test", root=tmp_path)
    assert train.classes == test.classes == ["banded", "blotchy", "zigzagged"]
    assert [f"{p.parent.name}/{p.name}" for p in train.images.paths] == splits["train"] + splits["val"]
    assert [test.classes[k] for k in test.labels] == [line.split("/")[0] for line in splits["test"]]


def _torchvision_items(ds):
    return [(np.asarray(img.convert("RGB")), int(label)) for img, label in (ds[i] for i in range(len(ds)))]


def test_readers_agree_with_torchvisions_own_classes(tmp_path, monkeypatch):
    """The same files through torchvision's class (its md5 check switched off where it has one)."""
    from torchvision import datasets as tvd
    from torchvision.datasets import flowers102, stl10, svhn

    for mod in (flowers102, stl10, svhn):
        monkeypatch.setattr(mod, "check_integrity", lambda *a, **k: True)
    write_mnist(tmp_path), write_svhn(tmp_path), write_stl10(tmp_path), write_flowers(tmp_path)
    write_dtd(tmp_path), write_eurosat(tmp_path, per_class=3)
    pairs = [("mnist", "test", [tvd.MNIST(tmp_path, train=False)]),
             ("svhn", "train", [tvd.SVHN(tmp_path / "svhn", split="train")]),
             ("stl10", "test", [tvd.STL10(tmp_path, split="test")]),
             ("flowers", "train", [tvd.Flowers102(tmp_path, split=s) for s in ("train", "val")]),
             ("dtd", "train", [tvd.DTD(tmp_path, split=s) for s in ("train", "val")])]
    for name, split, theirs in pairs:
        ours = load_dataset(name, split, root=tmp_path)
        expected = [item for ds in theirs for item in _torchvision_items(ds)]
        assert len(ours) == len(expected), name
        for (im, label), mine, my_label in zip(expected, ours.images, ours.labels, strict=True):
            assert np.array_equal(np.asarray(mine), im) and my_label == label, name
    eurosat = tvd.EuroSAT(tmp_path)
    both = [load_dataset("eurosat", s, root=tmp_path) for s in ("train", "test")]
    assert sorted((str(p), int(k)) for ds in both for p, k in zip(ds.images.paths, ds.labels, strict=True)) == sorted(
        (str(p), k) for p, k in eurosat.samples)


def _write_more_layouts(root: Path, rng) -> None:
    """Tiny Oxford-IIIT Pet, Food-101, GTSRB, FGVC-Aircraft, StanfordCars and Rendered SST2 trees."""
    pets = root / "oxford-iiit-pet"
    for split, ids in (("trainval", ["Abyssinian_1", "american_bulldog_7"]), ("test", ["Abyssinian_3", "beagle_2"])):
        rows = [f"{i} {1 if i.startswith('Aby') else 2 if i.startswith('american') else 5} 1 1" for i in ids]
        (pets / "annotations").mkdir(parents=True, exist_ok=True)
        (pets / "annotations" / f"{split}.txt").write_text("\n".join(rows) + "\n")
        for i in ids:
            _save(pets / "images" / f"{i}.jpg", _rgb(rng, 1, 17, 23)[0])
    food = root / "food-101"
    meta = {"train": {"apple_pie": ["apple_pie/11", "apple_pie/12"], "baby_back_ribs": ["baby_back_ribs/13"]},
            "test": {"apple_pie": ["apple_pie/21"], "baby_back_ribs": ["baby_back_ribs/22", "baby_back_ribs/23"]}}
    for split, m in meta.items():
        (food / "meta").mkdir(parents=True, exist_ok=True)
        (food / "meta" / f"{split}.json").write_text(json.dumps(m))
        for rel in (r for rels in m.values() for r in rels):
            _save(food / "images" / f"{rel}.jpg", _rgb(rng, 1, 19, 21)[0])
    gt = root / "gtsrb"
    for k in (0, 1, 42):
        for i in range(2):
            path = gt / "GTSRB" / "Training" / f"{k:05d}" / f"{k:05d}_{i:05d}.ppm"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(_rgb(rng, 1, 15 + i, 16)[0]).save(path, format="PPM")
    (gt / "GTSRB" / "Final_Test" / "Images").mkdir(parents=True)
    rows = ["Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId"]
    for i, k in enumerate((3, 42, 0)):
        Image.fromarray(_rgb(rng, 1, 18, 15 + i)[0]).save(gt / "GTSRB" / "Final_Test" / "Images" / f"{i:05d}.ppm",
                                                          format="PPM")
        rows.append(f"{i:05d}.ppm;15;18;1;1;14;17;{k}")
    (gt / "GT-final_test.csv").write_text("\n".join(rows) + "\n")
    air = root / "fgvc-aircraft-2013b" / "data"
    (air / "images").mkdir(parents=True)
    (air / "variants.txt").write_text("707-320\nA300B4\nDHC-8-100\n")
    for split, rows in (("trainval", ["1025794 707-320", "1340192 DHC-8-100"]), ("test", ["0056978 A300B4"])):
        (air / f"images_variant_{split}.txt").write_text("\n".join(rows) + "\n")
        for r in rows:
            _save(air / "images" / f"{r.split()[0]}.jpg", _rgb(rng, 1, 30, 40)[0])
    cars = root / "stanford_cars"
    (cars / "devkit").mkdir(parents=True)
    savemat(cars / "devkit" / "cars_meta.mat",
            {"class_names": np.array(["AM General Hummer SUV 2000", "Acura RL Sedan 2012",
                                                                         "Audi TT RS Coupe 2012"], dtype=object)})
    for split, annos, rows in (("train", cars / "devkit" / "cars_train_annos.mat",
                                [("00001.jpg", 3), ("00002.jpg", 1)]),
                               ("test", cars / "cars_test_annos_withlabels.mat", [("00001.jpg", 2), ("00002.jpg", 3)])):
        records = np.array(rows, dtype=[("fname", object), ("class", object)])
        savemat(annos, {"annotations": records.reshape(1, -1)})
        for fname, _ in rows:
            _save(cars / f"cars_{split}" / fname, _rgb(rng, 1, 22, 33)[0])
    for split in ("train", "valid", "test"):
        for k, cls in enumerate(("negative", "positive")):
            _save(root / "rendered-sst2" / split / cls / f"{split}_{k}.png", _rgb(rng, 1, 20, 20)[0])


def test_more_file_layouts_agree_with_torchvisions_own_classes(tmp_path):
    from torchvision import datasets as tvd

    _write_more_layouts(tmp_path, np.random.default_rng(9))
    pairs = [("pets", "train", [tvd.OxfordIIITPet(tmp_path, split="trainval")]),
             ("pets", "test", [tvd.OxfordIIITPet(tmp_path, split="test")]),
             ("food101", "test", [tvd.Food101(tmp_path, split="test")]),
             ("gtsrb", "train", [tvd.GTSRB(tmp_path, split="train")]),
             ("gtsrb", "test", [tvd.GTSRB(tmp_path, split="test")]),
             ("fgvc_aircraft", "train", [tvd.FGVCAircraft(tmp_path, split="trainval")]),
             ("renderedsst2", "train", [tvd.RenderedSST2(tmp_path, split=s) for s in ("train", "val")]),
             ("cars", "train", [tvd.StanfordCars(tmp_path, split="train")]),
             ("cars", "test", [tvd.StanfordCars(tmp_path, split="test")])]
    for name, split, theirs in pairs:
        ours = load_dataset(name, split, root=tmp_path)
        expected = [item for ds in theirs for item in _torchvision_items(ds)]
        assert [np.asarray(im).tolist() for im in ours.images] == [im.tolist() for im, _ in expected], name
        assert ours.labels.tolist() == [label for _, label in expected], name
    assert load_dataset("food101", "train", root=tmp_path).classes == ["apple pie", "baby back ribs"]
    assert load_dataset("fgvc_aircraft", "test", root=tmp_path).classes == ["707-320", "A300B4", "DHC-8-100"]
    assert load_dataset("pets", "test", root=tmp_path).classes == _json("clip_benchmark_en_classnames.json")["pets"]
    assert load_dataset("cars", "test", root=tmp_path).classes == tvd.StanfordCars(tmp_path, split="test").classes


def test_sun397_seeded_split_covers_torchvisions_images(tmp_path):
    from torchvision import datasets as tvd

    rng = np.random.default_rng(11)
    base = tmp_path / "SUN397"
    base.mkdir()
    (base / "ClassName.txt").write_text("/a/abbey\n/b/bakery/shop\n")
    for rel in ("a/abbey/sun_a1.jpg", "a/abbey/sun_a2.jpg", "b/bakery/shop/sun_b1.jpg", "b/bakery/shop/sun_b2.jpg",
                "b/bakery/shop/sun_b3.jpg"):
        _save(base / rel, _rgb(rng, 1, 12, 14)[0])
    theirs = tvd.SUN397(tmp_path)
    ours = [load_dataset("sun397", s, root=tmp_path) for s in ("train", "test")]
    assert ours[0].classes == ["abbey", "bakery shop"]
    assert sorted((str(p), int(k)) for ds in ours for p, k in zip(ds.images.paths, ds.labels, strict=True)) == sorted(
        (str(p), k) for p, k in zip(theirs._image_files, theirs._labels, strict=True))
    assert ours[1].meta["sizes"] == {"train": 3, "test": 2}  # ceil(20%) of each class: one of 2, one of 3


def test_missing_dataset_is_one_line_naming_files_and_the_command(tmp_path, capsys, tiny_clip_path):
    with pytest.raises(DatasetError) as err:
        load_dataset("dtd", "test", root=tmp_path)
    msg = str(err.value)
    assert "dtd/dtd/images" in msg and "download --datasets dtd" in msg and "\n" not in msg
    assert main(["zeroshot", "--model", str(tiny_clip_path), "--dataset", "eurosat", "--data-root", str(tmp_path)]) == 2
    line = capsys.readouterr().err.strip()
    assert line.count("\n") == 0 and "eurosat/2750" in line and "make download DATASETS=eurosat" in line
    with pytest.raises(DatasetError, match="cannot be downloaded"):
        load_dataset("cars", "test", root=tmp_path)


# ----------------------------------------------------------------------------- zero-shot and probe end to end


def _reference_features(lm, paths):
    batch = torch.stack([lm.preprocess(Image.open(p)) for p in paths])
    with torch.no_grad():
        return lm.model.encode_image(batch).float()


def test_zeroshot_and_probe_through_the_cli_match_a_reference(tmp_path, tiny_clip_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score

    from clip_course.core.models import load

    write_eurosat(tmp_path / "data")
    common = ["--model", str(tiny_clip_path), "--dataset", "eurosat", "--data-root", str(tmp_path / "data"),
              "--device", "cpu", "--cache-dir", str(tmp_path / "cache")]
    assert main(["zeroshot", *common, "--out", str(tmp_path / "zs.json")]) == 0
    assert main(["probe", *common, "--fitter", "sklearn", "--out", str(tmp_path / "probe.json")]) == 0
    zs, pr = (json.loads((tmp_path / f).read_text()) for f in ("zs.json", "probe.json"))

    # reference: clip's own PIL preprocessing and encoders, names and templates from the JSON files
    lm = load(str(tiny_clip_path), device="cpu")
    test = load_dataset("eurosat", "test", root=tmp_path / "data")
    train = load_dataset("eurosat", "train", root=tmp_path / "data")
    labels = [torchvision_sets.EUROSAT_FOLDERS.index(p.parent.name) for p in test.images.paths]
    names = _json("clip_benchmark_en_classnames.json")["eurosat"]
    tmpl = [t.replace("{c}", "{}")
            for t in _json("clip_benchmark_en_zeroshot_classification_templates.json")["eurosat"]]
    with torch.no_grad():
        t = lm.model.encode_text(clip.tokenize([x.format(c) for c in names for x in tmpl])).float()
    t = (t / t.norm(dim=-1, keepdim=True)).reshape(len(names), len(tmpl), -1).mean(1)
    w = t / t.norm(dim=-1, keepdim=True)
    f = _reference_features(lm, test.images.paths)
    scores = (f / f.norm(dim=-1, keepdim=True)) @ w.T
    pred = scores.argmax(1).numpy()
    top5 = (scores.topk(5, dim=1).indices == torch.tensor(labels)[:, None]).any(1).float().mean().item()
    assert zs["metrics"]["top1"] == pytest.approx(100 * np.mean(pred == labels))
    assert zs["metrics"]["top5"] == pytest.approx(100 * top5)
    assert zs["metrics"]["mean_per_class_recall"] == pytest.approx(100 * balanced_accuracy_score(labels, pred))
    assert zs["params"]["template_list"] == tmpl and zs["dataset"]["meta"]["split_seed"] == 0

    y_train = [torchvision_sets.EUROSAT_FOLDERS.index(p.parent.name) for p in train.images.paths]
    ref = LogisticRegression(C=pr["metrics"]["C"], max_iter=1000, tol=1e-4)
    ref.fit(_reference_features(lm, train.images.paths).numpy(), y_train)
    ref_top1 = 100 * np.mean(ref.predict(f.numpy()) == labels)
    assert pr["metrics"]["top1"] == pytest.approx(ref_top1, abs=100 / len(labels) + 1e-9)  # at most one image apart
    assert pr["dataset"]["size"] == 20 and pr["params"]["train_size"] == 80


# ----------------------------------------------------------------------------- download, listing


class _FakeEuroSAT:
    """Stands in for torchvision.datasets.EuroSAT: writes what its download leaves, or fails halfway."""

    calls: list = []
    fail = False

    def __init__(self, root, download=False, **kwargs):
        _FakeEuroSAT.calls.append((Path(root), download, kwargs))
        base = Path(root) / "eurosat"
        base.mkdir(parents=True, exist_ok=True)
        (base / "EuroSAT.zip").write_bytes(b"archive")
        if _FakeEuroSAT.fail:
            raise RuntimeError("File not found or corrupted.")
        write_eurosat(Path(root), per_class=1)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_download_goes_through_torchvision_staged_then_moved(tmp_path, monkeypatch, capsys):
    import torchvision.datasets

    hosts = []
    monkeypatch.setattr(download, "check_connectivity", lambda urls, timeout=5.0: hosts.extend(urls))
    monkeypatch.setattr(torchvision.datasets, "EuroSAT", _FakeEuroSAT)
    _FakeEuroSAT.calls, _FakeEuroSAT.fail = [], True
    data = tmp_path / "data"
    assert main(["download", "--datasets", "eurosat", "--data", str(data)]) == 2
    assert "nothing was kept" in capsys.readouterr().err and _files(tmp_path) == []
    _FakeEuroSAT.fail = False
    assert main(["download", "--datasets", "eurosat", "--data", str(data)]) == 0
    root, flag, _ = _FakeEuroSAT.calls[-1]
    assert flag is True and root.parent == data and root.name.startswith(".download-")  # staged beside data/
    assert hosts == ["https://huggingface.co/"] * 2
    assert {p.relative_to(data).parts[0] for p in _files(data)} == {"eurosat"} and len(list(data.iterdir())) == 1
    assert len(load_dataset("eurosat", "test", root=data)) == 10
    n = len(_FakeEuroSAT.calls)
    assert download.ensure_dataset("eurosat", data) == data / "eurosat" and len(_FakeEuroSAT.calls) == n
    assert download.ensure_dataset("shapes10", data) is None
    with pytest.raises(Exception, match="not a dataset that can be downloaded"):
        download.parse_dataset_names("eurosat,imagenet")
    assert "cifar10" in download.parse_dataset_names("all") and "cars" not in download.parse_dataset_names("all")


def test_one_failed_download_does_not_stop_the_others(tmp_path, monkeypatch, capsys):
    import torchvision.datasets

    class FakeMNIST:
        def __init__(self, root, train=True, download=False):
            write_mnist(Path(root))

    monkeypatch.setattr(download, "check_connectivity", lambda urls, timeout=5.0: None)
    monkeypatch.setattr(torchvision.datasets, "EuroSAT", _FakeEuroSAT)
    monkeypatch.setattr(torchvision.datasets, "MNIST", FakeMNIST)
    _FakeEuroSAT.calls, _FakeEuroSAT.fail = [], True
    assert main(["download", "--datasets", "eurosat,mnist", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "1 of 2 datasets" in err and "eurosat:" in err and "Ready:" in err
    assert torchvision_sets.present("mnist", tmp_path) and not (tmp_path / "eurosat").exists()


def test_ensure_dataset_downloads_what_is_missing(tmp_path, monkeypatch):
    import torchvision.datasets

    monkeypatch.setattr(download, "check_connectivity", lambda urls, timeout=5.0: None)
    monkeypatch.setattr(torchvision.datasets, "EuroSAT", _FakeEuroSAT)
    _FakeEuroSAT.calls, _FakeEuroSAT.fail = [], False
    assert download.ensure_dataset("eurosat", tmp_path) == tmp_path / "eurosat"
    assert len(_FakeEuroSAT.calls) == 1 and torchvision_sets.present("eurosat", tmp_path)


def test_datasets_listing_shows_sources_splits_and_what_is_on_disk(tmp_path, capsys):
    write_eurosat(tmp_path, per_class=1)
    assert main(["datasets", "--root", str(tmp_path)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "on disk: yes" in lines["eurosat"] and "torchvision.datasets.EuroSAT" in lines["eurosat"]
    assert "seeded split" in lines["eurosat"] and "train 21600, test 5400" in lines["eurosat"]
    assert "on disk: no" in lines["dtd"] and "train + validation" in lines["dtd"]
    assert "cannot be downloaded" in lines["cars"] and "generated on demand" in lines["shapes10"]
    assert main(["datasets", "--root", str(tmp_path), "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["eurosat"]["on_disk"] is True and rows["mnist"]["on_disk"] is False
    assert rows["cifar10"]["source"].startswith("CIFAR") and rows["shapes10"]["on_disk"] is None


# ----------------------------------------------------------------------------- prompts and published figures


def test_class_names_and_templates_come_from_clip_benchmarks_json():
    en_names, en_tmpl = (_json("clip_benchmark_en_classnames.json"),
                         _json("clip_benchmark_en_zeroshot_classification_templates.json"))
    assert prompts.class_names("eurosat") == en_names["eurosat"]
    assert prompts.templates("ensemble", dataset="eurosat") == [t.replace("{c}", "{}") for t in en_tmpl["eurosat"]]
    for cifar in ("cifar10", "cifar100"):  # ours are the paper's 18, which CLIP_benchmark also uses
        assert prompts.templates("ensemble", cifar) == [t.replace("{c}", "{}") for t in en_tmpl[cifar]]
    assert "cifar10" not in en_names  # CLIP_benchmark takes torchvision's CIFAR names; ours stay
    assert prompts.class_names("cifar10") == prompts.CIFAR10_CLASSES
    assert prompts.templates("ensemble", "fashion_mnist") == [t.replace("{c}", "{}") for t in en_tmpl["imagenet1k"]]
    cn_names = _json("clip_benchmark_cn_classnames.json")
    cn_tmpl = _json("clip_benchmark_cn_zeroshot_classification_templates.json")
    assert prompts.class_names("imagenet1k", lang="zh") == cn_names["imagenet1k"]
    assert (prompts.templates("ensemble", "imagenet1k", lang="zh")
            == [t.replace("{c}", "{}") for t in cn_tmpl["imagenet1k"]])
    with pytest.raises(PromptError, match="imagenet1k"):
        prompts.class_names("eurosat", lang="zh")
    with pytest.raises(PromptError, match="own files"):
        prompts.class_names("dtd")


def test_torchvisions_fixed_class_names_are_the_ones_we_use():
    from torchvision import datasets as tvd

    assert prompts.class_names("fashion_mnist") == tvd.FashionMNIST.classes
    assert prompts.class_names("kmnist") == tvd.KMNIST.classes


def test_benchmark_lookup_is_the_csv_row_in_percent():
    from clip_course.data.published import benchmark_zeroshot

    with open(REFS / "clip_benchmark_openai_zeroshot.csv", newline="") as f:
        rows = {(r["model"], r["dataset"]): r for r in csv.DictReader(f) if r["task"] == "zeroshot_classification"}
    row = rows[("ViT-B-32", "vtab/eurosat")]
    got = benchmark_zeroshot("ViT-B/32", "eurosat")
    for key in ("acc1", "acc5", "mean_per_class_recall"):
        assert got[key] == pytest.approx(100 * float(row[key]))
    assert got["source"] == "CLIP_benchmark (LAION), benchmark/benchmark.csv" and got["dataset"] == "vtab/eurosat"
    assert (benchmark_zeroshot("ViT-L/14@336px", "mnist")["acc1"]
            == pytest.approx(100 * float(rows[("ViT-L-14-336", "mnist")]["acc1"])))
    assert benchmark_zeroshot("RN50", "mnist") is None and benchmark_zeroshot("ViT-B/32", "food101") is None


# ----------------------------------------------------------------------------- results table


def _write(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))


def test_results_table_over_a_fixture_results_folder(tmp_path, capsys):
    from clip_course.core.models import openai_sha256

    sha = openai_sha256("ViT-B/32")
    res = tmp_path / "results"
    m = lambda a, b, c: {"top1": a, "top5": b, "mean_per_class_recall": c}  # noqa: E731
    _write(res / "03_cifar_zero_shot.json", {
        "notebook": "03_cifar_zero_shot", "model": {"name": "ViT-B/32", "checkpoint_sha256": sha},
        "environment": {"created": "2025-01-02T00:00:00"},
        "datasets": {"cifar10": {"n_images": 10000, "n_way": 10, "dataset": {"name": "cifar10"},
                                 "templates": {"single": ["a photo of a {}."], "ensemble": prompts.CIFAR_TEMPLATES},
                                 "single": m(88.0, 99.0, 88.1), "ensemble": m(89.5, 99.5, 89.6)}}})
    _write(res / "04_linear_probe.json", {
        "notebook": "04_linear_probe", "model": {"name": "ViT-B/32", "checkpoint_sha256": sha},
        "datasets": {"cifar10": {"n_test": 10000, "n_way": 10, "probe": {"top1": 95.0, "top5": 99.9, "C": 0.3},
                                 "zeroshot": {"top1": 89.5, "top5": 99.5}, "test": {"dataset": {"name": "cifar10"}}}}})
    cli_zs = {"task": "zeroshot", "params": {"templates": "ensemble"},
              "dataset": {"name": "eurosat", "size": 5400, "classes": 10},
              "model": {"name": "miniclip", "checkpoint_sha256": "ab" * 32}, "metrics": m(40.0, 90.0, 39.0),
              "environment": {"created": "2025-01-03T00:00:00"}}
    _write(res / "runs" / "zs_eurosat.json", cli_zs)
    _write(res / "runs" / "zs_eurosat_small.json", {**cli_zs, "dataset": {**cli_zs["dataset"], "size": 100},
                                                     "metrics": m(10.0, 50.0, 10.0)})  # fewer images: dropped
    _write(res / "runs" / "zs_vit_own.json", {**cli_zs, "model": {"name": "ViT-B/32", "checkpoint_sha256": "cd" * 32}})
    _write(res / "01_intro.json", {"notebook": "01_intro", "similarity": {}})
    (res / "broken.json").write_text("{not json")
    assert main(["results", "--root", str(res), "--csv", str(tmp_path / "t.csv"), "--markdown",
                 str(tmp_path / "t.md")]) == 0
    captured = capsys.readouterr()
    assert "broken.json" in captured.err and "01_intro.json" in captured.err
    with open(REFS / "clip_benchmark_openai_zeroshot.csv", newline="") as f:
        bench = next(r for r in csv.DictReader(f) if r["model"] == "ViT-B-32" and r["dataset"] == "vtab/cifar10")
    b = {k: f"{100 * float(bench[k]):.4f}" for k in ("acc1", "acc5", "mean_per_class_recall")}

    def row(model, dataset, task, acc, n, way, template, ckpt, source, ref=None):
        vals = [f"{v:.4f}" if v is not None else "" for v in acc]
        refs = ["vtab/cifar10", b["acc1"], b["acc5"], b["mean_per_class_recall"]] if ref else ["", "", "", ""]
        return [model, dataset, task, *vals, str(n), str(way), template, ckpt, *refs, source]

    with open(tmp_path / "t.csv", newline="") as f:
        got = list(csv.reader(f))
    assert got[0][:6] == ["model", "dataset", "task", "acc1", "acc5", "mean_per_class_recall"]
    assert got[1:] == [
        row("ViT-B/32", "cifar10", "linear_probe", (95.0, 99.9, None), 10000, 10, "", "openai", "04_linear_probe.json"),
        row("ViT-B/32", "cifar10", "zeroshot_classification", (89.5, 99.5, 89.6), 10000, 10, "ensemble", "openai",
            "03_cifar_zero_shot.json", ref=True),
        row("ViT-B/32", "cifar10", "zeroshot_classification", (88.0, 99.0, 88.1), 10000, 10, "single", "openai",
            "03_cifar_zero_shot.json"),
        row("ViT-B/32", "eurosat", "zeroshot_classification", (40.0, 90.0, 39.0), 5400, 10, "ensemble", "",
            "runs/zs_vit_own.json"),  # not openai's file: no published figure beside it
        row("miniclip", "eurosat", "zeroshot_classification", (40.0, 90.0, 39.0), 5400, 10, "ensemble", "",
            "runs/zs_eurosat.json"),
    ]
    md = (tmp_path / "t.md").read_text()
    assert md.startswith("| model | dataset | task | acc1 |") and md.count("\n| ") == 5  # header, then 5 rows
    assert f"| {100 * float(bench['acc1']):.2f} |" in md and "CLIP_benchmark (LAION)" in md
    assert main(["results", "--root", str(tmp_path / "nowhere")]) == 2
