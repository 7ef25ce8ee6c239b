"""The studies of the analysis notebook (06): prompt templates, distribution shift, retrieval,
coarse against fine classes, and the table beside the published figures.

Each is one measurement on cached features. Measurements another notebook already makes are
not repeated here: notebook 06 reads zero-shot accuracy from 03's results and the probe, its C
and the k-shot curve from 04's (see :meth:`clip_course.notebook.Session.earlier`). The keys
of the results file are defined in :mod:`clip_course.report.schema`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import torch

from clip_course.core.cache import USER_CACHE
from clip_course.core.encode import encode_texts
from clip_course.core.feature_cache import image_features
from clip_course.core.prompts import SINGLE_TEMPLATE
from clip_course.core.prompts import templates as resolve_templates
from clip_course.core.types import Labels, LoadedModelLike
from clip_course.data.corruptions import check_kind, check_severity, corrupt_dataset
from clip_course.data.dataset import ImageDataset
from clip_course.data.published import REFERENCE_MODEL, REFERENCES
from clip_course.errors import AnalysisError
from clip_course.tasks.logreg import fit_logreg
from clip_course.tasks.retrieval import recall_at_k, search
from clip_course.tasks.stats import mean_interval
from clip_course.tasks.types import (
    ClassMetrics,
    Predictor,
    ProbeResults,
    RobustnessEntry,
    ZeroShotEntry,
    ZeroShotResults,
)
from clip_course.tasks.zeroshot import Classifier, classifier, ensemble_weights, prompt_features

if TYPE_CHECKING:  # names for annotations only (Unpack is in typing from Python 3.11 only)
    from typing_extensions import Unpack

    from clip_course.tasks.logreg import LinearProbe

__all__ = [
    "Any", "coarse_groups", "coarse_vs_fine", "COMPARISON_COLUMNS", "comparison_table", "default_queries",
    "degradation", "ensemble_metrics", "fit_probe", "free_text_search", "probe_top1", "prompt_accuracies",
    "prompt_study", "retrieval_study", "robustness_entry", "robustness_study", "robustness_summary", "Sequence",
    "stratified_limit", "top1", "zeroshot_classifier",
]

# ------------------------------------------------------------------------------- helpers


def top1(image_features: torch.Tensor, clf: Classifier, labels: Labels) -> float:
    """Zero-shot top-1 (%) of the classifier ``clf`` on ``image_features`` against ``labels``."""
    return clf.score(image_features, labels).top1


def _alone(weights: torch.Tensor, classes: Sequence[str], template: str, scale: float) -> Classifier:
    # one column set of the prompt study (a template alone, the bare name) as a classifier
    return Classifier(weights, tuple(classes), (template,), scale)


def stratified_limit(dataset: ImageDataset, n: int | None, seed: int = 0) -> Any:
    """A seeded subset of about ``n`` images with the same number per class (all if None).

    Unlike ``ImageDataset.limit`` (uniform over images), every class keeps
    ``max(1, n // n_classes)`` examples (or all it has), so small training subsets of a
    100-class set still hold every class, as a probe needs.
    """
    if n is None or n >= len(dataset):
        return dataset
    if n < 1:
        raise AnalysisError(f"limit_train must be positive or None, got {n}.")
    labels = np.asarray(dataset.labels)
    per_class = max(1, n // len(dataset.classes))
    rng = np.random.default_rng(seed)
    picks = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in range(len(dataset.classes))]
    return dataset.subset(np.sort(np.concatenate(picks)))


# ------------------------------------------------------------------------------- prompts


def prompt_accuracies(
    image_features: torch.Tensor,
    labels: Labels,
    templates: Sequence[str],
    features: torch.Tensor,
    bare: torch.Tensor,
    single: torch.Tensor | float,
    ensemble: float | None = None,
) -> dict[str, Any]:
    """Top-1 of each template alone, of the bare class name, of "a photo of a {}." and the ensemble.

    ``features`` (C, T, D) are the normalised prompt features of ``templates``; ``bare`` (C, D)
    the features of the class name alone. ``single`` is the single template's features (C, D) or
    its top-1 as measured elsewhere (notebook 03), and ``ensemble`` the ensemble's top-1 as
    measured elsewhere (None: scored here); a number measured once is read, not made again.
    """
    if features.shape[1] != len(templates):
        raise AnalysisError(f"{features.shape[1]} template features for {len(templates)} templates.")
    classes = [str(i) for i in range(features.shape[0])]
    per_template = {t: top1(image_features, _alone(features[:, i].T, classes, t, 1.0), labels)
                    for i, t in enumerate(templates)}
    single_acc = (float(single) if not isinstance(single, torch.Tensor)
                  else top1(image_features, _alone(single.T, classes, "single", 1.0), labels))
    if ensemble is None:
        ensemble = top1(image_features, Classifier(ensemble_weights(features), tuple(classes), tuple(templates), 1.0),
                        labels)
    ranked = sorted(per_template.items(), key=lambda kv: kv[1])
    return {
        "templates": list(templates),
        "per_template": per_template,
        "bare": top1(image_features, _alone(bare.T, classes, "{}", 1.0), labels),
        "single": single_acc,
        "ensemble": ensemble,
        "ensemble_gain_points": ensemble - single_acc,
        "mean_template": float(np.mean(list(per_template.values()))),
        "gain_over_mean_template_points": ensemble - float(np.mean(list(per_template.values()))),
        "best_template": list(ranked[-1]),
        "worst_template": list(ranked[0]),
    }


def prompt_study(lm: LoadedModelLike, dataset: ImageDataset, image_features: torch.Tensor,
                 measured: ZeroShotEntry | None = None) -> dict[str, Any]:
    """:func:`prompt_accuracies` for ``dataset`` with its own template ensemble, or with the one
    of ``measured``: notebook 03's entry for this dataset, whose single and ensemble top-1 are read
    from it (the same images and classifiers), never scored again."""
    tmpl = list(measured["templates"]["ensemble"]) if measured else resolve_templates("ensemble", dataset.name)
    feats = prompt_features(lm, dataset.classes, tmpl)
    bare = encode_texts(lm, list(dataset.classes), normalize=True)
    if measured:
        single: torch.Tensor | float = measured["single"]["top1"]
        ensemble: float | None = measured["ensemble"]["top1"]
    else:
        single = (feats[:, tmpl.index(SINGLE_TEMPLATE[0])] if SINGLE_TEMPLATE[0] in tmpl
                  else encode_texts(lm, [SINGLE_TEMPLATE[0].format(c) for c in dataset.classes]))
        ensemble = None
    return {**prompt_accuracies(image_features, dataset.labels, tmpl, feats, bare, single, ensemble),
            "n_images": len(dataset), "n_way": len(dataset.classes)}


def zeroshot_classifier(lm: LoadedModelLike, dataset: ImageDataset,
                        ensemble: Sequence[str] | None = None) -> Classifier:
    """The ensemble zero-shot classifier of ``dataset`` (its own templates, or ``ensemble``)."""
    return classifier(lm, dataset.classes, list(ensemble) if ensemble else resolve_templates("ensemble", dataset.name))


# ------------------------------------------------------------------------------- few-shot


# ------------------------------------------------------------------------------- robustness


class _ProbeOptions(TypedDict, total=False):
    """What :func:`fit_probe` passes on to :func:`clip_course.tasks.logreg.fit_logreg` besides ``C``."""

    fitter: str
    max_iter: int
    tol: float
    dtype: torch.dtype | None
    init: LinearProbe | None


def fit_probe(train_features: torch.Tensor, train_labels: Labels, C: float, n_classes: int,
              device: torch.device | str | None = None, **options: Unpack[_ProbeOptions]) -> LinearProbe:
    """The full-data linear probe at a chosen ``C`` (a :class:`clip_course.tasks.logreg.LinearProbe`)."""
    return fit_logreg(train_features, train_labels, C=C, n_classes=n_classes, device=device, **options)


def probe_top1(probe: Predictor, features: torch.Tensor, labels: Labels) -> float:
    """Top-1 (%) of a fitted probe."""
    return 100.0 * float(np.mean(probe.predict(features) == np.asarray(labels)))


def degradation(clean: float, corrupted: Sequence[float]) -> tuple[float, float]:
    """(mean relative drop, mean drop in points) over severities >= 1 from ``clean``."""
    drops = clean - np.asarray(corrupted, dtype=float)
    rel = float(np.mean(drops / clean)) if clean > 0 else float("nan")
    return rel, float(np.mean(drops))


def robustness_entry(severities: Sequence[int], zeroshot: Sequence[float], probe: Sequence[float]) -> dict[str, Any]:
    """One corruption's accuracy curves (severity 0 = clean) and each classifier's mean drop in points."""
    if list(severities)[:1] != [0]:
        raise AnalysisError(f"severities must start at 0 (clean), got {list(severities)}.")
    zs_rel, zs_pts = degradation(zeroshot[0], zeroshot[1:])
    pr_rel, pr_pts = degradation(probe[0], probe[1:])
    return {
        "severities": list(severities),
        "zeroshot": list(map(float, zeroshot)),
        "probe": list(map(float, probe)),
        "mean_relative_drop": {"zeroshot": zs_rel, "probe": pr_rel},
        "mean_drop_points": {"zeroshot": zs_pts, "probe": pr_pts},
    }


def degradation_gap(entries: Mapping[str, RobustnessEntry]) -> dict[str, float]:
    """Zero-shot minus probe drop (points), per corruption x severity cell, with a 95% interval."""
    cells = []
    for e in entries.values():
        zs, pr = e["zeroshot"], e["probe"]
        cells += [(zs[0] - z) - (pr[0] - p) for z, p in zip(zs[1:], pr[1:], strict=True)]
    m, lo, hi = mean_interval(cells)
    return {"diff": m, "lo": lo, "hi": hi, "cells": len(cells)}


def robustness_summary(entries: Mapping[str, RobustnessEntry]) -> dict[str, Any]:
    """Mean drops over corruptions, and zero-shot minus probe drop with its 95% interval over the
    corruption-severity sets (:func:`degradation_gap`)."""
    if not entries:
        return {}
    out: dict[str, Any] = {}
    for key in ("mean_relative_drop", "mean_drop_points"):
        out[key] = {m: float(np.mean([e[key][m] for e in entries.values()])) for m in ("zeroshot", "probe")}
    out["degradation"] = degradation_gap(entries)
    return out


def robustness_study(
    lm: LoadedModelLike,
    dataset: ImageDataset,
    zs: Classifier,
    probe: Predictor,
    corruptions: Sequence[str],
    severities: Sequence[int] = (1, 2, 3, 4, 5),
    seed: int = 0,
    cache_dir: str | None = USER_CACHE,
    progress: bool = True,
) -> dict[str, dict[str, Any]]:
    """Zero-shot and probe top-1 on ``dataset`` under each corruption and severity.

    Corrupted sets are new datasets (``shapes10+blur@3``) whose features are cached like any
    other; severity 0 is the clean set.
    """
    from tqdm.auto import tqdm

    levels = [0, *sorted({check_severity(s) for s in severities if s != 0})]
    for kind in corruptions:
        check_kind(kind)
    jobs = [(k, s) for k in corruptions for s in levels[1:]]
    if len(jobs) < 2:  # the interval of robustness_summary is taken over these sets
        raise AnalysisError(f"corruptions {list(corruptions)} at severities {list(severities)} make {len(jobs)} "
                            f"corrupted set(s); the 95% interval needs at least 2: add a severity or a corruption.")
    out: dict[str, dict[str, Any]] = {}
    clean = image_features(lm, dataset, cache_dir=cache_dir, progress=False)
    clean_acc = (top1(clean, zs, dataset.labels), probe_top1(probe, clean, dataset.labels))
    accs: dict[tuple[str, int], tuple[float, float]] = {}
    for kind, sev in tqdm(jobs, desc="corruptions", disable=not progress):
        ds = corrupt_dataset(dataset, kind, sev, seed)
        feats = image_features(lm, ds, cache_dir=cache_dir, progress=False)
        accs[kind, sev] = (top1(feats, zs, ds.labels), probe_top1(probe, feats, ds.labels))
    for kind in corruptions:
        curve = [clean_acc] + [accs[kind, s] for s in levels[1:]]
        out[kind] = robustness_entry(levels, [a for a, _ in curve], [b for _, b in curve])
    return out


# ------------------------------------------------------------------------------- retrieval


def retrieval_study(
    clf: Classifier, image_features: torch.Tensor, labels: Labels, ks: Sequence[int] = (1, 5, 10)
) -> dict[str, Any]:
    """recall@k / precision@k with each class's ensemble prompt embedding as its query."""
    out = recall_at_k(clf.weights.T, image_features, labels, ks)
    out["queries"] = "one per class: the normalised mean of its ensemble prompts (the zero-shot weights)"
    return out


def free_text_search(
    lm: LoadedModelLike, queries: Sequence[str], image_features: torch.Tensor, labels: Labels, classes: Sequence[str],
    k: int = 8
) -> list[dict[str, Any]]:
    """The ``k`` best images for each free-text query: indices, labels and similarities."""
    if not queries:
        return []
    scores, idx = search(encode_texts(lm, list(queries)), image_features, k)
    labels = np.asarray(labels)
    return [
        {"query": q, "top_indices": idx[i].tolist(), "top_labels": [classes[labels[j]] for j in idx[i].tolist()],
         "scores": [round(float(s), 4) for s in scores[i]]}
        for i, q in enumerate(queries)
    ]


def default_queries(profile_name: str) -> list[str]:
    """Free-text queries that suit the profile's images."""
    if profile_name == "offline":
        return ["a red circle", "a small blue star", "a big yellow heart on a grey background",
                "a green shape", "something round"]
    return ["a photo of a dog on the grass", "a red sports car", "a ship at sea",
            "a bird in the sky", "a fluffy animal"]


# ------------------------------------------------------------------------------- coarse vs fine


def coarse_groups(coarse: Sequence[str], fine: Sequence[str]) -> dict[str, list[int]] | None:
    """Fine-class indices per coarse class, when each fine name contains exactly one coarse name.

    ShapesWorld's "red circle" belongs to "circle"; CIFAR-100's classes do not map onto
    CIFAR-10's, so there the answer is None.
    """
    groups: dict[str, list[int]] = {c: [] for c in coarse}
    for i, name in enumerate(fine):
        hits = [c for c in coarse if re.search(rf"\b{re.escape(c)}\b", name)]
        if len(hits) != 1:
            return None
        groups[hits[0]].append(i)
    return groups if all(groups.values()) else None


def coarse_vs_fine(
    coarse_metrics: ClassMetrics,
    fine_metrics: ClassMetrics,
    coarse_classes: Sequence[str],
    fine_classes: Sequence[str],
    n_worst: int = 10,
) -> dict[str, Any]:
    """The drop from the coarse to the fine class set and the classes that suffer most.

    Inputs are :func:`clip_course.tasks.zeroshot.classification_metrics`-shaped dicts of each set
    (:func:`ensemble_metrics` makes them from notebook 03's entries).
    """
    cm = np.asarray(fine_metrics["confusion"], dtype=np.int64)
    per_class = fine_metrics["per_class_accuracy"]
    worst = []
    for name in sorted((c for c in fine_classes if per_class.get(c) is not None),
                       key=lambda c: per_class[c] or 0.0)[:n_worst]:  # None filtered out
        i = list(fine_classes).index(name)
        row = cm[i].copy()
        row[i] = 0
        j = int(row.argmax())
        worst.append({
            "class": name, "top1": per_class[name],
            "confused_with": fine_classes[j] if row[j] > 0 else None,
            "confusion_rate": 100.0 * row[j] / max(int(cm[i].sum()), 1),
        })
    groups = coarse_groups(coarse_classes, fine_classes)
    per_coarse: list[dict[str, Any]] | None = None
    if groups is not None:
        per_coarse = []
        for c, idx in groups.items():
            vals = [v for i in idx if (v := per_class[fine_classes[i]]) is not None]
            ca = coarse_metrics["per_class_accuracy"].get(c)
            if ca is None or not vals:
                continue
            fa = float(np.mean(vals))
            per_coarse.append({"class": c, "coarse_top1": ca, "fine_top1": fa, "drop_points": ca - fa})
        per_coarse.sort(key=lambda r: -r["drop_points"])
    return {
        "coarse_top1": coarse_metrics["top1"],
        "fine_top1": fine_metrics["top1"],
        "drop_points": coarse_metrics["top1"] - fine_metrics["top1"],
        "chance": {"coarse": 100.0 / len(coarse_classes), "fine": 100.0 / len(fine_classes)},
        "n_classes": {"coarse": len(coarse_classes), "fine": len(fine_classes)},
        "worst_classes": worst,
        "per_coarse_class": per_coarse,
    }


def ensemble_metrics(entry: ZeroShotEntry) -> ClassMetrics:
    """The ensemble's top-1, per-class accuracy and confusion of one notebook-03 entry, in the shape
    :func:`coarse_vs_fine` takes: the analysis reads 03's measurement instead of repeating it."""
    return {"top1": entry["ensemble"]["top1"], "per_class_accuracy": entry["per_class_accuracy"],
            "confusion": entry["confusion"]}


# ------------------------------------------------------------------------------- comparison


def comparison_table(profile: str, model: str, coarse: str, fine: str,
                     zeroshot: ZeroShotResults, probe: ProbeResults) -> list[dict[str, Any]]:
    """Rows: our zero-shot and probe numbers per dataset beside the paper's and CLIP_benchmark's.

    Ours are read from notebook 03's (``zeroshot``) and 04's (``probe``) results, never measured
    again; each row names its ``source`` (:func:`clip_course.report.schema.lookup`) and its
    ``n_way`` task. The references (:data:`clip_course.data.published.REFERENCES`) are ViT-B/32 on
    CIFAR-10 (beside our coarse set) and CIFAR-100 (beside the fine set) whatever the profile;
    every row names both datasets, so a ShapesWorld number is never read as a CIFAR one.
    """
    ref_ds = {coarse: "cifar10", fine: "cifar100"}
    rows = []
    for ds in (coarse, fine):
        zs, pr = zeroshot["datasets"][ds], probe["datasets"][ds]
        for quantity, entry, value, source, task, metric in (
            ("zero-shot top-1", zs, zs["ensemble"]["top1"], f"03_cifar_zero_shot:datasets.{ds}.ensemble.top1",
             "zeroshot", "top1"),
            ("zero-shot top-5", zs, zs["ensemble"]["top5"], f"03_cifar_zero_shot:datasets.{ds}.ensemble.top5",
             "zeroshot", "top5"),
            ("linear probe top-1", pr, pr["probe"]["top1"], f"04_linear_probe:datasets.{ds}.probe.top1",
             "probe", "top1"),
        ):
            refs = REFERENCES[ref_ds[ds]][task]
            rows.append({
                "quantity": quantity, "dataset": ds, "n_way": entry["n_way"], "ours": value,
                "source": source, "paper": refs.get("paper", {}).get(metric),
                "clip_benchmark": refs.get("CLIP_benchmark", {}).get(metric),
                "reference_dataset": ref_ds[ds], "reference_model": REFERENCE_MODEL,
                "profile": profile, "model": model,
            })
    return rows


COMPARISON_COLUMNS = {
    "quantity": "quantity", "dataset": "our dataset", "n_way": "classes (N-way)", "ours": "ours",
    "reference_dataset": "reference dataset", "paper": "paper", "clip_benchmark": "CLIP_benchmark",
}
