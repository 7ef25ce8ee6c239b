"""Zero-shot classification as the CLIP paper does it.

The classifier for a class set is built from prompt templates: encode every template per
class, L2-normalise each, average, renormalise; logits are ``100 * image_features @ W``.
Metrics: top-1, top-5, mean per-class recall, per-class accuracy, confusion matrix.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from clip_course.core.prompts import templates as resolve_templates
from clip_course.core.prompts import validate_classnames, validate_templates

LOGIT_SCALE = 100.0


def prompt_features(lm: Any, classnames: list[str], templates: list[str]) -> torch.Tensor:
    """Normalised text features (C, T, D) of every template for every class.

    All C x T prompts are encoded in large batches, not one forward pass per class.
    """
    from clip_course.core.encode import encode_texts

    texts = [t.format(c) for c in classnames for t in templates]
    return encode_texts(lm, texts, normalize=True).reshape(len(classnames), len(templates), -1)


def ensemble_weights(features: torch.Tensor) -> torch.Tensor:
    """(C, T, D) normalised prompt features -> (D, C): per class, the renormalised mean."""
    weights = features.mean(dim=1)
    return (weights / weights.norm(dim=-1, keepdim=True)).T.contiguous()


def build_classifier(lm: Any, classnames: list[str], templates: list[str]) -> torch.Tensor:
    """Zero-shot weights (D, C): per class, the renormalised mean of its normalised prompts."""
    validate_classnames(classnames)
    validate_templates(templates)
    return ensemble_weights(prompt_features(lm, classnames, templates))


def logits(image_features: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``100 * image_features @ weights`` (features assumed L2-normalised)."""
    return LOGIT_SCALE * image_features.float() @ weights.float()


def topk_correct(scores: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
    """Boolean (N,): is the label among the ``k`` highest scores."""
    k = min(k, scores.shape[1])
    return (scores.topk(k, dim=1).indices == labels[:, None]).any(dim=1)


def confusion_matrix(preds: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts (true class, predicted class)."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (labels, preds), 1)
    return cm


def classification_metrics(scores: torch.Tensor, labels: Any, classes: list[str]) -> dict[str, Any]:
    """Top-1/top-5 (percent), mean per-class recall, per-class accuracy and confusion."""
    labels_t = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    if scores.shape[0] != labels_t.shape[0]:
        raise ValueError(f"{scores.shape[0]} score rows but {labels_t.shape[0]} labels.")
    preds = scores.argmax(dim=1).numpy()
    lab = labels_t.numpy()
    cm = confusion_matrix(preds, lab, len(classes))
    support = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, np.diag(cm) / np.maximum(support, 1), np.nan)
    return {
        "top1": 100.0 * topk_correct(scores, labels_t, 1).float().mean().item(),
        "top5": 100.0 * topk_correct(scores, labels_t, 5).float().mean().item(),
        "mean_per_class_recall": 100.0 * float(np.nanmean(recall)),
        "per_class_accuracy": {c: (None if np.isnan(r) else 100.0 * float(r)) for c, r in zip(classes, recall, strict=True)},
        "confusion": cm.tolist(),
        "n": int(len(lab)),
    }


def most_confused_pairs(confusion: Any, classes: list[str], n: int = 10) -> list[dict[str, Any]]:
    """The ``n`` largest off-diagonal confusion counts as (true, predicted, count, rate %)."""
    cm = np.asarray(confusion, dtype=np.int64)
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:n]
    rows = []
    for flat in order:
        i, j = np.unravel_index(flat, off.shape)
        if off[i, j] == 0:
            break
        rows.append({
            "true": classes[i], "predicted": classes[j], "count": int(off[i, j]),
            "rate": 100.0 * float(off[i, j]) / max(int(cm[i].sum()), 1),
        })
    return rows


def granularity_verdict(coarse_top1: float, coarse_n: int, fine_top1: float, fine_n: int) -> dict[str, Any]:
    """Compare top-1 (%) on a coarse and a fine class set, allowing for sampling noise.

    A difference within two binomial standard errors (both test sets) is ``"noise"``;
    otherwise ``"drop"`` (fine below coarse, the original course report's CIFAR finding) or ``"rise"``.
    """
    se = 100.0 * math.sqrt(sum((p / 100) * (1 - p / 100) / max(int(n), 1)
                               for p, n in ((coarse_top1, coarse_n), (fine_top1, fine_n))))
    diff = fine_top1 - coarse_top1
    verdict = "noise" if abs(diff) <= 2 * se else ("drop" if diff < 0 else "rise")
    return {"diff": diff, "two_se": 2 * se, "verdict": verdict}


def predict(
    lm: Any,
    dataset: Any,
    templates: str | list[str] = "ensemble",
    cache_dir: str = "data/cache",
    progress: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Zero-shot scores (N, C) for a dataset, plus the weights and the templates used."""
    from clip_course.core.feature_cache import image_features

    tmpl = resolve_templates(templates, dataset.name)
    weights = build_classifier(lm, dataset.classes, tmpl)
    feats = image_features(lm, dataset, normalize=True, cache_dir=cache_dir, progress=progress)
    return logits(feats, weights), weights, tmpl


def published_figure(lm: Any, dataset: str) -> dict[str, Any] | None:
    """CLIP_benchmark's published zero-shot figure for ``lm``'s model and tag on ``dataset``, or None.

    Only beside the checkpoint it measured (:func:`clip_course.core.models.is_published_checkpoint`):
    openai's released file or its hub conversion, or an open_clip tag's file whose sha256 is the
    hub's published one; never beside a retrained or altered file of the same name.
    """
    from clip_course.core.models import checkpoint_origin, is_published_checkpoint
    from clip_course.data.published import benchmark_zeroshot

    if not is_published_checkpoint(checkpoint_origin(lm.name, lm.checkpoint, lm.checkpoint_sha256)):
        return None
    return benchmark_zeroshot(lm.name, dataset, getattr(lm, "pretrained", None))


def evaluate(
    lm: Any,
    dataset: Any,
    templates: str | list[str] = "ensemble",
    cache_dir: str = "data/cache",
    profile: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Zero-shot evaluation of ``lm`` on ``dataset``: a full result record (see results.run_record)."""
    from clip_course.core.provenance import run_record

    start = time.perf_counter()
    scores, _, tmpl = predict(lm, dataset, templates, cache_dir=cache_dir, progress=progress)
    metrics = classification_metrics(scores, dataset.labels, dataset.classes)
    metrics["most_confused"] = most_confused_pairs(metrics["confusion"], dataset.classes)
    params = {
        "templates": templates if isinstance(templates, str) else "custom",
        "template_list": tmpl,
        "classes": list(dataset.classes),
    }
    record = run_record("zeroshot", params, metrics, lm=lm, dataset=dataset, profile=profile,
                        seconds=time.perf_counter() - start)
    if params["templates"] == "ensemble":  # CLIP_benchmark's figures are of the dataset's own ensemble
        published = published_figure(lm, dataset.name)
        if published is not None:
            record["published"] = published
    return record
