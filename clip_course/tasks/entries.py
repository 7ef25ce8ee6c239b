"""What notebooks 03 and 04 record per dataset: zero-shot and probe entries, on cached features.

Re-exported by :mod:`clip_course.notebook` (``nb.zero_shot_entry``, ``nb.probe_entry``, ...); a
``session`` is a :class:`clip_course.notebook.Session` (only its ``lm`` and ``seed`` are read).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from clip_course.core import prompts
from clip_course.core.cache import USER_CACHE
from clip_course.core.feature_cache import image_features
from clip_course.data.dataset import ImageDataset
from clip_course.errors import NotebookError
from clip_course.tasks import kshot as kshot_tasks
from clip_course.tasks import probe, zeroshot
from clip_course.tasks.stats import crossover_k, paired_difference
from clip_course.tasks.types import KShotRow, SessionLike

__all__ = ["dataset_record", "features", "kshot_summary", "probe_entry", "SessionLike", "zero_shot_entry"]

# ----------------------------------------------------------------------------- 04 probe


def kshot_summary(per_k: Sequence[KShotRow]) -> tuple[dict[str, dict[str, float]], float | None]:
    """``kshot_tasks.k_shot``'s per-k rows as {"<k>": {"mean", "std"}} (top-1 %), plus the full-data
    mean (the row with k = None) or None."""
    curve, full = {}, None
    for row in per_k:
        if row["k"] is None:
            full = float(row["top1_mean"])
        else:
            curve[str(row["k"])] = {"mean": float(row["top1_mean"]), "std": float(row["top1_std"])}
    return curve, full


# ----------------------------------------------------------------------------- tasks


def dataset_record(dataset: ImageDataset) -> dict[str, Any]:
    """A dataset's identity for results (the report's run manifest collects these)."""
    return {"name": dataset.name, "split": dataset.split, "size": len(dataset),
            "classes": len(dataset.classes), "fingerprint": dataset.fingerprint[:16]}


def features(session: SessionLike, dataset: ImageDataset, batch_size: int = 256,
             cache_dir: str | None = USER_CACHE) -> torch.Tensor:
    """L2-normalised image features of ``dataset`` (cached on disk under ``cache_dir``)."""
    return image_features(session.lm, dataset, normalize=True, cache_dir=cache_dir, batch_size=batch_size,
                          progress=True)  # tqdm.auto; a report build sets TQDM_DISABLE


def zero_shot_entry(
    session: SessionLike,
    dataset: ImageDataset,
    role: str,
    template_sets: Sequence[str] = ("single", "ensemble"),
    batch_size: int = 256,
    ensemble: Sequence[str] | None = None,
    cache_dir: str | None = USER_CACHE,
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Zero-shot results of one dataset under each template set, and the scores behind them.

    ``ensemble``: templates to use as the ensemble instead of the dataset's own (notebook 03's
    ``templates`` parameter).

    The entry holds, per set, top-1/top-5/mean per-class recall (%), and for the last set
    (the ensemble) the per-class accuracy, confusion and most-confused pairs.
    """
    if role not in ("coarse", "fine"):
        raise NotebookError(f"role must be 'coarse' or 'fine', got {role!r}.")
    feats = features(session, dataset, batch_size, cache_dir)
    entry: dict[str, Any] = {"role": role, "n_way": len(dataset.classes), "n_classes": len(dataset.classes),
                             "n_images": len(dataset),
                             "classes": list(dataset.classes), "templates": {},
                             "fingerprint": dataset.fingerprint[:16], "dataset": dataset_record(dataset)}
    scored: dict[str, zeroshot.Scored] = {}
    for name in template_sets:
        tmpl = prompts.templates(ensemble if name == "ensemble" and ensemble else name, dataset.name)
        scored[name] = zeroshot.score(session.lm, feats, dataset.labels, dataset.classes, tmpl)
        m = scored[name].metrics
        entry["templates"][name] = tmpl
        entry[name] = {k: m[k] for k in ("top1", "top5", "mean_per_class_recall")}
    if "single" in scored and "ensemble" in scored:  # paired: the same images under both classifiers
        d, lo, hi = paired_difference(scored["ensemble"].correct, scored["single"].correct, seed=session.seed)
        entry["ensemble_gain"] = {"diff": d, "lo": lo, "hi": hi}
    entry["per_class_accuracy"] = m["per_class_accuracy"]
    entry["confusion"] = m["confusion"]
    entry["most_confused"] = zeroshot.most_confused_pairs(m["confusion"], dataset.classes, n=15)
    return entry, {name: s.logits for name, s in scored.items()}


