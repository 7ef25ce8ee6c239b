"""The results schema: every results file the notebooks write and the report reads.

One spec per notebook (``results/<stem>.json``). A spec names the keys a file must hold,
their types and, for accuracies, the unit: **every accuracy is a percentage (0-100)**. Files may
hold more keys than the spec lists (figures' raw data, parameters); what the spec lists is what
the report and other notebooks rely on, so it is checked when a file is written
(:func:`write_results`) and when it is read (:func:`read_results`), and a missing key or a wrong
type is refused with a :class:`ResultsSchemaError` naming the file and the key.

Where two numbers measure the same quantity on different tasks, the schema says which task:
``n_way`` is the number of candidate classes an accuracy was scored over, ``n_images`` the test
images. For example ShapesWorld's ``shapes100`` has 100 candidate classes in notebook 03 but 90 in
notebook 04 (the probe cannot learn the 10 colour-shape pairs held out of training).

A number in the report is cited by its *source*: ``"<stem>:<dotted.path>"``, e.g.
``"03_cifar_zero_shot:datasets.shapes10.ensemble.top1"`` (see :func:`lookup`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias, TypeGuard

from clip_course.errors import ClipCourseError
from clip_course.io import read_json, write_json

__all__ = [
    "ACCURACY_CI", "ACROSS_ENTRY", "DATASET", "DIFF", "example", "example_record", "ListOf", "lookup", "MapOf",
    "NUMBER", "Optional", "Path", "PROBE_ENTRY", "PROMPT_ENTRY", "read_results", "results_path", "ResultsSchemaError",
    "SCHEMAS", "Spec", "SWEEP_ENTRY", "TOP", "validate", "write_results", "ZEROSHOT_ENTRY",
]


class ResultsSchemaError(ClipCourseError, ValueError):
    """A results file lacks a key the schema requires, or holds a value of the wrong type."""


@dataclass(frozen=True)
class _Percent:
    """An accuracy in percent, 0-100."""


@dataclass(frozen=True)
class Optional:
    """``spec`` or null."""

    spec: Spec


@dataclass(frozen=True)
class ListOf:
    """A list whose items follow ``spec``."""

    spec: Spec


@dataclass(frozen=True)
class MapOf:
    """A dict from names to values that follow ``spec`` (e.g. one entry per dataset)."""

    spec: Spec


#: A spec: a Python type (``str``, ``int``, ``dict``...), :data:`NUMBER`, one of the classes above,
#: or a dict from keys to specs. Values checked against a spec are JSON values: ``object``.
Spec: TypeAlias = type | tuple[type, ...] | _Percent | Optional | ListOf | MapOf | dict[str, "Spec"]


NUMBER: tuple[type, ...] = (int, float)
TOP: dict[str, Spec] = {"top1": _Percent(), "top5": _Percent()}
DIFF: dict[str, Spec] = {"diff": NUMBER, "lo": NUMBER, "hi": NUMBER}  # a difference in points with its 95% interval
_MODEL: dict[str, Spec] = {"name": str, "checkpoint_sha256": str}
_HEADER: dict[str, Spec] = {"notebook": str, "profile": str, "profile_reason": str, "model": _MODEL,
                            "environment": dict}
DATASET: dict[str, Spec] = {"name": str, "split": str, "size": int, "classes": int, "fingerprint": str}

ZEROSHOT_ENTRY: dict[str, Spec] = {
    "role": str, "n_way": int, "n_images": int, "n_classes": int, "classes": ListOf(str),
    "templates": {"single": ListOf(str), "ensemble": ListOf(str)},
    "single": {**TOP, "mean_per_class_recall": _Percent()},
    "ensemble": {**TOP, "mean_per_class_recall": _Percent()},
    "ensemble_gain": DIFF, "per_class_accuracy": MapOf(Optional(_Percent())), "most_confused": list, "dataset": DATASET,
}
PROBE_ENTRY: dict[str, Spec] = {
    "role": str, "n_way": int, "n_train": int, "n_test": int, "n_classes": int,
    "classes_without_training_images": ListOf(str),
    "probe": {**TOP, "C": NUMBER, "val_top1": _Percent()},
    "zeroshot": TOP, "probe_minus_zeroshot": DIFF,
    "kshot": MapOf({"mean": _Percent(), "std": NUMBER}),
    "crossover_k": Optional(NUMBER),
    "sweep": ListOf({"C": NUMBER, "val_top1": _Percent()}),
    "train": {"dataset": DATASET}, "test": {"dataset": DATASET},
}
PROMPT_ENTRY: dict[str, Spec] = {
    "bare": _Percent(), "single": _Percent(), "ensemble": _Percent(), "ensemble_gain_points": NUMBER,
    "templates": list, "n_images": int, "n_way": int,
}
_ROBUSTNESS_SUMMARY: dict[str, Spec] = {"dataset": str, "n_images": int,
                                        "mean_drop_points": {"zeroshot": NUMBER, "probe": NUMBER},
                      "degradation": {**DIFF, "cells": int}}
_RETRIEVAL_ENTRY: dict[str, Spec] = {"recall@1": _Percent(), "recall@5": _Percent(), "recall@10": _Percent(),
                   "n_queries": int, "n_images": int}

ACCURACY_CI: dict[str, Spec] = {**TOP, "lo": NUMBER, "hi": NUMBER}  # with its 95% Wilson interval
ACROSS_ENTRY: dict[str, Spec] = {
    "family": str, "source": str, "n_way": int, "n_train": int, "n_test": int,
    "zeroshot": ACCURACY_CI, "probe": {**ACCURACY_CI, "C": NUMBER}, "zeroshot_minus_probe": DIFF,
    "benchmark": Optional({"acc1": _Percent(), "source": str}),
    "train": {"dataset": DATASET}, "test": {"dataset": DATASET},
}
SWEEP_ENTRY: dict[str, Spec] = {"model": str, "checkpoint_sha256": str, "openai_weights": bool, "profile": str,
                                "parameters": int,
               "images_per_s": NUMBER, "device": str, "threads": int, "zeroshot_top1": MapOf(_Percent()),
               "mean_zeroshot_top1": _Percent()}

#: One spec per notebook stem.
SCHEMAS: dict[str, dict[str, Spec]] = {
    "01_intro": {**_HEADER, "similarity": {"diagonal_mean": NUMBER, "off_diagonal_mean": NUMBER,
                                          "batch_top1": _Percent(), "batch_size": int}},
    "02_single_image": {**_HEADER, "images": MapOf(ListOf({"prompt": str, "probability": _Percent()}))},
    "03_cifar_zero_shot": {**_HEADER, "datasets": MapOf(ZEROSHOT_ENTRY), "conclusion": str,
                           "granularity": {**DIFF, "verdict": str}, "params": {"limit": Optional(int), "seed": int}},
    "04_linear_probe": {**_HEADER, "datasets": MapOf(PROBE_ENTRY), "crossover": MapOf(str),
                        "params": {"limit_train": Optional(int), "limit": Optional(int), "seed": int}},
    "05_styleclip": {**_HEADER, "edits": ListOf({"prompt": str, "similarity_before": NUMBER,
                                                "similarity_after": NUMBER, "steps": int})},
    "06_analysis": {**_HEADER, "prompts": MapOf(PROMPT_ENTRY), "robustness_summary": _ROBUSTNESS_SUMMARY,
                    "retrieval": {"by_dataset": MapOf(_RETRIEVAL_ENTRY)}},
    "07_zero_shot_across_datasets": {**_HEADER, "datasets": MapOf(ACROSS_ENTRY), "missing": MapOf(str),
                                     "family_gaps": MapOf({**DIFF, "n_datasets": int}),
                                     "verdict_counts": {"ahead": int, "behind": int, "tied": int},
                                     "paper_contrast": Optional({**DIFF, "against": str}),
                                     "sweep": MapOf(SWEEP_ENTRY),
                                     "params": {"limit": Optional(int), "limit_train": Optional(int), "seed": int}},
}


def _type_name(spec: Spec) -> str:
    if isinstance(spec, tuple):
        return "a number"
    if isinstance(spec, _Percent):
        return "a percentage (0-100)"
    names: dict[object, str] = {str: "a string", int: "an integer", float: "a number", dict: "an object",
                                list: "a list"}
    return names.get(spec, getattr(spec, "__name__", str(spec)))


def _check(value: object, spec: Spec, key: str, where: str) -> None:
    """Raise for the first place ``value`` departs from ``spec``; ``key`` is the dotted path so far."""
    if isinstance(spec, Optional):
        if value is not None:
            _check(value, spec.spec, key, where)
        return
    if isinstance(spec, dict):
        if not isinstance(value, Mapping):
            raise ResultsSchemaError(f"{where}: key {key!r} must be an object, got {type(value).__name__}.")
        for k, sub in spec.items():
            path = f"{key}.{k}" if key else k
            if k not in value:
                raise ResultsSchemaError(f"{where}: missing key {path!r} (see clip_course/report/schema.py).")
            _check(value[k], sub, path, where)
        return
    if isinstance(spec, (ListOf, MapOf)):
        container = list if isinstance(spec, ListOf) else Mapping
        if not isinstance(value, container):
            kind = "a list" if isinstance(spec, ListOf) else "an object"
            raise ResultsSchemaError(f"{where}: key {key!r} must be {kind}, got {type(value).__name__}.")
        items: Iterable[tuple[object, object]] = enumerate(value) if isinstance(value, list) else value.items()
        for i, v in items:
            _check(v, spec.spec, f"{key}.{i}", where)
        return
    ok = _is_number(value) and 0.0 <= float(value) <= 100.0 if isinstance(spec, _Percent) else (
        _is_number(value) if spec in (NUMBER, float) else isinstance(value, spec) and not (
            spec is int and isinstance(value, bool)))
    if not ok:
        raise ResultsSchemaError(f"{where}: key {key!r} must be {_type_name(spec)}, got {value!r:.60}.")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def validate(stem: str, record: object, where: str | os.PathLike | None = None) -> None:
    """Check ``record`` against the spec of notebook ``stem``; raise naming the file and key."""
    if stem not in SCHEMAS:
        raise ResultsSchemaError(f"No results schema for {stem!r}; known: {sorted(SCHEMAS)}.")
    _check(record, SCHEMAS[stem], "", str(where or f"results/{stem}.json"))


def results_path(root: str | os.PathLike, stem: str) -> Path:
    """``<root>/results/<stem>.json``."""
    return Path(root) / "results" / f"{stem}.json"


def write_results(path: str | os.PathLike, stem: str, record: Mapping[str, object]) -> Path:
    """Validate, then write atomically: an invalid record never reaches the disk."""
    validate(stem, dict(record), path)
    write_json(path, dict(record))
    return Path(path)


def read_results(path: str | os.PathLike, stem: str) -> dict[str, Any]:
    """Read and validate one results file."""
    try:
        data = read_json(path)
    except (OSError, ValueError) as err:
        raise ResultsSchemaError(f"{path}: cannot be read as JSON ({err}); rerun notebook {stem}.") from None
    validate(stem, data, path)
    return data


def lookup(results: Mapping[str, Mapping[str, object]], source: str) -> Any:
    """The value a source names: ``"<stem>:<dotted.path>"`` in ``{stem: record}``.

    Path parts are dict keys (dataset names may hold dots? they do not: names are
    ``[a-z0-9_+@]``) or list indices.
    """
    stem, _, path = source.partition(":")
    obj: Any = results[stem]
    for part in path.split("."):
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    return obj


def example(spec: Spec) -> Any:
    """The smallest value that satisfies ``spec`` (tests and fixture notebooks build records from it)."""
    if isinstance(spec, dict):
        return {k: example(v) for k, v in spec.items()}
    if isinstance(spec, Optional):
        return None
    if isinstance(spec, ListOf):
        return []
    if isinstance(spec, MapOf):
        return {}
    if isinstance(spec, _Percent):
        return 50.0
    return ({str: "", int: 1, float: 0.0, bool: False, dict: {}, list: []}.get(spec, 0.0)
            if not isinstance(spec, tuple) else 0.0)


def example_record(stem: str, **fields: object) -> dict[str, Any]:
    """A valid record for notebook ``stem`` with ``fields`` set (validated)."""
    record = {**example(SCHEMAS[stem]), "notebook": stem, **fields}
    validate(stem, record)
    return record
