"""Facts for the report's prose, read from the run's results JSON, never typed by hand.

The keys read here are listed in :mod:`clip_course.report`'s docstring. Every lookup
tolerates a missing notebook or key: the template then says "not run" or leaves the sentence
out. Numbers are formatted here, once, so the PDF shows exactly what the tests recompute.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clip_course.io import read_json

#: Unnumbered back matter after the conclusions: (title, anchor).
BACK_MATTER = (
    ("References", "sec-references"),
    ("Appendix A: Class names and templates", "sec-appendix-a"),
    ("Appendix B: Run manifest", "sec-appendix-b"),
)

#: What each notebook is, for "not run" notes and the manifest.
NOTEBOOK_ROLES = {
    "01": "CLIP introduction",
    "02": "single-image tests",
    "03": "zero-shot classification",
    "04": "linear probe",
    "05": "StyleCLIP",
    "06": "analysis",
}


def pct(x: float) -> str:
    """A percentage as the report prints it: one decimal."""
    return f"{float(x):.1f}%"


def num(x: float) -> str:
    """A plain number with one decimal."""
    return f"{float(x):.1f}"


def dig(obj: Any, *path: str) -> Any:
    """``obj[path[0]][path[1]]...``, stepping into a record's ``"metrics"``; None if absent."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        if key in obj:
            obj = obj[key]
        elif isinstance(obj.get("metrics"), dict) and key in obj["metrics"]:
            obj = obj["metrics"][key]
        else:
            return None
    return obj


