"""Benchmark: how long the instant commands take, against the same commands with torch imported first.

Each command runs as a fresh ``python`` process, as a user types it; the "before" column runs the
same ``main()`` after ``import torch, clip`` (what ``python -m clip_course`` did before its heavy
imports moved into the work commands). Runs alternate before/after, so load on the machine hits
both alike; the script prints the median seconds of each, and their ratio.

    python benchmarks/bench_cli.py                 # 5 runs of each
    python benchmarks/bench_cli.py --repeat 11

Goal: every instant command under 0.3 s on this project's 2-core machines. Needs only clip_course.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [["--help"], ["--version"], ["datasets"], ["results", "--root", "."], ["models"]]


def _seconds(code: str, argv: list[str], cwd: str) -> float:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


AFTER = "import sys; from clip_course.cli import main; main(sys.argv[1:])"
BEFORE = "import sys, torch, clip; from clip_course.cli import main; main(sys.argv[1:])"
WRAP = "try:\n    {}\nexcept SystemExit:\n    pass"  # --help and --version exit through argparse


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=5, help="runs of each command, each way")
    args = p.parse_args(argv)
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, "
          f"{args.repeat} runs each (median)")
    print(f"{'command':<22} {'torch first (s)':>16} {'now (s)':>9} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as cwd:  # an empty results folder: `results` reads nothing
        _seconds(WRAP.format(AFTER), ["--help"], cwd)  # warm the file cache once
        for command in COMMANDS:
            before, after = [], []
            for _ in range(args.repeat):
                before.append(_seconds(WRAP.format(BEFORE), command, cwd))
                after.append(_seconds(WRAP.format(AFTER), command, cwd))
            b, a = statistics.median(before), statistics.median(after)
            print(f"{' '.join(command):<22} {b:>16.2f} {a:>9.2f} {b / a:>6.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
