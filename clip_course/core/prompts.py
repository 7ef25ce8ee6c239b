"""Class names and prompt templates, per dataset, as CLIP writes them.

CIFAR class names and the 18 CIFAR templates follow openai/CLIP's prompt notebook (the
templates are the original course report's Appendix 1). CIFAR-100 names are torchvision's order with
"_" replaced by " ". Template sets are chosen by name; the offline ShapesWorld datasets
register their own sets through :func:`register_templates`.

Every other named dataset (EuroSAT, DTD, MNIST, ...) takes openai's class names and ensemble
templates from CLIP_benchmark's JSON files, packaged in ``clip_course/references/`` (LAION-AI/
CLIP_benchmark, MIT, commit 48de38c1689fa6d8b4dd53e3370c669c3bb18117,
``clip_benchmark/datasets/{en,cn}_classnames.json`` and
``{en,cn}_zeroshot_classification_templates.json``; their ``{c}`` becomes ``{}``). As CLIP_benchmark
does, a dataset without names there uses the dataset's own (read from its files by the loader),
and one without templates there uses ImageNet's 80. The Chinese files (``lang="zh"``) cover
ImageNet-1k only.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

from clip_course.errors import PromptError

__all__ = [
    "CIFAR100_CLASSES", "CIFAR10_CLASSES", "CIFAR_TEMPLATES", "class_names", "COUNT_TEMPLATES", "Path", "PromptError",
    "REFERENCES_DIR", "SHAPES_TEMPLATES", "SINGLE_TEMPLATE", "template_sets", "templates", "TORCHVISION_CLASSES",
    "validate_classnames", "validate_templates",
]

#: CLIP_benchmark's JSON files and CSV, packaged (see references/README.md).
REFERENCES_DIR = Path(__file__).resolve().parents[1] / "references"
LANGUAGES = {"en": "en", "zh": "cn"}  # our code -> CLIP_benchmark's file prefix

CIFAR10_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]

# torchvision's CIFAR-100 order (alphabetical fine labels), "_" -> " ".
CIFAR100_CLASSES = [
    name.replace("_", " ")
    for name in (
        "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus "
        "butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach "
        "couch crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster "
        "house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree "
        "motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear "
        "pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray road "
        "rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel "
        "streetcar sunflower sweet_pepper table tank telephone television tiger tractor train "
        "trout tulip turtle wardrobe whale willow_tree wolf woman worm"
    ).split()
]

#: The 18 CIFAR-10/100 templates of the CLIP paper's ensemble (the original course report, Appendix 1).
CIFAR_TEMPLATES = [
    "a photo of a {}.",
    "a blurry photo of a {}.",
    "a black and white photo of a {}.",
    "a low contrast photo of a {}.",
    "a high contrast photo of a {}.",
    "a bad photo of a {}.",
    "a good photo of a {}.",
    "a photo of a small {}.",
    "a photo of a big {}.",
    "a photo of the {}.",
    "a blurry photo of the {}.",
    "a black and white photo of the {}.",
    "a low contrast photo of the {}.",
    "a high contrast photo of the {}.",
    "a bad photo of the {}.",
    "a good photo of the {}.",
    "a photo of the small {}.",
    "a photo of the big {}.",
]

SINGLE_TEMPLATE = ["a photo of a {}."]
_BARE_TEMPLATE = ["{}"]

# dataset -> set name -> templates. "single" and "bare" apply to every dataset.
#: ShapesWorld's evaluation ensemble (the offline profile's prompts).
SHAPES_TEMPLATES = [
    "a photo of a {}.",
    "a picture of a {}.",
    "an image of a {}.",
    "a drawing of a {}.",
    "a sketch of a {}.",
    "an outline of a {}.",
    "a cartoon {}.",
    "an icon of a {}.",
    "a clipart of a {}.",
    "a rendering of a {}.",
    "a photo of the small {}.",
    "a photo of the big {}.",
    "a {} shape.",
    "a simple {} symbol.",
    "a flat {} illustration.",
    "a close-up photo of a {}.",
]
#: ShapesWorld's counting prompts (CLEVR-style); its captions never state a number of shapes.
COUNT_TEMPLATES = ["a photo of {} shapes.", "a picture of {} objects.", "{} shapes.", "an image with {} shapes."]

_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "cifar10": {"ensemble": CIFAR_TEMPLATES},
    "cifar100": {"ensemble": CIFAR_TEMPLATES},
    "shapes": {"ensemble": SHAPES_TEMPLATES},
    "shapes_count": {"ensemble": COUNT_TEMPLATES},
}
_GENERIC = {"single": SINGLE_TEMPLATE, "bare": _BARE_TEMPLATE}


def register_templates(dataset: str, name: str, templates: list[str]) -> None:
    """Add a named template set for ``dataset`` (validated)."""
    validate_templates(templates)
    _TEMPLATES.setdefault(dataset, {})[name] = list(templates)


def template_sets(dataset: str | None = None) -> list[str]:
    """Names of the template sets available for ``dataset``."""
    own = _TEMPLATES.get(_family(dataset), {}) if dataset else {}
    return sorted({*_GENERIC, "ensemble", *own})


def _family(dataset: str) -> str:
    # ShapesWorld splits ("shapes100_unseen") share their family's templates.
    if dataset.startswith("shapes"):
        return dataset if dataset in _TEMPLATES else "shapes"
    return dataset


def templates(name: str | Sequence[str], dataset: str | None = None, lang: str = "en") -> list[str]:
    """The template set called ``name`` for ``dataset``, or an explicit list, validated.

    ``"single"`` is "a photo of a {}.", ``"bare"`` the class name alone, and ``"ensemble"``
    the dataset's own ensemble (the paper's 18 templates for CIFAR; CLIP_benchmark's for the
    torchvision datasets; CIFAR's 18 for folders and any other dataset without one).
    ``lang="zh"``: CLIP_benchmark's Chinese ensemble (ImageNet-1k only) or ``"bare"``.
    """
    if not isinstance(name, str):
        validate_templates(list(name))
        return list(name)
    if lang != "en":
        return _templates_in(name, dataset, lang)
    if name in _GENERIC:
        return list(_GENERIC[name])
    own = _TEMPLATES.get(_family(dataset), {}) if dataset else {}
    if name == "ensemble" and "ensemble" not in own and dataset:
        key = _BENCHMARK_KEYS.get(dataset, dataset)
        if key in _benchmark_json("en", "templates"):
            return list(_benchmark_json("en", "templates")[key])
    if name in own:
        return list(own[name])
    if name == "ensemble":
        # Photos without an ensemble of their own (folders, new datasets) get CIFAR's 18
        # generic photo templates.
        return list(CIFAR_TEMPLATES)
    raise PromptError(
        f"Unknown template set {name!r} for dataset {dataset!r}; choose one of "
        f"{template_sets(dataset)} or pass a list of templates containing '{{}}'."
    )


#: Our dataset names whose CLIP_benchmark JSON key differs (CLIP_benchmark's default for a
#: dataset without templates of its own is ImageNet's 80).
_BENCHMARK_KEYS = {"fashion_mnist": "imagenet1k", "kmnist": "imagenet1k"}
#: Class names the JSON files lack but torchvision fixes (``classes`` of its dataset classes;
#: STL10's are its class_names.txt). CIFAR's are above.
TORCHVISION_CLASSES = {
    "stl10": ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"],
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                      "Bag", "Ankle boot"],
    "kmnist": ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
    "renderedsst2": ["negative", "positive"],
}


@functools.cache
def _benchmark_json(lang: str, kind: str) -> dict[str, list[str]]:
    """CLIP_benchmark's ``<lang>_classnames.json`` or ``..._zeroshot_classification_templates.json``."""
    fname = "classnames" if kind == "classnames" else "zeroshot_classification_templates"
    data = json.loads((REFERENCES_DIR / f"clip_benchmark_{LANGUAGES[lang]}_{fname}.json").read_text("utf-8"))
    if kind == "templates":
        return {k: [t.replace("{c}", "{}") for t in v] for k, v in data.items()}
    return data


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise PromptError(f"Unknown language {lang!r}; use one of {sorted(LANGUAGES)}.")


