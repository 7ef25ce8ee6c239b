"""Notebook 07's study: where zero-shot works and where it fails, dataset by dataset.

The CLIP paper's Figure 5 sets zero-shot CLIP against a fully supervised linear probe on each
dataset and finds zero-shot ahead on everyday-object sets and behind on specialised, abstract or
synthetic ones. Here, per dataset: zero-shot with the dataset's template ensemble and a full-data
linear probe (the paper's protocol, :mod:`clip_course.tasks.probe`) on the same test images, with
Wilson intervals for each accuracy and a paired bootstrap interval for their difference.

The probe is trained on the same CLIP's features, not on a ResNet-50's as in Figure 5: it is the
stronger baseline, so the differences here are lower bounds of Figure 5's. Each dataset belongs to
a *family* (objects, fine-grained, style-shifted, specialised, counting) that the report's
sentences group by.

A model sweep (:func:`sweep_entry`) adds, per model, zero-shot accuracy, parameters and measured
images/s; entries are keyed by model so that sweeps of several runs add up (:func:`merge_sweep`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from time import perf_counter
from typing import TYPE_CHECKING, Any, TypedDict, cast

import numpy as np

from clip_course.core import prompts
from clip_course.core.encode import encode_images
from clip_course.core.feature_cache import image_features
from clip_course.core.models import checkpoint_origin, is_published_checkpoint
from clip_course.core.types import LoadedModelLike
from clip_course.data import catalog
from clip_course.data import torchvision_sets as tv
from clip_course.data.dataset import ImageDataset
from clip_course.data.naming import session_model_name
from clip_course.errors import ClipCourseError, NotebookError
from clip_course.io import status
from clip_course.tasks import zeroshot
from clip_course.tasks.entries import probe_entry
from clip_course.tasks.stats import sign, wilson
from clip_course.tasks.types import (
    AcrossEntry,
    Diff,
    ProbeEntry,
    ProbeResults,
    SessionLike,
    SweepEntry,
    Top,
)
from clip_course.tasks.zeroshot import published_figure

if TYPE_CHECKING:  # Unpack is in typing from Python 3.11 only
    from typing_extensions import Unpack

__all__ = [
    "default_datasets", "earlier_probe", "family", "family_gaps", "family_summary", "images_per_second", "measure",
    "merge_sweep", "openai_weights", "paper_contrast", "published_checkpoint", "published_zeroshot", "reuse_or_measure",
    "Sequence", "split_present", "sweep_models", "verdict_counts", "wilson", "with_intervals", "zeroshot_top1",
]

#: The offline world's sets, by family: objects (CIFAR-10-like), fine-grained (CIFAR-100-like),
#: the same shapes drawn in other styles, and counting (CLEVR counting's role in Figure 5).
_OFFLINE_FAMILIES = {
    "shapes10": "objects", "shapes100": "fine-grained",
    "shapes10_outline": "style-shifted", "shapes10_sketch": "style-shifted",
    "shapes10_photo": "style-shifted", "shapes10_cartoon": "style-shifted",
    "shapes_count": "counting",
}
#: The paper profile's sets (torchvision's, :mod:`clip_course.data.catalog`), by the family the
#: paper's Figure 5 discussion puts them in.
_PAPER_FAMILIES = {
    "cifar10": "objects", "cifar100": "objects", "stl10": "objects",
    "food101": "fine-grained", "pets": "fine-grained", "flowers": "fine-grained", "fgvc_aircraft": "fine-grained",
    "cars": "fine-grained",
    "eurosat": "specialised", "dtd": "specialised", "gtsrb": "specialised", "country211": "specialised",
    "mnist": "abstract or synthetic", "svhn": "abstract or synthetic", "fashion_mnist": "abstract or synthetic",
    "kmnist": "abstract or synthetic", "renderedsst2": "abstract or synthetic",
}
FAMILY_ORDER = ("objects", "fine-grained", "style-shifted", "specialised", "abstract or synthetic", "counting",
                "other")


def family(dataset: str) -> str:
    """The family a dataset belongs to ("other" for a folder or an unlisted set)."""
    return {**_OFFLINE_FAMILIES, **_PAPER_FAMILIES}.get(dataset, "other")


def default_datasets(offline: bool) -> list[str]:
    """The datasets notebook 07 measures by default in a profile."""
    return list(_OFFLINE_FAMILIES if offline else _PAPER_FAMILIES)


def _by_family(entries: Mapping[str, object]) -> dict[str, list[str]]:
    """Dataset names grouped by family, families in :data:`FAMILY_ORDER`."""
    groups: dict[str, list[str]] = {}
    for name in entries:
        groups.setdefault(family(name), []).append(name)
    return {f: groups[f] for f in FAMILY_ORDER if f in groups}


def with_intervals(name: str, entry: ProbeEntry, source: str) -> dict[str, Any]:
    """A probe entry (:func:`clip_course.notebook.probe_entry`) as notebook 07 stores it.

    Adds Wilson intervals to both accuracies and turns ``probe_minus_zeroshot`` into Figure 5's
    sign: ``zeroshot_minus_probe`` (positive where zero-shot wins). ``source`` names the notebook
    that measured it (07 itself, or 04 for the datasets it already measured in this build).
    """
    n = int(entry["n_test"])
    zs, pr, d = entry["zeroshot"], entry["probe"], entry["probe_minus_zeroshot"]

    def with_ci(acc: Top, keys: tuple[str, ...]) -> dict[str, Any]:
        lo, hi = wilson(acc["top1"], n)
        measured = dict(acc)
        return {**{k: measured[k] for k in keys if k in measured}, "lo": lo, "hi": hi}

    return {
        "family": family(name), "source": source, "n_way": entry["n_way"], "n_train": entry["n_train"],
        "n_test": n, "left_out": list(entry["classes_without_training_images"]),
        "zeroshot": with_ci(zs, ("top1", "top5", "mean_per_class_recall")),
        "probe": with_ci(pr, ("top1", "top5", "C")),
        "zeroshot_minus_probe": {"diff": -d["diff"], "lo": -d["hi"], "hi": -d["lo"]},
        "train": entry["train"], "test": entry["test"],
    }


def verdict_counts(entries: Mapping[str, AcrossEntry]) -> dict[str, int]:
    """Over all datasets: how many have zero-shot ahead of the probe, behind, or no detectable difference."""
    per = family_summary(entries).values()
    return {k: sum(f[k] for f in per) for k in ("ahead", "behind", "tied")}


def family_summary(entries: Mapping[str, AcrossEntry]) -> dict[str, dict[str, Any]]:
    """Per family: its datasets, how many have zero-shot ahead / behind / no detectable difference."""
    out = {}
    for fam, names in _by_family(entries).items():
        signs = [sign(entries[n]["zeroshot_minus_probe"]["lo"], entries[n]["zeroshot_minus_probe"]["hi"])
                 for n in names]
        out[fam] = {"datasets": names, "ahead": signs.count(1), "behind": signs.count(-1), "tied": signs.count(0)}
    return out


class _MeasureSizes(TypedDict):
    """The sizes :func:`measure` takes after the dataset's name (notebook 07 passes them on as ``**sizes``)."""

    limit: int | None
    limit_train: int | None
    grid_steps: int
    max_iter: int
    batch_size: int
    cache_dir: str | None


