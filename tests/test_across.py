"""Notebook 07's study (tasks/across.py), its sentences (report/prose_across.py) and figures."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from clip_course.core import prompts
from clip_course.core.encode import encode_images
from clip_course.core.models import load
from clip_course.data.dataset import ImageDataset
from clip_course.errors import NotebookError
from clip_course.figures import across as figs
from clip_course.notebook.params import validate_params
from clip_course.report import prose_across
from clip_course.report.schema import SCHEMAS, ResultsSchemaError, example, validate
from clip_course.tasks import across, zeroshot
from clip_course.tasks.stats import wilson

Z = 1.959964


def probe_entry(zs: float, pr: float, d: tuple[float, float, float], n: int = 200) -> dict:
    """What notebook.probe_entry returns, with only the keys 07 reads."""
    return {"n_way": 10, "n_train": 1000, "n_test": n, "classes_without_training_images": ["x"], "train": {},
            "test": {},
            "zeroshot": {"top1": zs, "top5": 99.0}, "probe": {"top1": pr, "top5": 99.5, "C": 3.0},
            "probe_minus_zeroshot": dict(zip(("diff", "lo", "hi"), d, strict=True))}


def entry(diff: float, lo: float, hi: float, fam_name: str) -> dict:
    return {"family": across.family(fam_name), "zeroshot_minus_probe": {"diff": diff, "lo": lo, "hi": hi}}


def test_with_intervals_flips_to_figure_5s_sign_and_adds_wilson_intervals():
    e = across.with_intervals("shapes_count", probe_entry(20.0, 60.0, (40.0, 31.0, 48.5)), "07_x")
    assert e["zeroshot_minus_probe"] == {"diff": -40.0, "lo": -48.5, "hi": -31.0}
    assert (e["zeroshot"]["lo"], e["zeroshot"]["hi"]) == pytest.approx(wilson(20.0, 200))
    assert (e["probe"]["lo"], e["probe"]["hi"]) == pytest.approx(wilson(60.0, 200))
    assert e["family"] == "counting" and e["source"] == "07_x" and e["left_out"] == ["x"]


def test_family_gaps_keep_a_lone_datasets_interval_and_combine_independent_ones():
    entries = {"shapes10": entry(0.5, -4.5, 5.5, "shapes10"),
               "shapes10_sketch": entry(2.0, -2.0, 6.0, "shapes10_sketch"),
               "shapes10_photo": entry(-1.0, -7.0, 5.0, "shapes10_photo")}
    gaps = across.family_gaps(entries)
    assert gaps["objects"] == {"diff": 0.5, "lo": -4.5, "hi": 5.5, "n_datasets": 1}
    se1, se2 = 8.0 / (2 * Z), 12.0 / (2 * Z)  # read back from the two intervals' widths
    se = math.sqrt(se1**2 + se2**2) / 2
    assert gaps["style-shifted"]["diff"] == pytest.approx(0.5)
    assert gaps["style-shifted"]["lo"] == pytest.approx(0.5 - Z * se)
    assert gaps["style-shifted"]["hi"] == pytest.approx(0.5 + Z * se)


def test_paper_contrast_sets_objects_against_the_hardest_other_family():
    gaps = {"objects": {"diff": 1.0, "lo": -1.0, "hi": 3.0}, "fine-grained": {"diff": -50.0, "lo": -52, "hi": -48},
            "style-shifted": {"diff": -2.0, "lo": -4.0, "hi": 0.0}, "counting": {"diff": -30.0, "lo": -34, "hi": -26}}
    c = across.paper_contrast(gaps)
    assert c["against"] == "counting"  # fine-grained objects are Figure 5's object side, not its other
    half = Z * math.hypot(4 / (2 * Z), 8 / (2 * Z))
    assert (c["diff"], c["lo"], c["hi"]) == pytest.approx((31.0, 31.0 - half, 31.0 + half))
    assert across.paper_contrast({"counting": gaps["counting"]}) is None


def test_verdict_counts_follow_the_intervals():
    entries = {"a": entry(3, 1, 5, "shapes10"), "b": entry(-3, -5, -1, "shapes_count"),
               "c": entry(1, -1, 3, "shapes100"), "d": entry(0.1, 0.0, 0.2, "shapes10_photo")}
    assert across.verdict_counts(entries) == {"ahead": 1, "behind": 1, "tied": 2}  # lo == 0 does not exclude 0


def test_merge_sweep_adds_up_across_runs_of_the_same_profile_and_datasets():
    old = {"RN50": {"profile": "paper", "zeroshot_top1": {"cifar10": 70.0}},
           "ViT-B/32": {"profile": "paper", "zeroshot_top1": {"cifar10": 80.0}},
           "miniclip": {"profile": "offline", "zeroshot_top1": {"cifar10": 10.0}},
           "ViT-B/16": {"profile": "paper", "zeroshot_top1": {"stl10": 90.0}}}
    new = {"ViT-B/32": {"profile": "paper", "zeroshot_top1": {"cifar10": 81.0}}}
    merged = across.merge_sweep(old, new, ["cifar10"], "paper")
    assert sorted(merged) == ["RN50", "ViT-B/32"]
    assert merged["ViT-B/32"]["zeroshot_top1"]["cifar10"] == 81.0


def test_sweep_top1_is_scored_on_the_probes_task(tiny_clip_path):
    """Classes without training images (and their images) are left out, as 07's entries score it:
    the result equals zero-shot on a dataset built without them by hand."""
    lm = load(str(tiny_clip_path), device="cpu")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(30) % 3
    ds = ImageDataset("t", "test", images, labels, ["cat", "dog", "bird"], {})
    got = across.zeroshot_top1(lm, ds, ["dog"], batch_size=8, cache_dir=None)
    keep = labels != 1
    by_hand = ImageDataset("t", "test", images[keep], np.where(labels[keep] == 2, 1, 0), ["cat", "bird"], {})
    feats = encode_images(lm, by_hand.images, batch_size=8, progress=False)
    w = zeroshot.build_classifier(lm, by_hand.classes, prompts.templates("ensemble", "t"))
    want = 100.0 * float(((feats.float() @ w.float()).argmax(1) == torch.as_tensor(by_hand.labels)).float().mean())
    assert got == pytest.approx(want, abs=1e-6)


def test_images_per_second_counts_what_it_encodes(tiny_clip_path, monkeypatch):
    lm = load(str(tiny_clip_path), device="cpu")
    images = np.zeros((12, 32, 32, 3), dtype=np.uint8)
    clock = iter([10.0, 13.0, 20.0, 22.0])  # two timed passes: 3 s, then 2 s
    monkeypatch.setattr(across, "perf_counter", lambda: next(clock))
    assert across.images_per_second(lm, images, batch_size=4, repeats=2) == pytest.approx(12 / 2.0)


def test_family_sentence_reads_a_lone_dataset_as_its_difference():
    s = prose_across.family_sentence("counting", {"datasets": ["shapes_count"], "ahead": 0, "behind": 1, "tied": 0},
                                     {"diff": -35.0, "lo": -43.5, "hi": -26.0}).en
    assert s.startswith("*Counting* (shapes_count): zero-shot is 35.0 points below the probe")
    assert "95% CI" in s
    tied = prose_across.family_sentence("objects", {"datasets": ["a", "b"], "ahead": 0, "behind": 0, "tied": 2},
                                        {"diff": 0.4, "lo": -1.0, "hi": 1.8}).en
    # no interval over fewer than three datasets (verdicts.MIN_UNITS)
    assert "not detectably different on 2 of these 2 sets" in tied and "95% CI" not in tied
    assert "too few sets for an interval (at least 3)" in tied
    three = prose_across.family_sentence("objects", {"datasets": ["a", "b", "c"], "ahead": 0, "behind": 0, "tied": 3},
                                         {"diff": 0.4, "lo": -1.0, "hi": 1.8}).en
    assert "not detectably different on 3 of these 3 sets" in three and "95% CI −1.0 to +1.8" in three


def test_paper_sentence_says_when_the_order_disagrees_with_the_paper():
    agree = prose_across.paper_sentence({"against": "counting", "diff": 30.0, "lo": 20.0, "hi": 40.0}, offline=True).en
    assert "as the paper found" in agree and "disagrees" not in agree
    unclear = prose_across.paper_sentence({"against": "counting", "diff": 3.0, "lo": -2.0, "hi": 8.0}, offline=True).en
    # an interval that contains zero neither agrees nor disagrees (the same rule for every row)
    assert "disagrees" not in unclear and "cannot tell" in unclear and "no detectable difference" in unclear
    against = prose_across.paper_sentence({"against": "counting", "diff": -9.0, "lo": -12.0, "hi": -6.0},
                                          offline=True).en
    assert "This disagrees with the paper" in against


def test_benchmark_sentence_never_sets_published_figures_beside_other_weights():
    entries = {"cifar10": {"benchmark": None, "zeroshot": {"top1": 88.0, "lo": 87.0, "hi": 89.0}}}
    s = prose_across.benchmark_sentence(entries, "ViT-B/32", openai_weights=False, offline=False).en
    assert "not OpenAI's released file" in s and "89.8" not in s
    entries["cifar10"]["benchmark"] = {"acc1": 89.82, "source": "CLIP_benchmark"}
    s = prose_across.benchmark_sentence(entries, "ViT-B/32", openai_weights=True, offline=False).en
    assert "cifar10 89.8% (ours 88.0% (95% CI 87.0 to 89.0%))" in s and "CLIP_benchmark (LAION)" in s


def test_figures_render(tmp_path):
    entries = {"shapes10": entry(0.5, -4.5, 5.5, "shapes10"), "shapes_count": entry(-35, -43, -26, "shapes_count")}
    figs.zeroshot_minus_probe(entries, save=tmp_path / "a.png")
    sweep = {"m": {"images_per_s": 100.0, "parameters": 3_500_000, "mean_zeroshot_top1": 60.0}}
    figs.accuracy_vs_speed(sweep, save=tmp_path / "b.png")
    assert all((tmp_path / f).read_bytes()[:4] == b"\x89PNG" for f in ("a.png", "b.png"))


def test_07_takes_any_number_of_datasets_and_03_still_a_pair():
    validate_params({"datasets": ["shapes10", "shapes_count", "shapes10_photo"]}, "07_zero_shot_across_datasets")
    with pytest.raises(NotebookError, match="datasets"):
        validate_params({"datasets": ["shapes10", "shapes_count", "shapes10_photo"]}, "03_cifar_zero_shot")


def test_schema_refuses_a_07_record_without_its_counts():
    rec = example(SCHEMAS["07_zero_shot_across_datasets"])
    validate("07_zero_shot_across_datasets", rec)
    del rec["verdict_counts"]
    with pytest.raises(ResultsSchemaError, match="verdict_counts"):
        validate("07_zero_shot_across_datasets", rec)


def test_paper_sets_present_missing_and_fetched(tmp_path, monkeypatch):
    """A torchvision set on disk is used, a missing one is named with the command that fetches it,
    and with fetch=True the missing one goes through ensure_dataset first."""
    from test_datasets_named import write_eurosat

    from clip_course.data import download

    write_eurosat(tmp_path)
    names, missing = across.split_present(["eurosat", "mnist"], root=str(tmp_path))
    assert names == ["eurosat"] and "download --datasets mnist" in missing["mnist"]
    fetched = []
    monkeypatch.setattr(download, "ensure_dataset", lambda name, root: fetched.append(name))
    across.split_present(["eurosat", "mnist"], root=str(tmp_path), fetch=True)
    assert fetched == ["eurosat", "mnist"]


def test_published_figures_only_for_openais_weights():
    from types import SimpleNamespace

    from clip_course.core.models import openai_sha256
    from clip_course.data.published import benchmark_zeroshot

    theirs = SimpleNamespace(name="ViT-B/32", checkpoint="ViT-B-32.pt", checkpoint_sha256=openai_sha256("ViT-B/32"))
    mine = SimpleNamespace(name="ViT-B/32", checkpoint="ViT-B-32.pt", checkpoint_sha256="0" * 64)
    assert across.published_zeroshot(theirs, "eurosat") == benchmark_zeroshot("ViT-B/32", "eurosat") is not None
    assert across.published_zeroshot(mine, "eurosat") is None


def test_measure_on_a_torchvision_layout(tmp_path, tiny_clip_path, monkeypatch):
    """07's per-dataset measurement through real files: the probe and zero-shot are scored on the same
    test images (n_test = the seeded test split), and the difference is zero-shot minus probe."""
    from types import SimpleNamespace

    from test_datasets_named import write_eurosat

    from clip_course.data import catalog

    write_eurosat(tmp_path)
    real = catalog.load_dataset
    monkeypatch.setattr(catalog, "load_dataset", lambda name, split, **kw: real(name, split, root=tmp_path, **kw))
    session = SimpleNamespace(lm=load(str(tiny_clip_path), device="cpu"), seed=0,
                              notebook="07_zero_shot_across_datasets")
    e = across.measure(session, "eurosat", limit=None, limit_train=None, grid_steps=3, max_iter=20, batch_size=16,
                       cache_dir=None)
    test = real("eurosat", "test", root=tmp_path)
    assert e["n_test"] == len(test) and e["family"] == "specialised"
    assert 0 <= e["zeroshot"]["lo"] <= e["zeroshot"]["top1"] <= e["zeroshot"]["hi"] <= 100
    assert e["zeroshot_minus_probe"]["diff"] == pytest.approx(e["zeroshot"]["top1"] - e["probe"]["top1"])


def test_results_table_collects_07s_rows_and_its_sweep(tmp_path):
    """`results` reads 07's zero-shot (the probe's task) and probe rows, and each other swept model's."""
    from clip_course.io import write_json
    from clip_course.report.collect import collect

    e = across.with_intervals("shapes100", {**probe_entry(51.0, 44.0, (-7.0, -14.0, 0.0)), "n_way": 90}, "07")
    e["benchmark"] = None
    main = {"name": "miniclip", "checkpoint_sha256": "a" * 64}
    rec = dict(notebook="07_zero_shot_across_datasets", model=main, datasets={"shapes100": e},
               sweep={"miniclip": {"model": "miniclip", "checkpoint_sha256": "a" * 64,
                                   "zeroshot_top1": {"shapes100": 51.0}},
                      "other": {"model": "other.pt", "checkpoint_sha256": "b" * 64,
                                "zeroshot_top1": {"shapes100": 12.5}}})
    write_json(tmp_path / "07_zero_shot_across_datasets.json", rec)
    rows, _ = collect(tmp_path)
    got = {(r["model"], r["task"]): (r["acc1"], r["n_way"], r["n_images"]) for r in rows}
    assert got == {("miniclip", "zeroshot_classification"): (51.0, 90, 200),
                   ("miniclip", "linear_probe"): (44.0, 90, 200),
                   ("other.pt", "zeroshot_classification"): (12.5, 90, 200)}


