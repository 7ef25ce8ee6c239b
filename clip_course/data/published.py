"""Published figures we compare against, quoted and cited as theirs, never computed here.

Sources: the CLIP paper (Radford et al. 2021, Tables 10 and 11) and CLIP_benchmark (LAION,
benchmark/benchmark.csv). Every report section that prints one names its source.
:func:`benchmark_zeroshot` reads CLIP_benchmark's published zero-shot rows for every model it ran,
openai's and OpenCLIP's LAION models (``clip_course/references/clip_benchmark_zeroshot_all.csv``);
:func:`model_profile` each architecture's GMACs and parameters (``clip_benchmark_model_profiles.csv``,
its probe_benchmark/clip_table_2.csv) and :func:`dataset_type` each dataset's kind
(``clip_benchmark_dataset_types.csv``). All from LAION-AI/CLIP_benchmark commit
48de38c1689fa6d8b4dd53e3370c669c3bb18117, MIT; see references/README.md.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

__all__ = [
    "BENCHMARK_SOURCE", "benchmark_table", "benchmark_zeroshot", "compute_points", "csv", "DATA_SCALE", "data_scale",
    "dataset_type", "model_profile", "REFERENCE_MODEL", "REFERENCE_SOURCES", "REFERENCES", "REFERENCES_DIR",
    "REPORT_DATASETS", "VIT_B32",
]

#: openai's ViT-B/32 as the "Interacting with CLIP" notebook and model card report it.
VIT_B32 = {
    "parameters": 151_277_313, "image_encoder": "VisionTransformer", "input_resolution": 224,
    "vision_width": 768, "vision_layers": 12, "patch_size": 32, "text_width": 512,
    "text_layers": 12, "text_heads": 8, "context_length": 77, "vocab_size": 49408,
    "embed_dim": 512,
}

#: Published figures to compare against, cited as theirs.
#: Radford et al. 2021: zero-shot Table 11 (18-template ensemble), linear probe Table 10.
#: CLIP_benchmark (LAION): openai ViT-B-32 results table.
REFERENCES = {
    "cifar10": {
        "zeroshot": {"paper": {"top1": 91.3}, "CLIP_benchmark": {"top1": 89.82, "top5": 99.63}},
        "probe": {"paper": {"top1": 95.1}, "CLIP_benchmark": {"top1": 94.97}},
    },
    "cifar100": {
        "zeroshot": {"paper": {"top1": 65.1}, "CLIP_benchmark": {"top1": 64.53, "top5": 88.80}},
        "probe": {"paper": {"top1": 80.5}, "CLIP_benchmark": {"top1": 79.97}},
    },
}
REFERENCE_MODEL = "ViT-B/32"
REFERENCE_SOURCES = {
    "paper": "Radford et al. 2021 (CLIP paper), ViT-B/32: zero-shot Table 11, linear probe Table 10",
    "CLIP_benchmark": "LAION-AI/CLIP_benchmark, openai ViT-B-32",
}

REFERENCES_DIR = Path(__file__).resolve().parents[1] / "references"
_BENCHMARK_CSV = REFERENCES_DIR / "clip_benchmark_zeroshot_all.csv"
_PROFILES_CSV = REFERENCES_DIR / "clip_benchmark_model_profiles.csv"
_DATASET_TYPES_CSV = REFERENCES_DIR / "clip_benchmark_dataset_types.csv"
BENCHMARK_SOURCE = "CLIP_benchmark (LAION), benchmark/benchmark.csv"
_PROFILES_SOURCE = "CLIP_benchmark (LAION), probe_benchmark/clip_table_2.csv"
_DATASET_TYPES_SOURCE = "CLIP_benchmark (LAION), benchmark/dataset_type.csv"
#: Our dataset names whose CLIP_benchmark name differs (VTAB's versions, measured on VTAB's splits).
_BENCHMARK_DATASETS = {name: f"vtab/{name}" for name in (
    "cifar10", "cifar100", "svhn", "eurosat", "dtd", "flowers", "pets", "caltech101", "resisc45", "pcam")}


def _benchmark_model_name(model: str) -> str:
    """openai's model name in open_clip's spelling: ``ViT-B/32`` -> ``ViT-B-32``, ``ViT-L/14@336px`` ->
    ``ViT-L-14-336``."""
    # lazy: core.openclip imports torch, and `results` / `datasets` answer without it
    from clip_course.core.openclip import open_clip_spelling

    return open_clip_spelling(model.partition(":")[0])


def _split_tag(model: str, pretrained: str | None) -> tuple[str, str]:
    """(open_clip architecture, tag) of ``model`` (``ARCH:TAG`` or a name) and ``pretrained`` (default openai)."""
    arch, sep, tag = model.partition(":")
    return _benchmark_model_name(arch), (tag if sep else None) or pretrained or "openai"


def _benchmark_dataset_name(dataset: str) -> str:
    """Our dataset name as CLIP_benchmark writes it (``eurosat`` -> ``vtab/eurosat``)."""
    # lazy: keeps numpy out of published (the CLI's instant commands import it) until needed
    from clip_course.data.torchvision_sets import canonical

    dataset = canonical(dataset)
    return _BENCHMARK_DATASETS.get(dataset, dataset)


def _arch_key(arch: str) -> str:
    # CLIP_benchmark ran LAION-400M's QuickGELU ViT-B/32 as ``ViT-B-32-quickgelu``; open_clip serves the
    # same file as ``ViT-B-32:laion400m_e32`` too (its tag turns QuickGELU on): one model, one key.
    return arch.removesuffix("-quickgelu")


@functools.cache
def _benchmark_rows() -> dict[tuple[str, str, str], dict[str, str]]:
    with open(_BENCHMARK_CSV, newline="", encoding="utf-8") as f:
        return {(_arch_key(r["model"]), r["pretrained"], r["dataset"]): r for r in csv.DictReader(f)
                if r["task"] == "zeroshot_classification"}


def benchmark_zeroshot(model: str, dataset: str, pretrained: str | None = None) -> dict | None:
    """CLIP_benchmark's published zero-shot figures for ``model`` + ``pretrained`` on our ``dataset``, in percent.

    ``model`` is any spelling (``ViT-B/32``, ``ViT-B-32``, ``ViT-B-32:laion2b_s34b_b79k``); the tag is
    ``pretrained``, else the one in the name, else ``openai``. ``{"acc1", "acc5",
    "mean_per_class_recall", "source", "model", "pretrained", "dataset"}`` (``acc5`` None where
    unpublished, e.g. two-class tasks), with CLIP_benchmark's own names; None when it publishes no
    such row (no ResNets, no Food-101, tags it did not run).
    """
    arch, tag = _split_tag(model, pretrained)
    row = _benchmark_rows().get((_arch_key(arch), tag, _benchmark_dataset_name(dataset)))
    if row is None:
        return None

    def pct(key: str) -> float | None:
        return 100.0 * float(row[key]) if row[key] not in ("", None) else None

    return {"acc1": pct("acc1"), "acc5": pct("acc5"), "mean_per_class_recall": pct("mean_per_class_recall"),
            "source": BENCHMARK_SOURCE, "model": row["model"], "pretrained": row["pretrained"],
            "dataset": row["dataset"]}


def benchmark_table(task: str = "zeroshot_classification") -> list[dict]:
    """Every published row of ``task``: model, pretrained, training data, dataset, its kind, the
    architecture's GMACs, and acc1/acc5/mean per-class recall in percent (None where unpublished)."""
    with open(_BENCHMARK_CSV, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["task"] == task]
    out = []
    for r in rows:
        profile = model_profile(r["model"]) or {}
        out.append({"model": r["model"], "pretrained": r["pretrained"],
                    "training_data": _training_data(r["pretrained"]),
                    "dataset": r["dataset"], "dataset_type": dataset_type(r["dataset"]),
                    "gmacs": profile.get("gmacs"), "mparams": profile.get("mparams"),
                    **{k: 100.0 * float(r[k]) if r[k] else None for k in ("acc1", "acc5", "mean_per_class_recall")}})
    return out