def measure(session: SessionLike, name: str, limit: int | None, limit_train: int | None, grid_steps: int,
            max_iter: int, batch_size: int, cache_dir: str | None) -> dict[str, Any]:
    """Zero-shot (ensemble) and the full-data probe on dataset ``name``, as :func:`with_intervals` stores it."""

    train = catalog.load_dataset(name, "train", limit=limit_train, seed=session.seed)
    test = catalog.load_dataset(name, "test", limit=limit, seed=session.seed)
    entry = probe_entry(session, train, test, family(name), ks=(), grid_steps=grid_steps, max_iter=max_iter,
                           batch_size=batch_size, cache_dir=cache_dir)
    # probe_entry builds notebook 04's entry, which the schema checks when 04 writes it
    return with_intervals(name, cast(ProbeEntry, entry), session.notebook)


def reuse_or_measure(session: SessionLike, name: str, earlier: ProbeResults | None,
                     **sizes: Unpack[_MeasureSizes]) -> dict[str, Any]:
    """Notebook 04's entry for ``name`` when this build's 04 measured it (one source per number), else
    :func:`measure`."""
    if earlier and name in earlier.get("datasets", {}):
        return with_intervals(name, earlier["datasets"][name], earlier["notebook"])
    return measure(session, name, **sizes)


def earlier_probe(session: SessionLike) -> dict[str, Any] | None:
    """Notebook 04's results of this build (same profile and checkpoint), or None when it has none."""
    try:
        return session.earlier("04_linear_probe")
    except NotebookError as err:
        status(f"measuring every dataset here: {err}")
        return None


