"""Facts for the report's abstract and conclusions, read from this build's results.

Every results file is read through :mod:`clip_course.report.schema` (a file that breaks it stops
the build with the file and the key). Each number handed to the prose carries its *source*
(``"<stem>:<path>"``), so the report can show, and a test can check, where it came from.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clip_course.core.prompts import CIFAR10_CLASSES, CIFAR_TEMPLATES
from clip_course.core.provenance import device_name, git_commit, package_versions
from clip_course.data import naming
from clip_course.io import display_path
from clip_course.report import prose, prose_report
from clip_course.report.catalogue_zh import CATALOGUE, GLOSSARY
from clip_course.report.i18n import HTML_LANG, Bi, tr, translator
from clip_course.report.schema import read_results, results_path

__all__ = [
    "appendix", "back_matter", "device_label", "document_context", "load_results", "manifest", "manifest_in",
    "NOTEBOOK_ROLES", "original_templates", "probe_facts", "to_fetch", "zero_shot_facts",
]

#: Unnumbered back matter after the conclusions: (title, anchor).
_BACK_MATTER = (
    ("References", "sec-references"),
    ("Appendix A: Class names and templates", "sec-appendix-a"),
    ("Appendix B: Run manifest", "sec-appendix-b"),
)
#: The Chinese edition adds a glossary (catalogue_zh.GLOSSARY).
_GLOSSARY_MATTER = ("Appendix C: Glossary", "sec-appendix-c")


def back_matter(lang: str) -> tuple[tuple[str, str], ...]:
    """The back matter of an edition: (English title, anchor); the titles are msgids."""
    return _BACK_MATTER + ((_GLOSSARY_MATTER,) if lang == "zh" else ())

#: What each notebook is, for "not run" notes and the manifest.
NOTEBOOK_ROLES = {
    "01": "CLIP introduction",
    "02": "single-image tests",
    "03": "zero-shot classification",
    "04": "linear probe",
    "05": "StyleCLIP",
    "06": "analysis",
    "07": "zero-shot across datasets",
}


def load_results(root: Path, runs: list[Any]) -> dict[str, dict[str, Any]]:
    """{notebook number ("03"): results} for the notebooks of this build that wrote one, validated."""
    out = {}
    for run in runs:
        path = run.results(root) if hasattr(run, "results") else results_path(root, run.stem)
        if path.is_file():
            out[run.stem[:2]] = read_results(path, run.stem)
    return out



# --------------------------------------------------------------------------- facts


def _model_facts(results: dict[str, dict]) -> dict[str, Any] | None:
    """The model the run used, from any notebook's record."""
    for rec in results.values():
        origin: dict = next((r["model"]["origin"] for r in results.values() if "origin" in r["model"]), {})
        # named by its hash (data/naming.py), never by the path it was loaded from
        return {"name": prose.model_name({**rec["model"], "origin": origin}),
                "sha256": rec["model"]["checkpoint_sha256"],
                "origin": origin, "identity": prose.model_identity({**rec["model"], "origin": origin}),
                "openai": naming.model_name({**rec["model"], "origin": origin}).openai}
    return None


def zero_shot_facts(results: dict[str, dict]) -> list[dict[str, Any]]:
    """Per dataset of 03, fewest classes first: the entry and the source of its numbers."""
    rec = results.get("03")
    if rec is None:
        return []
    rows = [{"dataset": name, "entry": e, "src": f"03_cifar_zero_shot:datasets.{name}"}
            for name, e in rec["datasets"].items()]
    return sorted(rows, key=lambda r: (r["entry"]["n_way"], r["dataset"]))


def probe_facts(results: dict[str, dict]) -> list[dict[str, Any]]:
    """Per dataset of 04: the entry and the source of its numbers."""
    rec = results.get("04")
    if rec is None:
        return []
    return [{"dataset": name, "entry": e, "src": f"04_linear_probe:datasets.{name}", "k_match": e["crossover_k"]}
            for name, e in rec["datasets"].items()]

#: The profiles' names in the Chinese edition (the running header reads "离线配置", never "offline 配置").
_PROFILE_NAMES_ZH = {"offline": "离线", "paper": "论文"}


