"""Single-image prompt ranking: the seed report's section 二 as reusable functions.

:func:`rank_prompts` is the openai/CLIP README's example as one call: encode one image and a
list of prompts, take ``softmax(100 * cosine)`` over the prompts, and return them sorted.
:func:`refinement_series` ranks several prompt lists for the same image (progressive
refinement: "map" -> "a white map" -> ...), encoding the image and each distinct prompt
once. :func:`sample_photos` gives photos that ship with scikit-image and scikit-learn, plus
any image dropped into ``data/images/``, so the experiments run with no download.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from clip_course.data import IMAGE_SUFFIXES, DatasetError, load_image
from clip_course.prompts import PromptError

#: The logit scale of the README's example and of zero-shot classification.
LOGIT_SCALE = 100.0
IMAGES_DIR = Path("data") / "images"

Ranking = list[tuple[str, float]]


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from skimage import data

        return getattr(data, name)()

    return load


def _sklearn(filename: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from sklearn.datasets import load_sample_image

        return load_sample_image(filename)

    return load


#: Photos installed with scikit-image / scikit-learn (no network): name -> loader.
BUILTIN_PHOTOS: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": _skimage("astronaut"),
    "chelsea": _skimage("chelsea"),
    "coffee": _skimage("coffee"),
    "rocket": _skimage("rocket"),
    "china": _sklearn("china.jpg"),
    "flower": _sklearn("flower.jpg"),
}


def as_rgb(image: Any, name: str = "image") -> np.ndarray:
    """An image as RGB uint8 (H, W, 3) from a path, a PIL image or an array.

    Grey images are repeated to three channels, an alpha channel is dropped, float arrays
    in [0, 1] are scaled to 0-255. A missing or unreadable file raises ``DatasetError``.
    """
    if isinstance(image, (str, os.PathLike)):
        return np.array(load_image(image))  # a writable copy: torch warns on read-only arrays
    if hasattr(image, "convert") and hasattr(image, "size"):  # a PIL image
        return np.array(image.convert("RGB"), dtype=np.uint8)
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or min(arr.shape[:2]) < 1:
        raise DatasetError(
            f"{name} has shape {arr.shape}; give an RGB image (H, W, 3), a grey one (H, W), "
            f"an RGBA one (H, W, 4), a PIL image or a file path."
        )
    arr = arr[..., :3]
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
            raise DatasetError(f"{name} is a float array outside [0, 1]; scale it to [0, 1] or uint8.")
        return np.round(arr * 255).astype(np.uint8)
    if arr.min() < 0 or arr.max() > 255:
        raise DatasetError(f"{name} holds values outside 0..255; give uint8 pixels.")
    return arr.astype(np.uint8)


def _check_prompts(prompts: Sequence[str], what: str = "prompts") -> list[str]:
    if isinstance(prompts, str):
        raise PromptError(f"{what} must be a list of strings, got the single string {prompts!r}; wrap it in [...].")
    prompts = list(prompts)
    if not prompts:
        raise PromptError(f"The {what} list is empty; give at least one prompt, e.g. ['a photo of a cat'].")
    bad = [p for p in prompts if not isinstance(p, str) or not p.strip()]
    if bad:
        raise PromptError(f"Every prompt must be a non-empty string; got {bad!r} in {what}.")
    return prompts


def _image_feature(lm: Any, image: Any) -> torch.Tensor:
    from clip_course.encode import encode_images

    rgb = as_rgb(image)
    return encode_images(lm, rgb[None], batch_size=1, normalize=True, progress=False)[0]


def _text_features(lm: Any, prompts: list[str]) -> dict[str, torch.Tensor]:
    from clip_course.encode import encode_texts

    unique = list(dict.fromkeys(prompts))
    feats = encode_texts(lm, unique, normalize=True)
    return dict(zip(unique, feats, strict=True))


def _rank(image_feature: torch.Tensor, prompts: list[str], text: dict[str, torch.Tensor]) -> Ranking:
    W = torch.stack([text[p] for p in prompts])
    probs = (LOGIT_SCALE * W @ image_feature).softmax(dim=0).tolist()
    return sorted(zip(prompts, probs, strict=True), key=lambda t: -t[1])


def rank_prompts(lm: Any, image: Any, prompts: Sequence[str]) -> Ranking:
    """Prompts for one image, most probable first: ``[(prompt, probability), ...]``.

    Probabilities are ``softmax(100 * cosine(image, prompt))`` over the given prompts, as in
    the openai/CLIP README; they sum to 1 and depend on which other prompts are in the list.
    ``image`` is a path, a PIL image or an RGB array; ``lm`` a ``models.LoadedModel``.
    """
    prompts = _check_prompts(prompts)
    if len(set(prompts)) != len(prompts):
        dupes = sorted({p for p in prompts if prompts.count(p) > 1})
        raise PromptError(f"Prompts must be distinct (they compete in one softmax); repeated: {dupes}.")
    return _rank(_image_feature(lm, image), prompts, _text_features(lm, prompts))


def refinement_series(lm: Any, image: Any, prompt_lists: Sequence[Sequence[str]]) -> list[Ranking]:
    """:func:`rank_prompts` for each prompt list in turn, same image (one ranking per list).

    Use it for progressive refinement, e.g. ``cumulative(["map", "a white map", ...])``:
    each step adds a more specific prompt and the softmax shows whether it takes over.
    """
    if isinstance(prompt_lists, str) or not list(prompt_lists):
        raise PromptError("prompt_lists must be a non-empty list of prompt lists, e.g. [['a map'], ['a map', 'a white map']].")
    lists = [_check_prompts(p, f"prompts of step {i + 1}") for i, p in enumerate(prompt_lists)]
    for i, p in enumerate(lists):
        if len(set(p)) != len(p):
            raise PromptError(f"Step {i + 1} repeats a prompt; prompts in one step must be distinct.")
    feature = _image_feature(lm, image)
    text = _text_features(lm, [p for step in lists for p in step])
    return [_rank(feature, step, text) for step in lists]


def cumulative(prompts: Sequence[str], base: Sequence[str] = ()) -> list[list[str]]:
    """Prompt lists that grow one prompt at a time: ``base + prompts[:1]``, ``base + prompts[:2]``, ...

    ``base`` (e.g. unrelated distractors) is in every step, so the first step is a real choice.
    """
    prompts = _check_prompts(prompts)
    return [list(base) + prompts[: i + 1] for i in range(len(prompts))]


def sample_photos(names: Sequence[str] | None = None, folder: str | os.PathLike | None = IMAGES_DIR) -> dict[str, np.ndarray]:
    """Named RGB uint8 photos: the built-in ones (:data:`BUILTIN_PHOTOS`) plus every image in ``folder``.

    Images in ``folder`` are named by their file stem; ``names`` picks a subset in that order.
    An unreadable file in ``folder`` raises ``DatasetError`` naming it.
    """
    available: dict[str, Callable[[], np.ndarray]] = dict(BUILTIN_PHOTOS)
    if folder is not None and Path(folder).is_dir():
        for path in sorted(Path(folder).iterdir()):
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                available[path.stem] = lambda p=path: load_image(p)
    chosen = list(available) if names is None else list(names)
    unknown = [n for n in chosen if n not in available]
    if unknown:
        raise DatasetError(
            f"Unknown sample photo(s) {unknown}; available: {sorted(available)} "
            f"(add your own as image files in {folder})."
        )
    return {n: as_rgb(available[n](), name=n) for n in chosen}
