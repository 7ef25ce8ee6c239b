"""``python -m clip_course results``: every results JSON under ``results/`` as one table.

One row per model x dataset x task (and template set, for zero-shot), with CLIP_benchmark's keys
(``model``, ``dataset``, ``task`` = ``zeroshot_classification`` / ``linear_probe``, ``acc1``,
``acc5``, ``mean_per_class_recall``; percent here, fractions there) beside ours (``n_images``,
``n_way``, ``template``: ``ensemble``, ``single``, ``bare`` or ``custom: <the templates>``,
``checkpoint``, ``source`` file). Where CLIP_benchmark publishes the same
model and dataset, its zero-shot figures stand beside ours (``benchmark_*``), for the ensemble
rows of the checkpoints it measured only: the sha256 a result records must be the one openai's
download URL carries (``checkpoint = "openai"``), that of the Hugging Face hub copy this
machine converted from openai's release (``"openai (hub copy)"``), or, for an open_clip tag
(``ViT-B-32:laion2b_s34b_b79k``), the sha256 the hub published for the tag's file
(``"open_clip (hub file)"``, checked when the model was loaded).

Files read (anything else under ``results/`` is skipped, and said so):

- the notebooks' results (:mod:`clip_course.report.schema`): a ``model`` header and ``datasets``
  entries holding ``single`` / ``ensemble`` (zero-shot) or ``probe`` (linear probe) metrics;
  a file keyed by model (``models: {name: {model, datasets}}``) gives one set of rows per model;
- the ``zeroshot`` and ``probe`` commands' ``--out`` records (:func:`clip_course.core.provenance.run_record`);
- any file with ``benchmark_rows``: a list of rows already in this table's keys.

When several files hold the same model, checkpoint, dataset, task, template and N-way, the row with the
most test images is kept (then the newest, by the record's ``environment.created``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from clip_course.core.prompts import templates
from clip_course.data.published import BENCHMARK_SOURCE, benchmark_zeroshot
from clip_course.errors import ClipCourseError

__all__ = ["collect", "custom_name", "to_csv", "to_markdown"]

_COLUMNS = ["model", "dataset", "task", "acc1", "acc5", "mean_per_class_recall", "n_images", "n_way", "template",
           "checkpoint", "benchmark_dataset", "benchmark_acc1", "benchmark_acc5", "benchmark_mean_per_class_recall",
           "source"]
_ZEROSHOT, _PROBE = "zeroshot_classification", "linear_probe"
_ACROSS = "07_zero_shot_across_datasets"
_PERCENT = ("acc1", "acc5", "mean_per_class_recall", "benchmark_acc1", "benchmark_acc5",
            "benchmark_mean_per_class_recall")


class _ResultsTableError(ClipCourseError, ValueError):
    """The results folder cannot be read."""


def _row(model: Mapping, dataset: str | None, task: str, metrics: Mapping, n_images: Any, n_way: Any,
         template: str | None, created: str) -> dict[str, Any]:
    origin = model.get("origin")
    if not isinstance(origin, Mapping):
        origin = {}
    return {"model": model.get("name"), "checkpoint_sha256": model.get("checkpoint_sha256") or "",
            # an open_clip tag's file is the published one when its sha256 was the hub's (checked at run time)
            "checkpoint_published": bool(model.get("checkpoint_published") or origin.get("verified")),
            "dataset": dataset, "task": task, "acc1": metrics.get("top1"), "acc5": metrics.get("top5"),
            "mean_per_class_recall": metrics.get("mean_per_class_recall"), "n_images": n_images, "n_way": n_way,
            "template": template, "created": created}


def custom_name(templates: Any) -> str:
    """A custom template set as the table shows it: ``custom: a photo of a {}. ; a sketch of a {}.``."""
    listed = [str(t) for t in templates] if isinstance(templates, list) else []
    return "custom: " + " ; ".join(listed) if listed else "custom"


def _ensemble_name(entry: Mapping, dataset: str) -> str:
    """"ensemble", or the templates themselves ("custom: ...") when notebook 03 was given its own."""
    used = (entry.get("templates") or {}).get("ensemble")
    return "ensemble" if used is None or used == templates("ensemble", dataset) else custom_name(used)


def _record_template(params: Mapping) -> Any:
    """A ``zeroshot --out`` record's template set: its name, or the templates of a custom one."""
    name = params.get("templates")
    return custom_name(params.get("template_list")) if name == "custom" else name


