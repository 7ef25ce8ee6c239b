"""Analysis computations against independent references, its figures, and notebook 06 run quick."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from clip_course import errors
from clip_course import notebook as nb
from clip_course.core.models import load
from clip_course.data.dataset import ImageDataset
from clip_course.figures import analysis as P
from clip_course.report import prose
from clip_course.tasks import studies as A

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny(tiny_clip_path):
    return load(str(tiny_clip_path), device="cpu")


def tiny_dataset(n: int = 24, classes=("red circle", "blue square", "green star"), seed: int = 0) -> ImageDataset:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    return ImageDataset("shapes_tiny", "test", images, np.arange(n) % len(classes), list(classes))


def unit(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True)


def test_stratified_limit_keeps_every_class_equally():
    ds = tiny_dataset(60, classes=tuple("abcdef"))
    sub = A.stratified_limit(ds, 13, seed=1)
    assert np.bincount(sub.labels).tolist() == [2] * 6
    again = A.stratified_limit(ds, 13, seed=1)
    assert np.array_equal(sub.images, again.images)
    assert A.stratified_limit(ds, None) is ds and A.stratified_limit(ds, 100) is ds
    assert np.bincount(A.stratified_limit(ds, 3).labels).tolist() == [1] * 6  # never drops a class
    with pytest.raises(errors.AnalysisError, match="limit_train"):
        A.stratified_limit(ds, 0)


# ------------------------------------------------------------------------------- prompts


def test_ensemble_weights_match_openai_per_class_reference(tiny):
    from test_zeroshot import reference_classifier

    classes, templates = ["cat", "dog", "ship"], ["a photo of a {}.", "a blurry photo of the {}.", "{}"]
    W = A.ensemble_weights(A.prompt_features(tiny, classes, templates))
    torch.testing.assert_close(W, reference_classifier(tiny.model, classes, templates), atol=1e-5, rtol=1e-4)


def test_prompt_accuracies_on_constructed_features():
    # Images sit on class prototypes; template 0 names them right (100%), template 1 rotates the
    # classes (0%), so the ensemble of both is the prototypes' mean with the rotation.
    rng = np.random.default_rng(0)
    protos = unit(torch.tensor(rng.normal(size=(4, 16)), dtype=torch.float32))
    labels = np.repeat(np.arange(4), 5)
    images = unit(protos[labels] + 0.05 * torch.randn(20, 16, generator=torch.Generator().manual_seed(0)))
    feats = torch.stack([protos, protos[[1, 2, 3, 0]]], dim=1)  # (C, T, D)
    out = A.prompt_accuracies(images, labels, ["t{}", "r{}"], feats, bare=protos[[1, 2, 3, 0]], single=protos)
    assert out["per_template"] == {"t{}": 100.0, "r{}": 0.0}
    assert out["single"] == 100.0 and out["bare"] == 0.0
    ens = unit(feats.mean(dim=1))
    expected = 100.0 * float(np.mean((images @ ens.T).argmax(dim=1).numpy() == labels))
    assert out["ensemble"] == pytest.approx(expected)
    assert out["ensemble_gain_points"] == pytest.approx(expected - 100.0)
    assert out["best_template"] == ["t{}", 100.0] and out["worst_template"] == ["r{}", 0.0]


def test_prompt_study_matches_zeroshot_evaluate_per_template(tiny, tmp_path, monkeypatch):
    from clip_course.core import prompts
    from clip_course.core.feature_cache import image_features
    from clip_course.tasks.zeroshot import build_classifier, classification_metrics

    ds = tiny_dataset()
    tmpl = ["a photo of a {}.", "a drawing of a {}.", "a {} on a grey background."]
    monkeypatch.setitem(prompts._TEMPLATES, "shapes", {"ensemble": tmpl})
    feats = image_features(tiny, ds, cache_dir=str(tmp_path), progress=False)
    out = A.prompt_study(tiny, ds, feats)

    def acc(t):
        return classification_metrics(feats @ build_classifier(tiny, ds.classes, t), ds.labels, ds.classes)["top1"]

    for t in tmpl:
        assert out["per_template"][t] == pytest.approx(acc([t]))
    assert out["bare"] == pytest.approx(acc(["{}"]))
    assert out["single"] == pytest.approx(acc(["a photo of a {}."]))
    assert out["ensemble"] == pytest.approx(acc(tmpl))


def test_prompt_study_reads_03s_single_and_ensemble(tiny, tmp_path, monkeypatch):
    """Given notebook 03's entry, single and ensemble top-1 are its floats, not scored again (the
    planted values are ones no classifier of these 12 images could score)."""
    from clip_course.core import prompts
    from clip_course.core.feature_cache import image_features

    ds = tiny_dataset()
    tmpl = ["a photo of a {}.", "a drawing of a {}."]
    monkeypatch.setitem(prompts._TEMPLATES, "shapes", {"ensemble": ["unused {}"]})
    feats = image_features(tiny, ds, cache_dir=str(tmp_path), progress=False)
    entry03 = {"templates": {"ensemble": tmpl}, "single": {"top1": 12.345}, "ensemble": {"top1": 67.891}}
    out = A.prompt_study(tiny, ds, feats, entry03)
    assert (out["single"], out["ensemble"]) == (12.345, 67.891)
    assert out["ensemble_gain_points"] == 67.891 - 12.345
    assert out["templates"] == tmpl and set(out["per_template"]) == set(tmpl)


# ------------------------------------------------------------------------------- robustness


def test_robustness_entry_by_hand():
    e = A.robustness_entry([0, 1, 2], zeroshot=[80.0, 60.0, 40.0], probe=[90.0, 81.0, 72.0])
    assert e["mean_relative_drop"]["zeroshot"] == pytest.approx((0.25 + 0.5) / 2)
    assert e["mean_relative_drop"]["probe"] == pytest.approx((0.1 + 0.2) / 2)
    assert e["mean_drop_points"] == {"zeroshot": pytest.approx(30.0), "probe": pytest.approx(13.5)}
    summary = A.robustness_summary({"a": e, "b": A.robustness_entry([0, 1], [50.0, 50.0], [50.0, 25.0])})
    assert summary["mean_relative_drop"]["probe"] == pytest.approx((0.15 + 0.5) / 2)
    # zero-shot minus probe drop per set: a: 20 - 9, 40 - 18; b: 0 - 25 -> mean 8/3, t-interval over 3 sets
    gap = summary["degradation"]
    assert gap["cells"] == 3 and gap["diff"] == pytest.approx(8 / 3)
    half = 4.303 * np.std([11.0, 22.0, -25.0], ddof=1) / np.sqrt(3)
    assert (gap["lo"], gap["hi"]) == pytest.approx((8 / 3 - half, 8 / 3 + half))
    text = prose.shift_sentence(summary, 100, "shapes10")
    assert "no detectable difference in degradation" in text and "faster" not in text
    with pytest.raises(errors.AnalysisError, match="start at 0"):
        A.robustness_entry([1, 2], [1.0, 2.0], [1.0, 2.0])


def test_robustness_study_against_a_direct_pipeline(tiny, tmp_path):
    from clip_course.core.encode import encode_images
    from clip_course.core.feature_cache import image_features
    from clip_course.data.corruptions import corrupt
    from clip_course.tasks.logreg import fit_logreg

    ds = tiny_dataset(18)
    clf = A.zeroshot_classifier(tiny, ds)
    W = clf.weights
    feats = image_features(tiny, ds, cache_dir=str(tmp_path), progress=False)
    probe = fit_logreg(feats, ds.labels, C=1.0, device="cpu")
    out = A.robustness_study(tiny, ds, clf, probe, ["blur", "gaussian_noise"], [2, 5], seed=3,
                             cache_dir=str(tmp_path), progress=False)
    for kind in ("blur", "gaussian_noise"):
        assert out[kind]["severities"] == [0, 2, 5]
        for i, sev in enumerate([0, 2, 5]):
            f = encode_images(tiny, corrupt(ds.images, kind, sev, seed=3), progress=False)
            zs = 100.0 * float(np.mean((f @ W).argmax(dim=1).numpy() == ds.labels))
            pr = 100.0 * float(np.mean(probe.predict(f) == ds.labels))
            assert out[kind]["zeroshot"][i] == pytest.approx(zs)
            assert out[kind]["probe"][i] == pytest.approx(pr)
    cached = sorted(p.name for p in (tmp_path / "features").iterdir())
    assert len(cached) == 1 + 2 * 2  # clean + one file per corrupted set
    assert any(n.startswith("shapes_tiny_blur_5_test") for n in cached)


# ------------------------------------------------------------------------------- coarse vs fine


def test_coarse_groups():
    assert A.coarse_groups(["circle", "star"], ["red circle", "blue star", "red star"]) == {
        "circle": [0], "star": [1, 2]}
    from clip_course.core.prompts import CIFAR10_CLASSES, CIFAR100_CLASSES

    assert A.coarse_groups(CIFAR10_CLASSES, CIFAR100_CLASSES) is None


def test_coarse_vs_fine_on_handmade_metrics():
    from clip_course.tasks.zeroshot import classification_metrics

    coarse_cls, fine_cls = ["circle", "star"], ["red circle", "blue circle", "red star", "blue star"]
    # coarse: 4 images, 3 right. fine: red circle 2/2, blue circle 0/2 (-> red circle), stars 1/2 each.
    cs = torch.tensor([[1.0, 0], [1, 0], [0, 1], [1, 0]])
    coarse = classification_metrics(cs, [0, 0, 1, 1], coarse_cls)
    fine_pred = [0, 0, 0, 0, 2, 3, 3, 2]
    fine_true = [0, 0, 1, 1, 2, 2, 3, 3]
    fine = classification_metrics(torch.eye(4)[fine_pred], fine_true, fine_cls)
    out = A.coarse_vs_fine(coarse, fine, coarse_cls, fine_cls, n_worst=2)
    assert out["coarse_top1"] == 75.0 and out["fine_top1"] == 50.0 and out["drop_points"] == 25.0
    assert out["worst_classes"][0] == {"class": "blue circle", "top1": 0.0, "confused_with": "red circle",
                                       "confusion_rate": 100.0}
    per = {r["class"]: r for r in out["per_coarse_class"]}
    assert per["circle"]["coarse_top1"] == 100.0 and per["circle"]["fine_top1"] == 50.0
    assert per["star"]["drop_points"] == pytest.approx(0.0)
    assert out["per_coarse_class"][0]["class"] == "circle"  # largest drop first
    assert out["chance"] == {"coarse": 50.0, "fine": 25.0}


def test_comparison_table_reads_03_and_04_and_cites_the_references():
    def zs(t1, t5, n):
        return {"n_way": n, "ensemble": {"top1": t1, "top5": t5}}

    z03 = {"datasets": {"shapes10": zs(70.0, 95.0, 10), "shapes100": zs(40.0, 70.0, 100)}}
    p04 = {"datasets": {"shapes10": {"n_way": 10, "probe": {"top1": 90.0}},
                        "shapes100": {"n_way": 90, "probe": {"top1": 45.0}}}}
    rows = A.comparison_table("offline", "miniclip", "shapes10", "shapes100", zeroshot=z03, probe=p04)
    by = {(r["quantity"], r["dataset"]): r for r in rows}
    assert by["zero-shot top-1", "shapes10"]["paper"] == 91.3 and by["zero-shot top-1", "shapes10"]["ours"] == 70.0
    assert by["zero-shot top-1", "shapes100"]["clip_benchmark"] == 64.53
    assert by["linear probe top-1", "shapes10"]["paper"] == 95.1
    assert by["linear probe top-1", "shapes100"]["n_way"] == 90 and by["zero-shot top-1", "shapes100"]["n_way"] == 100
    assert by["zero-shot top-5", "shapes10"]["paper"] is None
    assert by["zero-shot top-5", "shapes10"]["clip_benchmark"] == 99.63
    assert by["linear probe top-1", "shapes100"]["source"] == "04_linear_probe:datasets.shapes100.probe.top1"
    assert {r["reference_dataset"] for r in rows} == {"cifar10", "cifar100"}
    assert all(r["profile"] == "offline" and r["reference_model"] == "ViT-B/32" for r in rows)
    md = nb.comparison_markdown(rows)
    assert md.count("\n") == len(rows) + 1 and "| 91.3 |" in md and "| – |" in md


# ------------------------------------------------------------------------------- figures


def test_coarse_fine_figure_without_groups_lists_worst_classes(tmp_path):
    summary = {"coarse_top1": 80.0, "fine_top1": 50.0, "drop_points": 30.0, "chance": {"coarse": 10.0, "fine": 1.0},
               "n_classes": {"coarse": 10, "fine": 100}, "per_coarse_class": None,
               "worst_classes": [{"class": "otter", "top1": 5.0, "confused_with": "seal", "confusion_rate": 40.0},
                                 {"class": "shrew", "top1": 8.0, "confused_with": None, "confusion_rate": 0.0}]}
    fig = P.coarse_fine(summary, "cifar10", "cifar100", save=tmp_path / "cf.png")
    assert isinstance(fig, Figure)
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert labels == ["shrew", "otter → seal"]
    assert (tmp_path / "cf.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError):
        P.robustness_curves({})


# ------------------------------------------------------------------------------- notebook


def _papermill(stem: str, model: Path, out: Path) -> Path:
    import nbformat

    nb_path = ROOT / "notebooks" / f"{stem}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    params = {**nb.metadata["clip_course"]["quick_parameters"], "profile": "offline", "model": str(model),
              "device": "cpu", "output_dir": str(out), "cache_dir": str(out / "cache")}
    out_nb = out / f"{stem}.executed.ipynb"
    cmd = [sys.executable, "-m", "papermill", str(nb_path), str(out_nb), "--cwd", str(ROOT), "-k", "python3",
           "--no-progress-bar", "-y", json.dumps(params)]
    # One thread: the tiny model's ops are microseconds, and OpenMP spinning on a shared CPU
    # would make them milliseconds.
    env = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out_nb


def test_notebook_refuses_to_run_before_03_and_04(tiny_clip_path, tmp_path):
    with pytest.raises(AssertionError, match="run notebook 03_cifar_zero_shot first"):
        _papermill("06_analysis", tiny_clip_path, tmp_path)


def test_notebook_runs_quick_and_writes_its_results(quick_report):
    """The session's quick report ran 03, 04 and then 06 with their quick parameters (conftest.quick_report)."""
    import nbformat

    out, result = quick_report
    tmp_path = out
    nb = nbformat.read(ROOT / "notebooks" / "06_analysis.ipynb", as_version=4)
    assert all(c.get("outputs", []) == [] and c.get("execution_count") is None for c in nb.cells
               if c.cell_type == "code")
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
    quick = nb.metadata["clip_course"]["quick_parameters"]
    out_nb = next(run.executed for run in result.runs if run.stem == "06_analysis")

    rec = json.loads((tmp_path / "results" / "06_analysis.json").read_text())
    z03 = json.loads((tmp_path / "results" / "03_cifar_zero_shot.json").read_text())
    assert rec["profile"] == "offline" and rec["model"]["name"] == "miniclip"
    assert set(rec["prompts"]) == {"shapes10", "shapes100"}
    for name, p in rec["prompts"].items():
        assert len(p["per_template"]) == len(p["templates"]) > 1
        assert p["ensemble_gain_points"] == pytest.approx(p["ensemble"] - p["single"])
        assert all(0 <= v <= 100 for v in [*p["per_template"].values(), p["bare"], p["single"], p["ensemble"]])
        # the same images as 03, so the same ensemble accuracy: one measurement, one number
        assert p["ensemble"] == pytest.approx(z03["datasets"][name]["ensemble"]["top1"], abs=1e-6)
    assert set(rec["robustness"]) == set(quick["corruptions"])
    for e in rec["robustness"].values():
        assert e["severities"] == [0, *quick["severities"]]
        assert len(e["zeroshot"]) == len(e["probe"]) == len(e["severities"])
    clean = {e["zeroshot"][0] for e in rec["robustness"].values()}
    assert len(clean) == 1  # every curve starts from the same clean set
    assert rec["robustness_summary"]["n_images"] == quick["robustness_limit"]
    r = rec["retrieval"]
    assert r["dataset"] == "shapes100" and r["recall@1"] <= r["recall@5"] <= r["recall@10"] <= 100
    assert len(r["free_text"]) >= 1 and all(len(q["top_indices"]) == 8 for q in r["free_text"])
    cvf = rec["coarse_vs_fine"]
    assert cvf["coarse_top1"] == pytest.approx(rec["prompts"]["shapes10"]["ensemble"])
    assert cvf["drop_points"] == pytest.approx(cvf["coarse_top1"] - cvf["fine_top1"])
    assert cvf["per_coarse_class"] and len(cvf["worst_classes"]) == 10
    assert {row["dataset"] for row in rec["comparison_table"]} == {"shapes10", "shapes100"}
    limit = json.loads((tmp_path / "results" / "03_cifar_zero_shot.json").read_text())["params"]["limit"]
    assert rec["datasets"]["test_sizes"] == {"shapes10": limit, "shapes100": limit}
    assert not math.isnan(rec["seconds"])

    figures = sorted(p.name for p in (tmp_path / "figures" / "06_analysis").iterdir())
    # offline, the published CIFAR bars are not drawn beside ShapesWorld numbers: no comparison figure
    assert figures == sorted(f"{n}.png" for n in ("prompts", "corruption_examples", "robustness",
                                                  "retrieval", "coarse_vs_fine"))
    for name in figures:
        assert (tmp_path / "figures" / "06_analysis" / name).read_bytes()[:4] == b"\x89PNG"
    executed = nbformat.read(out_nb, as_version=4)
    text = "".join(o.get("data", {}).get("text/markdown", "") for c in executed.cells for o in c.get("outputs", []))
    assert f"{rec['prompts']['shapes10']['ensemble']:.1f}%" in text  # prose numbers come from the results
