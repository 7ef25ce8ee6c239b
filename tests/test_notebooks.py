"""Notebooks 01-04 run headlessly (papermill, offline profile, quick parameters) and write what
the report reads; every committed notebook is clean (no outputs, one literal parameters cell,
an Open-in-Colab badge, the Colab-only install cell)."""

from __future__ import annotations

import ast
import io
import json
import re
import subprocess
import sys
import tokenize
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest
from PIL import Image

from clip_course import notebook as nbh
from clip_course.data import dataset as dataset_data
from clip_course.report import schema
from clip_course.report.i18n import select
from clip_course.tasks.stats import crossover_k

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
OURS = ["01_intro", "02_single_image", "03_cifar_zero_shot", "04_linear_probe"]
FIGURES = {
    "01_intro": ["similarity", "zero_shot_pipeline", "pretraining"],
    "02_single_image": ["gallery", "rankings", "refinement", "style_word", "generic_vs_specific"],
    "03_cifar_zero_shot": ["accuracy", "per_class_shapes10", "per_class_shapes100", "confusion_shapes10",
                           "most_confused_shapes100", "predictions_shapes10", "predictions_shapes100"],
    "04_linear_probe": ["sweep", "probe_vs_zeroshot", "kshot"],
}


# ------------------------------------------------------------------------------ hygiene


def parameter_cells(nb: nbformat.NotebookNode) -> list:
    return [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} holds outputs: run tools/strip_notebooks.py"
            assert cell.execution_count is None, f"{path.name} holds execution counts"
    assert "papermill" not in nb.metadata
    params = parameter_cells(nb)
    assert len(params) == 1, f"{path.name} needs exactly one cell tagged 'parameters', has {len(params)}"
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    assert nbh.colab_url(path.stem) in first_md.source and "colab-badge" in first_md.source
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert '"google.colab" in sys.modules' in first_code.source and nbh.COLAB_PACKAGE in first_code.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_are_commented_literals(path):
    source = parameter_cells(nbformat.read(path, as_version=4))[0].source
    tree = ast.parse(source)
    assigned = []
    for stmt in tree.body:
        # papermill's typed form, ``name: type = literal  # help``
        assert isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None, \
            f"{path.name}: parameters cell may only hold `name: type = value  # help`: {ast.unparse(stmt)}"
        default = ast.literal_eval(stmt.value)  # raises on anything computed
        # the annotation is a builtin type or a quoted typing expression: the cell runs without imports
        note = stmt.annotation.value if isinstance(stmt.annotation, ast.Constant) else ast.unparse(stmt.annotation)
        assert _type_admits(note, default), f"{path.name}: {stmt.target.id}'s default {default!r} is not a {note}"
        assigned.append(stmt.lineno)
    comments = {tok.start[0] for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                if tok.type == tokenize.COMMENT}
    assert set(assigned) <= comments, f"{path.name}: every parameter needs a trailing comment"
    exec(compile(source, path.name, "exec"), {})  # the annotations evaluate in a bare namespace
    # papermill must see each one (it skips a line holding a second "="), with its type and help text
    import papermill

    inferred = papermill.inspect_notebook(str(path))
    assert list(inferred) == [stmt.target.id for stmt in tree.body]
    assert all(p["help"] for p in inferred.values()), f"{path.name}: a parameter has no help text"
    assert all(p["inferred_type_name"] not in ("None", "") for p in inferred.values()), \
        f"{path.name}: papermill --help-notebook shows an 'Unknown type'"
    if path.stem in OURS:
        names = {stmt.target.id for stmt in tree.body}
        assert {"profile", "model", "device", "seed", "output_dir", "lang"} <= names


def _type_admits(note: str, value: object) -> bool:
    """Whether ``value`` fits the annotation text ``note`` (Optional[...], list[...], builtins)."""
    if note.startswith("Optional[") and note.endswith("]"):
        return value is None or _type_admits(note[9:-1], value)
    if note.startswith("list[") and note.endswith("]"):
        return isinstance(value, list) and all(_type_admits(note[5:-1], v) for v in value)
    kinds = {"str": str, "int": int, "float": (int, float), "bool": bool}
    return note in kinds and isinstance(value, kinds[note]) and (note == "bool") == isinstance(value, bool)


def test_type_admits_by_hand():
    assert _type_admits("Optional[list[int]]", None) and _type_admits("Optional[list[int]]", [1, 2])
    assert not _type_admits("list[int]", [1, "2"]) and not _type_admits("int", True)
    assert _type_admits("float", 0) and not _type_admits("str", None) and not _type_admits("Optional[int]", 1.5)


