"""Per-image predictions as a table: image id, true label, the top-k labels and their probabilities.

``zeroshot --predictions`` and ``probe --predictions`` write these (which images failed, not only the
totals), and ``predict --out`` writes its rankings in the same two formats: CSV (one row per image,
``label_1, probability_1, ...``) or JSON (a list of objects), chosen by the file's suffix.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from clip_course.io import atomic_write_bytes, write_json

__all__ = ["softmax", "to_csv", "topk_rows", "write"]


def softmax(logits: npt.ArrayLike) -> np.ndarray:
    """Row-wise softmax of (N, C) logits, in float64 (stable: the row maximum is subtracted)."""
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def topk_rows(probabilities: npt.ArrayLike, true_labels: Sequence[str], classes: Sequence[str],
              ids: Sequence[str | int],
              k: int = 5) -> list[dict[str, Any]]:
    """One row per image: ``id``, ``true_label``, ``correct`` (top-1) and ``top_k``:
    ``[{"label", "probability"}, ...]``, most probable first (``k`` capped at the number of classes).
    ``probabilities`` is (N, C) over ``classes``; ``true_labels`` are class names."""
    probs = np.asarray(probabilities, dtype=np.float64)
    k = min(k, probs.shape[1])
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    rows = []
    for i, (image_id, true) in enumerate(zip(ids, true_labels, strict=True)):
        top = [{"label": classes[j], "probability": float(probs[i, j])} for j in order[i]]
        rows.append({"id": image_id, "true_label": true, "correct": classes[order[i, 0]] == true, "top_k": top})
    return rows


def _ranked(row: Mapping[str, object]) -> list[Mapping[str, object]]:
    """A row's ranked list (``top_k``)."""
    top = row["top_k"]
    if not isinstance(top, list):
        raise TypeError(f"a prediction row's top_k is a list, not {type(top).__name__}")
    return top


def to_csv(rows: Sequence[Mapping[str, object]]) -> str:
    """Rows as CSV: the scalar keys, then ``label_1, probability_1, ...`` for the ranked list."""
    if not rows:
        return ""
    scalar = [key for key in rows[0] if key != "top_k"]
    k = max(len(_ranked(r)) for r in rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(scalar + [f"{name}_{j + 1}" for j in range(k) for name in ("label", "probability")])
    for r in rows:
        ranked = [v for t in _ranked(r) for v in (t["label"], f"{t['probability']:.6f}")]
        writer.writerow([r[key] for key in scalar] + ranked)
    return out.getvalue()


def write(path: str | os.PathLike, rows: Sequence[Mapping[str, object]],
          meta: Mapping[str, object] | None = None) -> None:
    """Write ``rows`` atomically: CSV for a ``.csv`` path, else JSON (``{**meta, "rows": rows}``)."""
    if Path(path).suffix.lower() == ".csv":
        atomic_write_bytes(path, to_csv(rows).encode("utf-8"))
    else:
        write_json(path, {**(meta or {}), "rows": list(rows)})
