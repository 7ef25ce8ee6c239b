"""The measurements of the analysis notebook (``notebooks/06_analysis.ipynb``).

The seed report's section 4 discusses CLIP's behaviour from the paper's figures; these
functions measure the same questions for whichever profile runs, on cached features:
prompt engineering, zero-shot against few-shot probes, distribution shift under seeded
corruptions, text-to-image retrieval, fine-grained against coarse classes, and one table
of our numbers beside the paper's and CLIP_benchmark's.

Results file ``results/06_analysis.json`` (written by the notebook through
:meth:`clip_course.notebook.Outputs.write`); the report
reads these keys for its analysis section and abstract. Accuracies are top-1 in percent,
differences in percentage points.

- ``profile``: the profile's name ("offline", "paper"); ``model``: {"name",
  "checkpoint_sha256", "input_resolution", "dtype", "device"}.
- ``datasets``: ``{"coarse", "fine", "test_sizes": {name: n}, "train_sizes": {name: n}}``.
- ``prompts[dataset]``: ``per_template`` ({template: top-1}, each template of the
  dataset's ensemble alone), ``bare`` (the class name alone), ``single``
  ("a photo of a {}."), ``ensemble`` (all templates, the paper's way),
  ``ensemble_gain_points`` (ensemble - single), ``gain_over_mean_template_points``,
  ``best_template`` / ``worst_template`` ([template, top-1]), ``templates``.
- ``fewshot[dataset]``: ``zeroshot_top1``, ``kshot`` ({str(k): {"mean", "std"}} over seeds,
  numeric k only), ``full_probe_top1`` (the probe on the whole train set),
  ``k_to_match_zeroshot`` (smallest tested k whose mean reaches zero-shot; null if none),
  ``k_interpolated`` (log2-interpolated crossing; null if never reached), ``seeds``,
  ``full_probe_C`` (the C the full-data sweep chose; the robustness probe uses it),
  ``probe_options`` (the k-shot settings, e.g. the C grid size ``steps``),
  ``probe_classes`` and ``classes_without_training_images`` (left out of the probe).
- ``robustness[corruption]``: ``severities`` ([0, 1, .. 5]), ``zeroshot`` and ``probe``
  (top-1 per severity, index 0 = clean), ``mean_relative_drop`` ({"zeroshot", "probe"}:
  mean over severities >= 1 of (clean - corrupted) / clean, a fraction),
  ``mean_drop_points`` (same in points), ``faster`` ("zeroshot" or "probe": the larger
  mean relative drop; "equal" on a tie). ``robustness_summary``: the same averaged over corruptions, plus
  ``dataset``, ``n_images``, ``seed``.
- ``retrieval``: ``recall@1/5/10`` and ``precision@1/5/10`` (percent; see
  :mod:`clip_course.retrieval` for the definitions), ``dataset``, ``n_queries``,
  ``n_images``, ``queries`` (how the class queries were made), ``by_dataset`` (both sets),
  ``free_text`` ([{"query", "top_indices", "top_labels"}]).
- ``coarse_vs_fine``: ``coarse_top1``, ``fine_top1``, ``drop_points``, ``chance`` (both
  sets), ``worst_classes`` ([{"class", "top1", "confused_with", "confusion_rate"}] of the
  fine set, worst first), ``per_coarse_class`` (when every fine class name contains exactly
  one coarse class name, as ShapesWorld's "red circle" does: coarse vs fine top-1 per
  coarse class, largest drop first; else null).
- ``comparison_table``: rows {"quantity", "dataset", "ours", "paper", "clip_benchmark",
  "reference_dataset", "reference_model", "profile", "model"} (references: ViT-B/32 on
  CIFAR, :data:`clip_course.notebook.REFERENCES`).
- ``params``, ``environment``, ``seconds``, ``profile_reason``, ``notebook``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from clip_course.errors import AnalysisError
from clip_course.tasks.zeroshot import (
    build_classifier,
    classification_metrics,
    ensemble_weights,
    logits,
    prompt_features,
    topk_correct,
)

# ------------------------------------------------------------------------------- helpers


def top1(image_features: torch.Tensor, weights: torch.Tensor, labels: Any) -> float:
    """Zero-shot top-1 (%) of ``100 * image_features @ weights`` against ``labels``."""
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    return 100.0 * topk_correct(logits(image_features, weights), labels, 1).float().mean().item()


def stratified_limit(dataset: Any, n: int | None, seed: int = 0) -> Any:
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
    labels: Any,
    templates: Sequence[str],
    features: torch.Tensor,
    bare: torch.Tensor,
    single: torch.Tensor,
) -> dict[str, Any]:
    """Top-1 of each template alone, of the bare class name, of "a photo of a {}." and the ensemble.

    ``features`` (C, T, D) are the normalised prompt features of ``templates``; ``bare`` and
    ``single`` (C, D) the features of the class name alone and of the single template.
    """
    if features.shape[1] != len(templates):
        raise AnalysisError(f"{features.shape[1]} template features for {len(templates)} templates.")
    per_template = {t: top1(image_features, features[:, i].T, labels) for i, t in enumerate(templates)}
    single_acc = top1(image_features, single.T, labels)
    ensemble = top1(image_features, ensemble_weights(features), labels)
    ranked = sorted(per_template.items(), key=lambda kv: kv[1])
    return {
        "templates": list(templates),
        "per_template": per_template,
        "bare": top1(image_features, bare.T, labels),
        "single": single_acc,
        "ensemble": ensemble,
        "ensemble_gain_points": ensemble - single_acc,
        "mean_template": float(np.mean(list(per_template.values()))),
        "gain_over_mean_template_points": ensemble - float(np.mean(list(per_template.values()))),
        "best_template": list(ranked[-1]),
        "worst_template": list(ranked[0]),
    }


def prompt_study(lm: Any, dataset: Any, image_features: torch.Tensor) -> dict[str, Any]:
    """:func:`prompt_accuracies` for ``dataset`` with its own template ensemble."""
    from clip_course.core.encode import encode_texts
    from clip_course.core.prompts import SINGLE_TEMPLATE, templates

    tmpl = templates("ensemble", dataset.name)
    feats = prompt_features(lm, dataset.classes, tmpl)
    bare = encode_texts(lm, list(dataset.classes), normalize=True)
    if SINGLE_TEMPLATE[0] in tmpl:
        single = feats[:, tmpl.index(SINGLE_TEMPLATE[0])]
    else:
        single = encode_texts(lm, [SINGLE_TEMPLATE[0].format(c) for c in dataset.classes])
    return prompt_accuracies(image_features, dataset.labels, tmpl, feats, bare, single)


def zeroshot_weights(lm: Any, dataset: Any) -> torch.Tensor:
    """The ensemble zero-shot classifier (D, C) of ``dataset``."""
    from clip_course.core.prompts import templates

    return build_classifier(lm, dataset.classes, templates("ensemble", dataset.name))


# ------------------------------------------------------------------------------- few-shot


def crossover(ks: Sequence[int], means: Sequence[float], level: float) -> tuple[int | None, float | None]:
    """(smallest k whose mean reaches ``level``, log2-interpolated crossing) or Nones.

    The interpolated value is :func:`clip_course.plots.crossover_k`'s, so the figure and
    the numbers agree.
    """
    from clip_course.tasks.kshot import crossover_k

    reached = [k for k, m in sorted(zip(ks, means, strict=True)) if m >= level]
    return (int(reached[0]) if reached else None), crossover_k(ks, means, level)


def fewshot_summary(kshot_record: dict[str, Any], zeroshot_top1: float) -> dict[str, Any]:
    """Reduce :func:`clip_course.probe.k_shot`'s record to the results-file entry."""
    per_k = kshot_record["metrics"]["per_k"]
    numeric = [e for e in per_k if e["k"] is not None]
    full = [e for e in per_k if e["k"] is None]
    ks = [int(e["k"]) for e in numeric]
    means = [float(e["top1_mean"]) for e in numeric]
    k_match, k_interp = crossover(ks, means, zeroshot_top1) if ks else (None, None)
    return {
        "zeroshot_top1": float(zeroshot_top1),
        "kshot": {str(e["k"]): {"mean": e["top1_mean"], "std": e["top1_std"]} for e in numeric},
        "full_probe_top1": full[0]["top1_mean"] if full else None,
        "full_probe_C": full[0]["runs"][0]["C"] if full else None,
        "k_to_match_zeroshot": k_match,
        "k_interpolated": k_interp,
        "seeds": kshot_record["params"]["seeds"],
    }


