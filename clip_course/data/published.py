"""Published figures we compare against, quoted and cited as theirs, never computed here.

Sources: the CLIP paper (Radford et al. 2021, Tables 10 and 11) and CLIP_benchmark (LAION,
benchmark/benchmark.csv, openai ViT-B-32). Every report section that prints one names its source.
:func:`benchmark_zeroshot` reads CLIP_benchmark's published zero-shot rows for openai's models
(``clip_course/references/clip_benchmark_openai_zeroshot.csv``, LAION-AI/CLIP_benchmark commit
48de38c1689fa6d8b4dd53e3370c669c3bb18117, MIT; see references/README.md).
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

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

BENCHMARK_CSV = Path(__file__).resolve().parents[1] / "references" / "clip_benchmark_openai_zeroshot.csv"
BENCHMARK_SOURCE = "CLIP_benchmark (LAION), benchmark/benchmark.csv"
#: Our dataset names whose CLIP_benchmark name differs (VTAB's versions, measured on VTAB's splits).
BENCHMARK_DATASETS = {name: f"vtab/{name}" for name in (
    "cifar10", "cifar100", "svhn", "eurosat", "dtd", "flowers", "pets", "caltech101", "resisc45", "pcam")}


def benchmark_model_name(model: str) -> str:
    """openai's model name in open_clip's spelling: ``ViT-B/32`` -> ``ViT-B-32``, ``ViT-L/14@336px`` -> ``ViT-L-14-336``."""
    return model.replace("@336px", "-336").replace("/", "-")


def benchmark_dataset_name(dataset: str) -> str:
    """Our dataset name as CLIP_benchmark writes it (``eurosat`` -> ``vtab/eurosat``)."""
    from clip_course.data.torchvision_sets import canonical

    dataset = canonical(dataset)
    return BENCHMARK_DATASETS.get(dataset, dataset)


@functools.cache
def _benchmark_rows() -> dict[tuple[str, str], dict[str, str]]:
    with open(BENCHMARK_CSV, newline="", encoding="utf-8") as f:
        return {(r["model"], r["dataset"]): r for r in csv.DictReader(f)
                if r["pretrained"] == "openai" and r["task"] == "zeroshot_classification"}


def benchmark_zeroshot(model: str, dataset: str) -> dict | None:
    """CLIP_benchmark's published zero-shot figures for openai's ``model`` on our ``dataset``, in percent.

    ``{"acc1", "acc5", "mean_per_class_recall", "source", "model", "dataset"}`` (``acc5`` None where
    unpublished, e.g. two-class tasks), with CLIP_benchmark's own model and dataset names; None
    when it publishes no such row (no ResNets, no Food-101).
    """
    row = _benchmark_rows().get((benchmark_model_name(model), benchmark_dataset_name(dataset)))
    if row is None:
        return None

    def pct(key: str) -> float | None:
        return 100.0 * float(row[key]) if row[key] not in ("", None) else None

    return {"acc1": pct("acc1"), "acc5": pct("acc5"), "mean_per_class_recall": pct("mean_per_class_recall"),
            "source": BENCHMARK_SOURCE, "model": row["model"], "dataset": row["dataset"]}
