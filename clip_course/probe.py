"""Linear probe and k-shot probes on frozen image features, as the CLIP paper does it.

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

Binary problems: scikit-learn fits one weight vector there, not two softmax rows. The
torch fitter reproduces that exactly by fitting the 2-row softmax with ``C / 2`` (the optimum
is symmetric, ``w1 = -w0 = w / 2``), and :class:`LinearProbe` always stores (K, D) rows.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

FITTERS = ("torch", "sklearn")
SEARCHES = ("refine", "grid")
C_RANGE = (1e-6, 1e6)
GRID_STEPS = 97  # 1e-6..1e6 at 8 steps per decade, as in the paper
COARSE_POINTS = 7  # 1e-6, 1e-4, ..., 1e6
DEFAULT_KS: tuple[int | None, ...] = (1, 2, 4, 8, 16, None)


class ProbeError(ValueError):
    """Features, labels or probe settings are unusable; the message names the input and the fix."""


# --------------------------------------------------------------------------- input checks


def _as_features(X: Any, name: str) -> np.ndarray | torch.Tensor:
    """Validate (N, D) finite features; tensors stay tensors (no device round trip)."""
    if not isinstance(X, torch.Tensor):
        X = np.asarray(X)
    if X.ndim != 2:
        raise ProbeError(f"{name} must be a 2-D (N, D) array of features, got shape {tuple(X.shape)}.")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ProbeError(f"{name} is empty (shape {tuple(X.shape)}).")
    finite = bool(torch.isfinite(X).all()) if isinstance(X, torch.Tensor) else bool(np.isfinite(X).all())
    if not finite:
        raise ProbeError(f"{name} contains NaN or infinite values; fix the features before probing.")
    return X


def _as_labels(y: Any, n: int, name: str, features_name: str) -> np.ndarray:
    """Validate integer labels matching ``n`` feature rows."""
    y = y.cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if y.ndim != 1:
        raise ProbeError(f"{name} must be 1-D integer labels, got shape {y.shape}.")
    if len(y) != n:
        raise ProbeError(
            f"{features_name} has {n} rows but {name} has {len(y)} labels; they must have the same length."
        )
    if y.dtype.kind not in "iub" and not (y.dtype.kind == "f" and np.all(y == np.round(y))):
        raise ProbeError(f"{name} must be integer class indices, got dtype {y.dtype}.")
    y = y.astype(np.int64)
    if len(y) and y.min() < 0:
        raise ProbeError(f"{name} has negative labels; use class indices 0..K-1.")
    return y


def _check_pair(X: Any, y: Any, name: str) -> tuple[np.ndarray | torch.Tensor, np.ndarray]:
    X = _as_features(X, f"{name}_X")
    return X, _as_labels(y, X.shape[0], f"{name}_y", f"{name}_X")


def _n_classes(y: np.ndarray, n_classes: int | None, name: str) -> int:
    """K, checking that training labels use at least two classes and fit in 0..K-1."""
    present = np.unique(y)
    if len(present) < 2:
        raise ProbeError(f"{name} has {len(present)} distinct class(es); a probe needs at least two.")
    k = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if y.max() >= k:
        raise ProbeError(f"{name} has label {int(y.max())} but there are only {k} classes.")
    return k


def _check_fitter(fitter: str) -> None:
    if fitter not in FITTERS:
        raise ProbeError(f"Unknown fitter {fitter!r}; use one of {FITTERS}.")


def _resolve_device(device: torch.device | str | None) -> torch.device:
    if device is None:
        from clip_course.models import default_device  # lazy: keeps probe free of clip imports

        return default_device()
    return torch.device(device)


def _numpy(X: np.ndarray | torch.Tensor) -> np.ndarray:
    return X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)


def _take(X: np.ndarray | torch.Tensor, idx: np.ndarray) -> np.ndarray | torch.Tensor:
    return X[torch.as_tensor(idx, device=X.device)] if isinstance(X, torch.Tensor) else X[idx]


def _concat(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return torch.cat([torch.as_tensor(a), torch.as_tensor(b).to(torch.as_tensor(a))])
    return np.concatenate([a, b])


# --------------------------------------------------------------------------- synthetic features


def gaussian_mixture(
    n: int, dim: int, n_classes: int, seed: int = 0, separation: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded overlapping Gaussian classes (float32 (n, dim), int64 (n,)) for tests and benchmarks.

    Class means have norm ``separation`` in a random direction; the noise is anisotropic
    (per-dimension scales decaying over a decade, like real embeddings), so the problem is
    ill-conditioned and not linearly separable.
    """
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(n_classes, dim))
    means *= separation / np.linalg.norm(means, axis=1, keepdims=True)
    scales = np.logspace(0, -1, dim)[rng.permutation(dim)]
    y = np.arange(n) % n_classes
    rng.shuffle(y)
    X = means[y] + rng.normal(size=(n, dim)) * scales
    return X.astype(np.float32), y.astype(np.int64)


