"""The report runner: stamps cover every input, interruptions leave no process and no debris."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from clip_course.report import cleanup, runner, stamps

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def test_input_fingerprint_follows_images_data_and_checkpoint(tmp_path, tiny_clip_path):
    images = tmp_path / "data" / "images"
    images.mkdir(parents=True)
    (images / "a.png").write_bytes(b"one")
    model = {"model": str(tiny_clip_path)}
    base = stamps.input_fingerprint(tmp_path, "offline", model, {})
    assert stamps.input_fingerprint(tmp_path, "offline", model, {}) == base
    (images / "b.png").write_bytes(b"two")  # a photo added
    added = stamps.input_fingerprint(tmp_path, "offline", model, {})
    (images / "b.png").write_bytes(b"TWO")  # same size, other content
    edited = stamps.input_fingerprint(tmp_path, "offline", model, {})
    (tmp_path / "data" / "cifar-10-batches-py").mkdir()
    (tmp_path / "data" / "cifar-10-batches-py" / "test_batch").write_bytes(b"x")
    data = stamps.input_fingerprint(tmp_path, "offline", model, {})
    other = tmp_path / "other.pt"
    other.write_bytes(tiny_clip_path.read_bytes() + b"\0")
    ckpt = stamps.input_fingerprint(tmp_path, "offline", {"model": str(other)}, {})
    assert len({base, added, edited, data, ckpt}) == 5
    (tmp_path / "data" / "cache").mkdir()
    (tmp_path / "data" / "cache" / "f.pt").write_bytes(b"features")  # an output, not an input
    assert stamps.input_fingerprint(tmp_path, "offline", {"model": str(other)}, {}) == ckpt


def test_added_photo_reruns_the_notebooks(tmp_path, monkeypatch):
    monkeypatch.setattr(stamps, "package_fingerprint", lambda: "pinned")
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    src = FIXTURES / "01_intro.ipynb"
    (nbs / src.name).write_bytes(src.read_bytes())
    (tmp_path / "results").mkdir()
    args = ([nbs / src.name], "offline", {}, True, tmp_path, tmp_path / "build")
    assert [r.reused for r in runner.run_notebooks(*args, progress=False)] == [False]
    assert [r.reused for r in runner.run_notebooks(*args, progress=False)] == [True]
    (tmp_path / "data" / "images").mkdir(parents=True)
    (tmp_path / "data" / "images" / "new.jpg").write_bytes(b"photo")
    assert [r.reused for r in runner.run_notebooks(*args, progress=False)] == [False]
    assert not list((tmp_path / "build" / "notebooks").glob(".*"))  # no temp notebook left


def test_good_build_removes_the_stale_pdf(tmp_path, monkeypatch):
    out = tmp_path / "report" / "clip_course_report.pdf"
    out.parent.mkdir()
    stale = cleanup.stale_path(out)
    stale.write_bytes(b"%PDF-1.4 from a failed build")

    def fake_build(*args):
        out.write_bytes(b"%PDF-1.4 good")
        return runner.BuildResult(out, out, "offline")

    monkeypatch.setattr(runner, "_build", fake_build)
    runner.build_report(root=tmp_path, out="report/clip_course_report.pdf")
    assert out.is_file() and not stale.exists()


def test_full_disk_leaves_no_truncated_notebook(tmp_path, monkeypatch):
    import papermill

    executed = tmp_path / "build" / "notebooks" / "01_intro.ipynb"
    executed.parent.mkdir(parents=True)
    executed.write_text("previous complete run")

    def write_half_then_fail(source, output, **kwargs):
        Path(output).write_text('{"cells": [')
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(papermill, "execute_notebook", write_half_then_fail)
    run = runner.NotebookRun(FIXTURES / "01_intro.ipynb", executed, {})
    with pytest.raises(runner.NotebookFailedError, match="No space left"):
        runner.execute_notebook(run, tmp_path, "python3", progress=False)
    assert executed.read_text() == "previous complete run"
    assert [p.name for p in executed.parent.iterdir()] == ["01_intro.ipynb"]


def test_sigterm_in_context_ends_every_process_and_removes_debris(tmp_path):
    out = tmp_path / "report" / "clip_course_report.pdf"
    out.parent.mkdir()
    debris = out.parent / f".{out.name}.abc123.tmp"
    # a child whose own child lives in another session, as Chromium's helpers do
    pids_file = tmp_path / "pids"
    script = f"import os,subprocess,time; p=subprocess.Popen(['sleep','300'],start_new_session=True); " \
             f"open({str(pids_file)!r},'w').write(f'{{os.getpid()}} {{p.pid}}'); time.sleep(300)"
    handler_before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(cleanup.BuildInterrupted, match="SIGTERM"), cleanup.no_leftovers(out, tmp_path / "build"):
        debris.write_bytes(b"half a pdf")
        subprocess.Popen([sys.executable, "-c", script])
        for _ in range(100):
            if pids_file.is_file() and pids_file.read_text():
                break
            time.sleep(0.05)
        pids = [int(p) for p in pids_file.read_text().split()]
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises long before this ends
    assert not any(_alive(p) for p in pids), pids
    assert not debris.exists()
    assert signal.getsignal(signal.SIGTERM) is handler_before  # restored


def _sleepy_notebook(path: Path, pids_file: Path) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "auto"')
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(textwrap.dedent(f"""
        import os, subprocess, time
        p = subprocess.Popen(['sleep', '300'], start_new_session=True)
        open({str(pids_file)!r}, 'w').write(f'{{os.getpid()}} {{p.pid}}')
        time.sleep(300)
    """))
    nb.cells = [params, body]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)


def test_sigterm_during_a_notebook_leaves_no_process_no_partial_file_no_stamp(tmp_path):
    (tmp_path / "notebooks").mkdir()
    pids_file = tmp_path / "pids"
    _sleepy_notebook(tmp_path / "notebooks" / "01_sleepy.ipynb", pids_file)
    out = tmp_path / "report" / "clip_course_report.pdf"
    out.parent.mkdir()
    out.write_bytes(b"%PDF-1.4 previous")
    code = (f"from clip_course.report.runner import build_report; "
            f"build_report(profile='offline', root={str(tmp_path)!r}, progress=False)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), *sys.path])}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for _ in range(1200):
        if pids_file.is_file() and pids_file.read_text():
            break
        if proc.poll() is not None:
            pytest.fail(proc.communicate()[1])
        time.sleep(0.05)
    pids = [int(p) for p in pids_file.read_text().split()]
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "BuildInterrupted" in err or "interrupted" in err
    time.sleep(0.5)
    assert not any(_alive(p) for p in pids), pids
    assert not out.exists() and cleanup.stale_path(out).read_bytes() == b"%PDF-1.4 previous"
    build = tmp_path / "build"
    assert not list(build.rglob("*.tmp*")) and not list(build.rglob(".*"))
    assert not (build / "stamps" / "01_sleepy.json").exists()
