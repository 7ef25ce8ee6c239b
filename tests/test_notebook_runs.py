"""A notebook run outside the report build (papermill, JupyterLab, Colab): it writes to its own run
folder and the user cache, never over the report's ``results/`` and ``figures/``, and shows one
language (``lang``), never the two glued together.

Notebook 01 with its quick parameters, run twice by papermill's own command line from
``notebooks/`` (JupyterLab's working folder) of a stand-in repository: about ten seconds a run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from clip_course.notebook import session
from clip_course.report.i18n import Bi, chinese_share

ROOT = Path(__file__).resolve().parents[1]
STEM = "01_intro"
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
CAPTION = re.compile(r'<p class="caption"[^>]*>(.*?)</p>', re.S)


def _repo(tmp: Path) -> Path:
    """A stand-in repository: the notebook, a pyproject.toml, and the report's own results and figures."""
    (tmp / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / f"{STEM}.ipynb", tmp / "notebooks")
    (tmp / "pyproject.toml").write_text("[project]\nname = 'stand-in'\n")
    (tmp / "results").mkdir()
    (tmp / "results" / f"{STEM}.json").write_text('{"the report": "build"}')
    (tmp / "figures" / STEM).mkdir(parents=True)
    (tmp / "figures" / STEM / "similarity.png").write_bytes(b"the report's figure")
    return tmp


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _papermill(repo: Path, name: str, **params) -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "notebooks" / f"{STEM}.ipynb", as_version=4)
    params = {**nb.metadata["clip_course"]["quick_parameters"], "profile": "offline", "device": "cpu", **params}
    out = repo / f"{name}.ipynb"
    env = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1", "CLIP_COURSE_CACHE": str(repo / "user-cache"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("CLIP_COURSE_REPORT", None)
    cmd = [sys.executable, "-m", "papermill", f"{STEM}.ipynb", str(out), "-k", "python3", "--no-progress-bar",
           "-y", json.dumps(params)]
    proc = subprocess.run(cmd, cwd=repo / "notebooks", capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return nbformat.read(out, as_version=4)


def _shown(nb: nbformat.NotebookNode) -> list[str]:
    """Every markdown, HTML and text output the reader sees (figures' PNGs aside)."""
    texts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.output_type == "stream":
                texts.append(o.text)
            for kind in ("text/markdown", "text/html", "text/plain"):
                if kind in o.get("data", {}):
                    texts.append(o["data"][kind])
    return texts


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    repo = _repo(tmp_path_factory.mktemp("repo"))
    before = {d: _tree(repo / d) for d in ("results", "figures")}
    en = _papermill(repo, "en")  # every default: lang "en", output_dir None
    zh = _papermill(repo, "zh", lang="zh")
    return repo, before, en, zh


def test_adhoc_runs_leave_the_reports_results_and_figures_byte_identical(runs):
    repo, before, _, _ = runs
    assert {d: _tree(repo / d) for d in ("results", "figures")} == before
    folders = sorted((repo / "runs").iterdir())
    assert len(folders) == 2 and all(re.fullmatch(rf"{STEM}-\d{{8}}-\d{{6}}(-\d+)?", f.name) for f in folders)
    for folder in folders:  # each run has its own results and figures
        rec = json.loads((folder / "results" / f"{STEM}.json").read_text())
        assert rec["notebook"] == STEM and rec["profile"] == "offline"
        assert (folder / "figures" / STEM / "similarity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_adhoc_runs_cache_in_the_user_cache_not_the_working_folder(runs):
    repo = runs[0]
    assert list((repo / "user-cache" / "texts").glob("*.pt")), "the prompts' features were not cached"
    assert not (repo / "data").exists() and not (repo / "notebooks" / "data").exists()


def test_run_in_english_shows_no_chinese(runs):
    shown = _shown(runs[2])
    assert any(CAPTION.search(t) for t in shown)
    assert not [t for t in shown if CJK.search(t)], "Chinese text in an English run"
    assert not [t for t in shown if "<lang-" in t]


def test_run_in_chinese_shows_no_english_caption(runs):
    shown = _shown(runs[3])
    captions = [c for t in shown for c in CAPTION.findall(t)]
    assert len(captions) >= 4
    # names such as MiniCLIP, ShapesWorld or ViT-B/32 stay Latin (i18n.KEPT_NAMES); sentences may not
    assert all(chinese_share(c) > 0.85 for c in captions), [c for c in captions if chinese_share(c) <= 0.85]
    assert not [t for t in shown if "<lang-" in t]
    # the numbers are the same run's: the language changes text, never a result
    en, zh = (json.loads((f / "results" / f"{STEM}.json").read_text()) for f in sorted((runs[0] / "runs").iterdir()))
    assert en["similarity"] == zh["similarity"] and en["zero_shot_example"] == zh["zero_shot_example"]


def test_display_language_keeps_one_half_or_both_for_the_report():
    text = Bi("a caption.", "一个图注。") + " " + Bi("More.", "更多。")
    assert session.in_display_lang(text, "en") == "a caption. More."
    assert session.in_display_lang(text, "zh") == "一个图注。 更多。"
    assert session.in_display_lang(text, "both") == text


def test_a_report_run_shows_each_language_apart_and_each_edition_keeps_its_own(monkeypatch):
    import IPython.display

    from clip_course.report import pdf as report_pdf

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, metadata=None: shown.append((obj.data, metadata)))
    monkeypatch.setattr(session, "_DISPLAY_LANG", ["both"])
    session.table("| x |\n|---|\n| 1 |", "t", "Numbers.", "数字。")
    session.show("plain, in no language")
    assert [m for _, m in shown] == [{"clip_course": {"lang": "en"}}, {"clip_course": {"lang": "zh"}}, None]
    assert "Numbers." in shown[0][0] and "数字" not in shown[0][0] and "数字。" in shown[1][0]
    assert not any("<lang-" in data for data, _ in shown)  # nothing glued, in JupyterLab either
    outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": d}, metadata=m or {}) for d, m in shown]
    for lang, other in (("en", "数字"), ("zh", "Numbers")):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("nb.table(...)", outputs=list(outputs))])
        report_pdf.prepare_notebook(nb, "1", lang)
        kept = [o["data"]["text/markdown"] for o in nb.cells[0].outputs]
        assert len(kept) == 2 and not any(other in k for k in kept) and kept[1] == "plain, in no language"


