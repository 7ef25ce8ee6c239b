"""Which torch device to use when the caller names none, and how many CPU threads to run.

Thread rule (measured on a shared 2-core CPU, see docs/BENCHMARKS.md): with at most 2 usable
cores, one torch thread and one BLAS thread (2 torch threads encoded ViT-B/32 about 1.5-2x
slower than 1, 2 BLAS threads made scikit-learn's lbfgs about 10-30x slower); with more cores,
one thread per usable core for both. ``CLIP_COURSE_THREADS=N`` overrides the rule.
"""

from __future__ import annotations

import os

import torch

__all__ = ["configure_threads", "current_threads", "default_device", "thread_counts", "torch", "usable_cpus"]

_THREADS_ENV = "CLIP_COURSE_THREADS"


def default_device() -> torch.device:
    """CUDA when present, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def thread_counts(cpus: int | None = None, override: str | None = None) -> dict[str, int]:
    """{"cpus", "torch", "blas"}: the thread counts :func:`configure_threads` applies."""
    cpus = usable_cpus() if cpus is None else cpus
    override = os.environ.get(_THREADS_ENV) if override is None else override
    if override and override.strip().isdigit() and int(override) > 0:
        n = int(override)
    else:
        n = 1 if cpus <= 2 else cpus
    return {"cpus": cpus, "torch": n, "blas": n}


def configure_threads() -> dict[str, int]:
    """Apply :func:`thread_counts` to torch and to the BLAS/OpenMP pools; returns the counts."""
    counts = thread_counts()
    torch.set_num_threads(counts["torch"])
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(counts["blas"], user_api="blas")
    except ImportError:  # scikit-learn brings threadpoolctl; without it BLAS keeps its default
        counts["blas"] = 0
    return counts


def current_threads() -> dict[str, int]:
    """What this process runs with now: {"cpus", "torch", "blas"} (blas 0 when unknown)."""
    blas = 0
    try:
        from threadpoolctl import threadpool_info

        blas = max((p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"), default=0)
    except ImportError:
        pass
    return {"cpus": usable_cpus(), "torch": torch.get_num_threads(), "blas": blas}