def _notebook_rows(rec: Mapping, model: Mapping, created: str) -> Iterator[dict[str, Any]]:
    for key, e in (rec.get("datasets") or {}).items():
        if not isinstance(e, Mapping):
            continue
        ds = e.get("dataset") or (e.get("test") or {}).get("dataset") or {}
        name = ds.get("name", key)
        for tset in ("single", "ensemble"):
            if isinstance(e.get(tset), Mapping) and "top1" in e[tset]:
                yield _row(model, name, _ZEROSHOT, e[tset], e.get("n_images"), e.get("n_way"),
                           tset if tset == "single" else _ensemble_name(e, name), created)
        if isinstance(e.get("probe"), Mapping) and "top1" in e["probe"]:
            yield _row(model, name, _PROBE, e["probe"], e.get("n_test"), e.get("n_way"), None, created)
        if rec.get("notebook") == _ACROSS and isinstance(e.get("zeroshot"), Mapping):  # 07: ensemble, probe's task
            yield _row(model, name, _ZEROSHOT, e["zeroshot"], e.get("n_test"), e.get("n_way"), "ensemble", created)
    yield from _sweep_rows(rec, model, created)
    yield from _open_model_rows(rec, created)


def _open_model_rows(rec: Mapping, created: str) -> Iterator[dict[str, Any]]:
    """Notebook 07's open-models part: each measured model's zero-shot top-1 on the profile's test set."""
    if rec.get("notebook") != _ACROSS or not isinstance(rec.get("open_models"), list):
        return
    for e in rec["open_models"]:
        if isinstance(e, Mapping) and e.get("model") and e.get("dataset"):
            other = {"name": e["model"], "checkpoint_sha256": e.get("checkpoint_sha256"),
                     "checkpoint_published": e.get("checkpoint_published")}
            yield _row(other, e["dataset"], _ZEROSHOT, {"top1": e.get("top1")}, e.get("n_test"), e.get("n_way"),
                       "ensemble", created)


def _sweep_rows(rec: Mapping, model: Mapping, created: str) -> Iterator[dict[str, Any]]:
    """Notebook 07's model sweep: each other model's zero-shot top-1 on the chapter's datasets and tasks."""
    if rec.get("notebook") != _ACROSS or not isinstance(rec.get("sweep"), Mapping):
        return
    for e in rec["sweep"].values():
        if not isinstance(e, Mapping) or e.get("checkpoint_sha256") == model.get("checkpoint_sha256"):
            continue  # the run's own model has its full rows under "datasets"
        other = {"name": e.get("model"), "checkpoint_sha256": e.get("checkpoint_sha256"),
                 "checkpoint_published": e.get("checkpoint_published")}
        for name, top1 in (e.get("zeroshot_top1") or {}).items():
            d = (rec.get("datasets") or {}).get(name) or {}
            yield _row(other, name, _ZEROSHOT, {"top1": top1}, d.get("n_test"), d.get("n_way"), "ensemble", created)


def _rows_of(rec: Any) -> list[dict[str, Any]]:
    """The table rows one results record holds (without ``source`` and the benchmark columns)."""
    if not isinstance(rec, Mapping):
        return []
    created = str((rec.get("environment") or {}).get("created", ""))
    if isinstance(rec.get("benchmark_rows"), list):
        return [{"created": created, **r} for r in rec["benchmark_rows"] if isinstance(r, Mapping)]
    model = rec.get("model")
    if not isinstance(model, Mapping):
        model = {}
    if rec.get("task") in ("zeroshot", "probe") and isinstance(rec.get("metrics"), Mapping):
        ds, params = rec.get("dataset") or {}, rec.get("params") or {}
        task = _ZEROSHOT if rec["task"] == "zeroshot" else _PROBE
        n_way = ds.get("classes") if task == _ZEROSHOT else len(params.get("classes") or []) or ds.get("classes")
        return [_row(model, ds.get("name"), task, rec["metrics"], ds.get("size"), n_way,
                     _record_template(params) if task == _ZEROSHOT else None, created)]
    if isinstance(rec.get("models"), Mapping):
        return [r for name, sub in rec["models"].items() if isinstance(sub, Mapping)
                for r in _notebook_rows(sub, {"name": name, **(sub.get("model") or {})}, created)]
    return list(_notebook_rows(rec, model, created))


