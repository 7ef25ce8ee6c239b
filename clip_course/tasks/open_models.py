"""The open-models chapter's measured rows: one zero-shot task, the same test images, for the
session's model (openai's ViT-B/32 in the paper profile) and open_clip models named ``ARCH:TAG``.

Each row is a top-1 with its 95% Wilson interval; each open model is set against the session's
model by a paired bootstrap interval over the same images (:func:`clip_course.tasks.stats.paired_difference`).
CLIP_benchmark's published figure comes with a row only where the checkpoint's sha256 is the one
that figure measured (:func:`clip_course.tasks.zeroshot.published_figure`); a fake or retrained
file gets none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from clip_course.core import models as core_models
from clip_course.core import prompts
from clip_course.core.feature_cache import image_features
from clip_course.core.models import weights_problem
from clip_course.core.types import LoadedModelLike
from clip_course.data.dataset import ImageDataset
from clip_course.tasks import zeroshot
from clip_course.tasks.across import published_checkpoint
from clip_course.tasks.stats import paired_difference, wilson

__all__ = ["measure", "on_disk", "row"]


def on_disk(models: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The models of ``models`` whose weights are on disk, and ``{model: why not}`` for the others."""
    present, missing = [], {}
    for name in models:
        problem = weights_problem(name)
        if problem is None:
            present.append(name)
        else:
            missing[name] = problem
    return present, missing


def row(lm: LoadedModelLike, dataset: ImageDataset, batch_size: int,
        cache_dir: str | None) -> tuple[dict[str, Any], np.ndarray]:
    """One model's measured row on ``dataset`` (template ensemble) and its per-image correctness."""
    feats = image_features(lm, dataset, normalize=True, cache_dir=cache_dir, batch_size=batch_size, progress=False)
    scored = zeroshot.score(lm, feats, dataset.labels, dataset.classes, prompts.templates("ensemble", dataset.name))
    n = len(scored.labels)
    lo, hi = wilson(scored.top1, n)
    return {"model": lm.name, "pretrained": getattr(lm, "pretrained", None),
            "training_data": getattr(lm, "training_data", None), "checkpoint_sha256": lm.checkpoint_sha256,
            "checkpoint_published": published_checkpoint(lm), "dataset": dataset.name, "n_test": n,
            "n_way": len(dataset.classes),
            "top1": scored.top1, "lo": lo, "hi": hi,
            "published": zeroshot.published_figure(lm, dataset.name)}, scored.correct


def measure(base: LoadedModelLike, models: Sequence[str], dataset: ImageDataset, batch_size: int,
            cache_dir: str | None, seed: int = 0) -> list[dict[str, Any]]:
    """The base model's row, then one row per model of ``models`` (loaded on the base's device), each
    with ``vs_base``: its top-1 minus the base's, paired bootstrap 95% interval over the same images."""

    first, base_correct = row(base, dataset, batch_size, cache_dir)
    rows = [{**first, "vs_base": None}]
    for name in models:
        lm = base if name == base.name else core_models.load(name, device=base.device)
        r, correct = row(lm, dataset, batch_size, cache_dir)
        diff, lo, hi = paired_difference(correct, base_correct, seed=seed)
        rows.append({**r, "vs_base": {"diff": diff, "lo": lo, "hi": hi, "n": int(len(correct))}})
    return rows
