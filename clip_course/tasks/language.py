"""Zero-shot in another language: the same images, a classifier from Chinese class names and
templates, against the English one (notebook 03's Chinese-prompt section).

clip's tokenizer is byte-level BPE: a Chinese character is its UTF-8 bytes (three), merged
where the English-trained merges allow, so Chinese text costs several tokens per character
and meets a small model's context limit early. Templates whose prompts do not fit the model's
context are left out (and counted), never truncated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from clip_course.core.types import Labels, LoadedModelLike
from clip_course.errors import PromptError
from clip_course.tasks import zeroshot
from clip_course.tasks.stats import paired_difference

__all__ = ["language_entry", "tokens_per_prompt"]


def _fitting_templates(lm: LoadedModelLike, classnames: list[str], templates: list[str]) -> list[str]:
    """The templates whose every prompt fits the model's context."""
    import clip

    def fits(text: str) -> bool:
        try:
            clip.tokenize([text], context_length=lm.context_length, truncate=False)
        except RuntimeError:
            return False
        return True

    return [t for t in templates if all(fits(t.format(c)) for c in classnames)]


def tokens_per_prompt(template: str, classnames: list[str]) -> float:
    """Mean BPE tokens (without start and end) of ``template`` over the classes."""
    from clip.simple_tokenizer import SimpleTokenizer

    tok = SimpleTokenizer()
    return float(np.mean([len(tok.encode(template.format(c))) for c in classnames]))


def language_entry(lm: LoadedModelLike, feats: torch.Tensor, labels: Labels, en_scores: torch.Tensor, en_top1: float,
                   classnames_zh: list[str], templates_zh: list[str], seed: int = 0) -> dict[str, Any]:
    """Chinese-prompt zero-shot against English on the same images (paired interval).

    ``en_scores`` are notebook 03's English ensemble logits of these images and ``en_top1`` its
    recorded top-1, read rather than scored again.
    """
    kept = _fitting_templates(lm, classnames_zh, templates_zh)
    if not kept:
        raise PromptError(f"No Chinese template fits the model's context of {lm.context_length} tokens.")
    zh = zeroshot.score(lm, feats, labels, classnames_zh, kept)
    en_right = en_scores.argmax(dim=1).numpy() == np.asarray(labels)
    d, lo, hi = paired_difference(zh.correct, en_right, seed=seed)
    n_way = int(en_scores.shape[1])
    return {
        "zh": {"top1": zh.top1}, "en": {"top1": float(en_top1)},
        "zh_minus_en": {"diff": d, "lo": lo, "hi": hi}, "n_images": int(len(zh.labels)), "n_way": n_way,
        "chance": 100 / n_way, "classes_zh": classnames_zh, "templates_zh": kept,
        "templates_left_out": len(templates_zh) - len(kept), "context_length": int(lm.context_length),
        "tokens": {"zh": tokens_per_prompt(kept[0], classnames_zh)},
    }