def test_strip_tool_clears_an_executed_notebook(tmp_path):
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="hi")]
    code.execution_count = 3
    nb.metadata["papermill"] = {"parameters": {}}
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    tool = [sys.executable, str(ROOT / "tools" / "strip_notebooks.py")]
    assert subprocess.run([*tool, "--check", str(path)], capture_output=True).returncode == 1
    assert subprocess.run([*tool, str(path)], capture_output=True).returncode == 0
    assert subprocess.run([*tool, "--check", str(path)], capture_output=True).returncode == 0
    clean = nbformat.read(path, as_version=4)
    assert all(c.get("outputs", []) == [] for c in clean.cells) and "papermill" not in clean.metadata
    assert [c.source for c in clean.cells] == [c.source for c in nbformat.read(NOTEBOOKS[0], as_version=4).cells]


# ------------------------------------------------------------------------------ helpers


def test_similarity_stats_by_hand():
    sim = np.array([[0.5, 0.1], [0.4, 0.3]])
    s = nbh.similarity_stats(sim)
    assert s["diagonal_mean"] == pytest.approx(0.4) and s["off_diagonal_mean"] == pytest.approx(0.25)
    assert s["batch_top1"] == 50.0  # row 2 prefers text 1
    assert s["batch_top1_text_to_image"] == 100.0  # column maxima are on the diagonal


def test_pick_examples_fills_short_side():
    correct = np.array([True] * 10 + [False] * 2)
    idx = nbh.pick_examples(correct, 4, 4, seed=1)
    assert len(idx) == 8 and correct[idx].sum() == 6 and len(set(idx)) == 8
    assert len(nbh.pick_examples(np.ones(3, bool), 4, 4)) == 3


def test_topk_predictions_are_softmax_of_logits():
    logits = np.array([[0.0, 2.0, 1.0]])
    idx, prob = nbh.topk_predictions(logits, k=2)
    e = np.exp([0.0, 2.0, 1.0]) / np.exp([0.0, 2.0, 1.0]).sum()
    assert idx.tolist() == [[1, 2]] and prob[0] == pytest.approx(e[[1, 2]], rel=1e-6)


def test_model_table_lists_loaded_beside_reference():
    info = {"name": "miniclip", "parameters": 1234567, "vision_layers": 4, "logit_scale": 50.0}
    table = select(nbh.model_table(info), "en")
    assert "| parameters | 1,234,567 | 151,277,313 |" in table
    assert "| 参数量 | 1,234,567 | 151,277,313 |" in select(nbh.model_table(info), "zh")
    assert "OpenAI's ViT-B/32" in table.splitlines()[0]
    assert "OpenAI" not in select(nbh.model_table({**info, "name": "ViT-B/32"}), "en").splitlines()[0]


def _session(sha: str) -> nbh.Session:
    import torch

    lm = SimpleNamespace(name="ViT-B/32", checkpoint=Path("ViT-B-32.pt"), checkpoint_sha256=sha,
                         input_resolution=224, dtype=torch.float32, device="cpu")
    return nbh.Session("03_cifar_zero_shot", None, lm, nbh.Outputs("03_cifar_zero_shot"), 0)


def test_references_comparable_only_for_openais_file_on_cifar():
    """The published bars measure openai's released ViT-B/32 on CIFAR: a file of another hash at the
    same name (a random or fine-tuned checkpoint), another openai model or another dataset is not it."""
    from clip_course.core import models

    openai = _session(models.openai_sha256("ViT-B/32"))
    assert nbh.references("zeroshot", "cifar100", "fine", openai)["comparable"] is True
    assert nbh.references("zeroshot", "cifar100", "fine", _session("ab" * 32))["comparable"] is False
    assert nbh.references("zeroshot", "cifar100", "fine",
                          _session(models.openai_sha256("ViT-B/16")))["comparable"] is False
    assert nbh.references("zeroshot", "cifar100", "fine")["comparable"] is False  # no session: nothing claimed
    ref = nbh.references("zeroshot", "shapes100", "fine", openai)
    assert ref["comparable"] is False and ref["dataset"] == "cifar100" and ref["paper"]["top1"] == 65.1


# ------------------------------------------------------------------------------ papermill runs


@pytest.fixture(scope="module")
def runs(quick_report):
    """Notebooks 01-04 as the session's quick offline report ran them (conftest.quick_report: papermill
    through the report runner, quick parameters): its output root and
    the executed copies."""
    out, result = quick_report
    return out, {run.stem: run.executed for run in result.runs}


def quick(stem: str) -> dict:
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    return nb.metadata["clip_course"]["quick_parameters"]


def results(runs, stem):
    return json.loads((runs[0] / "results" / f"{stem}.json").read_text())