@functools.cache
def _profiles() -> dict[str, dict[str, float]]:
    with open(_PROFILES_CSV, newline="", encoding="utf-8") as f:
        return {r["model"]: {k: float(v) for k, v in r.items() if k != "model" and v} for r in csv.DictReader(f)}


def model_profile(model: str) -> dict[str, float] | None:
    """CLIP_benchmark's compute profile of an architecture (any spelling): ``gmacs``, ``mparams``,
    ``image_size``, ``embed_dim``, the towers' own ``image_gmacs`` / ``text_gmacs`` ...; None if absent."""
    return _profiles().get(_arch_key(_benchmark_model_name(model)))


@functools.cache
def _dataset_types() -> dict[str, str]:
    with open(_DATASET_TYPES_CSV, newline="", encoding="utf-8") as f:
        return {r["dataset"]: r["type"] for r in csv.DictReader(f)}


def dataset_type(dataset: str) -> str | None:
    """CLIP_benchmark's kind of a dataset (``natural``, ``specialized``, ``structured`` ...), by its or our name."""
    types = _dataset_types()
    if dataset in types:
        return types[dataset]
    name = _benchmark_dataset_name(dataset)
    return types.get(name, types.get(name.removeprefix("vtab/")))


# ----------------------------------------------------------------------------- open models and data scale