# --------------------------------------------------------------------------- the model


@dataclass
class LinearProbe:
    """A fitted probe: multinomial logits ``X @ coef_.T + intercept_`` (sklearn's layout)."""

    coef_: np.ndarray  # (K, D) float64
    intercept_: np.ndarray  # (K,) float64
    C: float
    fitter: str
    n_iter: int
    converged: bool

    def predict_logits(self, X: Any) -> np.ndarray:
        """Class scores (N, K) as float64 numpy (softmax of these gives the probabilities)."""
        X = _as_features(X, "X")
        if X.shape[1] != self.coef_.shape[1]:
            raise ProbeError(f"X has {X.shape[1]} features but the probe was fitted on {self.coef_.shape[1]}.")
        return _numpy(X).astype(np.float64) @ self.coef_.T + self.intercept_

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class indices (N,)."""
        return self.predict_logits(X).argmax(axis=1)


# --------------------------------------------------------------------------- fitters


class _SklearnFitter:
    """scikit-learn's LogisticRegression(lbfgs), multinomial for K > 2 (the reference)."""

    name = "sklearn"

    def __init__(self, X: Any, y: np.ndarray, n_classes: int, max_iter: int, tol: float) -> None:
        self.X = _numpy(X)
        if self.X.dtype not in (np.float32, np.float64):
            self.X = self.X.astype(np.float64)
        self.y, self.k, self.max_iter, self.tol = y, n_classes, max_iter, tol
        missing = sorted(set(range(n_classes)) - set(np.unique(y).tolist()))
        if missing:
            raise ProbeError(f"Training labels have no examples of class(es) {missing[:10]}; every class needs one.")

    def fit(self, C: float, init: LinearProbe | None = None) -> LinearProbe:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        est = LogisticRegression(C=C, max_iter=self.max_iter, tol=self.tol, warm_start=init is not None)
        if init is not None:  # sklearn warm-starts from coef_/intercept_ already on the estimator
            if self.k == 2:
                est.coef_ = (init.coef_[1] - init.coef_[0])[None, :]
                est.intercept_ = np.array([init.intercept_[1] - init.intercept_[0]])
            else:
                est.coef_, est.intercept_ = init.coef_.copy(), init.intercept_.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # recorded as converged=False instead
            est.fit(self.X, self.y)
        coef = est.coef_.astype(np.float64)
        intercept = est.intercept_.astype(np.float64)
        if self.k == 2:  # one logit difference -> two symmetric softmax rows, same probabilities
            coef = np.stack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        n_iter = int(np.max(est.n_iter_))
        return LinearProbe(coef, intercept, float(C), self.name, n_iter, n_iter < self.max_iter)


