"""clip-course: OpenAI's CLIP, evaluated the way the paper does it, as reproducible software.

The few calls a notebook or a user needs are re-exported here (imported on first use, so
``import clip_course`` stays light: no torch until a call needs it):

- :func:`predict` ranks texts for images (``predict("chelsea", ["a cat", "a dog"])``), the openai/CLIP
  README's demo;
- :func:`load` loads a CLIP model (any openai name, a checkpoint, or the offline ``"miniclip"``);
  ``model, preprocess = load("miniclip")`` unpacks as ``clip.load``'s result does, and the object
  itself carries the checkpoint's facts;
- :func:`load_dataset` gives a dataset as uint8 arrays plus class names; :func:`ensure_dataset`
  downloads a named dataset first when its files are missing;
- :func:`image_features` / :func:`encode_texts` encode (features cached on disk);
- :func:`zero_shot` evaluates a zero-shot classifier; :func:`linear_probe` runs the paper's probe.

The layout follows the data: ``core`` and ``data`` -> ``tasks`` -> results (``report.schema``)
and ``figures`` -> notebooks -> ``report``. ``dir(clip_course)`` lists the public API.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "predict": "clip_course.tasks.single_image",
    "load": "clip_course.core.models",
    "load_dataset": "clip_course.data.catalog",
    "ensure_dataset": "clip_course.data.download",
    "image_features": "clip_course.core.feature_cache",
    "encode_texts": "clip_course.core.encode",
    "zero_shot": ("clip_course.tasks.zeroshot", "evaluate"),
    "linear_probe": ("clip_course.tasks.probe", "run_probe"),
    "ClipCourseError": "clip_course.errors",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'clip_course' has no attribute {name!r}")
    target = _EXPORTS[name]
    module, attr = target if isinstance(target, tuple) else (target, name)
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API (what ``__all__`` names), not the module's plumbing."""
    return sorted(__all__)