def split_present(names: Sequence[str], root: str = "data", fetch: bool = False) -> tuple[list[str], dict[str, str]]:
    """The datasets that can be loaded, and for the others the one line saying how to get them.

    With ``fetch``, a torchvision dataset that is not on disk is downloaded first (needs internet).
    """
    from clip_course.data.download import ensure_dataset

    present, missing = [], {}
    for name in names:
        torchvision_set = tv.is_torchvision_set(name)
        try:
            if torchvision_set and fetch:
                ensure_dataset(name, root)
            # A torchvision set's presence is a file check (loading reads the whole set); for the others,
            # and for a missing one, loading one image raises the line naming what is missing and the fix.
            if not (torchvision_set and tv.present(name, root)):
                catalog.load_dataset(name, "test", root=root, limit=1)
            present.append(tv.canonical(name))
        except ClipCourseError as err:
            missing[name] = str(err)
    return present, missing


def openai_weights(lm: LoadedModelLike) -> bool:
    """Whether ``lm`` holds openai's released weights (their file, or a verified hub conversion of it),
    as :func:`clip_course.data.naming.model_name` decides from the checkpoint's sha256."""
    return session_model_name(lm).openai


def published_checkpoint(lm: LoadedModelLike) -> bool:
    """Whether ``lm``'s file is the one published figures measured (openai's, or the hub's for an open_clip tag)."""
    return is_published_checkpoint(checkpoint_origin(lm.name, lm.checkpoint, lm.checkpoint_sha256))


def published_zeroshot(lm: LoadedModelLike, dataset: str) -> dict[str, Any] | None:
    """CLIP_benchmark's zero-shot figure for this model and tag on ``dataset``, only for the weights it
    measured: openai's released file (or this machine's hub conversion of it), or an open_clip tag's
    file whose sha256 is the one the hub published."""
    return published_figure(lm, dataset)


# ----------------------------------------------------------------------------- model sweep


def images_per_second(lm: LoadedModelLike, images: np.ndarray, batch_size: int = 256, repeats: int = 2) -> float:
    """Measured encoding rate of ``lm`` on ``images`` (uint8 N x H x W x 3), preprocessing included.

    One warm-up pass first (kernel selection, caches), then the best of ``repeats`` timed passes:
    the best is the least disturbed by other work on the machine.
    """
    import torch

    encode_images(lm, images[: min(len(images), batch_size)], batch_size=batch_size, progress=False)
    best = float("inf")
    for _ in range(repeats):
        if lm.device.type == "cuda":
            torch.cuda.synchronize(lm.device)
        start = perf_counter()
        encode_images(lm, images, batch_size=batch_size, progress=False)
        if lm.device.type == "cuda":
            torch.cuda.synchronize(lm.device)
        best = min(best, perf_counter() - start)
    return len(images) / best


def sweep_entry(lm: LoadedModelLike, zeroshot_top1: Mapping[str, float], rate: float, n_timed: int,
                profile: str) -> dict[str, Any]:
    """One model's row of the sweep: identity, size, speed and zero-shot top-1 per dataset."""
    import torch

    return {
        "model": lm.name, "checkpoint_sha256": lm.checkpoint_sha256,
        "openai_weights": openai_weights(lm), "profile": profile,
        # the tag, and whether the file is the one CLIP_benchmark's published figures measured
        "pretrained": getattr(lm, "pretrained", None), "training_data": getattr(lm, "training_data", None),
        "checkpoint_published": published_checkpoint(lm),
        "parameters": int(sum(p.numel() for p in lm.model.parameters())),
        "images_per_s": float(rate), "n_timed": int(n_timed), "device": str(lm.device),
        "threads": int(torch.get_num_threads()),
        "zeroshot_top1": {k: float(v) for k, v in zeroshot_top1.items()},
        "mean_zeroshot_top1": float(np.mean(list(zeroshot_top1.values()))) if zeroshot_top1 else float("nan"),
    }


def zeroshot_top1(lm: LoadedModelLike, dataset: ImageDataset, left_out: Sequence[str], batch_size: int,
                  cache_dir: str | None,
                  templates: Sequence[str] | None = None) -> float:
    """Zero-shot top-1 (%) of ``lm`` on ``dataset`` with its template ensemble, on the probe's task.

    The classes in ``left_out`` (no training images) and their test images are dropped, as the
    entries of :func:`with_intervals` score it, so every model of a sweep is scored on one task.
    ``templates`` replaces the ensemble (notebook 03's ``templates`` parameter).
    """
    feats = image_features(lm, dataset, normalize=True, cache_dir=cache_dir, batch_size=batch_size, progress=False)
    kept = [c for c in dataset.classes if c not in set(left_out)]
    tmpl = prompts.templates(list(templates) if templates else "ensemble", dataset.name)
    return zeroshot.score(lm, feats, dataset.labels, dataset.classes, tmpl, keep=kept).top1


