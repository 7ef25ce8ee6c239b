"""Text-to-image search over image features, and recall@k with class prompts as queries.

Search ranks images by cosine similarity to each text query (features L2-normalised, so a
dot product). Evaluation uses one query per class, the class's zero-shot prompt embedding:

- **recall@k** (a class query's *hit rate*): a query for class c is a hit at k when at least
  one of its k best images is of class c; recall@k is the percentage of class queries that
  hit. This is the "R@k" of CLIP_benchmark's retrieval task with one relevant set per query.
- **precision@k**: the mean, over class queries, of the percentage of the k best images
  that are of class c; it rewards ranking *many* right images first, not just one.

Both are in percent. Classes without any image in the searched set are left out of both
means (no query can hit them) and counted in ``n_queries_without_images``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from clip_course.core.types import FeatureMatrix, Labels
from clip_course.errors import RetrievalError

__all__ = ["np", "recall_at_k", "search"]


def _as_tensor(x: FeatureMatrix, name: str) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).float()
    if t.ndim != 2:
        raise RetrievalError(f"{name} must be 2-D (rows, dim), got shape {tuple(t.shape)}.")
    return t


def _normalise(t: torch.Tensor) -> torch.Tensor:
    return t / t.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def search(
    text_features: FeatureMatrix, image_features: FeatureMatrix, k: int = 10
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` images most similar to each query: (scores (Q, k), indices (Q, k)).

    Both inputs are L2-normalised here (a no-op for already normalised features), so the
    scores are cosine similarities, best first. ``k`` larger than the number of images is
    clipped to it.
    """
    text = _normalise(_as_tensor(text_features, "text_features"))
    images = _normalise(_as_tensor(image_features, "image_features"))
    if text.shape[1] != images.shape[1]:
        raise RetrievalError(
            f"text_features have dimension {text.shape[1]} but image_features {images.shape[1]}; "
            f"encode both with the same model."
        )
    if k < 1:
        raise RetrievalError(f"k must be at least 1, got {k}.")
    sims = text @ images.T
    scores, indices = sims.topk(min(k, images.shape[0]), dim=1)
    return scores, indices


def _chance_hit(counts: torch.Tensor, n_images: int, k: int) -> torch.Tensor:
    """Per class with ``counts`` of ``n_images`` images: the chance that a random ranking puts at least
    one of them among its first ``k`` (1 - C(n - m, k) / C(n, k))."""
    miss = torch.ones_like(counts)
    for i in range(min(k, n_images)):
        miss = miss * torch.clamp(n_images - counts - i, min=0) / (n_images - i)
    return 1.0 - miss


def recall_at_k(
    class_text_features: FeatureMatrix,
    image_features: FeatureMatrix,
    image_labels: Labels,
    ks: Sequence[int] = (1, 5, 10),
) -> dict[str, Any]:
    """recall@k and precision@k (percent) for one query per class (see the module docstring).

    ``class_text_features`` row c is the query for class c; it may be given as the (D, C)
    zero-shot weights transposed. Returns ``{"recall@1": .., "precision@1": .., ...,
    "n_queries", "n_images", "n_queries_without_images"}``.
    """
    text = _as_tensor(class_text_features, "class_text_features")
    labels = torch.as_tensor(np.asarray(image_labels), dtype=torch.long)
    n_images = _as_tensor(image_features, "image_features").shape[0]
    if labels.ndim != 1 or labels.shape[0] != n_images:
        raise RetrievalError(
            f"image_labels must hold one label per image ({n_images}), got shape {tuple(labels.shape)}."
        )
    if labels.numel() and (labels.min() < 0 or labels.max() >= text.shape[0]):
        raise RetrievalError(
            f"image_labels must lie in 0..{text.shape[0] - 1} (one query row per class)."
        )
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1:
        raise RetrievalError(f"ks must be positive integers, got {ks}.")
    _, idx = search(text, image_features, k=max(ks))
    relevant = labels[idx] == torch.arange(text.shape[0])[:, None]  # (C, kmax)
    has_images = torch.bincount(labels, minlength=text.shape[0]) > 0
    out: dict[str, Any] = {}
    for k in ks:
        rel = relevant[has_images, :k]
        out[f"recall@{k}"] = 100.0 * rel.any(dim=1).float().mean().item()
        out[f"precision@{k}"] = 100.0 * rel.float().mean(dim=1).mean().item()
    counts = torch.bincount(labels, minlength=text.shape[0])[has_images].double()
    for k in ks:  # a random ranking: the same averages over the same class queries
        out[f"chance_recall@{k}"] = 100.0 * float(_chance_hit(counts, n_images, k).mean())
        out[f"chance_precision@{k}"] = 100.0 * float((counts / max(n_images, 1)).mean())
    out["n_queries"] = int(has_images.sum())
    out["n_images"] = int(n_images)
    out["n_queries_without_images"] = int((~has_images).sum())
    return out
