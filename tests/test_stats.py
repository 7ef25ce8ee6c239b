"""Intervals against independent computations (scipy, hand values, simulation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from clip_course.tasks import stats


def test_wilson_matches_the_textbook_formula_and_scipy():
    lo, hi = stats.wilson(50.0, 100)
    assert (lo, hi) == pytest.approx((40.383, 59.617), abs=1e-3)  # Wilson (1927), p = 0.5, n = 100
    ci = sps.binomtest(87, 120).proportion_ci(confidence_level=0.95, method="wilson")
    assert stats.wilson(100 * 87 / 120, 120) == pytest.approx((100 * ci.low, 100 * ci.high), abs=1e-6)
    assert stats.wilson(100.0, 50)[1] == 100.0 and stats.wilson(0.0, 50)[0] == pytest.approx(0.0, abs=1e-9)


def test_newcombe_interval_contains_the_difference_and_widens_with_fewer_images():
    d, lo, hi = stats.independent_difference(80.0, 1000, 50.0, 1000)
    assert (d == 30.0 and lo < d < hi
            and (hi - lo) == pytest.approx(2 * 1.96 * 100 * math.sqrt(0.16 / 1000 + 0.25 / 1000), rel=0.05))
    _, lo2, hi2 = stats.independent_difference(80.0, 100, 50.0, 100)
    assert hi2 - lo2 > hi - lo


def test_paired_bootstrap_covers_the_truth_and_sees_pairing():
    rng = np.random.default_rng(0)
    a = rng.random(2000) < 0.7
    b = a.copy()
    flip = rng.choice(2000, 40, replace=False)
    b[flip] = ~b[flip]  # b differs from a on 40 images only: a tight paired interval
    d, lo, hi = stats.paired_difference(a, b)
    assert d == pytest.approx(100 * (a.mean() - b.mean()))
    assert lo <= d <= hi and hi - lo < 2.5
    with pytest.raises(ValueError):
        stats.paired_difference(a, b[:10])


def test_mean_interval_uses_student_t():
    v = [1.0, 2.0, 4.0, 7.0]
    m, lo, hi = stats.mean_interval(v)
    half = sps.t.ppf(0.975, 3) * np.std(v, ddof=1) / 2
    assert m == 3.5 and (lo, hi) == pytest.approx((3.5 - half, 3.5 + half), rel=1e-3)
    assert math.isnan(stats.mean_interval([2.0])[1])


def test_sign_only_when_the_interval_excludes_zero():
    assert stats.sign(0.1, 2.0) == 1 and stats.sign(-2.0, -0.1) == -1
    assert stats.sign(-0.1, 2.0) == 0 and stats.sign(float("nan"), 1.0) == 0


def test_crossover_k_interpolates_in_log2():
    assert stats.crossover_k([1, 2, 4, 8], [10, 20, 40, 80], 30) == pytest.approx(2 ** 1.5)
    assert stats.crossover_k([8, 1, 4, 2], [80, 10, 40, 20], 40) == pytest.approx(4.0)
    assert stats.crossover_k([1, 2], [10, 20], 50) is None
    assert stats.crossover_k([1, 2], [60, 70], 50) == 1.0
