"""k-shot linear probes: k labelled images per class over several seeds, C chosen by
cross-validation inside each k-shot set, and where the curve meets zero-shot.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import numpy as np
import torch
from tqdm.auto import tqdm

from clip_course.core.types import FeatureInput, FeatureMatrix, Labels
from clip_course.errors import ProbeError
from clip_course.tasks.logreg import (
    _make_fitter,
    check_fitter,
    check_pair,
    count_classes,
    resolve_device,
    take_rows,
)
from clip_course.tasks.probe import (
    C_RANGE,
    DEFAULT_KS,
    GRID_STEPS,
    ProbeRun,
    _class_names,
    _test_metrics,
    cv_choose_C,
    restrict_to_trained_classes,
    run_probe,
)

__all__ = ["k_shot", "run_probe", "sample_k_shot"]


def sample_k_shot(y: np.ndarray, k: int, seed: int = 0, classes: Sequence[str] | None = None) -> np.ndarray:
    """Seeded indices of ``k`` examples of every class in ``y`` (sorted)."""
    if k < 1:
        raise ProbeError(f"k must be a positive number of examples per class, got {k}.")
    rng = np.random.default_rng(seed)
    out = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        if len(idx) < k:
            name = classes[c] if classes is not None and c < len(classes) else str(c)
            raise ProbeError(
                f"k={k} but class {name!r} has only {len(idx)} training examples; "
                f"use k <= {len(idx)} or more training data."
            )
        out.append(rng.choice(idx, size=k, replace=False))
    return np.sort(np.concatenate(out))


def _summarise(runs: Sequence[Mapping[str, object]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("top1", "top5"):
        vals = np.array([r[key] for r in runs], dtype=np.float64)
        out[f"{key}_mean"] = float(vals.mean())
        out[f"{key}_std"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
    out["n_seeds"] = len(runs)
    return out


class _FitSettings(TypedDict):
    """The fitting settings every probe of one :func:`k_shot` call shares (:func:`run_probe`'s keywords)."""

    fitter: str
    device: torch.device
    steps: int
    max_iter: int
    tol: float
    dtype: torch.dtype | None
    progress: bool


def k_shot(
    train_X: FeatureInput,
    train_y: Labels,
    test_X: FeatureInput,
    test_y: Labels,
    ks: Sequence[int | None] = DEFAULT_KS,
    seeds: Sequence[int] = (0, 1, 2),
    classes: Sequence[str] | None = None,
    fitter: str = "torch",
    device: torch.device | str | None = None,
    val_fraction: float = 0.2,
    cv_folds: int = 4,
    fixed_C: float | None = None,
    steps: int = GRID_STEPS,
    max_iter: int = 1000,
    tol: float = 1e-4,
    dtype: torch.dtype | None = None,
    progress: bool = True,
    full_probe: ProbeRun | None = None,
) -> dict[str, Any]:
    """k-shot probes (k examples per class; ``None`` = all) over seeds: mean and spread per k.

    Choosing C without peeking at the test set, per k:

    - ``None`` (full data): the paper's protocol, :func:`run_probe` with that seed value's split.
    - ``k >= 2``: the paper's refine search scored by ``min(k, cv_folds)``-fold cross-validation
      inside the k-shot set (each fold holds out examples of every class), then a refit on
      all k-shot examples. Only the k-shot labels are used.
    - ``k == 1``: nothing can be held out without losing a class, so C is fixed: ``fixed_C``
      if given, else the C the full-data sweep chose (seed ``seeds[0]``). That borrows one
      scalar from the full training labels; the record says so (``C_method``).

    ``full_probe``: a :func:`run_probe` result for seed ``seeds[0]`` with the same settings,
    reused instead of sweeping again.

    Returns ``{"params": ..., "metrics": {"per_k": [...], "fixed_C": ...}}``; each per-k entry
    has ``top1_mean/std``, ``top5_mean/std`` (std over seeds, ddof=1) and the per-seed runs.
    Classes without training examples are left out as in :func:`run_probe`.
    """
    check_fitter(fitter)
    train_X, train_y, test_X, test_y, names, k_classes, dropped = _checked_inputs(
        train_X, train_y, test_X, test_y, classes, ks, seeds)
    dev = resolve_device(device) if fitter == "torch" else torch.device("cpu")
    common: _FitSettings = {"fitter": fitter, "device": dev, "steps": steps, "max_iter": max_iter, "tol": tol,
              "dtype": dtype, "progress": False}

    full_runs: dict[int, ProbeRun] = {}
    if full_probe is not None:
        full_runs[seeds[0]] = full_probe

    def full(seed: int) -> ProbeRun:
        if seed not in full_runs:
            full_runs[seed] = run_probe(train_X, train_y, test_X, test_y, names, val_fraction, seed, **common)
        return full_runs[seed]

    fixed_source = "given"
    if fixed_C is None and any(k == 1 for k in ks):
        fixed_C, fixed_source = full(seeds[0])["metrics"]["C"], f"the full-data sweep (seed {seeds[0]})"
    jobs = [(k, s) for k in ks for s in seeds]
    bar = tqdm(jobs, desc=f"k-shot ({fitter})", disable=not progress)
    runs: dict[int | None, list[dict[str, Any]]] = {k: [] for k in ks}
    methods: dict[int | None, str] = {}
    for k, seed in bar:
        bar.set_postfix(k=k if k is not None else "full", seed=seed)
        t0 = time.perf_counter()
        if k is None:
            m = full(seed)["metrics"]
            run = {"seed": seed, "top1": m["top1"], "top5": m["top5"], "C": m["C"], "n_train": len(train_y)}
            methods[k] = m.get("C_method", "sweep on a validation split (paper)")
        else:
            run, methods[k] = _k_shot_run(train_X, train_y, test_X, test_y, names, k, seed, k_classes,
                                          fixed_C, fixed_source, cv_folds, common)
        run["seconds"] = time.perf_counter() - t0
        runs[k].append(run)
    per_k = [{"k": k, "label": "full" if k is None else str(k), "C_method": methods[k], **_summarise(runs[k]),
              "runs": runs[k]} for k in ks]
    params = {"ks": list(ks), "seeds": list(seeds), "fitter": fitter, "val_fraction": val_fraction,
              "cv_folds": cv_folds, "grid_steps": steps, "c_range": list(C_RANGE), "max_iter": max_iter,
              "tol": tol, "device": str(dev), "classes": names, "classes_without_training_images": dropped,
              "train_images_per_class": dict(zip(names, np.bincount(train_y, minlength=len(names)).tolist(),
                                                 strict=False))}
    return {"params": params, "metrics": {"per_k": per_k, "fixed_C": fixed_C, "fixed_C_source": fixed_source}}


def _k_shot_run(train_X: FeatureMatrix, train_y: np.ndarray, test_X: FeatureMatrix, test_y: np.ndarray,
                names: list[str], k: int,
                seed: int, k_classes: int, fixed_C: float | None, fixed_source: str, cv_folds: int,
                common: _FitSettings) -> tuple[dict[str, Any], str]:
    """One k-shot probe: draw k per class, choose C (cross-validation, or the fixed C at k = 1), fit, test."""
    fitter, dev, steps = common["fitter"], common["device"], common["steps"]
    max_iter, tol, dtype = common["max_iter"], common["tol"], common["dtype"]
    idx = sample_k_shot(train_y, k, seed, names)
    Xk, yk = take_rows(train_X, idx), train_y[idx]
    if k >= 2:
        C, cv_top1 = cv_choose_C(Xk, yk, k_classes, min(k, cv_folds), seed, fitter, dev, steps, max_iter, tol, dtype)
        method = f"{min(k, cv_folds)}-fold cross-validation within the k-shot set"
    else:
        if fixed_C is None:
            raise ProbeError("k = 1 needs a fixed C (given, or the full-data sweep's).")
        C, cv_top1 = float(fixed_C), None
        method = f"fixed C from {fixed_source}"
    probe = _make_fitter(Xk, yk, k_classes, fitter, dev, max_iter, tol, dtype).fit(C)
    m = _test_metrics(probe, test_X, test_y, names)
    return ({"seed": seed, "top1": m["top1"], "top5": m["top5"], "C": C, "cv_top1": cv_top1,
             "n_train": int(len(idx)), "converged": probe.converged}, method)


def _checked_inputs(train_X: FeatureInput, train_y: Labels, test_X: FeatureInput, test_y: Labels,
                    classes: Sequence[str] | None,
                    ks: Sequence[int | None], seeds: Sequence[int]
                    ) -> tuple[FeatureMatrix, np.ndarray, FeatureMatrix, np.ndarray, list[str], int, list[str]]:
    """Validated arrays without the classes that have no training examples, class names, the
    number of trained classes and the names left out; fails before any fitting."""
    train_X, train_y = check_pair(train_X, train_y, "train")
    test_X, test_y = check_pair(test_X, test_y, "test")
    train_y, test_X, test_y, classes, dropped = restrict_to_trained_classes(train_y, test_X, test_y, classes)
    k_classes = count_classes(train_y, len(classes) if classes is not None else None, "train_y")
    names = _class_names(classes, max(k_classes, int(test_y.max()) + 1))
    if not seeds:
        raise ProbeError("seeds is empty; give at least one seed.")
    for k in ks:
        if k is not None:
            sample_k_shot(train_y, k, 0, names)
    return train_X, train_y, test_X, test_y, names, k_classes, dropped
