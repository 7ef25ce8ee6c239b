"""Every user error on the command line is one line on stderr and exit status 2."""

from __future__ import annotations

import os
import stat

import pytest

from clip_course.cli import main
from clip_course.core.prompts import validate_templates
from clip_course.errors import ProbeError, PromptError


def _one_line_error(capsys, argv: list[str], *needles: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for n in needles:
        assert n in err, err
    return err


ZS = ["zeroshot", "--model", "miniclip", "--dataset", "shapes10", "--limit", "4"]


def test_bogus_device(capsys):
    _one_line_error(capsys, [*ZS, "--device", "bogus"], "Unknown device 'bogus'")


def test_negative_seed(capsys):
    _one_line_error(capsys, [*ZS, "--seed", "-1"], "--seed -1")


@pytest.mark.parametrize("value", ["0", "-3"])
def test_probe_max_iter_not_positive(capsys, value):
    _one_line_error(capsys, ["probe", "--model", "miniclip", "--dataset", "shapes10", "--max-iter", value],
                    f"--max-iter {value}")


def test_probe_library_max_iter_refused():
    import numpy as np

    from clip_course.tasks.probe import sweep

    X, y = np.random.default_rng(0).normal(size=(8, 3)).astype("float32"), np.array([0, 1] * 4)
    with pytest.raises(ProbeError, match="max_iter"):
        sweep(X, y, X, y, max_iter=0, progress=False)


def test_out_is_a_directory(capsys, tmp_path):
    _one_line_error(capsys, [*ZS, "--out", str(tmp_path)], "is a folder")


def test_out_under_a_file(capsys, tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    _one_line_error(capsys, [*ZS, "--out", str(f / "r.json")], "is a file, not a folder")


def _read_only(tmp_path, monkeypatch):
    """A folder no write succeeds in, for root too (whose writes ignore permissions)."""
    import tempfile

    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.geteuid() == 0:  # root writes anywhere: make the probe write fail as a read-only mount would
        real = tempfile.mkstemp

        def fake(*a, dir=None, **k):
            if dir is not None and os.path.samefile(dir, ro):
                raise PermissionError(13, "Permission denied")
            return real(*a, dir=dir, **k)

        monkeypatch.setattr(tempfile, "mkstemp", fake)
    return ro


def test_out_in_unwritable_dir(capsys, tmp_path, monkeypatch):
    ro = _read_only(tmp_path, monkeypatch)
    _one_line_error(capsys, [*ZS, "--out", str(ro / "r.json")], "cannot write in", "Permission denied")


def test_read_only_cache_dir(capsys, tmp_path, monkeypatch):
    ro = _read_only(tmp_path, monkeypatch)
    _one_line_error(capsys, [*ZS, "--cache-dir", str(ro)], "--cache-dir", "cannot write in")


def test_read_only_build_dir(capsys, tmp_path, monkeypatch):
    ro = _read_only(tmp_path, monkeypatch)
    _one_line_error(capsys, ["report", "--build-dir", str(ro / "build")], "--build-dir", "cannot write in")


def test_cache_dir_is_a_file(capsys, tmp_path):
    f = tmp_path / "cache"
    f.write_text("x")
    _one_line_error(capsys, [*ZS, "--cache-dir", str(f)], "--cache-dir", "is a file")


def test_styleclip_out_onto_existing_file(capsys, tmp_path):
    f = tmp_path / "exists.png"
    f.write_bytes(b"x")
    _one_line_error(capsys, ["styleclip", "--text", "a blue circle", "--out", str(f)], "is an existing file")
    assert f.read_bytes() == b"x"


@pytest.mark.parametrize("template", ["a photo of a {x}.", "a {} photo {", "a {} photo }", "{} and {}", "a {0}"])
def test_bad_templates(capsys, template):
    with pytest.raises(PromptError, match="exactly one"):
        validate_templates([template])
    _one_line_error(capsys, [*ZS, "--template", template], "Template")


def test_good_templates_still_accepted():
    validate_templates(["a photo of a {}.", "a {{literal}} {}"])


def test_out_onto_a_fifo_refused_before_work(capsys, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    _one_line_error(capsys, [*ZS, "--out", str(fifo)], "is a FIFO")
