"""Zero-shot classification as the CLIP paper does it: the one scorer every caller uses.

The classifier for a class set is built from prompt templates: encode every template per
class, L2-normalise each, average, renormalise; logits are ``s * image_features @ W`` with the
model's own learned logit scale ``s`` (100 for openai's CLIP). Metrics: top-1, top-5, mean
per-class recall, per-class accuracy, confusion matrix.

:func:`classifier` builds a :class:`Classifier` (classes + templates -> weights);
:meth:`Classifier.score` scores image features on the classes it keeps (images of other
classes are dropped, labels re-indexed) and returns a :class:`Scored`. :func:`score` is the two
in one call. Every zero-shot number of the package goes through :meth:`Classifier.score`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from clip_course.core.cache import USER_CACHE
from clip_course.core.encode import encode_texts
from clip_course.core.feature_cache import image_features
from clip_course.core.models import checkpoint_origin, is_published_checkpoint
from clip_course.core.prompts import templates as resolve_templates
from clip_course.core.prompts import validate_classnames, validate_templates
from clip_course.core.provenance import run_record
from clip_course.core.types import Labels, LoadedModelLike, network
from clip_course.data.dataset import ImageDataset
from clip_course.data.published import benchmark_zeroshot

__all__ = [
    "build_classifier", "classification_metrics", "Classifier", "classifier", "confusion_matrix", "ensemble_weights",
    "evaluate", "granularity_verdict", "Labels", "measure", "model_logit_scale", "most_confused_pairs", "np", "predict",
    "prompt_features", "published_figure", "score", "Scored", "torch",
]


def model_logit_scale(lm: LoadedModelLike) -> float:
    """The model's learned logit scale ``exp(t)`` (1/temperature): 100 for openai's CLIP."""
    return float(network(lm).logit_scale.detach().exp().float())


def prompt_features(lm: LoadedModelLike, classnames: list[str], templates: list[str]) -> torch.Tensor:
    """Normalised text features (C, T, D) of every template for every class.

    All C x T prompts are encoded in large batches, not one forward pass per class.
    """

    texts = [t.format(c) for c in classnames for t in templates]
    return encode_texts(lm, texts, normalize=True).reshape(len(classnames), len(templates), -1)


def ensemble_weights(features: torch.Tensor) -> torch.Tensor:
    """(C, T, D) normalised prompt features -> (D, C): per class, the renormalised mean."""
    weights = features.mean(dim=1)
    return (weights / weights.norm(dim=-1, keepdim=True)).T.contiguous()


def build_classifier(lm: LoadedModelLike, classnames: list[str], templates: list[str]) -> torch.Tensor:
    """Zero-shot weights (D, C): per class, the renormalised mean of its normalised prompts."""
    validate_classnames(classnames)
    validate_templates(templates)
    return ensemble_weights(prompt_features(lm, classnames, templates))


@dataclass(frozen=True)
class Classifier:
    """A zero-shot classifier: weights (D, C) for ``classes`` from ``templates``, and the scale."""

    weights: torch.Tensor
    classes: tuple[str, ...]
    templates: tuple[str, ...]
    scale: float

    def logits(self, image_features: torch.Tensor) -> torch.Tensor:
        """(N, C) ``scale * image_features @ weights`` (features assumed L2-normalised)."""
        return self.scale * image_features.float() @ self.weights.float().to(image_features.device)

    def score(self, image_features: torch.Tensor, labels: Labels,
              label_classes: Sequence[str] | None = None) -> Scored:
        """Score images whose ``labels`` index ``label_classes`` (default: this classifier's classes).

        Images of a class the classifier does not hold are dropped and the rest re-indexed, so a
        task restricted to some classes (the probe's trained classes) is scored on exactly them.
        """
        labels = np.asarray(labels, dtype=np.int64)
        if label_classes is None or list(label_classes) == list(self.classes):
            keep = np.ones(len(labels), dtype=bool)
            y = labels
        else:
            index = {c: i for i, c in enumerate(self.classes)}
            names = [label_classes[v] for v in labels]
            keep = np.array([n in index for n in names], dtype=bool)
            y = np.array([index[n] for n, k in zip(names, keep, strict=True) if k], dtype=np.int64)
        if image_features.shape[0] != len(labels):
            raise ValueError(f"{image_features.shape[0]} feature rows but {len(labels)} labels.")
        return Scored(self.logits(image_features[torch.from_numpy(keep)]).cpu(), y, self, keep)


@dataclass(frozen=True)
class Scored:
    """One zero-shot measurement: logits (N, C) of the kept images, their labels, the classifier."""

    logits: torch.Tensor
    labels: np.ndarray
    classifier: Classifier
    kept_images: np.ndarray  # bool mask over the images that were passed in

    @property
    def predictions(self) -> np.ndarray:
        return self.logits.argmax(dim=1).numpy()

    @property
    def correct(self) -> np.ndarray:
        """Boolean (N,): top-1 right, per kept image (the unit of every paired interval)."""
        return self.predictions == self.labels

    @property
    def top1(self) -> float:
        return 100.0 * float(self.correct.mean()) if len(self.labels) else float("nan")

    @cached_property
    def metrics(self) -> dict[str, Any]:
        """:func:`classification_metrics` of this measurement."""
        return classification_metrics(self.logits, self.labels, list(self.classifier.classes))


def classifier(lm: LoadedModelLike, classes: Sequence[str], templates: Sequence[str]) -> Classifier:
    """The zero-shot classifier of ``classes`` from ``templates`` with the model's logit scale."""
    classes, templates = list(classes), list(templates)
    return Classifier(build_classifier(lm, classes, templates), tuple(classes), tuple(templates),
                      model_logit_scale(lm))


def score(lm: LoadedModelLike, image_features: torch.Tensor, labels: Labels, label_classes: Sequence[str],
          templates: Sequence[str], keep: Sequence[str] | None = None) -> Scored:
    """Zero-shot on ``keep`` (default: every class of ``label_classes``) with ``templates``."""
    kept = list(label_classes) if keep is None else [c for c in label_classes if c in set(keep)]
    return classifier(lm, kept, templates).score(image_features, labels, label_classes)


def _topk_correct(scores: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
    """Boolean (N,): is the label among the ``k`` highest scores."""
    k = min(k, scores.shape[1])
    return (scores.topk(k, dim=1).indices == labels[:, None]).any(dim=1)


def confusion_matrix(preds: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts (true class, predicted class)."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (labels, preds), 1)
    return cm


def classification_metrics(scores: torch.Tensor, labels: Labels, classes: list[str]) -> dict[str, Any]:
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
        "top1": 100.0 * _topk_correct(scores, labels_t, 1).float().mean().item(),
        "top5": 100.0 * _topk_correct(scores, labels_t, 5).float().mean().item(),
        "mean_per_class_recall": 100.0 * float(np.nanmean(recall)),
        "per_class_accuracy": {c: (None if np.isnan(r) else 100.0 * float(r))
                               for c, r in zip(classes, recall, strict=True)},
        "confusion": cm.tolist(),
        "n": int(len(lab)),
    }


def most_confused_pairs(confusion: npt.ArrayLike, classes: list[str], n: int = 10) -> list[dict[str, Any]]:
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


def measure(
    lm: LoadedModelLike,
    dataset: ImageDataset,
    templates: str | list[str] = "ensemble",
    cache_dir: str = USER_CACHE,
    progress: bool = True,
) -> Scored:
    """Zero-shot measurement of a dataset with a template set name or list (features cached)."""
    tmpl = resolve_templates(templates, dataset.name)
    feats = image_features(lm, dataset, normalize=True, cache_dir=cache_dir, progress=progress)
    return score(lm, feats, dataset.labels, dataset.classes, tmpl)


def predict(
    lm: LoadedModelLike,
    dataset: ImageDataset,
    templates: str | list[str] = "ensemble",
    cache_dir: str = USER_CACHE,
    progress: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """:func:`measure`'s logits (N, C), classifier weights (D, C) and templates."""
    scored = measure(lm, dataset, templates, cache_dir=cache_dir, progress=progress)
    return scored.logits, scored.classifier.weights, list(scored.classifier.templates)


def published_figure(lm: LoadedModelLike, dataset: str) -> dict[str, Any] | None:
    """CLIP_benchmark's published zero-shot figure for ``lm``'s model and tag on ``dataset``, or None.

    Only beside the checkpoint it measured (:func:`clip_course.core.models.is_published_checkpoint`):
    openai's released file or its hub conversion, or an open_clip tag's file whose sha256 is the
    hub's published one; never beside a retrained or altered file of the same name.
    """
    if not is_published_checkpoint(checkpoint_origin(lm.name, lm.checkpoint, lm.checkpoint_sha256)):
        return None
    return benchmark_zeroshot(lm.name, dataset, getattr(lm, "pretrained", None))


def evaluate(
    lm: LoadedModelLike,
    dataset: ImageDataset,
    templates: str | list[str] = "ensemble",
    cache_dir: str = USER_CACHE,
    profile: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Zero-shot evaluation of ``lm`` on ``dataset``: a full result record
    (:func:`clip_course.core.provenance.run_record`)."""
    start = time.perf_counter()
    scored = measure(lm, dataset, templates, cache_dir=cache_dir, progress=progress)
    tmpl = list(scored.classifier.templates)
    metrics = dict(scored.metrics)
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
