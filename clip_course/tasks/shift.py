"""Effective robustness and a concept captions never state, on the offline world's named sets.

The paper's central robustness finding (its Figures 13-14) is that zero-shot CLIP keeps far more
of its accuracy under a natural distribution shift than a classifier fitted to the training
distribution. ShapesWorld v2 has such shifts by construction: its labelled sets are drawn in one
style (flat) and ``<set>_<style>`` redraws the same scenes in the others. :func:`style_shift_study`
scores the zero-shot classifier and a probe fitted on flat images on each, and compares the share
of clean accuracy each keeps. :func:`concept_study` sets zero-shot against a probe on a concept
the captions never name (``shapes_count``: how many shapes), where zero-shot should stay near chance.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from clip_course.core.types import Labels
from clip_course.tasks.stats import independent_difference, sign, wilson
from clip_course.tasks.types import Predictor
from clip_course.tasks.zeroshot import Classifier

__all__ = ["concept_study", "correct", "style_shift_study"]


def correct(probe: Predictor, zs: Classifier, features: torch.Tensor, labels: Labels) -> dict[str, np.ndarray]:
    """Per-image correctness of the zero-shot classifier and of the probe."""
    y = np.asarray(labels)
    return {"zeroshot": zs.score(features, y).correct, "probe": np.asarray(probe.predict(features)) == y}


def _share_gap(clean: Mapping[str, np.ndarray], shifted: Mapping[str, np.ndarray], n_boot: int = 1000,
              seed: int = 0) -> dict[str, float]:
    """Share of clean accuracy kept under the shift, zero-shot minus probe, with a bootstrap 95%
    interval (clean and shifted images resampled independently; both classifiers paired on each)."""
    rng = np.random.default_rng(seed)

    def gap(ci: np.ndarray, si: np.ndarray) -> float:
        kept = {m: shifted[m][si].mean() / max(clean[m][ci].mean(), 1e-9) for m in ("zeroshot", "probe")}
        return float(kept["zeroshot"] - kept["probe"])

    nc, ns = len(clean["zeroshot"]), len(shifted["zeroshot"])
    boots = [gap(rng.integers(0, nc, nc), rng.integers(0, ns, ns)) for _ in range(n_boot)]
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return {"diff": gap(np.arange(nc), np.arange(ns)), "lo": float(lo), "hi": float(hi)}


def style_shift_study(probe: Predictor, zs: Classifier, clean: tuple[torch.Tensor, Labels],
                      shifted: Mapping[str, tuple[torch.Tensor, Labels]], seed: int = 0) -> dict[str, Any]:
    """Each shifted set: zero-shot and probe top-1 (%), the share of clean accuracy each keeps,
    and the zero-shot minus probe share with its interval. ``clean`` and each ``shifted`` value
    are (normalised features, labels)."""
    base = correct(probe, zs, *clean)
    out: dict[str, Any] = {"clean": {m: 100.0 * float(v.mean()) for m, v in base.items()},
                           "n_clean": len(base["zeroshot"]), "sets": {}}
    for name, (feats, labels) in shifted.items():
        c = correct(probe, zs, feats, labels)
        top1 = {m: 100.0 * float(v.mean()) for m, v in c.items()}
        out["sets"][name] = {"top1": top1, "n_images": len(c["zeroshot"]),
                             "kept": {m: top1[m] / max(out["clean"][m], 1e-9) for m in top1},
                             "kept_gap": _share_gap(base, c, seed=seed)}
    out["zeroshot_more_robust"] = sum(sign(s["kept_gap"]["lo"], s["kept_gap"]["hi"]) > 0 for s in out["sets"].values())
    return out


def concept_study(zeroshot_top1: float, probe_top1: float, n_images: int, n_classes: int) -> dict[str, Any]:
    """Zero-shot and probe on one concept: their Wilson intervals, chance, and probe minus zero-shot."""
    d, lo, hi = independent_difference(probe_top1, n_images, zeroshot_top1, n_images)
    return {"zeroshot": zeroshot_top1, "probe": probe_top1, "n_images": n_images, "chance": 100.0 / n_classes,
            "zeroshot_ci": list(wilson(zeroshot_top1, n_images)), "probe_ci": list(wilson(probe_top1, n_images)),
            "probe_minus_zeroshot": {"diff": d, "lo": lo, "hi": hi}}