def fewshot_study(
    train_features: torch.Tensor,
    train_labels: Any,
    test_features: torch.Tensor,
    test_labels: Any,
    classes: Sequence[str],
    zeroshot_top1: float,
    ks: Sequence[int] = (1, 2, 4, 8, 16),
    seeds: Sequence[int] = (0, 1, 2),
    device: Any = None,
    progress: bool = True,
    **probe_options: Any,
) -> dict[str, Any]:
    """k-shot probes (plus the full-data probe) against the zero-shot accuracy.

    ks larger than the smallest class's training count are dropped (the quick runs have few
    training images); the full probe is always run. Classes without training images (ShapesWorld
    keeps its held-out colour-shape pairs out of every split) are left out of the probe and of
    its test set; zero-shot keeps them as distractors. ``probe_options`` go to
    :func:`clip_course.probe.k_shot` (``steps``, ``cv_folds``, ``max_iter``, ``fitter`` ...):
    the notebook uses a coarser C grid than notebook 04's paper protocol to stay fast.
    """
    from clip_course.tasks.kshot import k_shot

    train_labels = np.asarray(train_labels)
    counts = np.bincount(train_labels, minlength=len(classes))
    usable = [int(k) for k in ks if k <= counts[counts > 0].min()]
    # k_shot leaves classes without training images out (and names them in its params)
    record = k_shot(train_features, train_labels, test_features, np.asarray(test_labels), ks=[*usable, None],
                    seeds=list(seeds), classes=list(classes), device=device, progress=progress,
                    **probe_options)
    summary = fewshot_summary(record, zeroshot_top1)
    summary["probe_classes"] = len(record["params"]["classes"])
    summary["classes_without_training_images"] = record["params"]["classes_without_training_images"]
    summary["probe_options"] = {k: (str(v) if not isinstance(v, int | float | str) else v)
                                for k, v in probe_options.items()}
    return summary