def sweep_models(session: SessionLike, models: Sequence[str], entries: Mapping[str, AcrossEntry],
                 load_test: Callable[[str], ImageDataset], timed_images: int, batch_size: int, cache_dir: str | None,
                 templates: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """One :func:`sweep_entry` per model over the datasets of ``entries``.

    The session's own model reads its top-1 from ``entries`` (measured once); another model is
    scored by :func:`zeroshot_top1` on the test set ``load_test(name)`` gives, loaded only then.
    Speed is timed on the first ``timed_images`` test images of the first dataset, on the
    session's device.
    """
    from functools import cache

    from clip_course.core.models import load

    test = cache(load_test)
    names = list(entries)
    timed = np.asarray(test(names[0]).images[:timed_images])
    out = {}
    for name in models:
        lm = session.lm if name == session.lm.name else load(name, device=session.lm.device)
        status(f"sweep: {name}: timing {len(timed)} images, zero-shot on {len(names)} datasets")
        top1 = {n: entries[n]["zeroshot"]["top1"] for n in names} if lm is session.lm else {
            n: zeroshot_top1(lm, test(n), entries[n]["left_out"], batch_size, cache_dir, templates) for n in names}
        rate = images_per_second(lm, timed, batch_size=batch_size)
        out[name] = sweep_entry(lm, top1, rate, len(timed), session.profile.name)
    return out


def merge_sweep(previous: Mapping[str, SweepEntry] | None, current: Mapping[str, SweepEntry],
                datasets: Sequence[str], profile: str) -> dict[str, dict[str, Any]]:
    """This run's sweep entries over an earlier run's, keyed by model.

    An earlier entry is kept only when it measured the same datasets in the same profile (its
    numbers are then comparable with this run's); this run's entries replace earlier ones of the
    same model.
    """
    kept = {m: dict(e) for m, e in (previous or {}).items()
            if e.get("profile") == profile and sorted(e.get("zeroshot_top1", {})) == sorted(datasets)}
    return {**kept, **{m: dict(e) for m, e in current.items()}}


# ----------------------------------------------------------------------------- families against each other


def _se(d: Mapping[str, float] | Diff) -> float:
    """Standard error read back from a 95% interval (normal approximation)."""
    return (float(d["hi"]) - float(d["lo"])) / (2 * 1.959964)


def family_gaps(entries: Mapping[str, AcrossEntry]) -> dict[str, dict[str, float]]:
    """Per family: the mean zero-shot-minus-probe gap over its datasets with a 95% interval.

    The datasets are independent test sets, so the mean's standard error combines theirs (each
    read back from its bootstrap interval); a family of one dataset keeps that dataset's interval.
    """
    out = {}
    for fam, names in _by_family(entries).items():
        ds = [entries[n]["zeroshot_minus_probe"] for n in names]
        if len(ds) == 1:  # the dataset's own bootstrap interval, not a normal approximation of it
            out[fam] = {**{k: float(ds[0][k]) for k in ("diff", "lo", "hi")}, "n_datasets": 1}
            continue
        mean = float(np.mean([d["diff"] for d in ds]))
        se = float(np.sqrt(sum(_se(d) ** 2 for d in ds)) / len(ds))
        out[fam] = {"diff": mean, "lo": mean - 1.959964 * se, "hi": mean + 1.959964 * se, "n_datasets": len(ds)}
    return out


def _gap_difference(a: Mapping[str, float], b: Mapping[str, float]) -> dict[str, float]:
    """Family ``a``'s mean gap minus family ``b``'s, with a 95% interval (independent test sets)."""
    d = float(a["diff"]) - float(b["diff"])
    h = 1.959964 * float(np.hypot(_se(a), _se(b)))
    return {"diff": d, "lo": d - h, "hi": d + h}


def paper_contrast(gaps: Mapping[str, Mapping[str, float]]) -> dict[str, Any] | None:
    """The comparison Figure 5 is about: the object sets' gap against the hardest other family's.

    None when the run has no object family or nothing to set against it.
    """
    others = {f: g for f, g in gaps.items() if f not in ("objects", "fine-grained")}
    if "objects" not in gaps or not others:
        return None
    hardest = min(others, key=lambda f: others[f]["diff"])
    return {"against": hardest, **_gap_difference(gaps["objects"], others[hardest])}
