"""Multinomial logistic regression on frozen features: scikit-learn's lbfgs and a full-batch
L-BFGS in torch that minimise the same objective (sum of cross-entropies + ||W||^2 / 2C).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from clip_course.core.device import default_device
from clip_course.core.types import FeatureInput, FeatureMatrix, Labels
from clip_course.errors import ProbeError

__all__ = [
    "check_fitter", "check_pair", "count_classes", "fit_logreg", "FITTERS", "gaussian_mixture", "Labels", "LinearProbe",
    "resolve_device", "take_rows", "torch",
]

FITTERS = ("torch", "sklearn")


# --------------------------------------------------------------------------- input checks


def _as_features(X: FeatureInput, name: str) -> np.ndarray | torch.Tensor:
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


def _as_labels(y: Labels, n: int, name: str, features_name: str) -> np.ndarray:
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


def check_pair(X: FeatureInput, y: Labels, name: str) -> tuple[np.ndarray | torch.Tensor, np.ndarray]:
    X = _as_features(X, f"{name}_X")
    return X, _as_labels(y, X.shape[0], f"{name}_y", f"{name}_X")


def count_classes(y: np.ndarray, n_classes: int | None, name: str) -> int:
    """K, checking that training labels use at least two classes and fit in 0..K-1."""
    present = np.unique(y)
    if len(present) < 2:
        raise ProbeError(f"{name} has {len(present)} distinct class(es); a probe needs at least two.")
    k = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if y.max() >= k:
        raise ProbeError(f"{name} has label {int(y.max())} but there are only {k} classes.")
    return k


def check_fitter(fitter: str) -> None:
    if fitter not in FITTERS:
        raise ProbeError(f"Unknown fitter {fitter!r}; use one of {FITTERS}.")


def resolve_device(device: torch.device | str | None) -> torch.device:
    if device is None:
        return default_device()
    return torch.device(device)


def _as_numpy(X: np.ndarray | torch.Tensor) -> np.ndarray:
    return X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)


def take_rows(X: np.ndarray | torch.Tensor, idx: np.ndarray) -> np.ndarray | torch.Tensor:
    return X[torch.as_tensor(idx, device=X.device)] if isinstance(X, torch.Tensor) else X[idx]


def _concat_rows(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
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

    def predict_logits(self, X: FeatureInput) -> np.ndarray:
        """Class scores (N, K) as float64 numpy (softmax of these gives the probabilities)."""
        X = _as_features(X, "X")
        if X.shape[1] != self.coef_.shape[1]:
            raise ProbeError(f"X has {X.shape[1]} features but the probe was fitted on {self.coef_.shape[1]}.")
        return _as_numpy(X).astype(np.float64) @ self.coef_.T + self.intercept_

    def predict(self, X: FeatureMatrix) -> np.ndarray:
        """Predicted class indices (N,)."""
        return self.predict_logits(X).argmax(axis=1)


# --------------------------------------------------------------------------- fitters


class _SklearnFitter:
    """scikit-learn's LogisticRegression(lbfgs), multinomial for K > 2 (the reference)."""

    name = "sklearn"

    def __init__(self, X: FeatureMatrix, y: np.ndarray, n_classes: int, max_iter: int, tol: float) -> None:
        self.X = _as_numpy(X)
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
        X: FeatureMatrix,
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


def _dtype_name(dtype: torch.dtype | None, X: FeatureMatrix, fitter: str) -> str:
    """The precision a fitter computes in, for result records."""
    if fitter == "sklearn":
        return "float32" if _as_numpy(X[:1]).dtype == np.float32 else "float64"
    return str(dtype or _float_dtype(torch.as_tensor(X[:1]).dtype)).replace("torch.", "")


def _make_fitter(
    X: FeatureMatrix,
    y: np.ndarray,
    n_classes: int,
    fitter: str,
    device: torch.device | str | None,
    max_iter: int,
    tol: float,
    dtype: torch.dtype | None,
) -> _SklearnFitter | _TorchFitter:
    check_fitter(fitter)
    if fitter == "sklearn":
        return _SklearnFitter(X, y, n_classes, max_iter, tol)
    return _TorchFitter(X, y, n_classes, max_iter, tol, resolve_device(device), dtype)


def fit_logreg(
    X: FeatureInput,
    y: Labels,
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
    X, y = check_pair(X, y, "train")
    if not (C > 0 and math.isfinite(C)):
        raise ProbeError(f"C must be a positive finite number, got {C}.")
    k = count_classes(y, n_classes, "train_y")
    return _make_fitter(X, y, k, fitter, device, max_iter, tol, dtype).fit(C, init)
