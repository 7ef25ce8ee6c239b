"""The linear probe on frozen image features, as the CLIP paper does it: C searched on a validation split, refit.

A probe is multinomial logistic regression on (N, D) features with integer labels. Both
fitters minimise the same objective, scikit-learn's (so ``C`` means the same thing)::

    sum_i CE(x_i, y_i) + ||W||^2 / (2 C)        (intercept not penalised)

- ``fitter="sklearn"``: ``sklearn.linear_model.LogisticRegression`` (lbfgs), the reference.
- ``fitter="torch"``: full-batch ``torch.optim.LBFGS`` with a strong-Wolfe line search and a
  hand-written loss/gradient (no autograd graph), on any device. It solves the exactly
  equivalent problem on centred features (the unpenalised intercept absorbs the mean), which
  conditions L-BFGS better, and keeps the data on the device across a whole sweep.

Regularisation is chosen as in the paper (Radford et al. 2021, appendix A.3): ``C`` on a
log grid over 1e-6..1e6 with 8 steps per decade (97 values, 96 steps); evaluate a coarse
grid (every 2 decades), then repeatedly halve the interval around the best value down to
the grid's resolution (15 fits), scoring on a seeded stratified validation split carved from
train; then refit on train+val with the chosen ``C``. Fits along a sweep are warm-started
from the nearest ``C`` already fitted, for both fitters.

Small data: a validation split of fewer than :data:`MIN_VAL_IMAGES` images (a folder of a
few photos per class) chooses nothing reliably, so C is then chosen by the same refine search
scored by stratified cross-validation over the training images (``min(5, smallest class)``
folds), and with one training image in some class (nothing can be held out) C is fixed at
:data:`FIXED_C`; ``metrics["C_method"]`` says which and why.

Binary problems: scikit-learn fits one weight vector there, not two softmax rows. The
torch fitter reproduces that exactly by fitting the 2-row softmax with ``C / 2`` (the optimum
is symmetric, ``w1 = -w0 = w / 2``), and :class:`LinearProbe` always stores (K, D) rows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any, TypedDict

import numpy as np
import torch
from tqdm.auto import tqdm

from clip_course.core.types import FeatureInput, FeatureMatrix, Labels
from clip_course.errors import ProbeError
from clip_course.io import printable
from clip_course.tasks.logreg import (
    LinearProbe,
    _dtype_name,
    _float_dtype,
    _make_fitter,
    check_fitter,
    check_pair,
    count_classes,
    resolve_device,
    take_rows,
)
from clip_course.tasks.stats import wilson
from clip_course.tasks.zeroshot import classification_metrics

__all__ = [
    "Any", "c_grid", "C_RANGE", "Callable", "cv_choose_C", "DEFAULT_KS", "FIXED_C", "GRID_STEPS", "MIN_VAL_IMAGES",
    "np", "ProbeRun", "restrict_to_trained_classes", "run_probe", "SEARCHES", "stratified_split", "summary", "sweep",
]

SEARCHES = ("refine", "grid")
C_RANGE = (1e-6, 1e6)
GRID_STEPS = 97  # 1e-6..1e6 at 8 steps per decade, as in the paper
_COARSE_POINTS = 7  # 1e-6, 1e-4, ..., 1e6
DEFAULT_KS: tuple[int | None, ...] = (1, 2, 4, 8, 16, None)
#: Fewer validation images than this choose C by cross-validation instead (see the module doc).
MIN_VAL_IMAGES = 10
#: Most folds of that cross-validation.
_CV_FOLDS = 5
#: C when some class has a single training image: scikit-learn's default, chosen without any data.
FIXED_C = 1.0


# --------------------------------------------------------------------------- scoring & search


class _Scorer:
    """Top-1 accuracy (%) and mean cross-entropy of probes on fixed held-out features."""

    def __init__(self, X: FeatureMatrix, y: np.ndarray, device: torch.device) -> None:
        X = torch.as_tensor(X)
        self.X = X.to(device=device, dtype=_float_dtype(X.dtype))  # float32 stays float32: cheaper
        self.y = torch.as_tensor(y, device=device)

    def __call__(self, probe: LinearProbe) -> tuple[float, float]:
        W = torch.as_tensor(probe.coef_.T, device=self.X.device, dtype=self.X.dtype)
        b = torch.as_tensor(probe.intercept_, device=self.X.device, dtype=self.X.dtype)
        Z = torch.addmm(b, self.X, W).double()
        acc = 100.0 * (Z.argmax(dim=1) == self.y).double().mean().item()
        loss = torch.nn.functional.cross_entropy(Z, self.y).item()
        return acc, loss


def c_grid(steps: int = GRID_STEPS, c_range: tuple[float, float] = C_RANGE) -> np.ndarray:
    """``steps`` log-spaced values of C over ``c_range`` (default: 8 per decade, 1e-6..1e6)."""
    if steps < 2:
        raise ProbeError(f"steps must be at least 2, got {steps}.")
    return np.logspace(math.log10(c_range[0]), math.log10(c_range[1]), steps)


def _search_order(n: int, search: str) -> Callable[[Callable[[int], tuple]], int]:
    """A search over grid indices 0..n-1 that calls ``evaluate(i) -> score`` and returns the best i."""
    if search not in SEARCHES:
        raise ProbeError(f"Unknown search {search!r}; use one of {SEARCHES}.")

    def run(evaluate: Callable[[int], tuple]) -> int:
        scores: dict[int, tuple] = {}
        if search == "grid":
            for i in range(n):
                scores[i] = evaluate(i)
            return max(scores, key=lambda i: scores[i])
        # Paper: coarse grid, then halve the interval around the peak to the grid's resolution.
        for i in np.unique(np.round(np.linspace(0, n - 1, min(_COARSE_POINTS, n))).astype(int)):
            scores[int(i)] = evaluate(int(i))
        best = max(scores, key=lambda i: scores[i])
        h = (n - 1) / (_COARSE_POINTS - 1)
        while h > 1:
            h /= 2
            for j in (best - round(h), best + round(h)):
                if 0 <= j < n and j not in scores:
                    scores[j] = evaluate(j)
            best = max(scores, key=lambda i: scores[i])
        return best

    return run


def _nearest(fitted: dict[float, LinearProbe], C: float) -> LinearProbe | None:
    if not fitted:
        return None
    return fitted[min(fitted, key=lambda c: abs(math.log(c) - math.log(C)))]


def _sweep(
    X_train: FeatureMatrix,
    y_train: np.ndarray,
    X_val: FeatureMatrix,
    y_val: np.ndarray,
    n_classes: int,
    fitter: str,
    device: torch.device,
    search: str,
    steps: int,
    max_iter: int,
    tol: float,
    dtype: torch.dtype | None,
    warm_start: bool,
    progress: bool,
) -> tuple[dict[str, Any], LinearProbe]:
    """The sweep; returns the JSON-ready summary and the best probe (a warm start for the refit)."""
    start = time.perf_counter()
    grid = c_grid(steps)
    fit = _make_fitter(X_train, y_train, n_classes, fitter, device, max_iter, tol, dtype)
    score = _Scorer(X_val, y_val, device if fitter == "torch" else torch.device("cpu"))
    fitted: dict[float, LinearProbe] = {}
    curve: dict[float, dict[str, Any]] = {}
    bar = tqdm(total=steps if search == "grid" else None, desc=f"C sweep ({fitter})", disable=not progress, leave=False)

    def evaluate(i: int) -> tuple[float, float]:
        C, t0 = float(grid[i]), time.perf_counter()
        probe = fit.fit(C, _nearest(fitted, C) if warm_start else None)
        acc, loss = score(probe)
        fitted[C] = probe
        curve[C] = {"C": C, "val_top1": acc, "val_loss": loss, "n_iter": probe.n_iter,
                    "converged": probe.converged, "seconds": time.perf_counter() - t0}
        bar.update()
        bar.set_postfix(C=f"{C:.2g}", top1=f"{acc:.2f}")
        return acc, -loss  # ties in accuracy go to the lower validation loss

    best = _search_order(steps, search)(evaluate)
    bar.close()
    best_C = float(grid[best])
    summary = {
        "best_C": best_C,
        "best_val_top1": curve[best_C]["val_top1"],
        "curve": [curve[c] for c in sorted(curve)],
        "fits": len(curve),
        "search": search,
        "grid_steps": steps,
        "c_range": list(C_RANGE),
        "fitter": fitter,
        "seconds": time.perf_counter() - start,
    }
    return summary, fitted[best_C]


def sweep(
    X_train: FeatureInput,
    y_train: Labels,
    X_val: FeatureInput,
    y_val: Labels,
    fitter: str = "torch",
    search: str = "refine",
    steps: int = GRID_STEPS,
    n_classes: int | None = None,
    device: torch.device | str | None = None,
    max_iter: int = 1000,
    tol: float = 1e-4,
    dtype: torch.dtype | None = None,
    warm_start: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Choose C on a validation set: returns ``best_C``, ``best_val_top1`` and the ``curve``.

    ``search="refine"`` is the paper's coarse-then-halving search over ``steps`` log-spaced
    values (15 fits for 97); ``search="grid"`` fits every value. The curve lists, per fitted C,
    validation top-1 (%), validation cross-entropy, iterations, convergence and seconds.
    """
    X_train, y_train = check_pair(X_train, y_train, "train")
    X_val, y_val = check_pair(X_val, y_val, "val")
    check_fitter(fitter)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ProbeError(f"max_iter must be a positive integer (L-BFGS iterations per fit), got {max_iter!r}.")
    k = count_classes(y_train, n_classes, "train_y")
    if X_val.shape[1] != X_train.shape[1]:
        raise ProbeError(f"val_X has {X_val.shape[1]} features but train_X has {X_train.shape[1]}.")
    if y_val.max() >= k:
        raise ProbeError(f"val_y has label {int(y_val.max())} but train has only {k} classes.")
    dev = resolve_device(device) if fitter == "torch" else torch.device("cpu")
    summary, _ = _sweep(X_train, y_train, X_val, y_val, k, fitter, dev, search, steps, max_iter, tol,
                        dtype, warm_start, progress)
    return summary