# ------------------------------------------------------------------------------- robustness


def fit_probe(train_features: torch.Tensor, train_labels: Any, C: float, n_classes: int,
              device: Any = None, **options: Any):
    """The full-data linear probe at a chosen ``C`` (a :class:`clip_course.probe.LinearProbe`)."""
    from clip_course.tasks.logreg import fit_logreg

    return fit_logreg(train_features, train_labels, C=C, n_classes=n_classes, device=device, **options)


def probe_top1(probe: Any, features: torch.Tensor, labels: Any) -> float:
    """Top-1 (%) of a fitted probe."""
    return 100.0 * float(np.mean(probe.predict(features) == np.asarray(labels)))


def degradation(clean: float, corrupted: Sequence[float]) -> tuple[float, float]:
    """(mean relative drop, mean drop in points) over severities >= 1 from ``clean``."""
    drops = clean - np.asarray(corrupted, dtype=float)
    rel = float(np.mean(drops / clean)) if clean > 0 else float("nan")
    return rel, float(np.mean(drops))


def robustness_entry(severities: Sequence[int], zeroshot: Sequence[float], probe: Sequence[float]) -> dict[str, Any]:
    """One corruption's curves plus which one degrades faster (by mean relative drop)."""
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
        "faster": _faster(zs_rel, pr_rel),
    }


def _faster(zeroshot_rel: float, probe_rel: float) -> str:
    if math.isclose(zeroshot_rel, probe_rel, abs_tol=1e-9):
        return "equal"
    return "probe" if probe_rel > zeroshot_rel else "zeroshot"


