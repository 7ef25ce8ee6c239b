"""Notebook parameters are validated in setup: the error names the parameter, value and what is allowed."""

from __future__ import annotations

import pytest

from clip_course import notebook
from clip_course.errors import ClipCourseError, NotebookError
from clip_course.notebook import params


@pytest.mark.parametrize(
    "name, value, allowed",
    [
        ("limit", "abc", "an integer >= 1 or None"),
        ("limit", 12.5, "an integer >= 1 or None"),
        ("limit", 0, "an integer >= 1 or None"),
        ("limit", True, "an integer >= 1 or None"),
        ("ks", 3, "non-empty list of positive integers"),
        ("ks", [1, 0], "non-empty list of positive integers"),
        ("datasets", ["shapes10"], "a list of 2 dataset names"),
        ("datasets", ["shapes10", "imagenet"], "a list of 2 dataset names"),
        ("corruptions", ["gaussian_noise", "fog"], "corruption names"),
        ("severities", [6], "severities 1..5"),
        ("seed", -1, "an integer >= 0"),
        ("fitter", "adam", "one of ['torch', 'sklearn']"),
        ("lr", float("nan"), "a finite number > 0"),
        ("queries", "a dog", "non-empty strings"),
    ],
)
def test_bad_parameter_named_with_value_and_allowed(name, value, allowed):
    with pytest.raises(NotebookError) as info:
        params.validate_params({name: value})
    msg = str(info.value)
    assert f"{name}={value!r}" in msg and allowed in msg
    assert isinstance(info.value, ClipCourseError)


@pytest.mark.parametrize(
    "good",
    [
        {"limit": None, "ks": [1, 2, 4], "datasets": None, "seed": 0, "fitter": "sklearn", "search": "grid"},
        {"limit": 50, "datasets": ["shapes10", "shapes100"], "corruptions": ["blur", "jpeg"], "severities": [1, 5]},
        {"datasets": ("cifar10", "folder:/x"), "lr": 0.1, "l2_lambda": 0, "queries": None, "unknown": object()},
    ],
)
def test_good_parameters_pass(good):
    params.validate_params(good)


def test_setup_refuses_bad_params_before_loading_a_model(monkeypatch):
    import clip_course.core.models as models

    def no_load(*a, **k):
        raise AssertionError("setup loaded a model before validating its parameters")

    monkeypatch.setattr(models, "load", no_load)
    with pytest.raises(NotebookError, match=r"limit='abc'"):
        notebook.setup("03_cifar_zero_shot", "offline", params={"limit": "abc"})
    with pytest.raises(NotebookError, match=r"seed=-1"):
        notebook.setup("03_cifar_zero_shot", "offline", seed=-1, params={})


def test_ipython_params_read_only_the_notebooks_own_parameters(monkeypatch):
    import types

    import IPython

    class Shell:
        # 01_intro binds `prompts` (a parameter of 02) to a module: not a parameter of 01
        user_ns = {"limit": 12.5, "batch": 6, "prompts": types, "unrelated": 3}

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    assert params.declared_names("03_cifar_zero_shot") >= {"limit", "datasets", "seed"}
    assert params.ipython_params("01_intro") == {"batch": 6}
    with pytest.raises(NotebookError, match=r"limit=12.5"):
        params.validate_params(params.ipython_params("03_cifar_zero_shot"))
    assert params.ipython_params("no_such_notebook") == {}