def document_context(results: dict[str, dict], runs: list[Any], profile: str, root: Path, quick: bool,
                     lang: str = "en") -> dict[str, Any]:
    """Everything the document template needs besides the notebook HTML (texts in ``lang``)."""
    ran = {run.stem[:2] for run in runs}
    facts = {"zero_shot": zero_shot_facts(results), "probe": probe_facts(results),
             "granularity": results["03"]["granularity"] if "03" in results else None,
             "analysis": results.get("06"), "across": results.get("07"), "styleclip": results.get("05"),
             "single_image": results.get("02"),
             "model": _model_facts(results)}
    return {
        "profile": profile,
        # the profile as the edition names it ("offline" / 离线): the running header and the cover
        "profile_name": Bi(profile, _PROFILE_NAMES_ZH.get(profile, profile)),
        "offline": profile == "offline",
        "quick": quick,
        "created": time.strftime("%Y-%m-%d %H:%M"),
        "model": _model_facts(results),
        "abstract_results": prose_report.abstract_summary(facts),
        "conclusions": prose.conclusions(facts, profile == "offline"),
        "not_run": [tr(role).get(lang) for n, role in NOTEBOOK_ROLES.items() if n not in ran],
        "appendix": appendix(results, lang),
        "manifest": manifest_in(manifest(results, runs, profile, root), lang),
        "to_fetch": [(what.get(lang), command) for what, command in to_fetch(results)],
        "back_matter": {a: tr(t).get(lang) for t, a in back_matter(lang)},
        "glossary": GLOSSARY if lang == "zh" else [],
        "lang": lang, "html_lang": HTML_LANG[lang], "t": translator(lang), "roles": NOTEBOOK_ROLES,
    }


# --------------------------------------------------------------------------- manifest


def to_fetch(results: dict[str, dict]) -> list[tuple[Bi, str]]:
    """Appendix B's download steps: what this build's notebooks found missing and would have used
    (StyleGAN2 FFHQ in a paper build, the datasets of notebook 07), each with the command that fetches it."""
    out = []
    st = results.get("05")
    if st is not None and prose_report.substituted_generator(st):
        out.append((tr("StyleGAN2 FFHQ (stylegan2-ffhq-config-f.pt, about 380 MB): the face edits of the StyleCLIP "
                       "chapter (a GPU job)"), "make download-styleclip"))
    missing = sorted((results.get("07") or {}).get("missing") or {})
    if missing:
        out.append((tr("{names}: the datasets the chapter on zero-shot across datasets sets beside CIFAR",
                       names=", ".join(missing)), f"make download DATASETS={','.join(missing)}"))
    return out


def _walk(obj: Any) -> Iterator[dict]:
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


def _models_used(results: dict[str, dict]) -> list[dict[str, str]]:
    """Every distinct model record (name, checkpoint sha256) in the results."""
    seen: dict[tuple, dict[str, str]] = {}
    for rec in _walk(results):
        model = rec.get("model")
        if isinstance(model, dict) and model.get("checkpoint_sha256"):
            key = (str(model.get("name")), str(model["checkpoint_sha256"]))
            seen.setdefault(key, {"name": prose.model_name(model), "sha256": key[1]})
    return list(seen.values())


def _datasets_used(results: dict[str, dict]) -> list[dict[str, Any]]:
    """Every distinct dataset (name, split, size, classes, fingerprint) the results describe:
    ``run_record``-style ``"dataset"`` dicts, and the entries of 03/04's ``"datasets"``."""
    seen: dict[tuple, dict[str, Any]] = {}
    for rec in _walk(results):
        ds = rec.get("dataset")
        if isinstance(ds, dict) and ds.get("name"):
            row = {k: ds.get(k) for k in ("name", "split", "size", "classes", "fingerprint")}
            seen.setdefault((row["name"], row["split"], row["size"], row["fingerprint"]), row)
    return list(seen.values())


def _class_and_templates(results: dict[str, dict]) -> list[dict[str, Any]]:
    """Per dataset: the class names and template sets the run recorded (Appendix A)."""
    found: dict[str, dict[str, Any]] = {}
    for name, entry in (results["03"]["datasets"] if "03" in results else {}).items():
        found[name] = {"dataset": name, "classes": entry["classes"], "templates": entry["templates"]}
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


def appendix(results: dict[str, dict], lang: str = "en") -> list[dict[str, Any]]:
    """Appendix A in ``lang``: per dataset its class names and template sets (a set's name in ``lang``
    where the catalogue knows it), the Chinese class names and templates notebook 03 scored, and the
    original course report's Appendix 1 when no notebook recorded it."""
    chinese = results["03"].get("chinese_prompts", {}) if "03" in results else {}
    items = []
    for item in _class_and_templates(results):
        templates = dict(item["templates"])
        zh = chinese.get(item["dataset"], {})
        if zh.get("templates_zh"):
            templates["Chinese templates"] = list(zh["templates_zh"])
        items.append({**item, "classes_zh": list(zh.get("classes_zh", [])),
                      "templates": {tr(k).get(lang) if k in CATALOGUE else k: v for k, v in templates.items()}})
    return items + original_templates(results, lang)


