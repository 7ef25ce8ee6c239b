"""The classic demo: `predict` on the command line and `clip_course.predict` / `clip_course.load` in
Python, checked against openai/CLIP's own preprocessing, tokenizer and encoders."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import clip
import pytest
import torch
from PIL import Image

import clip_course
from clip_course.cli import main
from clip_course.tasks.single_image import BUILTIN_PHOTOS

TEXTS = ["a photo of a cat", "a rocket", "a red circle", "a blue star"]


@pytest.fixture(scope="module")
def reference():
    """Probabilities from openai/CLIP's code path: ``model, preprocess = load(...)``, clip's PIL
    transform, ``clip.tokenize``, ``encode_image``/``encode_text`` and the model's own logit scale."""
    model, preprocess = clip_course.load("miniclip", device="cpu")  # unpacks like clip.load
    out = {}
    with torch.no_grad():
        text = model.encode_text(clip.tokenize(TEXTS)).float()
        text = text / text.norm(dim=-1, keepdim=True)
        for name in ("chelsea", "rocket"):
            image = model.encode_image(preprocess(Image.fromarray(BUILTIN_PHOTOS[name]()))[None]).float()
            image = image / image.norm(dim=-1, keepdim=True)
            probs = (model.logit_scale.exp() * image @ text.T).softmax(dim=-1)[0]
            out[name] = dict(zip(TEXTS, probs.tolist(), strict=True))
    return out, float(model.logit_scale.detach().exp())


def test_load_unpacks_like_clip_load_and_keeps_the_rich_object():
    lm = clip_course.load("miniclip", device="cpu")
    model, preprocess = lm
    assert model is lm.model and preprocess is lm.preprocess and lm.name == "miniclip"
    features = model.encode_image(preprocess(Image.new("RGB", (50, 40), (200, 30, 30)))[None])
    assert features.shape == (1, lm.model.text_projection.shape[1])


def test_cli_predict_ranks_two_shipped_photos_at_the_models_logit_scale(tmp_path, capsys, reference):
    expected, scale = reference
    assert abs(scale - 100) > 1  # a fixed 100 would give other probabilities
    out = tmp_path / "ranks.json"
    assert main(["predict", "chelsea", "rocket", "--labels", ",".join(TEXTS), "--model", "miniclip",
                 "--device", "cpu", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"logit scale {scale:.2f}" in printed
    record = json.loads(out.read_text())
    assert record["logit_scale"] == pytest.approx(scale, rel=1e-6)
    for row in record["rows"]:
        got = {t["text"]: t["probability"] for t in row["top_k"]}
        assert got == pytest.approx(expected[row["image"]], abs=2e-3)  # our encoder vs clip's PIL transform
        probs = [t["probability"] for t in row["top_k"]]
        assert probs == sorted(probs, reverse=True) and sum(probs) == pytest.approx(1, abs=1e-6)
        top = row["top_k"][0]
        assert f"  1  {100 * top['probability']:6.2f}%  {top['label']}" in printed


def test_python_predict_matches_the_command(tmp_path, reference):
    expected, _ = reference
    lm = clip_course.load("miniclip", device="cpu")
    one = clip_course.predict("chelsea", TEXTS, model=lm)  # one image: one ranking
    assert [t for t, _ in one] == sorted(expected["chelsea"], key=lambda t: -expected["chelsea"][t])
    both = clip_course.predict(["chelsea", BUILTIN_PHOTOS["rocket"]()], TEXTS, model=lm)
    assert len(both) == 2 and both[0] == one
    assert dict(both[1]) == pytest.approx(expected["rocket"], abs=2e-3)


def test_predict_csv_and_dataset_labels(tmp_path, capsys):
    photo = tmp_path / "my photo.png"
    Image.fromarray(BUILTIN_PHOTOS["coffee"]()).save(photo)
    out = tmp_path / "ranks.csv"
    assert main(["predict", str(photo), "--dataset", "shapes10", "--model", "miniclip", "--device", "cpu",
                 "--top-k", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    from clip_course.data.catalog import load_dataset

    classes = load_dataset("shapes10", "test").classes
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 1 and rows[0]["image"] == str(photo)
    assert sorted(rows[0][f"label_{i + 1}"] for i in range(len(classes))) == sorted(classes)  # every class kept
    assert sum(float(rows[0][f"probability_{i + 1}"]) for i in range(len(classes))) == pytest.approx(1, abs=1e-5)
    assert printed.count("%") == 3  # --top-k rows printed


@pytest.mark.parametrize("argv, needle", [
    (["predict", "no-such-photo.png", "--labels", "a,b"], "no-such-photo.png"),
    (["predict", "chelsea", "--labels", "only one"], "at least two"),
    (["predict", "chelsea", "--labels", "a cat,a cat"], "repeats"),
    (["predict", "chelsea", "--labels-file", "missing.txt"], "missing.txt"),
])
def test_predict_bad_input_is_one_line(capsys, argv, needle):
    assert main([*argv, "--model", "miniclip"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err, err


def test_predict_out_is_never_half_written(tmp_path, capsys):
    folder = tmp_path / "a folder"
    folder.mkdir()
    assert main(["predict", "chelsea", "--labels", "a,b", "--model", "miniclip", "--out", str(folder)]) == 2
    assert "is a folder" in capsys.readouterr().err and list(folder.iterdir()) == []


def test_dir_lists_the_public_api_and_import_stays_light():
    names = dir(clip_course)
    assert {"predict", "load", "load_dataset", "zero_shot", "linear_probe", "__version__"} <= set(names)
    assert "importlib" not in names and "annotations" not in names
    code = "import sys, clip_course; dir(clip_course); print('torch' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True).stdout.strip() == "False"