@pytest.mark.parametrize("stem", OURS)
def test_notebook_writes_valid_figures(runs, stem):
    folder = runs[0] / "figures" / stem
    for name in FIGURES[stem]:
        path = folder / f"{name}.png"
        assert path.is_file() and path.stat().st_size > 5000, f"{stem}: missing or empty {path.name}"
        with Image.open(path) as im:
            im.verify()
        with Image.open(path) as im:
            assert im.format == "PNG" and min(im.size) > 150
    assert not list(folder.glob("*.tmp"))


@pytest.mark.parametrize("stem", OURS)
def test_executed_notebook_shows_its_figures(runs, stem):
    outputs = [o for c in nbformat.read(runs[1][stem], as_version=4).cells if c.cell_type == "code"
               for o in c.outputs]
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= len(FIGURES[stem])
    text_only = [o for o in outputs if o.get("data", {}).get("text/plain", "").startswith("<Figure size")
                 and "image/png" not in o.get("data", {})]
    assert not text_only, "a figure was displayed as text, not as an image"


@pytest.mark.parametrize("stem", OURS)
def test_results_name_profile_and_checkpoint(runs, stem):
    r = results(runs, stem)
    assert r["profile"] == "offline"
    assert re.fullmatch(r"[0-9a-f]{64}", r["model"]["checkpoint_sha256"])
    executed = nbformat.read(runs[1][stem], as_version=4)
    assert executed.metadata["papermill"]["parameters"]["profile"] == "offline"


def test_01_results(runs):
    r = results(runs, "01_intro")
    sim = r["similarity"]
    assert -1 <= sim["off_diagonal_mean"] <= 1 and -1 <= sim["diagonal_mean"] <= 1
    assert 0 <= sim["batch_top1"] <= 100 and sim["batch_size"] == len(sim["captions"]) == quick("01_intro")["batch"]
    assert r["model"]["parameters"] > 0 and r["model"]["context_length"] > 0
    assert r["pretraining"]["steps"] > 0 and 0 <= r["pretraining"]["final_accuracy"] <= 100
    ex = r["zero_shot_example"]
    assert ex["predicted"] in ex["classes"] and 0 < ex["probability"] <= 1


def test_02_results(runs):
    r = results(runs, "02_single_image")
    assert "small red circle on grey" in r["images"]
    for ranking in r["images"].values():
        probs = [row["probability"] for row in ranking]
        assert sum(probs) == pytest.approx(1.0, abs=1e-4) and probs == sorted(probs, reverse=True)
        assert {row["prompt"] for row in ranking} == set(r["gallery_prompts"])
    steps = r["refinement"]
    assert len(steps) == 4 and [len(s["ranking"]) for s in steps] == [2, 3, 4, 5]
    assert all(s["winner"] == s["ranking"][0]["prompt"] for s in steps)
    assert r["experiments"]["refinement"]["steps"][0] == steps[0]["ranking"]


def test_03_results(runs):
    r = results(runs, "03_cifar_zero_shot")
    ds = r["datasets"]
    n = quick("03_cifar_zero_shot")["limit"]
    assert {e["role"] for e in ds.values()} == {"coarse", "fine"}
    for name, e in ds.items():
        assert e["n_images"] == n and len(e["per_class_accuracy"]) == e["n_classes"] == len(e["classes"])
        for t in ("single", "ensemble"):
            m = e[t]
            assert 0 <= m["top1"] <= m["top5"] <= 100 and 0 <= m["mean_per_class_recall"] <= 100
        assert np.asarray(e["confusion"]).sum() == n
        # top-1 recomputed from the confusion matrix written beside it
        assert e["ensemble"]["top1"] == pytest.approx(100 * np.trace(e["confusion"]) / n, abs=1e-3)
        assert r["paper_reference"][name]["comparable"] is False
    fine = next(e for e in ds.values() if e["role"] == "fine")
    assert r["most_confused"] == fine["most_confused"]
    for e in ds.values():
        assert f"{e['ensemble']['top1']:.1f}% top-1" in r["conclusion"]


def test_04_results(runs):
    r = results(runs, "04_linear_probe")
    assert {e["role"] for e in r["datasets"].values()} == {"coarse", "fine"}
    for e in r["datasets"].values():
        assert 0 <= e["probe"]["top1"] <= e["probe"]["top5"] <= 100
        assert 1e-6 <= e["probe"]["C"] <= 1e6
        assert any(p["C"] == pytest.approx(e["probe"]["C"]) for p in e["sweep"])
        assert 0 <= e["zeroshot"]["top1"] <= e["zeroshot"]["top5"] <= 100
        assert set(e["kshot"]) == {str(k) for k in quick("04_linear_probe")["ks"]}
        assert e["n_classes"] + len(e["classes_without_training_images"]) == {"coarse": 10, "fine": 100}[e["role"]]
        assert e["n_way"] == e["n_classes"]  # the probe's task: classes with training images only
        assert all(0 <= v["mean"] <= 100 and v["std"] >= 0 for v in e["kshot"].values())
        ks = sorted(e["kshot"], key=float)
        expected = crossover_k([float(k) for k in ks], [e["kshot"][k]["mean"] for k in ks], e["zeroshot"]["top1"])
        assert e["crossover_k"] == (pytest.approx(expected) if expected is not None else None)