def test_run_folder_is_new_each_time(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = session.run_folder("03_cifar_zero_shot", when=0)
    first.mkdir(parents=True)
    second = session.run_folder("03_cifar_zero_shot", when=0)
    assert first.parent == second.parent == Path("runs") and second.name == first.name + "-2"


def _session(root: Path, sha: str) -> session.Session:
    from types import SimpleNamespace

    return session.Session("06_analysis", SimpleNamespace(name="offline"), SimpleNamespace(checkpoint_sha256=sha),
                           session.Outputs("06_analysis", root), seed=0)


def _results(folder: Path, stem: str, sha: str, marker: int) -> None:
    from clip_course.report import schema

    rec = schema.example_record(stem, profile="offline", model={"name": "m", "checkpoint_sha256": sha},
                                marker=marker)
    schema.write_results(folder / "results" / f"{stem}.json", stem, rec)


def test_an_adhoc_run_reads_earlier_results_where_they_were_made(tmp_path, monkeypatch):
    """06 on its own reads 03's numbers from its own folder, else the newest runs/ folder with the same
    model, else the report's results/; a report build reads only its own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLIP_COURSE_REPORT", raising=False)
    stem, mine, other = "03_cifar_zero_shot", "a" * 64, "b" * 64
    _results(tmp_path, stem, mine, 1)  # the report build's results/
    assert _session(Path("runs/06-x"), mine).earlier(stem)["marker"] == 1
    _results(tmp_path / "runs" / f"{stem}-20260101-000000", stem, mine, 2)
    _results(tmp_path / "runs" / f"{stem}-20260102-000000", stem, other, 3)  # newer, another model
    assert _session(Path("runs/06-x"), mine).earlier(stem)["marker"] == 2
    _results(tmp_path / "runs" / "06-x", stem, mine, 4)
    assert _session(Path("runs/06-x"), mine).earlier(stem)["marker"] == 4
    with pytest.raises(session.NotebookError, match="another model"):
        _session(Path("runs/06-y"), "c" * 64).earlier(stem)
    monkeypatch.setenv("CLIP_COURSE_REPORT", "1")
    with pytest.raises(session.NotebookError, match="is missing: run notebook 03_cifar_zero_shot first"):
        _session(Path("build/quick"), mine).earlier(stem)
