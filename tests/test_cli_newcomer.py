"""A newcomer's first commands: instant answers without torch, profiles that pick the model and
dataset, help that documents every flag once, per-image predictions, readable class names."""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys

import clip
import pytest
from PIL import Image

import clip_course
from clip_course.cli import COMMANDS, HELP, build_parser, main
from clip_course.cli_flags import HelpFormatter
from clip_course.core.models import available_models

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def _imported(argv: list[str], cwd) -> tuple[set[str], subprocess.CompletedProcess]:
    """Top-level modules that ``python -X importtime -m clip_course *argv`` imported, and the run."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "clip_course", *argv], capture_output=True,
                          text=True, env=ENV, cwd=cwd)
    names = {m.group(1).strip().split(".")[0] for m in re.finditer(r"^import time:.*\|\s*(\S+)\s*$", proc.stderr, re.M)}
    assert "clip_course" in names  # the import log was really read
    return names, proc


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["datasets"], ["results", "--root", "."],
                                  ["models"], ["predict", "--help"], ["zeroshot", "--help"]])
def test_instant_commands_import_no_torch(tmp_path, argv):
    names, proc = _imported(argv, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not names & {"torch", "clip", "torchvision", "papermill", "matplotlib"}, sorted(names)


def test_version_and_the_command_listing(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"clip-course {clip_course.__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    listing = capsys.readouterr().out
    assert set(HELP) == set(COMMANDS) and all(name in listing for name in COMMANDS)
    assert listing.index("predict") < listing.index("zeroshot")  # the first example first


def test_models_lists_clips_own_names_and_miniclip(capsys):
    assert main(["models"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()
              if line and not line.startswith("openai")]
    assert listed == [*clip.available_models(), "miniclip"] == available_models()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_flag_documented_once(command):
    parser = build_parser(only=command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    assert sub.formatter_class is HelpFormatter
    formatter = sub._get_formatter()
    for action in sub._actions:
        if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{command} {action.option_strings or action.dest} has no help"
        text = formatter._expand_help(action)  # what --help prints, "(default: ...)" included
        assert text.lower().count("default") <= 1, f"{command} {action.option_strings}: {text}"
        assert "(default: None)" not in text and "(default: False)" not in text
    if command == "zeroshot":
        helps = {a.dest: formatter._expand_help(a) for a in sub._actions if a.help}
        assert helps["split"].startswith("which split") and helps["seed"].endswith("(default: 0)")  # 0 is a default


def _first_line(capsys) -> str:
    return capsys.readouterr().out.splitlines()[0]


def test_profile_supplies_model_and_dataset_and_says_why(tmp_path, capsys, monkeypatch):
    from clip_course.core import models

    monkeypatch.setattr(models, "CLIP_CACHE", tmp_path / "no-weights")  # the paper profile cannot run here
    base = ["--limit", "20", "--device", "cpu", "--data-root", str(tmp_path), "--cache-dir", str(tmp_path / "c")]
    out = tmp_path / "zs.json"
    assert main(["zeroshot", *base, "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("profile: offline, so --model miniclip --dataset shapes10. auto chose offline "
                               "because the paper profile's assets are missing")
    assert "make download" in lines[0]
    rec = json.loads(out.read_text())
    assert rec["model"]["name"] == "miniclip" and rec["dataset"]["name"] == "shapes10"
    assert "top-5" in lines[1]  # 10 classes: top-5 says something

    assert main(["zeroshot", *base, "--profile", "offline", "--model", "miniclip"]) == 0
    assert _first_line(capsys) == "profile: offline, so --dataset shapes10. The offline profile was asked for."
    assert main(["zeroshot", *base, "--model", "miniclip", "--dataset", "shapes10"]) == 0
    assert _first_line(capsys).startswith("miniclip on shapes10 test")  # both given: no profile needed


def _folder(root, names=("blue_square", "red_circle", "green__star")):
    colours = {"blue": (30, 30, 220), "red": (220, 30, 30), "green": (30, 200, 30)}
    for name in names:
        (root / name).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (32, 32),
                      tuple(c + 10 * i for c in colours[name.split("_")[0]])).save(root / name / f"{i}.png")
    return f"folder:{root}"


def test_folder_names_as_words_classnames_file_and_top5_only_when_it_says_something(tmp_path, capsys):
    dataset = _folder(tmp_path / "imgs")
    base = ["zeroshot", "--model", "miniclip", "--dataset", dataset, "--device", "cpu", "--templates", "single",
            "--cache-dir", str(tmp_path / "c")]
    out = tmp_path / "zs.json"
    assert main([*base, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "top-1" in printed and "top-5" not in printed  # 3 classes: top-5 is always 100%
    assert json.loads(out.read_text())["params"]["classes"] == ["blue square", "green star", "red circle"]

    names = tmp_path / "names.txt"
    names.write_text("a blue square\n\na green star\na red circle\n")
    assert main([*base, "--classnames", str(names), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["params"]["classes"] == ["a blue square", "a green star", "a red circle"]
    names.write_text("only\ntwo\n")
    capsys.readouterr()
    assert main([*base, "--classnames", str(names)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds 2 names but the dataset has 3 classes" in err


def test_zeroshot_predictions_name_the_failures(tmp_path, capsys):
    out, preds = tmp_path / "zs.json", tmp_path / "preds.csv"
    assert main(["zeroshot", "--model", "miniclip", "--dataset", "shapes10", "--limit", "30", "--device", "cpu",
                 "--cache-dir", str(tmp_path / "c"), "--out", str(out), "--predictions", str(preds),
                 "--top-k", "3"]) == 0
    rec = json.loads(out.read_text())
    rows = list(csv.DictReader(preds.open()))
    assert len(rows) == rec["metrics"]["n"] == 30 and [int(r["id"]) for r in rows] == list(range(30))
    correct = [r["label_1"] == r["true_label"] for r in rows]
    assert [r["correct"] == "True" for r in rows] == correct
    assert 100 * sum(correct) / 30 == pytest.approx(rec["metrics"]["top1"])  # the record's top-1, image by image
    top3 = [r["true_label"] in (r["label_1"], r["label_2"], r["label_3"]) for r in rows]
    assert 100 * sum(top3) / 30 >= rec["metrics"]["top1"]
    for r in rows:
        p = [float(r[f"probability_{i}"]) for i in (1, 2, 3)]
        assert p == sorted(p, reverse=True) and 0 < sum(p) <= 1 + 1e-6 and "label_4" not in r
    assert f"{30 - sum(correct)} misclassified" in capsys.readouterr().out


def test_probe_predictions_match_the_probes_accuracy(tmp_path):
    out, preds = tmp_path / "probe.json", tmp_path / "preds.json"
    assert main(["probe", "--model", "miniclip", "--dataset", "shapes10", "--limit", "60", "--device", "cpu",
                 "--fitter", "sklearn", "--steps", "5", "--search", "grid", "--cache-dir", str(tmp_path / "c"),
                 "--out", str(out), "--predictions", str(preds), "--top-k", "10"]) == 0
    rec, pred = json.loads(out.read_text()), json.loads(preds.read_text())
    rows = pred["rows"]
    assert pred["task"] == "probe" and len(rows) == rec["metrics"]["n_test"]
    assert 100 * sum(r["correct"] for r in rows) / len(rows) == pytest.approx(rec["metrics"]["top1"])
    for r in rows:
        assert sum(t["probability"] for t in r["top_k"]) == pytest.approx(1, abs=1e-6)  # all 10 classes kept


def test_results_table_shows_the_custom_template(tmp_path, capsys):
    root = tmp_path / "results"
    template = "a drawing of a {}."
    assert main(["zeroshot", "--model", "miniclip", "--dataset", "shapes10", "--limit", "10", "--device", "cpu",
                 "--template", template, "--cache-dir", str(tmp_path / "c"), "--out", str(root / "zs.json")]) == 0
    assert f"custom: {template}" in capsys.readouterr().out
    notebook = {"model": {"name": "miniclip"}, "datasets": {"shapes100": {  # notebook 03 given its own templates
        "dataset": {"name": "shapes100"}, "n_images": 5, "n_way": 100, "single": {"top1": 40.0},
        "ensemble": {"top1": 50.0}, "templates": {"ensemble": ["a {}.", "a drawing of a {}."]}}}}
    (root / "03.json").write_text(json.dumps(notebook))
    assert main(["results", "--root", str(root)]) == 0
    table = capsys.readouterr().out
    assert f"| custom: {template} |" in table
    assert "| custom: a {}. ; a drawing of a {}. |" in table and "| single |" in table


def test_styleclip_takes_the_profiles_model(tmp_path, capsys):
    out = tmp_path / "edit"
    assert main(["styleclip", "--text", "a blue circle", "--steps", "1", "--profile", "offline", "--device", "cpu",
                 "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("profile: offline, so --model miniclip. The offline profile was "
                                              "asked for.\n")
    assert json.loads((out / "result.json").read_text())["model"] == "miniclip"
