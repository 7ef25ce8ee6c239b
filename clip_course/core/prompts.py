"""Class names and prompt templates, per dataset, as CLIP writes them.

CIFAR class names and the 18 CIFAR templates follow openai/CLIP's prompt notebook (the
templates are the original course report's Appendix 1). CIFAR-100 names are torchvision's order with
"_" replaced by " ". Template sets are chosen by name; the offline ShapesWorld datasets
register their own sets through :func:`register_templates`.
"""

from __future__ import annotations

from clip_course.errors import PromptError

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
BARE_TEMPLATE = ["{}"]

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
_GENERIC = {"single": SINGLE_TEMPLATE, "bare": BARE_TEMPLATE}


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


def templates(name: str | list[str], dataset: str | None = None) -> list[str]:
    """The template set called ``name`` for ``dataset``, or an explicit list, validated.

    ``"single"`` is "a photo of a {}.", ``"bare"`` the class name alone, and ``"ensemble"``
    the dataset's own ensemble (the paper's 18 templates for CIFAR, and for any dataset
    without an ensemble of its own).
    """
    if not isinstance(name, str):
        validate_templates(list(name))
        return list(name)
    if name in _GENERIC:
        return list(_GENERIC[name])
    own = _TEMPLATES.get(_family(dataset), {}) if dataset else {}
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
