"""The open-models section: CLIP_benchmark's published figures by pretraining data and compute (cited data)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from clip_course.data import published
from clip_course.report import prose_open

CSV = Path(published.__file__).parents[1] / "references" / "clip_benchmark_zeroshot_all.csv"


def _rows() -> dict[tuple[str, str, str], float]:
    with open(CSV, newline="") as f:
        return {(r["model"], r["pretrained"], r["dataset"]): 100 * float(r["acc1"])
                for r in csv.DictReader(f) if r["task"] == "zeroshot_classification" and r["acc1"]}


def test_data_scale_reads_the_published_rows():
    rows = _rows()
    scale = published.data_scale("ViT-B-32")
    assert list(scale) == list(published.REPORT_DATASETS)
    assert scale["vtab/cifar10"]["WIT-400M"] == pytest.approx(rows[("ViT-B-32", "openai", "vtab/cifar10")])
    assert scale["vtab/cifar10"]["LAION-2B"] == pytest.approx(rows[("ViT-B-32", "laion2b_s34b_b79k", "vtab/cifar10")])
    # CLIP_benchmark ran LAION-400M's ViT-B/32 under its QuickGELU name
    assert scale["mnist"]["LAION-400M"] == pytest.approx(rows[("ViT-B-32-quickgelu", "laion400m_e32", "mnist")])
    assert published.data_scale("ViT-L-14")["cars"]["LAION-2B"] == pytest.approx(
        rows[("ViT-L-14", "laion2b_s32b_b82k", "cars")])


def test_compute_points_average_the_report_datasets():
    rows = _rows()
    points = {(p["model"], p["pretrained"]): p for p in published.compute_points()}
    want = sum(rows[("ViT-H-14", "laion2b_s32b_b79k", d)] for d in published.REPORT_DATASETS) / len(
        published.REPORT_DATASETS)
    assert points[("ViT-H-14", "laion2b_s32b_b79k")]["mean_acc1"] == pytest.approx(want)
    assert points[("ViT-H-14", "laion2b_s32b_b79k")]["gmacs"] == 190.97  # probe_benchmark/clip_table_2.csv
    assert len(points) == 13 and {p["training_data"] for p in points.values()} == {"WIT-400M", "LAION-400M", "LAION-2B"}


def test_sentences_count_what_the_table_shows():
    scale = published.data_scale("ViT-B-32")
    up = [d for d, a in scale.items() if a["LAION-2B"] > a["LAION-400M"]]
    down = [d for d in scale if d not in up]
    assert prose_open.gains(scale, "LAION-2B", "LAION-400M") == (up, down)
    s = prose_open.data_sentence("ViT-B-32", scale)
    assert (f"positive amount on {len(up)} of {len(scale)}" in s.get("en")
            and f"{len(scale)} 个数据集中的 {len(up)} 个" in s.get("zh"))
    worry = prose_open.worry_sentence(scale, "ViT-B-32")
    for d in down:  # a dataset that fell is named in both languages
        assert d.removeprefix("vtab/") in worry.get("en") and d.removeprefix("vtab/") in worry.get("zh")
    same = {d: {"WIT-400M": 50.0, "LAION-400M": 60.0, "LAION-2B": 70.0} for d in ("a", "b")}
    assert "did not raise" not in prose_open.worry_sentence(same, "X").get("en")  # no claim the figures do not show
    from test_verdicts import CLAIMS

    for text in (s, worry, prose_open.compute_sentence(published.compute_points(), len(scale))):
        assert not CLAIMS.search(text.get("en")), text.get("en")  # single published figures: no claim word


def test_figure_is_written(tmp_path):
    from clip_course.figures.open_models import data_scale

    scale = {a: published.data_scale(a) for a in published.DATA_SCALE}
    data_scale(scale, published.compute_points(), save=tmp_path / "open.png")
    assert (tmp_path / "open.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_results_puts_openais_and_laions_rows_side_by_side_with_the_published_figures(tmp_path):
    """`results`: openai's ViT-B/32 (its released sha256) next to LAION's ViT-B-32 tag (the hub's file),
    each with CLIP_benchmark's own figure; notebook 07's open-models rows are read; a fake gets none."""
    from clip_course.core import models
    from clip_course.io import write_json
    from clip_course.report.collect import collect

    rows = _rows()
    openai_sha = models.openai_sha256("ViT-B/32")
    laion = "ViT-B-32:laion2b_s34b_b79k"
    write_json(tmp_path / "b.json", {"benchmark_rows": [
        {"model": m, "dataset": "cifar10", "task": "zeroshot_classification", "acc1": 50.0, "template": "ensemble",
         "n_way": 10, "n_images": 10000, "checkpoint_sha256": sha, "checkpoint_published": pub}
        for m, sha, pub in (("ViT-B/16", models.openai_sha256("ViT-B/16"), False), ("ViT-B/32", openai_sha, False),
                            (laion, "c" * 64, True))]})
    base = {"model": "ViT-B/32", "checkpoint_sha256": "d" * 64, "checkpoint_published": False}  # a fake
    write_json(tmp_path / "07_zero_shot_across_datasets.json", {
        "notebook": "07_zero_shot_across_datasets", "model": {"name": "fake.pt"}, "datasets": {},
        "open_models": [{**base, "model": "fake.pt", "dataset": "cifar100", "top1": 1.0, "n_test": 20, "n_way": 100},
                        {"model": "ViT-B-32:laion400m_e32", "checkpoint_sha256": "e" * 64,
                         "checkpoint_published": False,
                         "dataset": "cifar100", "top1": 2.0, "n_test": 20, "n_way": 100}]})
    table, _ = collect(tmp_path)
    got = [(r["dataset"], r["model"], r["checkpoint"], r["benchmark_acc1"]) for r in table]
    assert got == [
        ("cifar10", "ViT-B/16", "openai", pytest.approx(rows[("ViT-B-16", "openai", "vtab/cifar10")])),
        ("cifar10", "ViT-B/32", "openai", pytest.approx(rows[("ViT-B-32", "openai", "vtab/cifar10")])),
        ("cifar10", laion, "open_clip (hub file)",
         pytest.approx(rows[("ViT-B-32", "laion2b_s34b_b79k", "vtab/cifar10")])),
        ("cifar100", "ViT-B-32:laion400m_e32", "", None),
        ("cifar100", "fake.pt", "", None)]


def test_measured_rows_pair_each_model_with_the_base_on_the_same_images(tmp_path, tiny_clip_path):
    """Each row is the model's own zero-shot (Wilson interval); each other model's difference to the base
    is the paired bootstrap over the same images; a file that is not a published one has no figure."""
    import numpy as np
    import torch
    from conftest import make_tiny_clip

    from clip_course.core import prompts
    from clip_course.core.encode import encode_images
    from clip_course.core.models import load
    from clip_course.data.dataset import ImageDataset
    from clip_course.tasks import open_models, zeroshot
    from clip_course.tasks.stats import paired_difference, wilson

    other = tmp_path / "other.pt"
    torch.save(make_tiny_clip(seed=7).state_dict(), other)
    rng = np.random.default_rng(1)
    ds = ImageDataset("cifar10", "test", rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8), np.arange(30) % 3,
                      ["cat", "dog", "bird"], {})
    base = load(str(tiny_clip_path), device="cpu")
    rows = open_models.measure(base, [str(other)], ds, batch_size=8, cache_dir=None, seed=3)
    assert [r["model"] for r in rows] == [base.name, str(other)] and rows[0]["vs_base"] is None
    correct = []
    for r, lm in zip(rows, (base, load(str(other), device="cpu")), strict=True):
        feats = encode_images(lm, ds.images, normalize=True, progress=False)
        scored = zeroshot.score(lm, feats, ds.labels, ds.classes, prompts.templates("ensemble", "cifar10"))
        correct.append(scored.correct)
        assert r["top1"] == pytest.approx(scored.top1) and (r["lo"], r["hi"]) == pytest.approx(wilson(scored.top1, 30))
        assert r["n_test"] == 30 and r["n_way"] == 3 and r["published"] is None and not r["checkpoint_published"]
    d = paired_difference(correct[1], correct[0], seed=3)
    assert (rows[1]["vs_base"]["diff"], rows[1]["vs_base"]["lo"], rows[1]["vs_base"]["hi"]) == pytest.approx(d)
    assert open_models.on_disk([str(other), str(tmp_path / "missing.pt")]) == (
        [str(other)], {str(tmp_path / "missing.pt"): f"model checkpoint {tmp_path / 'missing.pt'} (not a file)"})


def test_measured_sentence_gives_the_gates_words_and_says_not_comparable():
    base = {"model": "ViT-B/32", "dataset": "cifar10", "n_test": 200, "published": None, "vs_base": None,
            "top1": 60.0, "lo": 53.1, "hi": 66.5}
    up = {**base, "model": "ViT-B-32:laion2b_s34b_b79k", "published": {"acc1": 93.5},
          "vs_base": {"diff": 4.0, "lo": 1.0, "hi": 7.0}}
    flat = {**base, "model": "ViT-B-32:laion400m_e32", "vs_base": {"diff": 1.0, "lo": -2.0, "hi": 4.0}}
    s = prose_open.measured_sentence([base, up, flat])
    assert "ViT-B-32:laion2b_s34b_b79k is 4.0 points above ViT-B/32 (95% CI +1.0 to +7.0)" in s.en
    assert "no detectable difference between ViT-B-32:laion400m_e32 and ViT-B/32" in s.en
    assert "Not comparable with CLIP_benchmark's figures: ViT-B/32, ViT-B-32:laion400m_e32 (" in s.en
    assert "不能与 CLIP_benchmark 的数字比较" in s.zh
    headers, table = prose_open.measured_table([base, up, flat])
    assert headers[4] == "− ViT-B/32 [95% CI]" and [r[5] for r in table][1] == "93.5"
    assert str(table[0][5]) == str(prose_open.tr("not comparable")) and table[1][4] == "+4.0 [+1.0, +7.0]"
    assert "offline build shows the published part only" in prose_open.not_measured_sentence(True, {}).en


def test_a_checkpoint_path_is_shown_by_its_file_name():
    base = {"model": "/somewhere/clip-cache/ViT-B-32.pt", "dataset": "cifar10", "n_test": 20, "published": None,
            "vs_base": None, "top1": 10.0, "lo": 2.8, "hi": 30.1}
    other = {**base, "model": "ViT-B-32:laion2b_s34b_b79k", "vs_base": {"diff": 5.0, "lo": -5.0, "hi": 15.0}}
    text = prose_open.measured_sentence([base, other]).en + str(prose_open.measured_table([base, other]))
    assert "/somewhere" not in text and "ViT-B-32.pt" in text
    missing = prose_open.not_measured_sentence(False,
                                               {"/x/y/ViT-L-14.pt": "model checkpoint /x/y/ViT-L-14.pt (not a file)"})
    assert missing.en == "Not measured, weights not on disk: ViT-L-14.pt."
