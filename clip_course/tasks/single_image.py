"""Single-image prompt ranking: the original course report's section 二 as reusable functions.

:func:`rank_prompts` is the openai/CLIP README's example as one call: encode one image and a
list of prompts, take ``softmax(s * cosine)`` over the prompts (``s`` the model's own logit scale,
100 for openai's CLIP), and return them sorted; :func:`predict` (``clip_course.predict``) does it for
images given as paths or photo names, loading the model too.
:func:`refinement_series` ranks several prompt lists for the same image (progressive
refinement: "map" -> "a white map" -> ...), encoding the image and each distinct prompt
once. :func:`sample_photos` gives photos that ship with scikit-image and scikit-learn, plus
any image dropped into ``data/images/``, so the experiments run with no download.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt
import torch
from PIL import Image

from clip_course.core import models as core_models
from clip_course.core.encode import encode_images, encode_texts
from clip_course.core.types import LoadedModelLike
from clip_course.data import pictures
from clip_course.data import shapes as synthetic
from clip_course.data.dataset import IMAGE_SUFFIXES
from clip_course.data.folders import load_image
from clip_course.errors import DatasetError, PromptError
from clip_course.tasks.zeroshot import model_logit_scale

if TYPE_CHECKING:
    from clip_course.core.models import LoadedModel

__all__ = [
    "as_rgb", "BUILTIN_PHOTOS", "cumulative", "experiment_image", "experiments", "gallery", "GALLERY_PROMPTS",
    "GALLERY_ROLES", "np", "open_image", "predict", "rank_images", "rank_prompts", "Ranking", "ranking_json",
    "refinement_series", "sample_photos", "scene", "series_json",
]

_IMAGES_DIR = Path("data") / "images"

Ranking = list[tuple[str, float]]
#: One image as the functions here take it: a file path, a PIL image or an RGB / grey array.
_ImageLike: TypeAlias = "str | os.PathLike[str] | Image.Image | npt.ArrayLike"


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


def as_rgb(image: _ImageLike, name: str = "image") -> np.ndarray:
    """An image as RGB uint8 (H, W, 3) from a path, a PIL image or an array.

    Grey images are repeated to three channels, an alpha channel is dropped, float arrays
    in [0, 1] are scaled to 0-255. A missing or unreadable file raises ``DatasetError``.
    """
    if isinstance(image, (str, os.PathLike)):
        return np.array(load_image(os.fspath(image)))  # a writable copy: torch warns on read-only arrays
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


def _image_feature(lm: LoadedModelLike, image: _ImageLike) -> torch.Tensor:
    rgb = as_rgb(image)
    return encode_images(lm, rgb[None], batch_size=1, normalize=True, progress=False)[0]


def _text_features(lm: LoadedModelLike, prompts: list[str]) -> dict[str, torch.Tensor]:
    unique = list(dict.fromkeys(prompts))
    feats = encode_texts(lm, unique, normalize=True)
    return dict(zip(unique, feats, strict=True))



def _rank(image_feature: torch.Tensor, prompts: list[str], text: dict[str, torch.Tensor], scale: float) -> Ranking:
    W = torch.stack([text[p] for p in prompts])
    probs = (scale * W.float() @ image_feature.float()).softmax(dim=0).tolist()
    return sorted(zip(prompts, probs, strict=True), key=lambda t: -t[1])


def _distinct(prompts: Sequence[str]) -> list[str]:
    prompts = _check_prompts(prompts)
    if len(set(prompts)) != len(prompts):
        dupes = sorted({p for p in prompts if prompts.count(p) > 1})
        raise PromptError(f"Prompts must be distinct (they compete in one softmax); repeated: {dupes}.")
    return prompts


def rank_images(lm: LoadedModelLike, images: Sequence[_ImageLike], prompts: Sequence[str]) -> list[Ranking]:
    """:func:`rank_prompts` for each image in turn, the prompts encoded once."""
    prompts = _distinct(prompts)
    text, scale = _text_features(lm, prompts), model_logit_scale(lm)
    return [_rank(_image_feature(lm, image), prompts, text, scale) for image in images]


def rank_prompts(lm: LoadedModelLike, image: _ImageLike, prompts: Sequence[str]) -> Ranking:
    """Prompts for one image, most probable first: ``[(prompt, probability), ...]``.

    Probabilities are ``softmax(s * cosine(image, prompt))`` over the given prompts with the
    model's learned scale ``s`` (:func:`logit_scale`; 100 for openai's CLIP, as in the openai/CLIP
    README); they sum to 1 and depend on which other prompts are in the list.
    ``image`` is a path, a PIL image or an RGB array; ``lm`` a ``models.LoadedModel``.
    """
    return rank_images(lm, [image], prompts)[0]


def open_image(spec: _ImageLike) -> np.ndarray:
    """An image as RGB uint8 from a path, a PIL image, an array, or a built-in photo's name
    (:data:`BUILTIN_PHOTOS`: astronaut, chelsea, ...) when no file of that name exists."""
    if isinstance(spec, str) and not Path(spec).exists() and spec in BUILTIN_PHOTOS:
        return as_rgb(BUILTIN_PHOTOS[spec](), name=spec)
    if isinstance(spec, (str, os.PathLike)) and not Path(spec).is_file():
        raise DatasetError(f"Image {str(spec)!r} is not a file nor a built-in photo ({', '.join(BUILTIN_PHOTOS)}); "
                           f"give the path of an image file.")
    return as_rgb(spec)


def predict(images: _ImageLike | list[_ImageLike] | tuple[_ImageLike, ...], texts: Sequence[str],
            model: str | LoadedModel | None = None,
            device: str | None = None) -> Ranking | list[Ranking]:
    """The openai/CLIP README's demo as one call: texts ranked for each image, most probable first.

    ``images``: one image or a list of them (paths, PIL images, RGB arrays, or built-in photo names
    such as ``"chelsea"``); ``texts``: the candidate texts, e.g. ``["a dog", "a cat"]``. ``model``:
    a name, a checkpoint path or a loaded model (default: the ``auto`` profile's, miniclip offline).
    Returns ``[(text, probability), ...]`` for one image, a list of those for a list of images;
    probabilities are softmax at the model's own logit scale (:func:`rank_prompts`).
    """
    from clip_course.data.profiles import resolve

    lm = (model if isinstance(model, core_models.LoadedModel)
          else core_models.load(model or resolve("auto").model, device=device))
    if isinstance(images, (list, tuple)):
        return rank_images(lm, [open_image(im) for im in images], texts)
    return rank_images(lm, [open_image(images)], texts)[0]


def refinement_series(lm: LoadedModelLike, image: _ImageLike, prompt_lists: Sequence[Sequence[str]]) -> list[Ranking]:
    """:func:`rank_prompts` for each prompt list in turn, same image (one ranking per list).

    Use it for progressive refinement, e.g. ``cumulative(["map", "a white map", ...])``:
    each step adds a more specific prompt and the softmax shows whether it takes over.
    """
    if isinstance(prompt_lists, str) or not list(prompt_lists):
        raise PromptError("prompt_lists must be a non-empty list of prompt lists, "
                          "e.g. [['a map'], ['a map', 'a white map']].")
    lists = [_check_prompts(p, f"prompts of step {i + 1}") for i, p in enumerate(prompt_lists)]
    for i, p in enumerate(lists):
        if len(set(p)) != len(p):
            raise PromptError(f"Step {i + 1} repeats a prompt; prompts in one step must be distinct.")
    feature = _image_feature(lm, image)
    text = _text_features(lm, [p for step in lists for p in step])
    return [_rank(feature, step, text, model_logit_scale(lm)) for step in lists]


def cumulative(prompts: Sequence[str], base: Sequence[str] = ()) -> list[list[str]]:
    """Prompt lists that grow one prompt at a time: ``base + prompts[:1]``, ``base + prompts[:2]``, ...

    ``base`` (e.g. unrelated distractors) is in every step, so the first step is a real choice.
    """
    prompts = _check_prompts(prompts)
    return [list(base) + prompts[: i + 1] for i in range(len(prompts))]


def _folder_photos(folder: str | os.PathLike | None) -> dict[str, Callable[[], np.ndarray]]:
    """Loaders for the image files in ``folder`` by file stem (none if it does not exist)."""
    if folder is None or not Path(folder).is_dir():
        return {}
    return {p.stem: functools.partial(load_image, p) for p in sorted(Path(folder).iterdir())
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES}


def sample_photos(names: Sequence[str] | None = None,
                  folder: str | os.PathLike | None = _IMAGES_DIR) -> dict[str, np.ndarray]:
    """Named RGB uint8 photos: the built-in ones (:data:`BUILTIN_PHOTOS`) plus every image in ``folder``.

    Images in ``folder`` are named by their file stem; ``names`` picks a subset in that order.
    An unreadable file in ``folder`` raises ``DatasetError`` naming it.
    """
    available = {**BUILTIN_PHOTOS, **_folder_photos(folder)}
    chosen = list(available) if names is None else list(names)
    unknown = [n for n in chosen if n not in available]
    if unknown:
        raise DatasetError(
            f"Unknown sample photo(s) {unknown}; available: {sorted(available)} "
            f"(add your own as image files in {folder})."
        )
    return {n: as_rgb(available[n](), name=n) for n in chosen}


# ----------------------------------------------------------------------- the experiments of 02


@dataclass(frozen=True)
class Experiment:
    """One single-image experiment: an image and one or more prompt lists to rank in turn."""

    name: str
    title: str
    image: str  # a sample photo name, "picture:<name>" or "shapes:<size> <colour> <shape> on <background>"
    steps: tuple[tuple[str, ...], ...]
    question: str


def scene(spec: str, seed: int = 0) -> np.ndarray:
    """A ShapesWorld render from a phrase: "small red circle on grey" (on: a background name),
    optionally "... as sketch" (a rendering style)."""
    spec, _, style = spec.partition(" as ")
    words, _, background = spec.partition(" on ")
    parts = words.split()
    if len(parts) != 3 or not background:
        raise DatasetError(
            f"Scene {spec!r} must read '<size> <colour> <shape> on <background>', e.g. "
            f"'small red circle on grey' (sizes {synthetic.SIZES}, backgrounds {synthetic.BACKGROUNDS})."
        )
    size, colour, shape = parts
    return synthetic.render(shape, colour, size=size, background=background.strip(), rng=seed,
                            style=style.strip() or "flat")


def experiment_image(spec: str, folder: str | os.PathLike | None = _IMAGES_DIR) -> np.ndarray:
    """The image an :class:`Experiment` names: a ShapesWorld scene, a sample photo, or "A + B", a
    composite of two such images side by side (the original course report's image 6)."""
    if " + " in spec:
        left, right = (as_rgb(experiment_image(part.strip(), folder)) for part in spec.split(" + ", 1))
        h = min(left.shape[0], right.shape[0])
        crop = [np.asarray(Image.fromarray(im).resize((round(im.shape[1] * h / im.shape[0]), h)))
                for im in (left, right)]
        return np.concatenate(crop, axis=1)
    if spec.startswith("shapes:"):
        return scene(spec.split(":", 1)[1])
    if spec.startswith("picture:"):
        name = spec.split(":", 1)[1]
        if name not in pictures.PICTURES:
            raise DatasetError(f"Unknown picture {name!r}; the pictures are {sorted(pictures.PICTURES)}.")
        return pictures.picture(name)
    return sample_photos([spec], folder=folder)[spec]


def _exp(name: str, title: str, image: str, steps: list[list[str]], question: str) -> Experiment:
    return Experiment(name, title, image, tuple(tuple(s) for s in steps), question)


#: Prompts every gallery image is ranked against, per profile (paper: one phrase per role of the
#: original course report's six pictures, as it described them).
GALLERY_PROMPTS = {
    "paper": ["a map", "an anime drawing of a person with a dog", "a person laughing with a dog",
              "emblem of beihang university", "nlp", "sky and architecture"],
    "offline": ["a red circle", "a blue star", "a green triangle", "a yellow heart", "a white square",
                "a photo of a cat", "a rocket"],
}
#: Gallery images per profile (each adds every photo in data/images/): in the paper profile the six
#: pictures that play the roles of the original course report's (:mod:`clip_course.data.pictures`).
_GALLERY_IMAGES = {
    "paper": [f"picture:{name}" for name in pictures.PICTURES],
    "offline": ["shapes:small red circle on grey", "shapes:big blue star on striped",
                "shapes:big green triangle on checkered", "shapes:small yellow heart on dark grey",
                "chelsea", "rocket"],
}


#: Each gallery image's own description among :data:`GALLERY_PROMPTS` (the paper profile: one per role),
#: so the gallery ranking doubles as a sanity check: a model that reads pictures puts each first.
GALLERY_ROLES = {"paper": dict(zip(pictures.PICTURES, GALLERY_PROMPTS["paper"], strict=True))}


def experiments(profile: str) -> list[Experiment]:
    """The original course report's single-image experiments (section 二) for a profile ("paper" or "offline").

    Offline, MiniCLIP knows only ShapesWorld's words, so the same questions are asked of
    ShapesWorld renders.
    """
    if profile == "offline":
        return [
            _exp("refinement", "Progressive refinement", "shapes:small red circle on grey",
                 cumulative(["a shape", "a circle", "a red circle", "a small red circle on a grey background"],
                            base=["a blue square"]),
                 "Does each more detailed (and true) prompt take over from the vaguer ones?"),
            _exp("style_word", "A single dominant word", "shapes:big red circle on striped",
                 [["a red circle", "a red circle on a grey background", "a red circle on a striped background",
                   "striped"]],
                 "Does one salient word ('striped', as 'anime' in the original course report) beat full descriptions?"),
            _exp("generic_vs_specific", "Generic against specific labels", "shapes:big blue star on grey",
                 [["a shape", "a star", "a blue star", "a big blue star", "a big red star"]],
                 "Is the specific true label preferred to the generic one, and a specific false one rejected?"),
            _exp("drawn", "Drawn rather than rendered", "shapes:big red circle on grey as sketch",
                 [["a red circle", "a sketch of a red circle", "a blue square", "a green triangle"]],
                 "Is a pencil sketch of the scene still read as its content (the original course report's "
                 "images 2 and 3, a drawing and a photo)?"),
            _exp("composite", "A composite picture", "shapes:big red circle on grey + shapes:big blue star on grey",
                 [["a red circle", "a blue star", "a red circle and a blue star", "a green triangle"]],
                 "Does the description of the whole composite win, or one of its parts (the original course "
                 "report's image 6)?"),
        ]
    if profile == "paper":  # the original's six pictures' roles, with its prompt lists replayed
        dog = ["a person with a dog", "blue", "a person laughing with a dog", "anime"]
        return [
            _exp("refinement", "Progressive refinement", "picture:map",
                 cumulative(["map", "a white map", "a colorful map", "Chinese province"], base=["a photo of a dog"]),
                 "Does each more detailed prompt take over from the vaguer ones, as 'map' → 'a white map' → "
                 "'Chinese province' did on the original course report's image 1?"),
            _exp("style_word", "A single dominant word", "picture:drawn", [dog],
                 "Does the style word 'anime' dominate the descriptions of a drawn picture, as on the original "
                 "course report's image 2?"),
            _exp("generic_vs_specific", "Generic against specific labels", "picture:emblem",
                 [["an emblem", "a logo", "beihang", "emblem of beihang university", "emblem of tsinghua university"]],
                 "Is the specific 'emblem of beihang university' preferred to the generic labels and to a specific "
                 "false one, as on the original course report's image 4?"),
            _exp("drawn", "A photo with the drawing's prompts", "picture:person_dog", [dog],
                 "With the same prompts as the drawing, does 'a person laughing with a dog' win on a photo of a "
                 "person (the original course report's image 3 against its image 2)?"),
            _exp("diagram", "A diagram with model names", "picture:diagram",
                 [["nlp", "GPT", "BERT", "computer vision", "a diagram"]],
                 "Does 'nlp', a word the diagram never writes, beat the model names it does write (the original "
                 "course report's image 5)?"),
            _exp("composite", "A composite picture", "picture:composite",
                 [["architecture", "sky", "sky and architecture", "green grass", "lawn"]],
                 "Do 'sky' and 'architecture' win while the painted lawn is not read as 'green grass' or 'lawn' "
                 "(the original course report's image 6)?"),
        ]
    raise DatasetError(f"Unknown profile {profile!r} for the single-image experiments; use 'paper' or 'offline'.")


def gallery(profile: str, folder: str | os.PathLike | None = _IMAGES_DIR,
            builtin: bool = True) -> dict[str, np.ndarray]:
    """The images notebook 02 ranks prompts for: the profile's list (unless ``builtin`` is False)
    plus every photo in ``folder``. A folder other than the default that does not exist is an
    error, not silence: a mistyped path would otherwise just show no photos of yours."""
    if profile not in _GALLERY_IMAGES:
        raise DatasetError(f"Unknown profile {profile!r}; use 'paper' or 'offline'.")
    if folder is not None and Path(folder) != _IMAGES_DIR and not Path(folder).is_dir():
        raise DatasetError(f"images_dir={str(folder)!r} is not a folder: give the folder that holds your images, "
                           f"or images_dir=None for the built-in ones only.")
    mine = {name: as_rgb(loader(), name=name) for name, loader in _folder_photos(folder).items()}
    if not builtin and not mine:
        raise DatasetError(f"own_images_only=True, but {str(folder)!r} holds no image files "
                           f"({', '.join(sorted(IMAGE_SUFFIXES))}).")
    out = ({spec.split(":", 1)[-1]: experiment_image(spec, folder=None) for spec in _GALLERY_IMAGES[profile]}
           if builtin else {})
    out.update(mine)
    return out


def ranking_json(ranking: Sequence[tuple[str, float]]) -> list[dict[str, float | str]]:
    """A ranking as JSON rows ``[{"prompt", "probability"}, ...]``."""
    return [{"prompt": p, "probability": float(q)} for p, q in ranking]


def series_json(series: Sequence[Sequence[tuple[str, float]]]) -> list[dict[str, Any]]:
    """A refinement series as JSON: per step, the prompt it added, its winner and the ranking."""
    out, seen = [], set()
    for i, ranking in enumerate(series):
        prompts = [p for p, _ in ranking]
        added = [p for p in prompts if p not in seen]
        seen.update(prompts)
        out.append({"step": i + 1, "added": added[0] if len(added) == 1 else added,
                    "winner": ranking[0][0], "probability": float(ranking[0][1]), "ranking": ranking_json(ranking)})
    return out