def original_templates(results: dict[str, dict], lang: str = "en") -> list[dict[str, Any]]:
    """The original course report's Appendix 1 (CIFAR-10's classes and the paper's 18 CIFAR templates),
    for Appendix A when no notebook of this build recorded that template list (the offline profile
    evaluates ShapesWorld's own templates; the paper profile's 03 records the 18 itself)."""
    recorded = [tl for item in _class_and_templates(results) for tl in item["templates"].values()]
    if CIFAR_TEMPLATES in recorded:
        return []
    return [{"dataset": tr("CIFAR-10 in the original course report's Appendix 1 "
                           "(not evaluated in this build)").get(lang),
             "classes": list(CIFAR10_CLASSES),
             "templates": {tr("the paper's 18 CIFAR templates").get(lang): list(CIFAR_TEMPLATES)}}]


def _device_used(results: dict[str, dict]) -> str:
    """The device the notebooks recorded, else this machine's."""
    for rec in _walk(results):
        if isinstance(rec.get("environment"), dict) and rec["environment"].get("device"):
            return str(rec["environment"]["device"])

    return device_name()


def _shown(key: str, value: Any, root: Path) -> Any:
    # a checkpoint path is printed as a reader sees it (relative to the repository, or ~/...), and a
    # path outside both by its file name alone: no absolute path of the machine goes into the report

    if key != "model" or not isinstance(value, str) or "/" not in value:
        return value
    shown = display_path(value, root)
    return prose.display_name(shown) if Path(shown).is_absolute() else shown


#: Parameters that say where a build writes, not what it measured: left out of Appendix B.
_BUILD_ONLY = frozenset({"output_dir"})


_DEVICE = re.compile(r"CPU \((?P<arch>[^,]+), (?P<torch>\d+) torch(?:, (?P<blas>\d+) BLAS)? "
                     r"threads of (?P<cpus>\d+) CPUs\)")


def device_label(device: str, lang: str) -> str:
    """A recorded device line (:func:`clip_course.core.provenance.device_name`) as ``lang`` writes it.

    ``CPU (x86_64, 1 torch, 1 BLAS threads of 2 CPUs)`` reads, in Chinese,
    ``CPU（x86_64；torch 1 个线程，BLAS 1 个线程，共 2 个 CPU）``; a GPU's name stays as it is.
    """
    m = _DEVICE.fullmatch(device)
    if lang != "zh" or m is None:
        return device
    blas = f"，BLAS {m['blas']} 个线程" if m["blas"] else ""
    return f"CPU（{m['arch']}；torch {m['torch']} 个线程{blas}，共 {m['cpus']} 个 CPU）"


def manifest_in(m: dict[str, Any], lang: str) -> dict[str, Any]:
    """The :func:`manifest` with its recorded words (profile, devices) in ``lang``; numbers and names unchanged."""
    if lang == "en":
        return m
    return {**m, "profile": _PROFILE_NAMES_ZH.get(m["profile"], m["profile"]),
            "device": device_label(m["device"], lang),
            # a date does not wrap at its hyphens in a narrow Chinese column (U+2011, non-breaking)
            "notebooks": [{**n, "device": device_label(n["device"], lang),
                           "finished": str(n.get("finished", "")).replace("-", "\u2011")} for n in m["notebooks"]]}


def manifest(results: dict[str, dict], runs: list[Any], profile: str, root: Path) -> dict[str, Any]:
    """Appendix B: everything needed to trace a number to what produced it."""
    return {
        "profile": profile,
        "git_commit": git_commit(root),
        "device": _device_used(results),
        "versions": package_versions(),
        "models": _models_used(results),
        "datasets": _datasets_used(results),
        "notebooks": [{
            "stem": run.stem, "status": "reused (up to date)" if run.reused else "executed",  # msgids
            "seconds": f"{run.seconds:.1f}", "finished": run.finished,
            "params": [(k, repr(_shown(k, v, root)), k in run.params) for k, v in {**run.defaults, **run.params}.items()
                       if k not in _BUILD_ONLY],
            "results": "written" if run.stem[:2] in results else "none",
            # each notebook picks its own threads (core.device): its device line says which
            "device": str(results.get(run.stem[:2], {}).get("environment", {}).get("device", "")),
        } for run in runs],
        "total_seconds": f"{sum(r.seconds for r in runs):.1f}",
    }
