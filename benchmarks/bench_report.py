"""Report build time: the notebooks one after another (the previous build) against the parallel
build (independent notebooks at once, up to the usable cores), in one process, same notebooks.

Each build runs the real notebooks from scratch in its own temporary root (no stamps, no feature
cache, no generated data), so both pay the same cold start. The builds alternate (sequential,
parallel, sequential, ...) so a load change on a shared machine hits both alike, and each
repeat's ratio is printed. The results JSONs of the two builds are compared with timings and the
environment left out: the parallel build must not change a printed number.

    python benchmarks/bench_report.py                 # quick offline notebooks (a few minutes)
    python benchmarks/bench_report.py --full          # the offline profile's full sizes
    python benchmarks/bench_report.py --jobs 4 --repeats 2
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from clip_course.report import runner
from clip_course.report.notebook_params import find_notebooks

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Keys whose values are measured times or the machine, not results.
VOLATILE = ("seconds", "per_s", "per_second", "elapsed", "environment", "finished", "threads", "timed")


def build(root: Path, quick: bool, jobs: int) -> tuple[float, dict[str, float]]:
    """(wall seconds, {stem: seconds}) of running every notebook once under ``root``."""
    shutil.copytree(NOTEBOOKS, root / "notebooks")
    notebooks = find_notebooks(root / "notebooks")
    build_dir = root / "build" / ("quick" if quick else "")
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the runner's per-notebook lines
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--full", action="store_true", help="the offline profile's full sizes (default: quick)")
    p.add_argument("--jobs", type=int, default=None, help="notebooks at once in the parallel build "
                   "(default: CLIP_COURSE_JOBS, else the usable cores)")
    p.add_argument("--repeats", type=int, default=1, help="sequential/parallel pairs")
    args = p.parse_args(argv)
    quick, jobs = not args.full, args.jobs or runner.default_jobs()
    print(f"{'quick' if quick else 'full'} offline notebooks, {runner.usable_cpus()} usable cores, "
          f"parallel build with {jobs} jobs", flush=True)
    ratios = []
    for rep in range(args.repeats):
        times, per, found = {}, {}, {}
        for name, n in (("sequential", 1), ("parallel", jobs)):
            with tempfile.TemporaryDirectory(prefix=f"bench_report_{name}_") as tmp:
                times[name], per[name] = build(Path(tmp), quick, n)
                found[name] = results(Path(tmp), quick)
            print(f"  {name:10s} {times[name]:7.1f} s   " +
                  "  ".join(f"{s[:2]} {t:.1f}" for s, t in per[name].items()), flush=True)
        if found["sequential"] != found["parallel"]:
            diff = [s for s in found["sequential"] if found["sequential"][s] != found["parallel"].get(s)]
            print(f"results differ between the builds in: {', '.join(diff)}", file=sys.stderr)
            return 1
        ratios.append(times["sequential"] / times["parallel"])
        print(f"repeat {rep + 1}: parallel {ratios[-1]:.2f}x faster than sequential; results identical "
              f"(timings and environment aside)", flush=True)
    print(f"best ratio {max(ratios):.2f}x over {len(ratios)} repeat(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
