"""Class names and templates as CLIP writes them."""

from __future__ import annotations

import pytest

from clip_course.core.prompts import (
    CIFAR10_CLASSES,
    CIFAR100_CLASSES,
    CIFAR_TEMPLATES,
    template_sets,
    templates,
    validate_classnames,
)
from clip_course.errors import PromptError


def test_cifar100_names_follow_torchvision_order():
    # CIFAR-100's fine_label_names (torchvision's order) are sorted, with "_" for spaces.
    raw = [c.replace(" ", "_") for c in CIFAR100_CLASSES]
    assert raw == sorted(raw) and len(set(raw)) == 100
    assert CIFAR100_CLASSES[1] == "aquarium fish" and "sweet pepper" in CIFAR100_CLASSES


def test_template_sets():
    assert len(CIFAR_TEMPLATES) == 18 and len(set(CIFAR_TEMPLATES)) == 18
    assert templates("ensemble", "cifar10") == CIFAR_TEMPLATES
    assert templates("single", "cifar100") == ["a photo of a {}."]
    assert templates("bare") == ["{}"]
    assert set(template_sets("cifar10")) == {"bare", "ensemble", "single"}
    assert templates("ensemble", "folder:photos") == CIFAR_TEMPLATES
    assert len(CIFAR10_CLASSES) == 10


@pytest.mark.parametrize("bad", [[], ["a photo of a cat"], ["{} and {}"], [3]])
def test_bad_templates(bad):
    with pytest.raises(PromptError):
        templates(bad)


def test_unknown_set_names_choices():
    with pytest.raises(PromptError, match="ensemble"):
        templates("fancy", "cifar10")


@pytest.mark.parametrize("bad", [[], ["cat", ""], ["cat", "cat"]])
def test_bad_classnames(bad):
    with pytest.raises(PromptError):
        validate_classnames(bad)
