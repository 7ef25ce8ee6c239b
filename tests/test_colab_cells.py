"""tools/colab_cells.py: badges and Colab install cells follow [project.urls] Repository.

The committed notebooks are rewritten by the tool on merge (another branch edits them), so the
agreement check runs on a rewritten temporary copy of the real notebooks; CI also runs
``tools/colab_cells.py --check`` on the committed ones.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from clip_course import notebook as nbh
from clip_course import repository

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
_spec = importlib.util.spec_from_file_location("colab_cells", ROOT / "tools" / "colab_cells.py")
colab_cells = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab_cells)


@pytest.fixture
def copies(tmp_path) -> list[Path]:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    return [Path(shutil.copy(p, folder / p.name)) for p in NOTEBOOKS]


def _pyproject(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(f'[project]\nname = "x"\n\n[project.urls]\nRepository = "{url}"\n')
    return path


def test_rewritten_real_notebooks_pass_the_check(copies, capsys):
    before = [nbformat.read(p, as_version=4) for p in copies]
    assert colab_cells.main([str(p) for p in copies]) == 0
    assert colab_cells.main(["--check", *map(str, copies)]) == 0
    assert capsys.readouterr().out.count("rewrote") <= len(copies)
    for old, path in zip(before, copies, strict=True):
        new = nbformat.read(path, as_version=4)
        assert len(new.cells) == len(old.cells), f"{path.name}: cells added or lost"
        changed = [i for i, (a, b) in enumerate(zip(old.cells, new.cells, strict=True)) if a.source != b.source]
        assert set(changed) <= {0, 1}, f"{path.name}: cells other than badge/install changed: {changed}"
        assert nbh.colab_url(path.stem) in new.cells[0].source
        assert nbh.COLAB_PACKAGE in new.cells[1].source
    assert colab_cells.main([str(p) for p in copies]) == 0  # idempotent
    assert "rewrote" not in capsys.readouterr().out


def test_check_names_every_notebook_that_disagrees(copies, capsys):
    colab_cells.main([str(p) for p in copies])
    wrong_badge, wrong_cell = copies[0], copies[2]
    nb = nbformat.read(wrong_badge, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace("github/clip-course/clip-course", "github/me/fork")
    nbformat.write(nb, wrong_badge)
    nb = nbformat.read(wrong_cell, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace('-c /tmp/keep_colab_torch.txt "setuptools<82" ', "")
    nbformat.write(nb, wrong_cell)
    capsys.readouterr()
    assert colab_cells.main(["--check", *map(str, copies)]) == 1
    out = capsys.readouterr().out
    assert f"{wrong_badge}: badge points at https://colab.research.google.com/github/me/fork" in out
    assert f"{wrong_cell}: its Colab install cell is not the one for" in out
    assert len(out.strip().splitlines()) == 2 and "tools/colab_cells.py" in out


def test_a_changed_setting_moves_badges_and_install_cells(copies, tmp_path, capsys):
    moved = _pyproject(tmp_path, "https://github.com/someone/clip-course-fork")
    assert colab_cells.main(["--pyproject", str(moved), *map(str, copies)]) == 0
    assert colab_cells.main(["--check", "--pyproject", str(moved), *map(str, copies)]) == 0
    nb = nbformat.read(copies[0], as_version=4)
    assert "colab.research.google.com/github/someone/clip-course-fork/blob/main/notebooks/01_intro.ipynb" \
        in nb.cells[0].source
    assert "git+https://github.com/someone/clip-course-fork\n" in nb.cells[1].source
    capsys.readouterr()
    assert colab_cells.main(["--check", *map(str, copies)]) == 1  # the real setting disagrees now
    assert len(capsys.readouterr().out.strip().splitlines()) == 2 * len(copies)


def test_missing_badge_and_install_cell_are_added(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title\n\ntext"),
                                         nbformat.v4.new_code_cell("x = 1")])
    url = repository.FALLBACK_URL
    assert len(colab_cells.problems(nb, "07_new", url)) == 2
    assert colab_cells.rewrite(nb, "07_new", url)
    assert colab_cells.problems(nb, "07_new", url) == []
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code"]
    assert nb.cells[0].source.startswith("# Title\n\n[![Open In Colab]")


def test_non_github_or_missing_setting_is_one_clear_error(tmp_path, capsys):
    assert colab_cells.main(["--check", "--pyproject", str(_pyproject(tmp_path, "https://gitlab.com/a/b"))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: [project.urls] Repository = 'https://gitlab.com/a/b'") and "pyproject.toml" in err
    bare = tmp_path / "bare.toml"
    bare.write_text('[project]\nname = "x"\n')
    assert colab_cells.main(["--check", "--pyproject", str(bare)]) == 2
    assert "has no [project.urls] Repository" in capsys.readouterr().err


def test_install_cell_keeps_colabs_torch_and_pins_setuptools(tmp_path, monkeypatch):
    """Run the cell as IPython would on Colab, with pip faked: torch is constrained, not installed."""
    from IPython.core.inputtransformer2 import TransformerManager

    keep = tmp_path / "keep.txt"
    source = colab_cells.install_cell(repository.FALLBACK_URL).replace("/tmp/keep_colab_torch.txt", str(keep))
    code = compile(TransformerManager().transform_cell(source), "install-cell", "exec")
    calls = []

    class FakeShell:
        def run_line_magic(self, name, line):
            calls.append((name, line))

    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    exec(code, {"get_ipython": lambda: FakeShell()})
    [(magic, line)] = calls
    assert magic == "pip"
    args = line.split()
    assert args[:4] == ["install", "-q", "-c", str(keep)] and '"setuptools<82"' in args
    assert args[-1] == "git+https://github.com/clip-course/clip-course"
    assert not any(a.startswith(("torch", "torchvision")) for a in args)
    from importlib.metadata import version

    # pip ignores a local label (+cu124) when matching ==X.Y.Z, so Colab's build satisfies it
    assert keep.read_text() == f"torch=={version('torch')}\ntorchvision=={version('torchvision')}\n"


def test_constants_come_from_the_setting(monkeypatch, tmp_path):
    assert repository.repository_url() == repository.url_from_pyproject(ROOT / "pyproject.toml")
    assert nbh.COLAB_PACKAGE == repository.colab_package(repository.repository_url())
    assert nbh.colab_url("01_intro") == repository.colab_base(repository.repository_url()) + "01_intro.ipynb"
    # installed (no source checkout): importlib.metadata's Project-URL
    monkeypatch.setattr(repository, "SOURCE_PYPROJECT", tmp_path / "absent.toml")

    class Meta:
        def get_all(self, key):
            return ["Homepage, https://example.org", "Repository, https://github.com/o/r"]

    monkeypatch.setattr(repository.importlib.metadata, "metadata", lambda name: Meta())
    assert repository.repository_url() == "https://github.com/o/r"
    assert repository.colab_base("https://github.com/o/r.git") == \
        "https://colab.research.google.com/github/o/r/blob/main/notebooks/"


@pytest.mark.parametrize("upgraded, restart", [(None, False), ("numpy", True)])
def test_install_cell_says_when_a_restart_is_needed(tmp_path, monkeypatch, capsys, upgraded, restart):
    """A package already imported in the kernel that pip changed needs a restart; the cell says so."""
    import importlib.metadata

    from IPython.core.inputtransformer2 import TransformerManager

    source = colab_cells.install_cell(repository.FALLBACK_URL).replace("/tmp/keep_colab_torch.txt",
                                                                        str(tmp_path / "keep.txt"))
    real_version, installed = importlib.metadata.version, []

    def version(dist):
        return "999.0" if installed and dist == upgraded else real_version(dist)

    class FakeShell:
        def run_line_magic(self, name, line):
            installed.append(line)

    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    import numpy  # noqa: F401  (imported before the install, as on Colab)

    exec(compile(TransformerManager().transform_cell(source), "cell", "exec"), {"get_ipython": FakeShell})
    out = capsys.readouterr().out
    assert installed and ("Restart the session now" in out) is restart
    assert ("numpy changed after import" in out) is restart and ("no restart needed" in out) is not restart