#: The pretraining data CLIP_benchmark's table lets one compare at a fixed architecture, smallest first:
#: (tag, data) per architecture (openai's WIT-400M, LAION-400M, LAION-2B).
DATA_SCALE: dict[str, tuple[tuple[str, str], ...]] = {
    "ViT-B-32": (("openai", "WIT-400M"), ("laion400m_e32", "LAION-400M"), ("laion2b_s34b_b79k", "LAION-2B")),
    "ViT-L-14": (("openai", "WIT-400M"), ("laion400m_e32", "LAION-400M"), ("laion2b_s32b_b82k", "LAION-2B")),
}
#: Datasets the original course report discusses (its section 四.1 on the paper's Figure 5: StanfordCars,
#: EuroSAT, DTD, Flowers102, MNIST; its own experiments on CIFAR; ImageNet throughout), in CLIP_benchmark's names.
#: Food-101, also discussed, is not in CLIP_benchmark's table.
REPORT_DATASETS = ("imagenet1k", "vtab/cifar10", "vtab/cifar100", "cars", "vtab/eurosat", "vtab/dtd",
                   "vtab/flowers", "mnist", "vtab/pets")


def data_scale(arch: str = "ViT-B-32",
               datasets: tuple[str, ...] = REPORT_DATASETS) -> dict[str, dict[str, float | None]]:
    """``{dataset: {training data: published zero-shot top-1 (%)}}`` of ``arch`` for each tag of :data:`DATA_SCALE`."""
    out: dict[str, dict[str, float | None]] = {}
    for dataset in datasets:
        out[dataset] = {}
        for tag, data in DATA_SCALE[arch]:
            row = benchmark_zeroshot(arch, dataset, tag)
            out[dataset][data] = row["acc1"] if row else None
    return out


def compute_points(datasets: tuple[str, ...] = REPORT_DATASETS) -> list[dict]:
    """One point per (model, tag) CLIP_benchmark ran: GMACs (its profile) and the mean published zero-shot
    top-1 over ``datasets`` (only pairs with a figure on every one of them)."""
    pairs = sorted({(r["model"], r["pretrained"]) for r in benchmark_table()})
    points = []
    for model, tag in pairs:
        accs = [benchmark_zeroshot(model, d, tag) for d in datasets]
        top1 = [None if a is None else a["acc1"] for a in accs]
        profile = model_profile(model)
        if profile is None or any(t is None for t in top1):
            continue
        points.append({"model": model, "pretrained": tag, "training_data": _training_data(tag),
                       "gmacs": profile["gmacs"], "mean_acc1": sum(t for t in top1 if t is not None) / len(top1)})
    return sorted(points, key=lambda p: p["gmacs"])


def _training_data(tag: str | None) -> str | None:
    # lazy: core.openclip imports torch, and `results` / `datasets` answer without it
    from clip_course.core.openclip import training_data

    return training_data(tag)
