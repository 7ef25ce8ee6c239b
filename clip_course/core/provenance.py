"""Result records: the parameters and environment beside the metrics.

Every task writes one JSON record (see :func:`run_record`), so a number in the report can
always be traced to the model, checkpoint hash, dataset, templates and versions behind it.
"""

from __future__ import annotations

import platform
import subprocess
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported lazily: the report runner uses this module without it
    import torch

    from clip_course.core.types import DatasetLike, LoadedModelLike

__all__ = ["device_name", "environment", "git_commit", "package_versions", "run_record", "TYPE_CHECKING"]

_PACKAGES = ("clip-course", "torch", "torchvision", "clip-anytorch", "numpy", "scikit-learn", "papermill")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a result depends on."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def device_name(device: torch.device | str | None = None) -> str:
    """A human name for the device results were computed on."""
    import torch

    device = torch.device(device) if device is not None else None
    if device is not None and device.type == "cuda" and torch.cuda.is_available():
        return torch.cuda.get_device_name(device)
    # lazy: keeps torch out of provenance (the CLI's instant commands import it) until needed
    from clip_course.core.device import current_threads

    t = current_threads()
    blas = f", {t['blas']} BLAS" if t["blas"] else ""
    return f"CPU ({platform.processor() or platform.machine()}, {t['torch']} torch{blas} threads of {t['cpus']} CPUs)"


def git_commit(root: str | Path = ".") -> str:
    """The repository's HEAD commit (with '+dirty' when there are changes), or 'unknown'."""
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment(device: torch.device | str | None = None) -> dict[str, Any]:
    """Versions, device, thread counts, git commit and a timestamp."""
    # lazy: keeps torch out of provenance (the CLI's instant commands import it) until needed
    from clip_course.core.device import current_threads

    return {
        "versions": package_versions(),
        "device": device_name(device),
        "threads": current_threads(),
        "git_commit": git_commit(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _published_checkpoint(lm: LoadedModelLike) -> bool:
    # lazy: keeps torch out of provenance (the CLI's instant commands import it) until needed
    from clip_course.core.models import checkpoint_origin, is_published_checkpoint

    try:
        return is_published_checkpoint(checkpoint_origin(lm.name, lm.checkpoint, lm.checkpoint_sha256))
    except (OSError, TypeError, ValueError):  # a model built in memory (tests, benchmarks) has no file
        return False


def run_record(
    task: str,
    params: Mapping[str, object],
    metrics: Mapping[str, object],
    lm: LoadedModelLike | None = None,
    dataset: DatasetLike | None = None,
    profile: str | None = None,
    seconds: float | None = None,
) -> dict[str, Any]:
    """One JSON-ready record: task, profile, model, dataset, parameters, metrics, environment."""
    record: dict[str, Any] = {"task": task, "profile": profile, "params": dict(params)}
    if lm is not None:
        record["model"] = {
            "name": lm.name,
            "checkpoint_sha256": lm.checkpoint_sha256,
            "input_resolution": lm.input_resolution,
            "dtype": str(lm.dtype).replace("torch.", ""),
            # the tag and its pretraining data: openai's and LAION's weights of one architecture differ
            "pretrained": getattr(lm, "pretrained", None),
            "training_data": getattr(lm, "training_data", None),
            "loader": getattr(lm, "loader", "clip"),
            # the file published figures measured (openai's sha256, or the hub's for an open_clip tag)
            "checkpoint_published": _published_checkpoint(lm),
        }
    if dataset is not None:
        record["dataset"] = {
            "name": dataset.name,
            "split": dataset.split,
            "size": len(dataset),
            "classes": len(dataset.classes),
            "fingerprint": dataset.fingerprint[:16],
        }
        if getattr(dataset, "meta", None):  # e.g. how a folder dataset was split
            record["dataset"]["meta"] = dataset.meta
    record["metrics"] = metrics
    if seconds is not None:
        record["seconds"] = round(seconds, 3)
    record["environment"] = environment(lm.device if lm is not None else None)
    return record