def _templates_in(name: str, dataset: str | None, lang: str) -> list[str]:
    """Template set ``name`` in a language other than English: the JSON's ensemble, or bare."""
    _check_lang(lang)
    if name == "bare":
        return list(_BARE_TEMPLATE)
    have = _benchmark_json(lang, "templates")
    if name == "ensemble" and dataset in have:
        return list(have[dataset])
    raise PromptError(
        f"No {lang!r} template set {name!r} for dataset {dataset!r}: CLIP_benchmark publishes {lang!r} "
        f"ensembles for {sorted(have)} only (and 'bare' is the class name alone)."
    )


def class_names(dataset: str, lang: str = "en") -> list[str]:
    """The class names prompts use for ``dataset``, in label order.

    CIFAR's (above), openai's names from CLIP_benchmark's JSON (EuroSAT, MNIST, Flowers102, ...),
    or torchvision's fixed ones (STL10, FashionMNIST, ...). Datasets whose names come from their own
    files (DTD, Food101, FGVC-Aircraft, ...) and ShapesWorld: use ``load_dataset(name).classes``.
    ``lang="zh"``: CLIP_benchmark's Chinese names (ImageNet-1k only).
    """
    _check_lang(lang)
    if lang == "en":
        fixed = {"cifar10": CIFAR10_CLASSES, "cifar100": CIFAR100_CLASSES, **TORCHVISION_CLASSES}
        if dataset in fixed:
            return list(fixed[dataset])
    names = _benchmark_json(lang, "classnames")
    if dataset in names:
        return list(names[dataset])
    if lang != "en":
        raise PromptError(f"No {lang!r} class names for dataset {dataset!r}: CLIP_benchmark publishes {lang!r} "
                          f"names for {sorted(names)} only.")
    raise PromptError(f"No fixed class names for dataset {dataset!r}; load the dataset and use its .classes "
                      f"(names read from the dataset's own files, or ShapesWorld's).")


