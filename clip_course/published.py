"""Published figures we compare against, quoted and cited as theirs, never computed here.

Sources: the CLIP paper (Radford et al. 2021, Tables 10 and 11) and CLIP_benchmark (LAION,
benchmark/benchmark.csv, openai ViT-B-32). Every report section that prints one names its source.
"""

from __future__ import annotations

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
