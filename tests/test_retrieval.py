"""Text-to-image search and recall@k / precision@k for class queries."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from clip_course.errors import RetrievalError
from clip_course.tasks.retrieval import recall_at_k, search


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_search_matches_a_brute_force_ranking():
    rng = np.random.default_rng(0)
    text, images = rng.normal(size=(5, 16)), rng.normal(size=(40, 16))
    scores, idx = search(torch.tensor(text), torch.tensor(images), k=7)
    cos = unit(text) @ unit(images).T
    expected = np.argsort(-cos, axis=1)[:, :7]
    assert np.array_equal(idx.numpy(), expected)
    np.testing.assert_allclose(scores.numpy(), np.take_along_axis(cos, expected, axis=1), rtol=1e-5)
    assert search(text, images, k=100)[1].shape == (5, 40)  # k clipped to the number of images


def test_recall_and_precision_on_a_hand_built_example():
    # Three class queries along the axes; images placed so the rankings are known:
    # class 0: ranking [img0 (c0), img3 (c1), img1 (c0)]  -> hit@1, precision@3 = 2/3
    # class 1: ranking [img2 (c2), img3 (c1), ...]          -> miss@1, hit@2
    # class 2: ranking [img2 (c2), img1 (c0), ...]          -> hit@1
    queries = np.eye(3)
    images = np.array([
        [1.0, 0.0, 0.0],   # img0, class 0
        [0.5, 0.0, 0.5],   # img1, class 0
        [0.0, 0.9, 1.0],   # img2, class 2 (also closest to query 1)
        [0.8, 0.6, 0.0],   # img3, class 1
    ])
    labels = np.array([0, 0, 2, 1])
    r = recall_at_k(queries, images, labels, ks=(1, 2, 3))
    assert r["recall@1"] == pytest.approx(100 * 2 / 3)
    assert r["recall@2"] == pytest.approx(100.0)
    # precision@1: q0 1, q1 0, q2 1; precision@2: q0 1/2 (img0, img3), q1 1/2, q2 1/2 (img2, img1)
    assert r["precision@1"] == pytest.approx(100 * 2 / 3)
    assert r["precision@2"] == pytest.approx(100 * 0.5)
    assert (r["n_queries"], r["n_images"], r["n_queries_without_images"]) == (3, 4, 0)


def test_recall_is_monotone_and_at_least_precision():
    rng = np.random.default_rng(1)
    protos = rng.normal(size=(10, 32))
    labels = rng.integers(0, 10, size=300)
    images = protos[labels] + 1.5 * rng.normal(size=(300, 32))
    r = recall_at_k(protos, images, labels, ks=(1, 5, 10, 50))
    recalls = [r[f"recall@{k}"] for k in (1, 5, 10, 50)]
    assert recalls == sorted(recalls)
    for k in (1, 5, 10, 50):
        assert r[f"recall@{k}"] >= r[f"precision@{k}"] - 1e-9
    assert r["precision@1"] == r["recall@1"]  # one image: hit and share coincide


def test_classes_without_images_are_left_out():
    queries = np.eye(4)
    images = np.eye(4)[[0, 1, 1]]
    r = recall_at_k(queries, images, np.array([0, 1, 1]), ks=(1,))
    assert r["n_queries"] == 2 and r["n_queries_without_images"] == 2
    assert r["recall@1"] == 100.0


def test_bad_inputs_are_clear_errors():
    q, im = np.eye(3), np.eye(3)
    with pytest.raises(RetrievalError, match="dimension"):
        search(q, np.ones((4, 5)))
    with pytest.raises(RetrievalError, match="2-D"):
        search(np.ones(3), im)
    with pytest.raises(RetrievalError, match="k must be"):
        search(q, im, k=0)
    with pytest.raises(RetrievalError, match="one label per image"):
        recall_at_k(q, im, np.array([0, 1]))
    with pytest.raises(RetrievalError, match="0..2"):
        recall_at_k(q, im, np.array([0, 1, 3]))


def test_chance_levels_are_those_of_a_random_ranking():
    """Beside each recall@k and precision@k: what a random ranking scores on the same class queries
    (1 - C(n - m, k) / C(n, k) for a class of m images among n; m / n for precision)."""
    labels = [0] * 2 + [1] * 8  # 10 images: class 0 has 2, class 1 has 8
    feats = torch.eye(10)[:, :4]  # any features: chance does not depend on the ranking
    out = recall_at_k(torch.randn(2, 4), feats, labels, ks=(1, 3))
    want1 = (2 / 10 + 8 / 10) / 2
    want3 = ((1 - math.comb(8, 3) / math.comb(10, 3)) + (1 - math.comb(2, 3) / math.comb(10, 3))) / 2
    assert abs(out["chance_recall@1"] - 100 * want1) < 1e-9
    assert abs(out["chance_recall@3"] - 100 * want3) < 1e-9
    assert abs(out["chance_precision@3"] - 100 * (0.2 + 0.8) / 2) < 1e-9
