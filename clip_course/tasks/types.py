"""What tasks read of a notebook's session, and the results entries they build.

Tasks sit below the notebook facade (:mod:`clip_course.notebook`), so they name the session by the
:class:`SessionLike` protocol; :class:`clip_course.notebook.session.Session` satisfies it (tests check).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, TypedDict

import numpy as np

from clip_course.core.types import FeatureMatrix, Features, Labels, LoadedModelLike

__all__ = [
    "AccuracyCI", "AcrossEntry", "ClassMetrics", "DatasetRecord", "Diff", "FeatureMatrix", "Features", "KShotRow",
    "Labels", "LoadedModelLike", "OutputsLike", "Predictor", "ProbeEntry", "ProbeResults", "ProfileLike", "PromptEntry",
    "RobustnessEntry", "SessionLike", "SweepEntry", "Top", "ZeroShotEntry", "ZeroShotResults",
]


class ProfileLike(Protocol):
    """A run's profile (:class:`clip_course.data.profiles.Profile`): its name and datasets."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def coarse(self) -> str: ...

    @property
    def fine(self) -> str: ...

    @property
    def reason(self) -> str: ...


class OutputsLike(Protocol):
    """Where a notebook writes (:class:`clip_course.notebook.session.Outputs`)."""

    @property
    def stem(self) -> str: ...

    @property
    def root(self) -> Path: ...


class SessionLike(Protocol):
    """What a notebook's session gives tasks: the model, the random seed, the profile, earlier results."""

    @property
    def notebook(self) -> str: ...

    @property
    def profile(self) -> ProfileLike: ...

    @property
    def lm(self) -> LoadedModelLike: ...

    @property
    def out(self) -> OutputsLike: ...

    @property
    def seed(self) -> int: ...

    def earlier(self, stem: str) -> dict[str, Any]: ...


class Predictor(Protocol):
    """A fitted classifier that predicts class indices (:class:`clip_course.tasks.logreg.LinearProbe`)."""

    def predict(self, X: FeatureMatrix) -> np.ndarray: ...


# ------------------------------------------------------------------ results entries
# The shapes of the results entries tasks build and read. Each mirrors a spec of
# clip_course/report/schema.py key for key (tests/test_types.py checks them against it); keys a
# task adds beyond the spec sit in a ``total=False`` subclass. Percentages are floats (0-100).


class Diff(TypedDict):
    """A difference in points with its 95% interval (schema.DIFF)."""

    diff: float
    lo: float
    hi: float


class DatasetRecord(TypedDict):
    """A dataset's identity in results (schema.DATASET)."""

    name: str
    split: str
    size: int
    classes: int
    fingerprint: str


class _Split(TypedDict):
    dataset: DatasetRecord


class Top(TypedDict):
    """Top-1 and top-5 accuracy (%) (schema.TOP)."""

    top1: float
    top5: float


class _TopRecall(Top):
    mean_per_class_recall: float


class _Templates(TypedDict):
    single: list[str]
    ensemble: list[str]


class _ZeroShotEntry(TypedDict):
    role: str
    n_way: int
    n_images: int
    n_classes: int
    classes: list[str]
    templates: _Templates
    single: _TopRecall
    ensemble: _TopRecall
    ensemble_gain: Diff
    per_class_accuracy: dict[str, float | None]
    most_confused: list[Any]
    dataset: DatasetRecord


class ZeroShotEntry(_ZeroShotEntry, total=False):
    """One dataset of notebook 03 (schema.ZEROSHOT_ENTRY), plus its confusion matrix."""

    fingerprint: str
    confusion: list[list[int]]


class _ProbeScores(Top):
    C: float
    val_top1: float


class _ProbeScoresMore(_ProbeScores, total=False):
    mean_per_class_recall: float


class _KShotPoint(TypedDict):
    mean: float
    std: float


class _SweepPoint(TypedDict):
    C: float
    val_top1: float


class ProbeEntry(TypedDict):
    """One dataset of notebook 04 (schema.PROBE_ENTRY)."""

    role: str
    n_way: int
    n_train: int
    n_test: int
    n_classes: int
    classes_without_training_images: list[str]
    probe: _ProbeScoresMore
    zeroshot: Top
    probe_minus_zeroshot: Diff
    kshot: dict[str, _KShotPoint]
    crossover_k: float | None
    sweep: list[_SweepPoint]
    train: _Split
    test: _Split


class _AccuracyCI(Top):
    lo: float
    hi: float


class AccuracyCI(_AccuracyCI, total=False):
    """An accuracy with its 95% Wilson interval (schema.ACCURACY_CI), and what else was measured."""

    mean_per_class_recall: float
    C: float


class _ProbeCI(_AccuracyCI):
    C: float


class _Benchmark(TypedDict):
    acc1: float
    source: str


class _AcrossEntry(TypedDict):
    family: str
    source: str
    n_way: int
    n_train: int
    n_test: int
    zeroshot: AccuracyCI
    probe: _ProbeCI
    zeroshot_minus_probe: Diff
    benchmark: _Benchmark | None
    train: _Split
    test: _Split


class AcrossEntry(_AcrossEntry, total=False):
    """One dataset of notebook 07 (schema.ACROSS_ENTRY); ``left_out``: classes without training images."""

    left_out: list[str]


class SweepEntry(TypedDict):
    """One model of notebook 07's sweep (schema.SWEEP_ENTRY)."""

    model: str
    checkpoint_sha256: str
    openai_weights: bool
    profile: str
    parameters: int
    images_per_s: float
    device: str
    threads: int
    zeroshot_top1: dict[str, float]
    mean_zeroshot_top1: float


class PromptEntry(TypedDict):
    """One dataset of notebook 06's prompt study (schema.PROMPT_ENTRY)."""

    bare: float
    single: float
    ensemble: float
    ensemble_gain_points: float
    templates: list[str]
    n_images: int
    n_way: int


class _ZeroShotDatasets(TypedDict):
    datasets: dict[str, ZeroShotEntry]


class ZeroShotResults(_ZeroShotDatasets, total=False):
    """The part of notebook 03's results other notebooks read: its datasets."""

    notebook: str


class _ProbeDatasets(TypedDict):
    datasets: dict[str, ProbeEntry]


class ProbeResults(_ProbeDatasets, total=False):
    """The part of notebook 04's results other notebooks read: its datasets (and the notebook's name)."""

    notebook: str


class _Pair(TypedDict):
    zeroshot: float
    probe: float


class RobustnessEntry(TypedDict):
    """One corruption of notebook 06's robustness study (:func:`clip_course.tasks.studies.robustness_entry`)."""

    severities: list[int]
    zeroshot: list[float]
    probe: list[float]
    mean_relative_drop: _Pair
    mean_drop_points: _Pair


class ClassMetrics(TypedDict):
    """Top-1, per-class accuracy and confusion of one classifier on one set."""

    top1: float
    per_class_accuracy: dict[str, float | None]
    confusion: list[list[int]] | np.ndarray


class KShotRow(TypedDict):
    """One row of :func:`clip_course.tasks.kshot.k_shot`'s ``per_k`` (``k`` None: the full data)."""

    k: int | None
    top1_mean: float
    top1_std: float
