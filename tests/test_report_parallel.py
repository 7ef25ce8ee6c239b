"""The parallel report build: which results each notebook reads, and a notebook starts only after
those it reads have finished while independent ones run at the same time."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from clip_course.errors import NotebookFailedError, ReportError
from clip_course.report import runner, stamps
from clip_course.report.notebook_params import find_notebooks, notebook_reads

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_the_real_notebooks_read_what_their_cells_and_the_package_read():
    notebooks = find_notebooks(NOTEBOOKS)
    reads = {nb.stem[:2]: {s[:2] for s in notebook_reads(nb, notebooks[:i])} for i, nb in enumerate(notebooks)}
    # 06 reads 03's zero-shot and 04's probe (S.earlier in its cells); 07 reads 04's probe through
    # tasks.across.earlier_probe; every other notebook measures what it shows.
    assert reads == {"01": set(), "02": set(), "03": set(), "04": set(), "05": set(), "06": {"03", "04"},
                     "07": {"04"}}


def test_only_earlier_notebooks_count(tmp_path):
    a, b = _notebook(tmp_path, "01_a", 'print("02_b")'), _notebook(tmp_path, "02_b", 'S.earlier("01_a")')
    assert notebook_reads(a, [a, b]) == set()  # a later notebook's results are never this build's
    assert notebook_reads(b, [a]) == {"01_a"}


def _notebook(folder: Path, stem: str, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / f"{stem}.ipynb"
    nbformat.write(nb, path)
    return path


def _mark(name: str) -> str:
    return f"import time, pathlib; pathlib.Path('marks/{name}').write_text(repr(time.time()))"


def test_independent_notebooks_run_together_and_a_reader_after_what_it_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(stamps, "package_fingerprint", lambda: "pinned")
    (tmp_path / "marks").mkdir()
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    # 01 finishes only once 03 has started: the build deadlocks (and 01 fails) unless they overlap.
    _notebook(nbs, "01_a", _mark("01_start"),
              "import pathlib, time\nfor _ in range(600):\n    if pathlib.Path('marks/03_start').exists(): break\n"
              "    time.sleep(0.1)\nelse:\n    raise RuntimeError('03 never ran beside 01')",
              _mark("01_end"))
    _notebook(nbs, "02_b", _mark("02_start"), 'reads = "01_a"')
    _notebook(nbs, "03_c", _mark("03_start"))
    notebooks = find_notebooks(nbs)
    runs = runner.run_notebooks(notebooks, "offline", {}, False, tmp_path, tmp_path / "build", progress=False, jobs=2)
    marks = {p.name: float(p.read_text()) for p in (tmp_path / "marks").iterdir()}
    assert marks["02_start"] > marks["01_end"]  # 02 waited for the notebook it reads
    assert [r.stem for r in runs] == ["01_a", "02_b", "03_c"]  # the build's order, whatever ran first
    for r in runs:  # each finished run is stamped, as in a sequential build
        stamp = json.loads((tmp_path / "build" / "stamps" / f"{r.stem}.json").read_text())
        assert stamp["key"] == r.key and r.executed.is_file() and not r.reused
    again = runner.run_notebooks(notebooks, "offline", {}, False, tmp_path, tmp_path / "build", progress=False, jobs=2)
    assert [r.reused for r in again] == [True, True, True]


def test_a_failure_stops_what_reads_it(tmp_path, monkeypatch):
    monkeypatch.setattr(stamps, "package_fingerprint", lambda: "pinned")
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _notebook(nbs, "01_a", "raise ValueError('broken on purpose')")
    _notebook(nbs, "02_b", 'reads = "01_a"\nopen("02_ran", "w").close()')
    with pytest.raises(NotebookFailedError, match="(?s)notebook 01_a failed in cell 1.*ValueError: broken on purpose"):
        runner.run_notebooks(find_notebooks(nbs), "offline", {}, False, tmp_path, tmp_path / "build",
                             progress=False, jobs=2)
    assert not (tmp_path / "02_ran").exists()
    assert not list((tmp_path / "build" / "stamps").glob("*.json"))


def test_jobs_come_from_the_environment_or_the_cores(monkeypatch):
    monkeypatch.setenv(runner.JOBS_ENV, "3")
    assert runner.default_jobs() == 3
    monkeypatch.delenv(runner.JOBS_ENV)
    assert runner.default_jobs() == runner.usable_cpus() >= 1
    monkeypatch.setenv(runner.JOBS_ENV, "0")
    with pytest.raises(ReportError, match="CLIP_COURSE_JOBS='0': use a positive whole number"):
        runner.default_jobs()