def robustness_summary(entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Mean relative drop and points over corruptions, and which degrades faster overall."""
    if not entries:
        return {}
    out: dict[str, Any] = {}
    for key in ("mean_relative_drop", "mean_drop_points"):
        out[key] = {m: float(np.mean([e[key][m] for e in entries.values()])) for m in ("zeroshot", "probe")}
    out["faster"] = _faster(out["mean_relative_drop"]["zeroshot"], out["mean_relative_drop"]["probe"])
    out["faster_count"] = {m: sum(e["faster"] == m for e in entries.values()) for m in ("zeroshot", "probe", "equal")}
    return out


def shift_sentence(summary: dict[str, Any], n_corruptions: int, n_images: int, dataset: str) -> str:
    """The robustness finding in words, from :func:`robustness_summary`'s numbers."""
    rel, pts = summary["mean_relative_drop"], summary["mean_drop_points"]
    text = (f"Averaged over {n_corruptions} corruption(s) and their severities on {n_images} {dataset} test "
            f"images, zero-shot loses {100 * rel['zeroshot']:.1f}% of its clean accuracy "
            f"({pts['zeroshot']:.1f} points) and the linear probe {100 * rel['probe']:.1f}% "
            f"({pts['probe']:.1f} points): ")
    if summary["faster"] == "equal":
        return text + "both degrade equally fast."
    name = {"probe": "linear probe", "zeroshot": "zero-shot classifier"}[summary["faster"]]
    return text + (f"the **{name}** degrades faster (on {summary['faster_count'][summary['faster']]} of "
                   f"{n_corruptions} corruptions). The drop is relative to each classifier's own clean "
                   f"accuracy, so one that starts higher is not penalised for having more to lose.")


def robustness_study(
    lm: Any,
    dataset: Any,
    zs_weights: torch.Tensor,
    probe: Any,
    corruptions: Sequence[str],
    severities: Sequence[int] = (1, 2, 3, 4, 5),
    seed: int = 0,
    cache_dir: str | None = "data/cache",
    progress: bool = True,
) -> dict[str, dict[str, Any]]:
    """Zero-shot and probe top-1 on ``dataset`` under each corruption and severity.

    Corrupted sets are new datasets (``shapes10+blur@3``) whose features are cached like any
    other; severity 0 is the clean set.
    """
    from tqdm.auto import tqdm

    from clip_course.core.feature_cache import image_features
    from clip_course.data.corruptions import check_kind, check_severity, corrupt_dataset

    levels = [0, *sorted({check_severity(s) for s in severities if s != 0})]
    for kind in corruptions:
        check_kind(kind)
    out: dict[str, dict[str, Any]] = {}
    clean = image_features(lm, dataset, cache_dir=cache_dir, progress=False)
    clean_acc = (top1(clean, zs_weights, dataset.labels), probe_top1(probe, clean, dataset.labels))
    jobs = [(k, s) for k in corruptions for s in levels[1:]]
    accs: dict[tuple[str, int], tuple[float, float]] = {}
    for kind, sev in tqdm(jobs, desc="corruptions", disable=not progress):
        ds = corrupt_dataset(dataset, kind, sev, seed)
        feats = image_features(lm, ds, cache_dir=cache_dir, progress=False)
        accs[kind, sev] = (top1(feats, zs_weights, ds.labels), probe_top1(probe, feats, ds.labels))
    for kind in corruptions:
        curve = [clean_acc] + [accs[kind, s] for s in levels[1:]]
        out[kind] = robustness_entry(levels, [a for a, _ in curve], [b for _, b in curve])
    return out


# ------------------------------------------------------------------------------- retrieval


def retrieval_study(
    class_weights: torch.Tensor, image_features: torch.Tensor, labels: Any, ks: Sequence[int] = (1, 5, 10)
) -> dict[str, Any]:
    """recall@k / precision@k with each class's ensemble prompt embedding as its query."""
    from clip_course.tasks.retrieval import recall_at_k

    out = recall_at_k(class_weights.T, image_features, labels, ks)
    out["queries"] = "one per class: the normalised mean of its ensemble prompts (the zero-shot weights)"
    return out


def free_text_search(
    lm: Any, queries: Sequence[str], image_features: torch.Tensor, labels: Any, classes: Sequence[str], k: int = 8
) -> list[dict[str, Any]]:
    """The ``k`` best images for each free-text query: indices, labels and similarities."""
    from clip_course.core.encode import encode_texts
    from clip_course.tasks.retrieval import search

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
    coarse_metrics: dict[str, Any],
    fine_metrics: dict[str, Any],
    coarse_classes: Sequence[str],
    fine_classes: Sequence[str],
    n_worst: int = 10,
) -> dict[str, Any]:
    """The drop from the coarse to the fine class set and the classes that suffer most.

    Inputs are :func:`clip_course.zeroshot.classification_metrics` of each set.
    """
    cm = np.asarray(fine_metrics["confusion"], dtype=np.int64)
    per_class = fine_metrics["per_class_accuracy"]
    worst = []
    for name in sorted((c for c in fine_classes if per_class.get(c) is not None), key=lambda c: per_class[c])[:n_worst]:
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
    per_coarse = None
    if groups is not None:
        per_coarse = []
        for c, idx in groups.items():
            vals = [per_class[fine_classes[i]] for i in idx if per_class[fine_classes[i]] is not None]
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