class _Profile:
    def __init__(self, name, coarse):
        self.name, self.coarse, self.fine, self.reason = name, coarse, coarse, "test"


def test_similarity_batch_offline_is_one_scene_per_shape():
    from clip_course.data import shapes as synthetic

    session = nbh.Session("t", _Profile("offline", "shapes10"), None, nbh.Outputs("t"), 0)
    images, captions = nbh.similarity_batch(session, n=12, seed=3)
    assert images.shape == (10, 32, 32, 3) and len(captions) == 10  # capped at the 10 shapes
    from clip_course.data.shapes_captions import SHAPE_SYNONYMS

    def shape_named(caption: str) -> str | None:  # class word or synonym (v2 alt-text)
        return next((s for s in synthetic.SHAPES if any(w in caption for w in [s, *SHAPE_SYNONYMS[s]])), None)

    named = [n for n in map(shape_named, captions) if n is not None]
    # Alt-text may leave the shape out, but the captions that name one name different shapes
    # (one scene per shape, so at most one positive per row).
    assert len(named) >= 8 and len(set(named)) == len(named)


def test_similarity_batch_paper_draws_distinct_classes(monkeypatch):
    from clip_course.core.prompts import CIFAR10_CLASSES
    from clip_course.data import catalog as data
    labels = np.repeat(np.arange(10), 3)
    images = np.arange(30, dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 4, 3), np.uint8)
    fake = dataset_data.ImageDataset("cifar10", "test", images, labels, list(CIFAR10_CLASSES))
    monkeypatch.setattr(data, "load_dataset", lambda name, split="test", **kw: fake)
    session = nbh.Session("t", _Profile("paper", "cifar10"), None, nbh.Outputs("t"), 0)
    batch, captions = nbh.similarity_batch(session, n=5, seed=0)
    picked = [int(img[0, 0, 0]) for img in batch]  # pixel value = index in the dataset
    assert len({labels[i] for i in picked}) == 5
    assert captions == [f"a photo of a {CIFAR10_CLASSES[labels[i]]}." for i in picked]


def test_outputs_paths_follow_the_conventions(tmp_path):
    out = nbh.Outputs("03_cifar_zero_shot", tmp_path)
    assert out.figure("accuracy") == tmp_path / "figures" / "03_cifar_zero_shot" / "accuracy.png"
    record = schema.example_record("03_cifar_zero_shot", profile="offline")
    assert out.write(record) == tmp_path / "results" / "03_cifar_zero_shot.json"
    assert json.loads(out.results.read_text()) == record
    with pytest.raises(schema.ResultsSchemaError, match="missing key 'datasets'"):
        out.write({k: v for k, v in record.items() if k != "datasets"})  # refused, the file stays
    assert json.loads(out.results.read_text()) == record


def test_chdir_repo_root_only_from_a_notebooks_folder(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert nbh.chdir_repo_root() == tmp_path and Path.cwd() == tmp_path
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")
    assert nbh.chdir_repo_root() == tmp_path / "other"


def test_markdown_table_never_prints_a_signed_zero():
    table = nbh.markdown_table(["a", "b"], [[-0.04, 2.25], [None, "x|y"]])
    assert "-0.0" not in table and "| 0.0 | 2.2 |" in table and "| – | x\\|y |" in table


def test_zero_shot_entry_takes_a_custom_ensemble(tiny_clip_path, tmp_path):
    from clip_course.core.models import load
    from clip_course.data.catalog import load_dataset

    session = nbh.Session("03_cifar_zero_shot", _Profile("offline", "shapes10"),
                          load(str(tiny_clip_path), device="cpu"),
                          nbh.Outputs("03_cifar_zero_shot", tmp_path), 0)
    ds = load_dataset("shapes10", "test", limit=40, seed=0)
    own, _ = nbh.zero_shot_entry(session, ds, "coarse", cache_dir=None)
    mine, _ = nbh.zero_shot_entry(session, ds, "coarse", cache_dir=None, ensemble=["a {} thing.", "the {}."])
    assert mine["templates"]["ensemble"] == ["a {} thing.", "the {}."]
    assert own["templates"]["ensemble"] != mine["templates"]["ensemble"]
    assert mine["templates"]["single"] == own["templates"]["single"]