def test_sweep_scores_every_model_on_the_same_task_and_reuses_the_sessions(tmp_path, tiny_clip_path):
    """The session's model reads its top-1 from the entries (measured once); another checkpoint is
    scored by zeroshot_top1 on the same images and classes, and timed on the same images."""
    from types import SimpleNamespace

    from conftest import make_tiny_clip

    other = tmp_path / "other.pt"
    torch.save(make_tiny_clip(seed=7).state_dict(), other)
    session = SimpleNamespace(lm=load(str(tiny_clip_path), device="cpu"), profile=SimpleNamespace(name="offline"))
    rng = np.random.default_rng(1)
    ds = ImageDataset("t", "test", rng.integers(0, 256, (12, 32, 32, 3), dtype=np.uint8), np.arange(12) % 3,
                      ["cat", "dog", "bird"], {})
    entries = {"t": {"zeroshot": {"top1": 42.0}, "left_out": []}}
    sweep = across.sweep_models(session, [str(tiny_clip_path), str(other)], entries, {"t": ds}.__getitem__,
                                timed_images=8, batch_size=4, cache_dir=None)
    assert sweep[str(tiny_clip_path)]["zeroshot_top1"] == {"t": 42.0}
    want = across.zeroshot_top1(load(str(other), device="cpu"), ds, [], batch_size=4, cache_dir=None)
    assert sweep[str(other)]["zeroshot_top1"] == {"t": pytest.approx(want)}
    assert all(e["n_timed"] == 8 and e["images_per_s"] > 0 and e["parameters"] > 0 for e in sweep.values())
    assert sweep[str(other)]["checkpoint_sha256"] != sweep[str(tiny_clip_path)]["checkpoint_sha256"]


def test_paper_sentence_says_so_when_zero_shot_wins_nowhere():
    c = {"against": "counting", "diff": 30.0, "lo": 20.0, "hi": 40.0}
    assert "Unlike Figure 5" in prose_across.paper_sentence(c, offline=True, ahead=0).en
    assert "Unlike Figure 5" not in prose_across.paper_sentence(c, offline=True, ahead=2).en