class _TorchFitter:
    """Full-batch L-BFGS in torch on centred features, data resident on ``device``.

    The features stay in their precision (float32 features -> float32 matrix products, the
    cost that matters); the parameters, softmax, loss and gradient are float64, so L-BFGS
    and its line search work as in float64 (scikit-learn's optimiser is float64 too).
    """

    name = "torch"

    def __init__(
        self,
        X: Any,
        y: np.ndarray,
        n_classes: int,
        max_iter: int,
        tol: float,
        device: torch.device,
        dtype: torch.dtype | None = None,
        history_size: int = 20,
    ) -> None:
        X = torch.as_tensor(X)
        X = X.to(device=device, dtype=dtype or _float_dtype(X.dtype))
        f64 = torch.float64
        self.n, self.d = X.shape
        self.k, self.max_iter, self.tol, self.history_size = n_classes, max_iter, tol, history_size
        self.mu = X.to(f64).mean(dim=0)
        self.Xc = (X.to(f64) - self.mu).to(X.dtype)  # centring is exact: the free intercept absorbs it
        yt = torch.as_tensor(y, device=device)
        self.counts = torch.bincount(yt, minlength=n_classes).to(f64)
        if bool((self.counts == 0).any()):
            missing = torch.nonzero(self.counts == 0).flatten().tolist()
            raise ProbeError(f"Training labels have no examples of class(es) {missing[:10]}; every class needs one.")
        # sum_i z_{i, y_i} = <X^T Y, W> + <counts, b>: the one-hot term needs no (N, K) matrix.
        self.XtY = torch.zeros(self.d, n_classes, device=device, dtype=f64).index_add_(1, yt, self.Xc.T.to(f64))

    def _loss_grad(self, theta: torch.Tensor, lam: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean cross-entropy + lam/2 ||W||^2 and its gradient (sklearn's objective / n)."""
        d, k, n, cdt = self.d, self.k, self.n, self.Xc.dtype
        W, b = theta[: d * k].view(d, k), theta[d * k :]
        Z = torch.addmm(b.to(cdt), self.Xc, W.to(cdt)).to(torch.float64)
        lse = torch.logsumexp(Z, dim=1)
        P = Z.sub_(lse[:, None]).exp_()  # softmax, in place
        loss = (lse.sum() - (self.XtY * W).sum() - self.counts @ b) / n + 0.5 * lam * (W * W).sum()
        gW = (self.Xc.T @ P.to(cdt)).to(torch.float64).sub_(self.XtY).div_(n).add_(W, alpha=lam)
        gb = (P.sum(dim=0) - self.counts) / n
        return loss, torch.cat([gW.flatten(), gb])

    def _theta0(self, init: LinearProbe | None) -> torch.Tensor:
        f64, device = torch.float64, self.Xc.device
        if init is None:
            return torch.zeros((self.d + 1) * self.k, dtype=f64, device=device)
        W = torch.as_tensor(init.coef_.T, dtype=f64, device=device)
        b = torch.as_tensor(init.intercept_, dtype=f64, device=device) + self.mu @ W
        return torch.cat([W.flatten(), b])

    def fit(self, C: float, init: LinearProbe | None = None) -> LinearProbe:
        # K = 2: sklearn fits one vector with penalty ||w||^2/2C; two softmax rows need C/2.
        C_eff = C / 2 if self.k == 2 else C
        lam = 1.0 / (C_eff * self.n)
        theta = self._theta0(init)
        opt = torch.optim.LBFGS(
            [theta], lr=1.0, max_iter=self.max_iter, tolerance_grad=self.tol, tolerance_change=1e-12,
            history_size=self.history_size, line_search_fn="strong_wolfe",
        )

        last: dict[str, torch.Tensor] = {}

        def closure() -> torch.Tensor:
            loss, grad = self._loss_grad(theta, lam)
            theta.grad = grad
            last["theta"], last["grad"] = theta.clone(), grad
            return loss

        with torch.no_grad():
            opt.step(closure)
            # The line search usually ends on its last evaluation: reuse that gradient.
            grad = last["grad"] if torch.equal(theta, last["theta"]) else self._loss_grad(theta, lam)[1]
            converged = bool(grad.abs().max() <= self.tol)
        W = theta[: self.d * self.k].view(self.d, self.k)
        b = theta[self.d * self.k :] - self.mu @ W  # undo the centring
        n_iter = int(opt.state[theta].get("n_iter", 0))
        return LinearProbe(W.T.cpu().numpy(), b.cpu().numpy(), float(C), self.name, n_iter, converged)


def _float_dtype(dtype: torch.dtype) -> torch.dtype:
    """Compute in the features' precision, as scikit-learn does (float32 stays float32)."""
    return dtype if dtype in (torch.float32, torch.float64) else torch.float64


def _dtype_name(dtype: torch.dtype | None, X: Any, fitter: str) -> str:
    """The precision a fitter computes in, for result records."""
    if fitter == "sklearn":
        return "float32" if _numpy(X[:1]).dtype == np.float32 else "float64"
    return str(dtype or _float_dtype(torch.as_tensor(X[:1]).dtype)).replace("torch.", "")


def _make_fitter(
    X: Any,
    y: np.ndarray,
    n_classes: int,
    fitter: str,
    device: torch.device | str | None,
    max_iter: int,
    tol: float,
    dtype: torch.dtype | None,
) -> _SklearnFitter | _TorchFitter:
    _check_fitter(fitter)
    if fitter == "sklearn":
        return _SklearnFitter(X, y, n_classes, max_iter, tol)
    return _TorchFitter(X, y, n_classes, max_iter, tol, _resolve_device(device), dtype)


def fit_logreg(
    X: Any,
    y: Any,
    C: float,
    fitter: str = "torch",
    device: torch.device | str | None = None,
    max_iter: int = 1000,
    tol: float = 1e-4,
    n_classes: int | None = None,
    dtype: torch.dtype | None = None,
    init: LinearProbe | None = None,
) -> LinearProbe:
    """Fit one multinomial logistic regression with inverse regularisation ``C``.

    ``tol`` is the max-abs gradient of the objective divided by N (scikit-learn's ``tol``);
    ``init`` warm-starts either fitter. ``device`` and ``dtype`` apply to the torch fitter:
    its matrix products run in ``dtype`` (default: the features' own precision), which with
    float32 features reaches ``tol=1e-4`` reliably; tighter tolerances need float64.
    """
    X, y = _check_pair(X, y, "train")
    if not (C > 0 and math.isfinite(C)):
        raise ProbeError(f"C must be a positive finite number, got {C}.")
    k = _n_classes(y, n_classes, "train_y")
    return _make_fitter(X, y, k, fitter, device, max_iter, tol, dtype).fit(C, init)


# --------------------------------------------------------------------------- scoring & search


class _Scorer:
    """Top-1 accuracy (%) and mean cross-entropy of probes on fixed held-out features."""

    def __init__(self, X: Any, y: np.ndarray, device: torch.device) -> None:
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
        for i in np.unique(np.round(np.linspace(0, n - 1, min(COARSE_POINTS, n))).astype(int)):
            scores[int(i)] = evaluate(int(i))
        best = max(scores, key=lambda i: scores[i])
        h = (n - 1) / (COARSE_POINTS - 1)
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
    X_train: Any,
    y_train: np.ndarray,
    X_val: Any,
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
    X_train: Any,
    y_train: Any,
    X_val: Any,
    y_val: Any,
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
    X_train, y_train = _check_pair(X_train, y_train, "train")
    X_val, y_val = _check_pair(X_val, y_val, "val")
    _check_fitter(fitter)
    k = _n_classes(y_train, n_classes, "train_y")
    if X_val.shape[1] != X_train.shape[1]:
        raise ProbeError(f"val_X has {X_val.shape[1]} features but train_X has {X_train.shape[1]}.")
    if y_val.max() >= k:
        raise ProbeError(f"val_y has label {int(y_val.max())} but train has only {k} classes.")
    dev = _resolve_device(device) if fitter == "torch" else torch.device("cpu")
    summary, _ = _sweep(X_train, y_train, X_val, y_val, k, fitter, dev, search, steps, max_iter, tol,
                        dtype, warm_start, progress)
    return summary


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


# --------------------------------------------------------------------------- probe runs


def _test_metrics(probe: LinearProbe, X: Any, y: np.ndarray, classes: list[str]) -> dict[str, Any]:
    from clip_course.zeroshot import classification_metrics

    return classification_metrics(torch.from_numpy(probe.predict_logits(X)), y, classes)


def _class_names(classes: Sequence[str] | None, k: int) -> list[str]:
    if classes is None:
        return [str(i) for i in range(k)]
    if len(classes) < k:
        raise ProbeError(f"{len(classes)} class names given but labels go up to {k - 1}.")
    return list(classes)


def restrict_to_trained_classes(
    train_y: np.ndarray, test_X: Any, test_y: np.ndarray, classes: Sequence[str] | None
) -> tuple[np.ndarray, Any, np.ndarray, list[str] | None, list[str]]:
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
    dropped = [classes[i] for i in np.flatnonzero(counts == 0)]
    return remap[train_y], _take(test_X, np.flatnonzero(keep)), remap[test_y[keep]], [classes[i] for i in present], dropped


def run_probe(
    train_X: Any,
    train_y: Any,
    test_X: Any,
    test_y: Any,
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
) -> dict[str, Any]:
    """The paper's probe: sweep C on a seeded validation split, refit on train+val, test.

    Returns ``{"params": ..., "metrics": ...}``; metrics hold test top-1/top-5 (%), mean
    per-class recall, per-class accuracy and confusion, the chosen ``C`` and the validation
    curve (``sweep``). Classes without training examples are left out, with their test images
    (see :func:`restrict_to_trained_classes`); ``params`` names them.
    """
    train_X, train_y = _check_pair(train_X, train_y, "train")
    test_X, test_y = _check_pair(test_X, test_y, "test")
    _check_fitter(fitter)
    if test_X.shape[1] != train_X.shape[1]:
        raise ProbeError(f"test_X has {test_X.shape[1]} features but train_X has {train_X.shape[1]}.")
    train_y, test_X, test_y, classes, dropped = restrict_to_trained_classes(train_y, test_X, test_y, classes)
    k = _n_classes(train_y, len(classes) if classes is not None else None, "train_y")
    names = _class_names(classes, max(k, int(test_y.max()) + 1))
    dev = _resolve_device(device) if fitter == "torch" else torch.device("cpu")

    tr, va = stratified_split(train_y, val_fraction, seed)
    if len(va) == 0:
        raise ProbeError("The validation split is empty; use more training data or a larger val_fraction.")
    curve, best = _sweep(_take(train_X, tr), train_y[tr], _take(train_X, va), train_y[va], k, fitter,
                         dev, search, steps, max_iter, tol, dtype, True, progress)
    t0 = time.perf_counter()
    final = _make_fitter(train_X, train_y, k, fitter, dev, max_iter, tol, dtype).fit(curve["best_C"], best)
    refit_seconds = time.perf_counter() - t0
    metrics = _test_metrics(final, test_X, test_y, names)
    metrics.update({
        "C": curve["best_C"], "val_top1": curve["best_val_top1"], "n_iter": final.n_iter,
        "converged": final.converged, "sweep": curve, "refit_seconds": refit_seconds,
        "n_train": int(len(tr)), "n_val": int(len(va)), "n_test": int(len(test_y)),
    })
    params = {
        "fitter": fitter, "search": search, "grid_steps": steps, "c_range": list(C_RANGE),
        "val_fraction": val_fraction, "seed": seed, "max_iter": max_iter, "tol": tol,
        "dtype": _dtype_name(dtype, train_X, fitter),
        "device": str(dev), "feature_dim": int(train_X.shape[1]), "classes": names,
        "classes_without_training_images": dropped,
    }
    return {"params": params, "metrics": metrics}


def _cv_choose_C(
    X: Any,
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
    fold keeps every class. Returns (C, mean CV top-1).
    """
    rng = np.random.default_rng(seed + 7919)  # a stream apart from sample_k_shot's for this seed
    fold_of = np.empty(len(y), dtype=np.int64)
    for c in range(n_classes):
        idx = rng.permutation(np.flatnonzero(y == c))
        fold_of[idx] = np.arange(len(idx)) % folds
    splits = [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(folds)]
    fits = [_make_fitter(_take(X, tr), y[tr], n_classes, fitter, device, max_iter, tol, dtype) for tr, _ in splits]
    scorers = [_Scorer(_take(X, va), y[va], device) for _, va in splits]
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


def _summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("top1", "top5"):
        vals = np.array([r[key] for r in runs], dtype=np.float64)
        out[f"{key}_mean"] = float(vals.mean())
        out[f"{key}_std"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
    out["n_seeds"] = len(runs)
    return out


def k_shot(
    train_X: Any,
    train_y: Any,
    test_X: Any,
    test_y: Any,
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
    full_probe: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """k-shot probes (k examples per class; ``None`` = all) over seeds: mean and spread per k.

    Choosing C without peeking at the test set, per k:

    - ``None`` (full data): the paper's protocol, :func:`run_probe` with that seed's split.
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
    train_X, train_y = _check_pair(train_X, train_y, "train")
    test_X, test_y = _check_pair(test_X, test_y, "test")
    _check_fitter(fitter)
    train_y, test_X, test_y, classes, dropped = restrict_to_trained_classes(train_y, test_X, test_y, classes)
    k_classes = _n_classes(train_y, len(classes) if classes is not None else None, "train_y")
    names = _class_names(classes, max(k_classes, int(test_y.max()) + 1))
    if not seeds:
        raise ProbeError("seeds is empty; give at least one seed.")
    for k in ks:  # fail before any fitting
        if k is not None:
            sample_k_shot(train_y, k, 0, names)
    dev = _resolve_device(device) if fitter == "torch" else torch.device("cpu")
    common = {"fitter": fitter, "device": dev, "steps": steps, "max_iter": max_iter, "tol": tol,
              "dtype": dtype, "progress": False}

    full_runs: dict[int, dict[str, Any]] = {}
    if full_probe is not None:
        full_runs[seeds[0]] = full_probe

    def full(seed: int) -> dict[str, Any]:
        if seed not in full_runs:
            full_runs[seed] = run_probe(train_X, train_y, test_X, test_y, names, val_fraction, seed, **common)
        return full_runs[seed]

    fixed_source = "given"
    if fixed_C is None and any(k == 1 for k in ks):
        fixed_C, fixed_source = full(seeds[0])["metrics"]["C"], f"the full-data sweep (seed {seeds[0]})"
    per_k = []
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
            methods[k] = "sweep on a validation split (paper)"
        else:
            idx = sample_k_shot(train_y, k, seed, names)
            Xk, yk = _take(train_X, idx), train_y[idx]
            if k >= 2:
                C, cv_top1 = _cv_choose_C(Xk, yk, k_classes, min(k, cv_folds), seed, fitter, dev,
                                          steps, max_iter, tol, dtype)
                methods[k] = f"{min(k, cv_folds)}-fold cross-validation within the k-shot set"
            else:
                C, cv_top1 = float(fixed_C), None
                methods[k] = f"fixed C from {fixed_source}"
            probe = _make_fitter(Xk, yk, k_classes, fitter, dev, max_iter, tol, dtype).fit(C)
            m = _test_metrics(probe, test_X, test_y, names)
            run = {"seed": seed, "top1": m["top1"], "top5": m["top5"], "C": C, "cv_top1": cv_top1,
                   "n_train": int(len(idx)), "converged": probe.converged}
        run["seconds"] = time.perf_counter() - t0
        runs[k].append(run)
    for k in ks:
        per_k.append({"k": k, "label": "full" if k is None else str(k), "C_method": methods[k],
                      **_summarise(runs[k]), "runs": runs[k]})
    params = {"ks": list(ks), "seeds": list(seeds), "fitter": fitter, "val_fraction": val_fraction,
              "cv_folds": cv_folds, "grid_steps": steps, "c_range": list(C_RANGE), "max_iter": max_iter,
              "tol": tol, "device": str(dev), "classes": names, "classes_without_training_images": dropped}
    return {"params": params, "metrics": {"per_k": per_k, "fixed_C": fixed_C, "fixed_C_source": fixed_source}}


# --------------------------------------------------------------------------- CLI


def _parse_ks(text: str) -> tuple[int | None, ...]:
    """``"1,2,4,full"`` -> (1, 2, 4, None)."""
    out: list[int | None] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part in ("full", "all", "none"):
            out.append(None)
        elif part.isdigit() and int(part) > 0:
            out.append(int(part))
        else:
            raise ProbeError(f"--ks entry {part!r} is not a positive integer or 'full'.")
    return tuple(out)


def _parse_seeds(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(s) for s in text.split(","))
    except ValueError:
        raise ProbeError(f"--seeds must be comma-separated integers, got {text!r}.") from None


def configure_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``probe`` to the CLI."""
    p = subparsers.add_parser(
        "probe",
        help="linear-probe (and k-shot) accuracy of a CLIP model's image features",
        description="Logistic regression on frozen image features, as in the CLIP paper: C swept over "
        "1e-6..1e6 on a validation split of train, refit on train+val, test top-1/top-5. "
        "--kshot adds k-shot probes over seeds beside zero-shot accuracy on the same test set. "
        "Writes a JSON record with every parameter beside the metrics.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--model", default="ViT-B/32", help="CLIP model name, 'miniclip', or a checkpoint path")
    p.add_argument("--dataset", default="cifar10", help="cifar10, cifar100, shapes10, shapes100 or folder:PATH")
    p.add_argument("--fitter", choices=FITTERS, default="torch",
                   help="torch: L-BFGS on --device; sklearn: LogisticRegression(lbfgs), the reference")
    p.add_argument("--search", choices=SEARCHES, default="refine",
                   help="refine: the paper's coarse-then-halving search (15 fits); grid: every value")
    p.add_argument("--steps", type=int, default=GRID_STEPS, help="log-spaced C values over 1e-6..1e6")
    p.add_argument("--val-fraction", type=float, default=0.2, help="share of train held out to choose C")
    p.add_argument("--seed", type=int, default=0, help="seed of the validation split and --limit subsets")
    p.add_argument("--normalize", action=argparse.BooleanOptionalAction, default=False,
                   help="L2-normalise features (off: raw projected encode_image output, as in the openai README)")
    p.add_argument("--max-iter", type=int, default=1000, help="L-BFGS iterations per fit")
    p.add_argument("--kshot", action="store_true", help="also run k-shot probes and zero-shot on the same test set")
    p.add_argument("--ks", default="1,2,4,8,16,full", help="k values for --kshot ('full' = all training data)")
    p.add_argument("--seeds", default="0,1,2", help="k-shot seeds")
    p.add_argument("--templates", default="ensemble", help="zero-shot template set for --kshot's comparison")
    p.add_argument("--limit", type=int, default=None, help="use seeded random subsets of this many train and test images")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda when present)")
    p.add_argument("--data-root", default="data", help="where CIFAR lives")
    p.add_argument("--cache-dir", default="data/cache", help="image-feature cache")
    p.add_argument("--out", default=None, help="write the JSON record here (default: print a summary only)")
    p.set_defaults(func=_run_cli)


def _load_features(args: argparse.Namespace) -> tuple[Any, Any, Any, torch.Tensor, torch.Tensor]:
    """(model, train dataset, test dataset, train features, test features) for the CLI."""
    from clip_course.data import load_dataset
    from clip_course.encode import image_features
    from clip_course.models import load

    train = load_dataset(args.dataset, "train", root=args.data_root, limit=args.limit, seed=args.seed)
    test = load_dataset(args.dataset, "test", root=args.data_root, limit=args.limit, seed=args.seed)
    lm = load(args.model, device=args.device)
    feats = [image_features(lm, ds, normalize=args.normalize, cache_dir=args.cache_dir) for ds in (train, test)]
    return lm, train, test, feats[0], feats[1]


def _zero_shot(lm: Any, test: Any, templates: str, cache_dir: str) -> dict[str, Any]:
    """Zero-shot top-1/top-5 on the same test images, for the k-shot comparison."""
    from clip_course.zeroshot import classification_metrics, predict

    scores, _, tmpl = predict(lm, test, templates, cache_dir=cache_dir, progress=False)
    m = classification_metrics(scores, test.labels, test.classes)
    return {"top1": m["top1"], "top5": m["top5"], "templates": templates, "n_templates": len(tmpl)}


def _run_cli(args: argparse.Namespace) -> int:
    from clip_course.fileio import write_json
    from clip_course.results import run_record

    ks, seeds = _parse_ks(args.ks), _parse_seeds(args.seeds)  # fail on bad flags before loading anything
    start = time.perf_counter()
    lm, train, test, Xtr, Xte = _load_features(args)
    device = args.device or lm.device
    probe = run_probe(Xtr, train.labels, Xte, test.labels, train.classes, args.val_fraction, args.seed,
                      args.fitter, args.search, args.steps, device, args.max_iter)
    params, metrics = probe["params"], probe["metrics"]
    params.update({"normalize": args.normalize, "train_size": len(train), "limit": args.limit,
                   "train_fingerprint": train.fingerprint[:16]})
    m = metrics
    print(f"{args.model} on {test.name} ({len(train)} train / {len(test)} test, {args.fitter}): "
          f"C={m['C']:.3g} (val {m['val_top1']:.2f}%)  top-1 {m['top1']:.2f}%  top-5 {m['top5']:.2f}%")
    if args.kshot:
        shots = k_shot(Xtr, train.labels, Xte, test.labels, ks, seeds, train.classes, args.fitter, device,
                       args.val_fraction, steps=args.steps, max_iter=args.max_iter,
                       full_probe=probe if seeds[0] == args.seed else None)
        metrics["k_shot"] = shots["metrics"]
        metrics["zero_shot"] = _zero_shot(lm, test, args.templates, args.cache_dir)
        params["k_shot"] = {k: v for k, v in shots["params"].items() if k != "classes"}
        for row in shots["metrics"]["per_k"]:
            print(f"  k={row['label']:>4}: top-1 {row['top1_mean']:.2f} ± {row['top1_std']:.2f}%  ({row['C_method']})")
        print(f"  zero-shot: top-1 {metrics['zero_shot']['top1']:.2f}%")
    record = run_record("probe", params, metrics, lm=lm, dataset=test, seconds=time.perf_counter() - start)
    if args.out:
        write_json(args.out, record)
        print(f"wrote {args.out}")
    return 0