def _checkpoint_kind(model: str | None, sha: str, published: bool = False) -> str:
    """"openai" (openai's released file), "openai (hub copy)" (this machine's conversion of it),
    "open_clip (hub file)" (an open_clip tag's file with the hub's published sha256) or ""."""
    # lazy: keeps torch out of collect (the CLI's instant commands import it) until needed
    from clip_course.core import hub, models

    if model and ":" in model and not model.endswith(":openai"):
        return "open_clip (hub file)" if published and len(sha) >= 16 else ""
    # not openai's name (miniclip, a path)
    if not model or len(sha) < 16 or model not in models.openai_sha256s().values():
        return ""
    if models.openai_sha256(model).startswith(sha):
        return "openai"
    converted = hub.converted_path(model, models.CLIP_CACHE)
    if hub.is_converted(converted) and models.checkpoint_sha256(converted).startswith(sha):
        return "openai (hub copy)"
    return ""


def _with_benchmark(row: dict[str, Any]) -> dict[str, Any]:
    row["checkpoint"] = _checkpoint_kind(row.get("model"), str(row.pop("checkpoint_sha256", "") or ""),
                                        bool(row.pop("checkpoint_published", False)))
    ref = None
    if row["task"] == _ZEROSHOT and row.get("template") == "ensemble" and row["checkpoint"]:
        ref = benchmark_zeroshot(row["model"], str(row["dataset"]))  # the tag rides in the name (ARCH:TAG)
    row["benchmark_dataset"] = ref["dataset"] if ref else None
    for k in ("acc1", "acc5", "mean_per_class_recall"):
        row[f"benchmark_{k}"] = ref[k] if ref else None
    return row


def collect(root: str | Path = "results") -> tuple[list[dict[str, Any]], list[str]]:
    """Every row under ``root`` (sorted by dataset, model, task, template) and one note per file skipped."""
    root = Path(root)
    if not root.is_dir():
        raise _ResultsTableError(f"--root {root} is not a folder; give the folder the notebooks and commands wrote "
                                f"their results JSON to (default results/).")
    best: dict[tuple, dict[str, Any]] = {}
    skipped = []
    for path in sorted(root.rglob("*.json")):
        try:
            rows = _rows_of(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as err:
            skipped.append(f"{path}: not readable as JSON ({type(err).__name__})")
            continue
        rows = [r for r in rows if r.get("model") and r.get("dataset") and r.get("task") and r.get("acc1") is not None]
        if not rows:
            skipped.append(f"{path}: holds no accuracy")
        for r in rows:
            r["source"] = str(path.relative_to(root))
            # n_way is part of the task: shapes100 is 100-way in 03 and 90-way (trained classes) in 04/07
            key = (r["model"], str(r.get("checkpoint_sha256", ""))[:16], r["dataset"], r["task"], r.get("template"),
                   r.get("n_way"))
            rank = (r.get("n_images") or 0, r.get("created") or "")
            if key not in best or rank >= (best[key].get("n_images") or 0, best[key].get("created") or ""):
                best[key] = r
    rows = [_with_benchmark(dict(r)) for r in best.values()]
    rows.sort(key=lambda r: (str(r["dataset"]), *_side_by_side(str(r["model"])), r["task"],
                             str(r.get("template") or "")))
    return [{c: r.get(c) for c in _COLUMNS} for r in rows], skipped


def _side_by_side(model: str) -> tuple[str, str]:
    """Sort key of a model: (architecture in open_clip's spelling, tag), so that openai's ``ViT-B/32``
    (tag ``openai``, first) and LAION's ``ViT-B-32:laion2b_s34b_b79k`` stand next to each other."""
    arch, _, tag = model.partition(":")
    return arch.replace("@336px", "-336").replace("/", "-"), "" if tag in ("", "openai") else tag


def _cell(row: Mapping, col: str, digits: int) -> str:
    v = row.get(col)
    if v is None:
        return ""
    return f"{float(v):.{digits}f}" if col in _PERCENT else str(v)


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for r in rows:
        writer.writerow([_cell(r, c, 4) for c in _COLUMNS])
    return out.getvalue()


def to_markdown(rows: list[dict[str, Any]]) -> str:
    head = "| " + " | ".join(_COLUMNS) + " |\n|" + "|".join("---" for _ in _COLUMNS) + "|\n"
    body = "".join("| " + " | ".join(_cell(r, c, 2).replace("|", "\\|") for c in _COLUMNS) + " |\n" for r in rows)
    note = ("\nacc1, acc5, mean_per_class_recall in percent; benchmark_*: " + _source() + ", openai checkpoints, "
            "ensemble templates (VTAB datasets on VTAB's test split).\n")
    return head + body + note


def _source() -> str:
    return BENCHMARK_SOURCE
