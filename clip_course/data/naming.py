"""What a model is called, decided by its checkpoint's sha256 and nothing else.

A file at openai's cache path, or named ``ViT-B-32.pt``, is not thereby OpenAI's ViT-B/32: a random
or fine-tuned file in openai's format loads the same way. :func:`model_name` reads the checkpoint's
origin (:func:`clip_course.core.models.checkpoint_origin`, which compares the sha256 with openai's
published ones) and returns the one name every sentence, table and figure title uses, and whether
the published figures (the paper's and CLIP_benchmark's, all for OpenAI's ViT-B/32) measure the
same model. A user's checkpoint is named by its file name and a short hash, never by a path.

It lives in ``data/`` (beside :mod:`clip_course.data.published`) so that ``figures/`` can title a
plot with it as well as ``report/``; the report wraps the two languages it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from clip_course.core.models import OFFLINE_MODEL, checkpoint_origin, openai_sha256s
from clip_course.data.published import REFERENCE_MODEL

__all__ = ["Any", "Mapping", "model_name", "ModelName", "session_model_name"]

#: Hex digits of a sha256 shown beside a user's file name (enough to tell two files apart).
_SHORT_SHA = 12


@dataclass(frozen=True)
class ModelName:
    """A model's name in both languages and what the hash says about it.

    ``openai``: the file is OpenAI's released weights (their published sha256, or their hub copy
    converted here with tensors equal to the recorded value). ``comparable``: the published figures
    (for :data:`REFERENCE_MODEL`) measure this very model.
    """

    en: str
    zh: str
    kind: str  # "openai", "hub", "miniclip", "other"
    openai: bool
    comparable: bool
    sha256: str

    def __str__(self) -> str:
        return self.en


def _file_name(name: str, origin: Mapping[str, Any]) -> str:
    """The checkpoint's file name (no folder), from its recorded path or its model name."""
    raw = str(origin.get("path") or name or "checkpoint")
    return PurePath(raw.replace("\\", "/")).name or raw


def model_name(model: Mapping[str, Any]) -> ModelName:
    """The name of a results ``model`` record (``name``, ``checkpoint_sha256``, optional ``origin``).

    Without an ``origin`` the sha256 alone decides (openai's published hash or not); a hub copy is
    OpenAI's only when its converted tensors matched the recorded value (``verified``).
    """
    origin = dict(model.get("origin") or {})
    name = str(model.get("name") or "")
    sha = str(model.get("checkpoint_sha256") or origin.get("sha256") or "")
    kind = origin.get("kind")
    if kind is None:  # an older record: decide from the hash
        kind = "miniclip" if name == OFFLINE_MODEL else ("openai" if sha in openai_sha256s() else "other")
        origin["model"] = openai_sha256s().get(sha)
    arch = str(origin.get("model") or "")
    if kind == "openai" or (kind == "hub" and origin.get("verified")):
        return ModelName(f"OpenAI's {arch}", f"OpenAI 的 {arch}", kind, True, arch == REFERENCE_MODEL, sha)
    if kind == "miniclip":
        return ModelName("MiniCLIP", "MiniCLIP", kind, False, False, sha)
    short = (sha or str(origin.get("tensors_sha256") or ""))[:_SHORT_SHA]
    if kind == "hub":  # a hub copy whose tensors no recorded value confirms
        return ModelName(f"an unverified hub copy of {arch} (sha256 {short}…)",
                         f"未经核验的 {arch} 模型库副本（sha256 {short}…）", kind, False, False, sha)
    file = _file_name(name, origin)
    return ModelName(f"the checkpoint {file} (sha256 {short}…)", f"检查点 {file}（sha256 {short}…）",
                     "other", False, False, sha)


def session_model_name(lm: Any) -> ModelName:
    """:func:`model_name` of a loaded model (``.name``, ``.checkpoint``, ``.checkpoint_sha256``)."""
    origin = checkpoint_origin(lm.name, lm.checkpoint, lm.checkpoint_sha256)
    return model_name({"name": lm.name, "checkpoint_sha256": lm.checkpoint_sha256, "origin": origin})