def _number(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def read_results_file(path: Path) -> dict[str, Any] | None:
    """A results JSON, or None when it is missing or unreadable (reported as not run)."""
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def load_results(root: Path, runs: list[Any]) -> dict[str, dict[str, Any]]:
    """{notebook number ("03"): results dict} for the notebooks of this build that wrote one."""
    from clip_course.report.runner import results_path

    out = {}
    for run in runs:
        data = read_results_file(results_path(root, run.stem))
        if data is not None:
            out[run.stem[:2]] = data
    return out


# --------------------------------------------------------------------------- facts


def model_facts(results: dict[str, dict]) -> dict[str, Any] | None:
    """The model the run used: name and parameter count, from 01 (or any record)."""
    for rec in _ordered(results, "01", "03", "04"):
        model = rec.get("model")
        if isinstance(model, dict) and model.get("name"):
            params = _number(model.get("parameters"))
            return {"name": str(model["name"]),
                    "parameters": f"{params / 1e6:.1f} M" if params else None}
    return None


def zero_shot_facts(results: dict[str, dict]) -> list[dict[str, Any]]:
    """Per dataset of 03: single-template and ensemble top-1/top-5, fewest classes first."""
    rows = []
    for name, entry in (dig(results.get("03"), "datasets") or {}).items():
        single, ens = _number(dig(entry, "single", "top1")), _number(dig(entry, "ensemble", "top1"))
        if single is None and ens is None:
            continue
        rows.append({
            "dataset": name,
            "n_classes": _n_classes(entry),
            "n_images": _number(dig(entry, "n_images")),
            "single_top1": single, "ensemble_top1": ens,
            "ensemble_top5": _number(dig(entry, "ensemble", "top5")),
            "n_templates": _n_templates(entry),
            "fmt": {k: pct(v) for k, v in (("single_top1", single), ("ensemble_top1", ens),
                    ("ensemble_top5", _number(dig(entry, "ensemble", "top5")))) if v is not None},
        })
    return sorted(rows, key=lambda r: (r["n_classes"] or 0, r["dataset"]))


def _n_classes(entry: dict) -> int | None:
    for path in (("n_classes",), ("single", "dataset", "classes"), ("ensemble", "dataset", "classes")):
        if (v := _number(dig(entry, *path))) is not None:
            return int(v)
    classes = dig(entry, "classes")
    return len(classes) if isinstance(classes, list) else None


def _n_templates(entry: dict) -> int | None:
    for path in (("templates", "ensemble"), ("ensemble", "params", "template_list")):
        if isinstance(v := dig(entry, *path), list):
            return len(v)
    return None


def granularity_fact(zero_shot: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The seed's finding: the drop in ensemble top-1 from the coarsest to the finest class set,
    judged against sampling noise (:func:`clip_course.zeroshot.granularity_verdict`)."""
    rows = [r for r in zero_shot if r["n_classes"] and r["ensemble_top1"] is not None]
    if len(rows) < 2 or rows[0]["n_classes"] == rows[-1]["n_classes"]:
        return None
    from clip_course.tasks.zeroshot import granularity_verdict

    coarse, fine = rows[0], rows[-1]
    if coarse["n_images"] and fine["n_images"]:
        g = granularity_verdict(coarse["ensemble_top1"], coarse["n_images"], fine["ensemble_top1"], fine["n_images"])
    else:  # test-set sizes unknown: no noise judgement, only the sign
        diff = fine["ensemble_top1"] - coarse["ensemble_top1"]
        g = {"diff": diff, "two_se": None, "verdict": "drop" if diff < 0 else "rise"}
    return {"coarse": coarse, "fine": fine, "drop": num(abs(g["diff"])),
            "two_se": num(g["two_se"]) if g["two_se"] is not None else None, "verdict": g["verdict"]}


def probe_facts(results: dict[str, dict]) -> list[dict[str, Any]]:
    """Per dataset of 04: probe top-1 beside zero-shot top-1, and the k-shot crossover."""
    rows = []
    for name, entry in (dig(results.get("04"), "datasets") or {}).items():
        probe = _number(dig(entry, "probe", "top1"))
        if probe is None:
            continue
        zs = _number(dig(entry, "zero_shot", "top1"))
        k = _number(dig(entry, "crossover_k"))
        rows.append({"dataset": name, "probe": pct(probe), "zero_shot": pct(zs) if zs is not None else None,
                     "crossover_k": int(k) if k is not None else None})
    return rows


def analysis_facts(results: dict[str, dict]) -> dict[str, Any]:
    """From 06: ensemble gain, examples per class to match zero-shot, shift, retrieval recall."""
    rec = results.get("06") or {}
    gains = [{"dataset": n, "gain": f"{g:+.1f}"} for n, e in _mapping(rec, "prompts")
             if (g := _first_number(e, "ensemble_gain_points", "ensemble_gain")) is not None]
    kmatch = [{"dataset": n, "k": int(k)} for n, e in _mapping(rec, "fewshot", "few_shot")
              if (k := _first_number(e, "k_to_match_zeroshot", "k_match")) is not None]
    retrieval = []
    per_set = dig(rec, "retrieval", "by_dataset") or {}
    if not per_set and _number(dig(rec, "retrieval", "recall@1")) is not None:
        per_set = {str(dig(rec, "retrieval", "dataset") or "the test set"): rec["retrieval"]}
    for n, e in per_set.items():
        r = [_number(dig(e, f"recall@{k}")) for k in (1, 5, 10)]
        if None not in r:
            retrieval.append({"dataset": n, "r1": pct(r[0]), "r5": pct(r[1]), "r10": pct(r[2])})
    shift = None
    drops = dig(rec, "robustness_summary", "mean_drop_points") or {}
    zs, probe = _number(drops.get("zeroshot")), _number(drops.get("probe"))
    if zs is not None and probe is not None:
        shift = {"dataset": dig(rec, "robustness_summary", "dataset") or "the coarse set",
                 "zeroshot": num(zs), "probe": num(probe),
                 "faster": "zero-shot" if zs > probe else "the linear probe"}
    return {"gains": gains, "k_match": kmatch, "retrieval": retrieval, "shift": shift}


def _mapping(rec: dict, *keys: str) -> list[tuple[str, Any]]:
    for key in keys:
        if isinstance(value := dig(rec, key), dict):
            return list(value.items())
    return []


def _first_number(entry: Any, *keys: str) -> float | None:
    for key in keys:
        if (v := _number(dig(entry, key))) is not None:
            return v
    return None


def styleclip_facts(results: dict[str, dict]) -> list[dict[str, Any]]:
    """From 05: each edit's CLIP similarity to its prompt before and after optimisation."""
    rows = []
    for edit in dig(results.get("05"), "edits") or []:
        before, after = _number(dig(edit, "similarity_before")), _number(dig(edit, "similarity_after"))
        if isinstance(edit, dict) and edit.get("prompt") and before is not None and after is not None:
            steps = _number(edit.get("steps"))
            rows.append({"prompt": str(edit["prompt"]), "before": f"{before:.3f}",
                         "after": f"{after:.3f}", "steps": int(steps) if steps else None})
    return rows


def _ordered(results: dict[str, dict], *numbers: str) -> Iterator[dict]:
    for n in (*numbers, *sorted(results)):
        if isinstance(results.get(n), dict):
            yield results[n]


# --------------------------------------------------------------------------- manifest


def _walk(obj: Any) -> Iterator[dict]:
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


def models_used(results: dict[str, dict]) -> list[dict[str, str]]:
    """Every distinct model record (name, checkpoint sha256) in the results."""
    seen: dict[tuple, dict[str, str]] = {}
    for rec in _walk(results):
        model = rec.get("model")
        if isinstance(model, dict) and model.get("checkpoint_sha256"):
            key = (str(model.get("name")), str(model["checkpoint_sha256"]))
            seen.setdefault(key, {"name": key[0], "sha256": key[1]})
    return list(seen.values())


def datasets_used(results: dict[str, dict]) -> list[dict[str, Any]]:
    """Every distinct dataset (name, split, size, classes, fingerprint) the results describe:
    ``run_record``-style ``"dataset"`` dicts, and the entries of 03/04's ``"datasets"``."""
    seen: dict[tuple, dict[str, Any]] = {}
    for rec in _walk(results):
        ds = rec.get("dataset")
        if isinstance(ds, dict) and ds.get("name"):
            row = {k: ds.get(k) for k in ("name", "split", "size", "classes", "fingerprint")}
            seen.setdefault((row["name"], row["split"], row["size"], row["fingerprint"]), row)
    for n in ("03", "04"):
        for name, entry in (dig(results.get(n), "datasets") or {}).items():
            if not any(key[0] == name for key in seen):
                row = {"name": name, "split": entry.get("split", "test"), "size": dig(entry, "n_images"),
                       "classes": _n_classes(entry), "fingerprint": entry.get("fingerprint")}
                seen[(name, row["split"], row["size"], row["fingerprint"])] = row
    return list(seen.values())


def class_and_templates(results: dict[str, dict]) -> list[dict[str, Any]]:
    """Per dataset: the class names and template sets the run recorded (Appendix A)."""
    found: dict[str, dict[str, Any]] = {}
    for name, entry in (dig(results.get("03"), "datasets") or {}).items():
        classes = dig(entry, "classes")
        sets = dig(entry, "templates")
        found[name] = {"dataset": name, "classes": classes if isinstance(classes, list) else [],
                       "templates": sets if isinstance(sets, dict) else {}}
    for rec in _walk(results):  # run_record-shaped entries fill what 03 did not list
        ds, params = rec.get("dataset"), rec.get("params")
        if isinstance(ds, dict) and isinstance(params, dict) and ds.get("name"):
            item = found.setdefault(ds["name"], {"dataset": ds["name"], "classes": [], "templates": {}})
            if not item["classes"] and isinstance(params.get("classes"), list):
                item["classes"] = params["classes"]
            tl = params.get("template_list")
            if isinstance(tl, list) and tl not in item["templates"].values():
                item["templates"][str(params.get("templates", f"set {len(item['templates']) + 1}"))] = tl
    return [v for v in found.values() if v["classes"] or v["templates"]]


def device_used(results: dict[str, dict]) -> str:
    """The device the notebooks recorded, else this machine's."""
    for rec in _walk(results):
        if isinstance(rec.get("environment"), dict) and rec["environment"].get("device"):
            return str(rec["environment"]["device"])
    from clip_course.provenance import device_name

    return device_name()


def manifest(results: dict[str, dict], runs: list[Any], profile: str, root: Path) -> dict[str, Any]:
    """Appendix B: everything needed to trace a number to what produced it."""
    from clip_course.provenance import git_commit, package_versions

    return {
        "profile": profile,
        "git_commit": git_commit(root),
        "device": device_used(results),
        "versions": package_versions(),
        "models": models_used(results),
        "datasets": datasets_used(results),
        "notebooks": [{
            "stem": run.stem, "status": "reused (up to date)" if run.reused else "executed",
            "seconds": f"{run.seconds:.1f}", "finished": run.finished,
            "params": [(k, repr(v), k in run.params) for k, v in {**run.defaults, **run.params}.items()],
            "results": "written" if run.stem[:2] in results else "none",
        } for run in runs],
        "total_seconds": f"{sum(r.seconds for r in runs):.1f}",
    }


def document_context(results: dict[str, dict], runs: list[Any], profile: str, root: Path, quick: bool) -> dict[str, Any]:
    """Everything the document template needs besides the notebook HTML."""
    zero_shot = zero_shot_facts(results)
    ran = {run.stem[:2] for run in runs}
    return {
        "profile": profile,
        "offline": profile == "offline",
        "quick": quick,
        "created": time.strftime("%Y-%m-%d %H:%M"),
        "model": model_facts(results),
        "zero_shot": zero_shot,
        "granularity": granularity_fact(zero_shot),
        "probe": probe_facts(results),
        "analysis": analysis_facts(results),
        "styleclip": styleclip_facts(results),
        "single_image_count": len(dig(results.get("02"), "images") or []) or None,
        "not_run": [role for n, role in NOTEBOOK_ROLES.items() if n not in ran],
        "appendix": class_and_templates(results),
        "manifest": manifest(results, runs, profile, root),
        "back_matter": dict((a, t) for t, a in BACK_MATTER),
    }