def cv_choose_C(
    X: FeatureMatrix,
    y: np.ndarray,
    n_classes: int,
    folds: int,
    seed: int,
    fitter: str,
    device: torch.device,
    steps: int,
    max_iter: int,
    tol: float,
    dtype: torch.dtype | None,
) -> tuple[float, float]:
    """C by the paper's refine search, scored by per-class-stratified cross-validation.

    Fold f holds out examples f, f+folds, ... of each class (shuffled), so every training
    fold keeps every class of two or more examples (callers use at most as many folds as
    the smallest class has examples). Returns (C, mean CV top-1).
    """
    if folds < 2:
        raise ProbeError(f"cross-validation needs at least 2 folds, got {folds}.")
    rng = np.random.default_rng(seed + 7919)  # a stream apart from sample_k_shot's for this seed
    fold_of = np.empty(len(y), dtype=np.int64)
    for c in range(n_classes):
        idx = rng.permutation(np.flatnonzero(y == c))
        fold_of[idx] = np.arange(len(idx)) % folds
    splits = [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(folds)]
    fits = [_make_fitter(take_rows(X, tr), y[tr], n_classes, fitter, device, max_iter, tol, dtype) for tr, _ in splits]
    scorers = [_Scorer(take_rows(X, va), y[va], device) for _, va in splits]
    warm: list[dict[float, LinearProbe]] = [{} for _ in splits]
    grid = c_grid(steps)
    results: dict[int, tuple[float, float]] = {}

    def evaluate(i: int) -> tuple[float, float]:
        C = float(grid[i])
        accs, losses = [], []
        for f in range(folds):
            probe = fits[f].fit(C, _nearest(warm[f], C))
            warm[f][C] = probe
            acc, loss = scorers[f](probe)
            accs.append(acc)
            losses.append(loss)
        results[i] = (float(np.mean(accs)), -float(np.mean(losses)))
        return results[i]

    best = _search_order(steps, "refine")(evaluate)
    return float(grid[best]), results[best][0]


