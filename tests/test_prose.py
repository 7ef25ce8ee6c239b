"""Generated sentences: verdicts follow the interval, numbers are formatted once."""

from __future__ import annotations

import re

from clip_course.report import prose


def entry(n: int, t1: float, images: int = 1000, tested: int | None = None) -> dict:
    pcs = {f"c{i}": (50.0 if i < (tested or n) else None) for i in range(n)}
    return {"n_way": n, "n_images": images, "ensemble": {"top1": t1}, "per_class_accuracy": pcs}


def test_points_never_print_a_signed_zero():
    assert prose.points(0.04) == "0.0" and prose.points(-0.04) == "0.0"
    assert prose.points(2.0) == "+2.0" and prose.points(-2.0) == "−2.0"
    assert prose.pct(-0.01) == "0.0%"


def test_granularity_verdict_follows_the_interval():
    drop = prose.granularity_sentence(("a", "b"), {"a": entry(10, 80.0), "b": entry(100, 50.0, tested=90)})
    assert "drops by 30.0 points" in drop and "100-way, test images of 90 classes" in drop
    none = prose.granularity_sentence(("a", "b"), {"a": entry(10, 50.0), "b": entry(100, 48.0)})
    assert "no detectable difference (−2.0 points, 95% CI" in none and "drops" not in none
    rise = prose.granularity_sentence(("a", "b"), {"a": entry(10, 40.0), "b": entry(100, 50.0)})
    assert "rises by 10.0 points" in rise


def test_difference_says_no_detectable_difference_inside_the_interval():
    assert prose.difference("x", "y", 0.4, -1.0, 1.8).en.startswith("no detectable difference between x and y")
    assert prose.difference("x", "y", 3.0, 1.0, 5.0).en == "x is 3.0 points above y (95% CI +1.0 to +5.0)"
    # the Chinese edition's rule: one space between Chinese and Latin letters or digits (report/typography_zh.py)
    assert prose.difference("x", "y", 3.0, 1.0, 5.0).zh == "x 比 y 高 3.0 个百分点（95% 置信区间 +1.0 至 +5.0）"
    assert "below" in prose.difference("x", "y", -3.0, -5.0, -1.0)


def test_crossover_sentence():
    curve = {"1": {"mean": 20.0, "std": 1.0}, "4": {"mean": 60.0, "std": 2.0}}
    assert "about 2.0 labelled" in prose.crossover_sentence("d", curve, 40.0)  # halfway in log2(k)
    assert "stays below" in prose.crossover_sentence("d", curve, 70.0)
    assert "already gives" in prose.crossover_sentence("d", curve, 10.0)


def test_shift_sentence_names_a_faster_classifier_only_when_the_interval_allows():
    summary = {"mean_drop_points": {"zeroshot": 10.0, "probe": 12.0},
               "degradation": {"diff": -2.0, "lo": -3.0, "hi": -1.0, "cells": 25}}
    assert "the linear probe degrades faster by 2.0 points" in prose.shift_sentence(summary, 500, "s10")
    summary["degradation"].update(lo=-3.0, hi=0.5)
    assert "no detectable difference in degradation" in prose.shift_sentence(summary, 500, "s10")


def test_tagged_numbers_carry_source_and_format():
    html = str(prose.q(94.25, "03_cifar_zero_shot:datasets.s.ensemble.top1"))
    assert re.fullmatch(r'<span class="q" data-src="03_cifar_zero_shot:datasets.s.ensemble.top1" '
                        r'data-fmt="pct">94.2%</span>', html)


def test_style_word_sentence_says_whether_the_finding_reproduced():
    assert "reproduces here" in prose.style_word_sentence([("anime", 0.8), ("a dog", 0.2)], "anime")
    text = prose.style_word_sentence([("a dog", 0.7), ("anime", 0.3)], "anime")
    assert "does not reproduce" in text and "“anime” gets 30.0%" in text and "“a dog” wins" in text


def test_the_checkpoint_is_openais_only_when_its_hash_says_so(tmp_path, monkeypatch):
    """What the abstract says the model is follows checkpoint_origin: the published sha256 (faked by
    registering the file's own hash as openai's), a hub copy converted here (its record), or any
    other file, named with its path and hash and "not OpenAI's released weights"."""
    import json

    from clip_course.core import hub, models
    from clip_course.io import sha256_file

    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "ViT-B-32.pt"
    mine.write_bytes(b"random weights")
    sha = sha256_file(mine)
    other = models.checkpoint_origin(str(mine), mine, sha)
    assert other["kind"] == "other" and other["path"] == "ViT-B-32.pt" and not models.is_openai_release(other)
    sentence = prose.model_identity({"name": "ViT-B-32.pt", "checkpoint_sha256": sha, "origin": other}).en
    assert f"checkpoint ViT-B-32.pt (sha256 {sha[:12]}…)" in sentence and "not OpenAI's released weights" in sentence
    assert f"({sha}) is not OpenAI's" in sentence and str(tmp_path) not in sentence
    assert "OpenAI's released CLIP" not in sentence

    monkeypatch.setattr(models, "openai_sha256s", lambda: {sha: "ViT-B/32"})
    released = models.checkpoint_origin("ViT-B/32", mine, sha)
    assert released["kind"] == "openai" and released["model"] == "ViT-B/32" and models.is_openai_release(released)
    assert prose.model_identity({"checkpoint_sha256": sha, "origin": released}).en.startswith(
        f"The model is OpenAI's ViT-B/32, the released file (sha256 {sha[:16]}")
    monkeypatch.undo()

    converted = hub.converted_path("ViT-B/32", tmp_path / "cache")
    converted.parent.mkdir(parents=True)
    converted.write_bytes(b"converted")
    hub.record_path(converted).write_text(json.dumps({"model": "ViT-B/32",
                                                      "source": "timm/x/open_clip_model.safetensors",
                                                      "tensors_sha256": "c" * 64, "recorded_sha256": None}))
    copy = models.checkpoint_origin("ViT-B/32", converted, sha256_file(converted))
    assert copy["kind"] == "hub" and copy["verified"] is False and models.is_openai_release(copy)
    said = prose.model_identity({"origin": copy}).en
    assert "Hugging Face hub copy timm/x/open_clip_model.safetensors" in said and "no published value" in said