def validate_templates(templates: list[str]) -> None:
    """Every template is a string with exactly one ``{}``; the list is not empty."""
    if not templates:
        raise PromptError("The template list is empty; give at least one template with '{}'.")
    for t in templates:
        if not isinstance(t, str) or _fields(t) != [""]:
            raise PromptError(
                f"Template {t!r} must contain exactly one '{{}}' where the class name goes and no "
                f"other braces (write a literal brace as '{{{{' or '}}}}'), e.g. 'a photo of a {{}}.'"
            )


def _fields(template: str) -> list[str] | None:
    """The replacement fields of a str.format template (None when it does not parse)."""
    import string

    try:
        return [f"{name}{'!' + conv if conv else ''}{':' + spec if spec else ''}"
                for _, name, spec, conv in string.Formatter().parse(template) if name is not None]
    except ValueError:  # a lone '{' or '}'
        return None


def validate_classnames(classnames: list[str]) -> None:
    """A non-empty list of non-empty, distinct class names."""
    if not classnames:
        raise PromptError("The class list is empty; a classifier needs at least two classes.")
    bad = [c for c in classnames if not isinstance(c, str) or not c.strip()]
    if bad:
        raise PromptError(f"Class names must be non-empty strings; got {bad!r}.")
    dupes = sorted({c for c in classnames if classnames.count(c) > 1})
    if dupes:
        raise PromptError(f"Class names must be distinct; repeated: {dupes}.")
