"""Report build time: the notebooks one after another (the previous build) against the parallel
build (independent notebooks at once, up to the usable cores), in one process, same notebooks;
optionally also an earlier commit's notebooks and library, one after another (``--baseline``).

Each build runs the real notebooks from scratch in its own temporary root with its own user cache
(``CLIP_COURSE_CACHE``: no stamps, no feature cache, no rendered ShapesWorld sets, no generated
data), so every build pays the same cold start. The builds alternate (baseline, sequential,
parallel, baseline, ...) so a load change on a shared machine hits all alike, and each repeat's
ratios are printed. The results JSONs of the current code's two builds are compared with timings
and the environment left out: the parallel build must not change a printed number.

    python benchmarks/bench_report.py                 # quick offline notebooks (a few minutes)
    python benchmarks/bench_report.py --full          # the offline profile's full sizes
    python benchmarks/bench_report.py --full --baseline 7e469b5   # and that commit's build, sequential
    python benchmarks/bench_report.py --jobs 4 --repeats 2
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clip_course.report import runner
from clip_course.report.notebook_params import find_notebooks

REPO = Path(__file__).resolve().parents[1]
#: Keys whose values are measured times or the machine, not results.
VOLATILE = ("seconds", "per_s", "per_second", "elapsed", "environment", "finished", "threads", "timed")


def build(root: Path, quick: bool, jobs: int, code: Path = REPO) -> tuple[float, dict[str, float]]:
    """(wall seconds, {stem: seconds}) of running ``code``'s notebooks once under ``root``, with
    ``code``'s library in the kernels (``PYTHONPATH``) and a cache of the build's own."""
    shutil.copytree(code / "notebooks", root / "notebooks")
    notebooks = find_notebooks(root / "notebooks")
    build_dir = root / "build" / ("quick" if quick else "")
    path = os.pathsep.join(p for p in (str(code), os.environ.get("PYTHONPATH", "")) if p)
    start = time.perf_counter()
    with runner.environment({"CLIP_COURSE_CACHE": str(root / "cache"), "PYTHONPATH": path}), \
            contextlib.redirect_stdout(io.StringIO()):  # the runner's per-notebook lines
        runs = runner.run_notebooks(notebooks, "offline", {}, quick, root, build_dir, progress=False, jobs=jobs)
    return time.perf_counter() - start, {r.stem: r.seconds for r in runs}


def stable(value: Any) -> Any:
    """``value`` without timings and environment (what may differ between two equal builds)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if not any(w in k.lower() for w in VOLATILE)}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def results(root: Path, quick: bool) -> dict[str, Any]:
    folder = root / "build" / "quick" / "results" if quick else root / "results"
    return {p.stem: stable(json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))}


@contextlib.contextmanager
def checkout(rev: str) -> Iterator[Path]:
    """A temporary detached worktree of ``rev`` (removed afterwards)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench_report_baseline_"))
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(tmp / "tree"), rev], check=True)
    try:
        yield tmp / "tree"
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tmp / "tree")], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--full", action="store_true", help="the offline profile's full sizes (default: quick)")
    p.add_argument("--jobs", type=int, default=None, help="notebooks at once in the parallel build "
                   "(default: CLIP_COURSE_JOBS, else the usable cores)")
    p.add_argument("--repeats", type=int, default=1, help="rounds of the builds")
    p.add_argument("--baseline", metavar="REV", help="also build this commit's notebooks and library one "
                   "after another (its results are not compared: its numbers may differ)")
    args = p.parse_args(argv)
    quick, jobs = not args.full, args.jobs or runner.default_jobs()
    print(f"{'quick' if quick else 'full'} offline notebooks, {runner.usable_cpus()} usable cores, "
          f"parallel build with {jobs} jobs", flush=True)
    with contextlib.ExitStack() as stack:
        builds = [("sequential", REPO, 1), ("parallel", REPO, jobs)]
        if args.baseline:
            builds.insert(0, (f"{args.baseline}", stack.enter_context(checkout(args.baseline)), 1))
        for rep in range(args.repeats):
            times, found = {}, {}
            for name, code, n in builds:
                with tempfile.TemporaryDirectory(prefix="bench_report_") as tmp:
                    times[name], per = build(Path(tmp), quick, n, code)
                    found[name] = results(Path(tmp), quick)
                print(f"  {name:10s} {times[name]:7.1f} s   " +
                      "  ".join(f"{s[:2]} {t:.1f}" for s, t in per.items()), flush=True)
            if found["sequential"] != found["parallel"]:
                diff = [s for s in found["sequential"] if found["sequential"][s] != found["parallel"].get(s)]
                print(f"results differ between the builds in: {', '.join(diff)}", file=sys.stderr)
                return 1
            line = ", ".join(f"{name} / parallel {times[name] / times['parallel']:.2f}x" for name, *_ in builds[:-1])
            print(f"repeat {rep + 1}: {line}; the current code's two builds give identical results "
                  f"(timings and environment aside)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
