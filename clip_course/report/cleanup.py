"""No leftovers: on any exit, and on SIGINT/SIGTERM, every process the build started is ended, temporary
files are removed and the previous PDF is marked stale.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["BuildInterrupted", "mark_stale", "no_leftovers", "remove_debris", "stale_path"]


def stale_path(pdf: Path) -> Path:
    """Where a failed build moves the previous report."""
    return pdf.with_name(f"{pdf.stem}.stale{pdf.suffix}")


def mark_stale(pdf: Path) -> Path | None:
    """Move a previous report aside so its name never claims a build that failed."""
    if not pdf.is_file():
        return None
    stale = stale_path(pdf)
    os.replace(pdf, stale)
    return stale


# --------------------------------------------------------------------------- interruption


class BuildInterrupted(KeyboardInterrupt):
    """SIGTERM (or SIGINT) arrived during a build; raised so that every cleanup runs."""


def _descendants() -> list[Any]:
    try:
        import psutil
    except ImportError:  # without psutil only the direct children's own cleanup applies
        return []
    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


def _end_processes(procs: list[Any], grace: float = 3.0) -> None:
    """SIGTERM ``procs`` (psutil processes), then SIGKILL whichever outlive ``grace`` seconds."""
    if not procs:
        return
    import psutil

    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=grace)


def _set_subreaper(on: bool) -> None:
    # Linux: orphans of our children (Chromium's helpers when Chromium itself is killed)
    # re-parent to us instead of init, so the final sweep still finds and ends them.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(36, int(on), 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def remove_debris(out: Path, build_dir: Path) -> list[Path]:
    """Temporary files an earlier killed build left (ours only: atomic_path's and papermill's)."""
    patterns = [(out.parent, f".{out.name}.*.tmp"), (build_dir / "notebooks", ".*.tmp.ipynb"),
                (build_dir / "report", ".*.tmp"), (build_dir / "stamps", ".*.tmp")]
    removed = []
    for folder, pattern in patterns:
        for path in folder.glob(pattern) if folder.is_dir() else []:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


@contextlib.contextmanager
def no_leftovers(out: Path, build_dir: Path) -> Iterator[None]:
    """SIGINT/SIGTERM raise :class:`BuildInterrupted`; on any exit every process started
    inside is ended and temporary files are removed."""
    before = {p.pid for p in _descendants()}

    def started_here() -> list[Any]:
        return [p for p in _descendants() if p.pid not in before]

    def on_signal(signum: int, frame: Any) -> None:
        _end_processes(started_here())  # now, while the process tree is intact
        raise BuildInterrupted(f"build interrupted by {signal.Signals(signum).name}")

    main = threading.current_thread() is threading.main_thread()
    old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)} if main else {}
    _set_subreaper(True)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        _end_processes(started_here())
        _set_subreaper(False)
        remove_debris(out, build_dir)
