"""Uncertainty: 95% intervals for accuracies and for differences between them.

Every comparison the notebooks and the report state goes through here, and a verdict word
("drops", "rises", "faster") is used only when the interval excludes zero (:func:`sign`).
Accuracies and differences are in percent / percentage points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["crossover_k", "independent_difference", "mean_interval", "paired_difference", "Sequence", "sign", "wilson"]

_Z95 = 1.959963984540054


def wilson(pct: float, n: int) -> tuple[float, float]:
    """Wilson score interval (95%) of an accuracy ``pct`` (%) measured on ``n`` images."""
    if n <= 0:
        return (0.0, 100.0)
    p = pct / 100.0
    denom = 1 + _Z95**2 / n
    centre = (p + _Z95**2 / (2 * n)) / denom
    half = _Z95 * math.sqrt(p * (1 - p) / n + _Z95**2 / (4 * n * n)) / denom
    return (100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half))


def independent_difference(pct_a: float, n_a: int, pct_b: float, n_b: int) -> tuple[float, float, float]:
    """``a - b`` (points) with Newcombe's hybrid score interval, for two different test sets."""
    la, ua = wilson(pct_a, n_a)
    lb, ub = wilson(pct_b, n_b)
    d = pct_a - pct_b
    lo = d - math.sqrt((pct_a - la) ** 2 + (ub - pct_b) ** 2)
    hi = d + math.sqrt((ua - pct_a) ** 2 + (pct_b - lb) ** 2)
    return d, lo, hi


def paired_difference(correct_a: npt.ArrayLike, correct_b: npt.ArrayLike, n_boot: int = 2000,
                      seed: int = 0) -> tuple[float, float, float]:
    """``a - b`` (points) for two classifiers on the same images, paired bootstrap 95% interval."""
    a = np.asarray(correct_a, dtype=float)
    b = np.asarray(correct_b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"paired_difference needs two equal-length 1-d vectors, got {a.shape} and {b.shape}.")
    d = a - b
    idx = np.random.default_rng(seed).integers(0, len(d), size=(n_boot, len(d)))
    boots = d[idx].mean(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return 100.0 * float(d.mean()), 100.0 * float(lo), 100.0 * float(hi)


def mean_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean with a 95% t-interval (normal quantile for n > 30); a single value has none (nan)."""
    v = np.asarray(values, dtype=float)
    m = float(v.mean())
    if len(v) < 2:
        return m, float("nan"), float("nan")
    t = _t95(len(v) - 1)
    half = t * float(v.std(ddof=1)) / math.sqrt(len(v))
    return m, m - half, m + half


def _t95(dof: int) -> float:
    # Two-sided 95% Student t quantiles; beyond 30 degrees of freedom the normal one is close enough.
    table = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
             10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 24: 2.064, 30: 2.042}
    for k in sorted(table):
        if dof <= k:
            return table[k]
    return _Z95


def sign(lo: float, hi: float) -> int:
    """+1 when the interval lies above zero, -1 below, 0 when it contains zero (or is undefined)."""
    if math.isnan(lo) or math.isnan(hi):
        return 0
    return 1 if lo > 0 else (-1 if hi < 0 else 0)


def crossover_k(ks: Sequence[float] | np.ndarray, means: Sequence[float] | np.ndarray, level: float) -> float | None:
    """The shots per class at which a rising k-shot curve first reaches ``level``.

    Linear interpolation in log2(k) between the last point below and the first at or above;
    ``None`` if the curve never reaches it, the smallest k if it starts above.
    """
    ks_a = np.asarray(ks, dtype=float)
    m = np.asarray(means, dtype=float)
    order = np.argsort(ks_a)
    ks_a, m = ks_a[order], m[order]
    above = np.nonzero(m >= level)[0]
    if len(above) == 0:
        return None
    j = int(above[0])
    if j == 0:
        return float(ks_a[0])
    x0, x1 = math.log2(ks_a[j - 1]), math.log2(ks_a[j])
    t = (level - m[j - 1]) / (m[j] - m[j - 1])
    return float(2 ** (x0 + t * (x1 - x0)))