def probe_entry(
    session: SessionLike,
    train: ImageDataset,
    test: ImageDataset,
    role: str,
    ks: Sequence[int] = (1, 2, 4, 8, 16),
    kshot_seeds: Sequence[int] = (0, 1, 2),
    fitter: str = "torch",
    search: str = "refine",
    grid_steps: int = 97,
    max_iter: int = 1000,
    batch_size: int = 256,
    cache_dir: str | None = USER_CACHE,
    ensemble: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Linear probe (paper protocol), zero-shot (ensemble) and k-shot probes on one dataset.

    All three are scored on the same task: classes without training images are left out
    (with their test images), as :func:`clip_course.tasks.probe.run_probe` does. The k = 1 probes use the C the
    full-data sweep chose (nothing can be held out from one
    example per class); k >= 2 choose C by cross-validation inside the k-shot set. ``ensemble``:
    the zero-shot templates instead of the dataset's own (notebook 04's ``templates``).
    """
    Xtr, Xte = features(session, train, batch_size, cache_dir), features(session, test, batch_size, cache_dir)
    device = session.lm.device
    result = probe.run_probe(Xtr, train.labels, Xte, test.labels, train.classes, seed=session.seed,
                             fitter=fitter, search=search, steps=grid_steps, max_iter=max_iter, device=device,
                             progress=False)
    full = result["metrics"]
    # Zero-shot on exactly the probe's task: the classes with training images (ShapesWorld
    # holds some pairs out of training) and their test images.
    _, _, yte_kept, kept, dropped = probe.restrict_to_trained_classes(
        np.asarray(train.labels), Xte, np.asarray(test.labels), list(test.classes))
    assert kept is not None  # test.classes was given, so the kept names are too
    zs_scored = zeroshot.score(session.lm, Xte, test.labels, test.classes,
                               list(ensemble) if ensemble else prompts.templates("ensemble", test.name), keep=kept)
    zs = zs_scored.metrics
    counts = np.bincount(np.asarray(train.labels), minlength=len(train.classes))
    fewest = int(counts[counts > 0].min())
    ks = [int(k) for k in ks if k <= fewest]  # every trained class needs k examples
    kshot = kshot_tasks.k_shot(Xtr, train.labels, Xte, test.labels, ks=ks, seeds=list(kshot_seeds),
                         classes=train.classes, fitter=fitter, device=device, fixed_C=full["C"],
                         steps=grid_steps, max_iter=max_iter, progress=False)["metrics"]["per_k"] if ks else []
    curve, _ = kshot_summary(kshot)
    zero = {"top1": zs["top1"], "top5": zs["top5"]}
    k_star = crossover_k([float(k) for k in curve], [v["mean"] for v in curve.values()], zs["top1"]) if curve else None
    return {
        "role": role, "n_way": len(kept), "n_train": len(train), "n_test": len(yte_kept), "n_classes": len(kept),
        "classes_without_training_images": dropped,
        "probe": {"top1": full["top1"], "top5": full["top5"], "mean_per_class_recall": full["mean_per_class_recall"],
                  "C": full["C"], "val_top1": full["val_top1"]},
        # paired: the probe and zero-shot on the same test images
        "zeroshot": zero, "probe_minus_zeroshot": dict(zip(("diff", "lo", "hi"), paired_difference(
            np.asarray(result["predictions"]) == np.asarray(yte_kept), zs_scored.correct,
            seed=session.seed),
            strict=True)),
        "kshot": curve, "crossover_k": k_star,
        # no sweep when C came from cross-validation (a validation split of under 10 images)
        "sweep": [{"C": p["C"], "val_top1": p["val_top1"]} for p in (full["sweep"] or {"curve": []})["curve"]],
        "fitter": fitter, "search": search, "grid_steps": grid_steps, "kshot_seeds": list(kshot_seeds),
        "train": {"dataset": dataset_record(train)}, "test": {"dataset": dataset_record(test)},
    }
