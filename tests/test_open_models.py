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
    assert f"positive amount on {len(up)} of {len(scale)}" in s.get("en") and f"{len(scale)} 个数据集中的 {len(up)} 个" in s.get("zh")
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