def zeroshot_metrics(image_features: torch.Tensor, weights: torch.Tensor, dataset: Any) -> dict[str, Any]:
    """:func:`clip_course.zeroshot.classification_metrics` of the ensemble classifier."""
    return classification_metrics(logits(image_features, weights), dataset.labels, dataset.classes)


# ------------------------------------------------------------------------------- comparison


def comparison_table(
    profile: str,
    model: str,
    coarse: str,
    fine: str,
    zeroshot_top1: dict[str, float],
    probe_top1: dict[str, float | None],
    zeroshot_top5: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Rows: our zero-shot and probe numbers per dataset beside the paper's and CLIP_benchmark's.

    The references (:data:`clip_course.notebook.REFERENCES`) are ViT-B/32 on CIFAR-10 (set
    beside our coarse set) and CIFAR-100 (beside the fine set) whatever the profile; every
    row names both datasets, so a ShapesWorld number is never read as a CIFAR one.
    """
    from clip_course.notebook import REFERENCE_MODEL, REFERENCES

    ref_ds = {coarse: "cifar10", fine: "cifar100"}
    rows = []

    def add(quantity: str, ds: str, ours: float | None, task: str, metric: str) -> None:
        refs = REFERENCES[ref_ds[ds]][task]
        rows.append({
            "quantity": quantity, "dataset": ds, "ours": ours,
            "paper": refs.get("paper", {}).get(metric),
            "clip_benchmark": refs.get("CLIP_benchmark", {}).get(metric),
            "reference_dataset": ref_ds[ds], "reference_model": REFERENCE_MODEL,
            "profile": profile, "model": model,
        })

    for ds in (coarse, fine):
        add("zero-shot top-1", ds, zeroshot_top1.get(ds), "zeroshot", "top1")
        if zeroshot_top5 is not None:
            add("zero-shot top-5", ds, zeroshot_top5.get(ds), "zeroshot", "top5")
        add("linear probe top-1", ds, probe_top1.get(ds), "probe", "top1")
    return rows


COMPARISON_COLUMNS = {
    "quantity": "quantity", "dataset": "our dataset", "ours": "ours",
    "reference_dataset": "reference dataset", "paper": "paper", "clip_benchmark": "CLIP_benchmark",
}


def comparison_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The comparison table as Markdown (ours, then the references with their dataset)."""
    from clip_course.notebook import markdown_table

    return markdown_table(list(COMPARISON_COLUMNS.values()),
                          [[r.get(k) for k in COMPARISON_COLUMNS] for r in rows])
