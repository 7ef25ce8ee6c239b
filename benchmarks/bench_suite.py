"""Test-suite wall time: the current suite, then an earlier commit's, in one process, one after
the other, each in its own checkout, with its own user cache (so neither reads the other's features or
rendered sets) and the same Python environment.

    python benchmarks/bench_suite.py                  # against 7e469b5; about 2 x 5 minutes on 2 cores
    python benchmarks/bench_suite.py --baseline REV

Prints each suite's wall seconds and its pytest summary line, and their ratio. Only wall time is
compared: the two suites hold different tests (the count is printed beside each).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_suite(tree: Path, cache: Path) -> tuple[float, str]:
    """(wall seconds, pytest's last line) of the whole suite of ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "CLIP_COURSE_CACHE": str(cache)}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tree, env=env,
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    return seconds, lines[-1] if lines else f"exit {out.returncode}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", metavar="REV", default="7e469b5",
                   help="the earlier commit whose suite is timed first (default: the one issue 27 was filed against)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_suite_") as tmp:
        old = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(old), args.baseline],
                       check=True)
        try:
            t_new, s_new = run_suite(REPO, Path(tmp) / "cache-new")
            print(f"  {'now':10s} {t_new:7.1f} s   {s_new}", flush=True)
            t_old, s_old = run_suite(old, Path(tmp) / "cache-old")
            print(f"  {args.baseline:10s} {t_old:7.1f} s   {s_old}", flush=True)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], check=False)
    print(f"ratio {args.baseline} / now: {t_old / t_new:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
