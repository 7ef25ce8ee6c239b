"""Small data still works: a probe on a handful of images per class, through the real CLI.

A validation split of a few images chooses C no better than a coin, so the probe switches to
cross-validation (or, with one image in a class, a fixed C it names); the expectations here are
scikit-learn's own fits and the Wilson interval computed by hand.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression

from clip_course.cli import main
from clip_course.data.folders import read_image_folder
from clip_course.tasks.kshot import k_shot
from clip_course.tasks.logreg import gaussian_mixture
from clip_course.tasks.probe import FIXED_C, MIN_VAL_IMAGES, c_grid, run_probe

ROOT = Path(__file__).resolve().parents[1]


def _wilson_by_hand(correct: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def _folder(root: Path, per_class: int, classes=("cat", "dog")) -> Path:
    rng = np.random.default_rng(0)
    for k, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            base = 40 + 160 * k
            pixels = np.clip(base + rng.normal(0, 20, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


def test_cli_probe_on_three_images_per_class(tmp_path):
    """The issue's case: 2 classes x 3 photos, `python -m clip_course probe`, exit 0 and an honest interval."""
    folder = _folder(tmp_path / "photos", 3)
    out = tmp_path / "r.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-m", "clip_course", "probe", "--model", "miniclip", "--dataset", f"folder:{folder}",
         "--device", "cpu", "--cache-dir", str(tmp_path / "cache"), "--out", str(out)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "validation split is empty" not in proc.stderr
    rec = json.loads(out.read_text())
    m = rec["metrics"]
    # ceil(3 / 2) = 2 test images per class, 1 to train: nothing to hold out, so a named fixed C
    assert m["n_test"] == 4 and m["n_train"] == 2 and m["n_val"] == 0
    assert m["C"] == FIXED_C and "fixed C=1" in m["C_method"] and m["val_top1"] is None
    assert m["train_images_per_class"] == {"cat": 1, "dog": 1}
    correct = round(m["top1"] * 4 / 100)
    assert m["top1_interval"] == pytest.approx(_wilson_by_hand(correct, 4))
    lo, hi = m["top1_interval"]
    assert hi - lo > 40  # four test images cannot pin an accuracy down
    assert f"95% CI {lo:.1f}-{hi:.1f}%" in proc.stdout
    assert "fixed C=1" in proc.stdout and "training images per class: cat 1, dog 1" in proc.stdout


def test_folder_split_counts_images_per_class(tmp_path):
    folder = _folder(tmp_path / "f", 5)
    train, test = read_image_folder(folder, "train"), read_image_folder(folder, "test")
    assert train.meta["images_per_class"] == {"cat": 2, "dog": 2}
    assert test.meta["images_per_class"] == {"cat": 3, "dog": 3}
    assert train.meta["folder_images_per_class"] == {"cat": 5, "dog": 5}


def test_tiny_validation_split_uses_cross_validation():
    X, y = gaussian_mixture(60, 6, 2, seed=2, separation=2.0)
    tr = np.concatenate([np.flatnonzero(y == 0)[:6], np.flatnonzero(y == 1)[:6]])  # 0.2 of 6 per class: 2 images
    te = np.setdiff1d(np.arange(60), tr)
    assert np.bincount(y[tr]).tolist() == [6, 6]
    res = run_probe(X[tr], y[tr], X[te], y[te], ["a", "b"], fitter="sklearn", steps=9, progress=False)
    m = res["metrics"]
    assert m["C_method"].startswith("5-fold cross-validation") and "2 image(s)" in m["C_method"]
    assert m["C"] in c_grid(9) and m["sweep"] is None and 0 <= m["val_top1"] <= 100
    assert m["n_train"] == 12 and m["n_val"] == 0
    # the final probe is the refit on every training image with the chosen C
    ref = LogisticRegression(C=m["C"], max_iter=1000).fit(X[tr], y[tr])
    assert res["predictions"] == ref.predict(X[te]).tolist()


def test_enough_validation_images_keep_the_papers_split():
    X, y = gaussian_mixture(200, 6, 2, seed=2, separation=2.0)
    res = run_probe(X[:100], y[:100], X[100:], y[100:], fitter="sklearn", steps=9, progress=False)
    m = res["metrics"]
    assert m["n_val"] >= MIN_VAL_IMAGES and "validation split" in m["C_method"] and "(paper)" in m["C_method"]
    assert m["C"] == m["sweep"]["best_C"]


def test_one_image_per_class_uses_the_stated_fixed_C():
    X, y = gaussian_mixture(40, 4, 2, seed=1, separation=3.0)
    tr = np.array([int(np.flatnonzero(y == 0)[0]), int(np.flatnonzero(y == 1)[0])])
    te = np.setdiff1d(np.arange(40), tr)
    res = run_probe(X[tr], y[tr], X[te], y[te], fitter="sklearn", progress=False)
    assert res["metrics"]["C"] == FIXED_C
    ref = LogisticRegression(C=FIXED_C, max_iter=1000).fit(X[tr], y[tr])
    assert res["predictions"] == ref.predict(X[te]).tolist()


def test_k_shot_on_three_per_class():
    X, y = gaussian_mixture(46, 4, 2, seed=3, separation=3.0)
    tr = np.concatenate([np.flatnonzero(y == 0)[:3], np.flatnonzero(y == 1)[:3]])
    te = np.setdiff1d(np.arange(46), tr)
    out = k_shot(X[tr], y[tr], X[te], y[te], ks=(1, 2, None), seeds=(0,), fitter="sklearn", steps=5, progress=False)
    assert out["params"]["train_images_per_class"] == {"0": 3, "1": 3}
    methods = {row["label"]: row["C_method"] for row in out["metrics"]["per_k"]}
    assert methods["full"].startswith("3-fold cross-validation")
    assert methods["2"].startswith("2-fold") and methods["1"].startswith("fixed C")


def _one_line_error(capsys, argv: list[str], *needles: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for n in needles:
        assert n in err, err
    return err


@pytest.mark.parametrize("dataset", ["folder:", "folder:  ", ""])
def test_empty_dataset_path(capsys, dataset):
    _one_line_error(capsys, ["probe", "--model", "miniclip", "--dataset", dataset], "--dataset", "empty")


def test_empty_model_name(capsys):
    _one_line_error(capsys, ["zeroshot", "--model", "", "--dataset", "shapes10"], "--model is empty")


def test_empty_folder_path_in_the_library():
    from clip_course.errors import DatasetError

    with pytest.raises(DatasetError, match="path is empty"):
        read_image_folder("", "train")