# --------------------------------------------------------------------------- splits


def stratified_split(y: np.ndarray, fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (train, val) indices holding out ``round(fraction * n_c)`` of each class.

    A class always keeps at least one training example; classes with one example give none
    to validation.
    """
    if not 0 < fraction < 1:
        raise ProbeError(f"val_fraction must be between 0 and 1, got {fraction}.")
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_val = min(int(round(fraction * len(idx))), len(idx) - 1)
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


# --------------------------------------------------------------------------- probe runs


def _test_metrics(probe: LinearProbe, X: FeatureMatrix, y: np.ndarray, classes: list[str]) -> dict[str, Any]:
    return classification_metrics(torch.from_numpy(probe.predict_logits(X)), y, classes)


def _class_names(classes: Sequence[str] | None, k: int) -> list[str]:
    if classes is None:
        return [str(i) for i in range(k)]
    if len(classes) < k:
        raise ProbeError(f"{len(classes)} class names given but labels go up to {k - 1}.")
    return list(classes)


def restrict_to_trained_classes(
    train_y: np.ndarray, test_X: FeatureMatrix, test_y: np.ndarray, classes: Sequence[str] | None
) -> tuple[np.ndarray, FeatureMatrix, np.ndarray, list[str] | None, list[str]]:
    """Drop classes that have no training examples, relabelling the rest to 0..K'-1.

    A probe cannot learn a class it never sees (ShapesWorld holds some colour-shape pairs
    out of every training split), so such classes and their test images are left out.
    Returns the new train labels, test features and labels, class names, and the dropped names.
    """
    if classes is None:
        return train_y, test_X, test_y, None, []
    counts = np.bincount(train_y, minlength=len(classes))
    present = np.flatnonzero(counts > 0)
    if len(present) == len(classes):
        return train_y, test_X, test_y, list(classes), []
    remap = np.full(len(classes), -1)
    remap[present] = np.arange(len(present))
    keep = remap[test_y] >= 0
    dropped = [classes[int(i)] for i in np.flatnonzero(counts == 0)]
    return (remap[train_y], take_rows(test_X, np.flatnonzero(keep)), remap[test_y[keep]],
            [classes[int(i)] for i in present], dropped)


def _choose_C(train_X: FeatureMatrix, train_y: np.ndarray, k: int, per_class: np.ndarray, val_fraction: float,
              seed: int,
              fitter: str, dev: torch.device, search: str, steps: int, max_iter: int, tol: float,
              dtype: torch.dtype | None, progress: bool) -> tuple:
    """(C, validation top-1, warm start, how C was chosen, sweep summary, train and val indices).

    The paper's validation split when it holds :data:`MIN_VAL_IMAGES` images; else
    cross-validation, or :data:`FIXED_C` when a class has a single training image.
    """
    tr, va = stratified_split(train_y, val_fraction, seed)
    if len(va) >= MIN_VAL_IMAGES:
        curve, best = _sweep(take_rows(train_X, tr), train_y[tr], take_rows(train_X, va), train_y[va], k, fitter,
                             dev, search, steps, max_iter, tol, dtype, True, progress)
        method = f"sweep on a validation split of {len(va)} images (paper)"
        return curve["best_C"], curve["best_val_top1"], best, method, curve, tr, va
    smallest = int(per_class[per_class > 0].min())
    why = (f"a validation split of {val_fraction:g} would hold {len(va)} image(s) "
           f"(fewer than {MIN_VAL_IMAGES}); the smallest class has {smallest} training image(s)")
    everything, none = np.arange(len(train_y)), np.arange(0)
    if smallest >= 2:
        folds = min(_CV_FOLDS, smallest)
        C, val_top1 = cv_choose_C(train_X, train_y, k, folds, seed, fitter, dev, steps, max_iter, tol, dtype)
        return (C, val_top1, None, f"{folds}-fold cross-validation over the training images: {why}",
                None, everything, none)
    method = f"fixed C={FIXED_C:g} (scikit-learn's default), nothing can be held out: {why}"
    return FIXED_C, None, None, method, None, everything, none


class _ProbeRunKeys(TypedDict):
    params: dict[str, Any]
    metrics: dict[str, Any]
    predictions: list[int]


class ProbeRun(_ProbeRunKeys, total=False):
    """A :func:`run_probe` result: its settings, its metrics, the test images' predicted classes
    and, when asked for (``test_logits=True``), their (N, C) logits."""

    test_logits: np.ndarray


def run_probe(
    train_X: FeatureInput,
    train_y: Labels,
    test_X: FeatureInput,
    test_y: Labels,
    classes: Sequence[str] | None = None,
    val_fraction: float = 0.2,
    seed: int = 0,
    fitter: str = "torch",
    search: str = "refine",
    steps: int = GRID_STEPS,
    device: torch.device | str | None = None,
    max_iter: int = 1000,
    tol: float = 1e-4,
    dtype: torch.dtype | None = None,
    progress: bool = True,
    test_logits: bool = False,
) -> ProbeRun:
    """The paper's probe: sweep C on a seeded validation split, refit on train+val, test.

    With fewer than :data:`MIN_VAL_IMAGES` validation images C comes from cross-validation
    (or is :data:`FIXED_C` when a class has one training image); ``metrics["C_method"]`` says
    which, ``val_top1`` is then the mean cross-validated top-1 (None for the fixed C) and
    ``sweep`` None. ``top1_interval`` is the Wilson 95% interval on the test images.

    Returns ``{"params": ..., "metrics": ..., "predictions": ...}``; metrics hold test top-1/top-5
    (%), mean per-class recall, per-class accuracy and confusion, the chosen ``C`` and the
    validation curve (``sweep``); ``predictions`` are the test images' predicted classes (for
    paired comparisons with another classifier on the same images); with ``test_logits=True``,
    ``test_logits`` holds their (N, C) logits as numpy (softmax: the probe's probabilities). Classes without training
    examples are left out, with their test images
    (see :func:`restrict_to_trained_classes`); ``params`` names them.
    """
    train_X, train_y = check_pair(train_X, train_y, "train")
    test_X, test_y = check_pair(test_X, test_y, "test")
    check_fitter(fitter)
    if test_X.shape[1] != train_X.shape[1]:
        raise ProbeError(f"test_X has {test_X.shape[1]} features but train_X has {train_X.shape[1]}.")
    train_y, test_X, test_y, classes, dropped = restrict_to_trained_classes(train_y, test_X, test_y, classes)
    k = count_classes(train_y, len(classes) if classes is not None else None, "train_y")
    names = _class_names(classes, max(k, int(test_y.max()) + 1))
    dev = resolve_device(device) if fitter == "torch" else torch.device("cpu")

    per_class = np.bincount(train_y, minlength=k)
    C, val_top1, init, method, curve, tr, va = _choose_C(train_X, train_y, k, per_class, val_fraction, seed, fitter,
                                                         dev, search, steps, max_iter, tol, dtype, progress)
    t0 = time.perf_counter()
    final = _make_fitter(train_X, train_y, k, fitter, dev, max_iter, tol, dtype).fit(C, init)
    refit_seconds = time.perf_counter() - t0
    metrics = _test_metrics(final, test_X, test_y, names)
    lo, hi = wilson(metrics["top1"], len(test_y))
    metrics.update({
        "C": C, "val_top1": val_top1, "C_method": method, "n_iter": final.n_iter,
        "converged": final.converged, "sweep": curve, "refit_seconds": refit_seconds,
        "n_train": int(len(tr)), "n_val": int(len(va)), "n_test": int(len(test_y)),
        "top1_interval": [lo, hi],
        "train_images_per_class": {names[c]: int(per_class[c]) for c in range(k)},
    })
    params = {
        "fitter": fitter, "search": search, "grid_steps": steps, "c_range": list(C_RANGE),
        "val_fraction": val_fraction, "seed": seed, "max_iter": max_iter, "tol": tol,
        "dtype": _dtype_name(dtype, train_X, fitter),
        "device": str(dev), "feature_dim": int(train_X.shape[1]), "classes": names,
        "classes_without_training_images": dropped,
    }
    out: ProbeRun = {"params": params, "metrics": metrics,
                     "predictions": np.asarray(final.predict(test_X)).tolist()}
    if test_logits:  # a numpy array: asked for only by callers that do not write the result as JSON
        out["test_logits"] = final.predict_logits(test_X)
    return out


def summary(result: ProbeRun, n_classes: int) -> str:
    """The CLI's lines for a :func:`run_probe` result: C (and its validation top-1), top-1 with its
    95% interval, top-5; how C was chosen; the training images of each class (names escaped)."""
    metrics = result["metrics"]
    lo, hi = metrics["top1_interval"]
    val = "" if metrics["val_top1"] is None else f" (val {metrics['val_top1']:.2f}%)"
    counts = ", ".join(f"{printable(c)} {n}" for c, n in metrics["train_images_per_class"].items())
    top5 = f"  top-5 {metrics['top5']:.2f}%" if n_classes > 5 else ""  # top-5 of 5 classes or fewer is 100%
    return (f"C={metrics['C']:.3g}{val}  top-1 {metrics['top1']:.2f}% (95% CI {lo:.1f}-{hi:.1f}%){top5}"
            f"\n  C: {metrics['C_method']}\n  training images per class: {counts}")
