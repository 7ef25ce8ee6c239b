"""A notebook refuses a parameter name it does not define, however it is run.

papermill (and the report runner, which runs notebooks through it) injects ``# Parameters`` cells;
Jupyter and Colab users edit the parameters cell. Both reach the kernel's input history, which
``nb.setup`` checks against the notebook's parameters cell before any work.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from clip_course.errors import NotebookError
from clip_course.notebook import params
from clip_course.notebook.session import setup

ROOT = Path(__file__).resolve().parents[1]
NB03 = "03_cifar_zero_shot"


def _parameters_cell(stem: str) -> str:
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    return "".join(cell["source"])


def test_injected_misspelling_names_the_closest_parameter():
    history = ["import sys", _parameters_cell(NB03), "# Parameters\nlimitt = 50\n", "S = nb.setup(...)"]
    with pytest.raises(NotebookError, match=r"no parameter 'limitt': did you mean 'limit'\? Fix the papermill"):
        params.check_names(NB03, history, params.declared_names(NB03))


def test_a_parameter_of_another_notebook_is_refused():
    # notebook 01 has no limit; notebook 03 does
    history = [_parameters_cell("01_intro"), "# Parameters\nlimit = 50\n"]
    with pytest.raises(NotebookError, match="01_intro has no parameter 'limit'"):
        params.check_names("01_intro", history)


def test_edited_parameters_cell_is_checked_and_only_its_latest_run():
    cell = _parameters_cell(NB03)
    edited = cell.replace('limit: "Optional[int]" = None', 'limt: "Optional[int]" = 200')
    assert edited != cell  # the typed parameters cell really was edited
    with pytest.raises(NotebookError, match=r"'limt': did you mean 'limit'\? Fix the name in the parameters cell"):
        params.check_names(NB03, [edited])
    # fixed and run again: the old run in the history no longer counts
    params.check_names(NB03, [edited, "x = f(1)", _parameters_cell(NB03), "# Parameters\nlimit = 20\n"])


def test_valid_runs_pass():
    for stem in sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cell = _parameters_cell(stem)
        declared = params.declared_names(stem)
        injected = "# Parameters\n" + "".join(f"{n} = None\n" for n in sorted(declared))
        params.check_names(stem, ["import x", cell, injected, "y = 1"])


def test_other_cells_are_not_parameter_cells():
    # literal assignments without profile and seed, code, and non-literal values are not parameter cells
    assert params.parameter_cells(["k = 3", "a = b", "profile = 'auto'\nseed = 0\nn = len(x)", "print(1)",
                                   "seed = 1"]) == []
    assert params.parameter_cells(["# Parameters\nlimit = 5", "profile = 'x'\nseed: int = 0\nx = 1"]) == [
        ("parameters cell", ["profile", "seed", "x"])]


def test_every_notebook_parameter_is_known_without_the_notebook_file():
    """Colab opens a notebook from GitHub, so the package's own list must hold every name."""
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        missing = params.declared_names(path.stem) - (set(params.SPEC) | params.OTHER_NAMES)
        assert not missing, f"{path.name}: add {sorted(missing)} to notebook/params.py OTHER_NAMES"


def test_without_the_notebook_file_the_package_names_are_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert params.declared_names("99_not_shipped") == set()
    with pytest.raises(NotebookError, match=r"'limitt': did you mean 'limit'"):
        params.check_names("99_not_shipped", ["profile = 'auto'\nseed = 0\nlimitt = 5"])
    params.check_names("99_not_shipped", ["profile = 'auto'\nseed = 0\nlimit = 5\nimages_dir = 'x'"])


def test_setup_refuses_from_a_real_ipython_history():
    """The kernel side, in a real IPython shell: cells run, then the notebook's setup call."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_cell(_parameters_cell(NB03), store_history=True)
        shell.run_cell("# Parameters\nlimitt = 50\n", store_history=True)
        assert "# Parameters\nlimitt = 50" in params.ipython_history()
        with pytest.raises(NotebookError, match="did you mean 'limit'"):
            setup(NB03, profile="offline")
    finally:
        InteractiveShell.clear_instance()


def test_papermill_run_refuses_a_misspelt_parameter(tmp_path, monkeypatch):
    """The issue's case, `papermill -p limitt 50`: the run fails on the name, before any work."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "pyproject.toml").write_text("")  # setup moves from notebooks/ to the repository root
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    with pytest.raises(PapermillExecutionError) as err:
        papermill.execute_notebook(str(tmp_path / "notebooks" / f"{NB03}.ipynb"), str(tmp_path / "out.ipynb"),
                                   parameters={"limitt": 50, "profile": "offline"}, cwd=str(tmp_path),
                                   progress_bar=False, kernel_name="python3")
    assert err.value.ename == "NotebookError"
    assert "no parameter 'limitt': did you mean 'limit'?" in err.value.evalue
