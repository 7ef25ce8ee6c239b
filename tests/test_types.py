"""The typing layer: protocols the real classes satisfy, TypedDicts that agree with the schema."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import TypedDict, get_args, get_origin, get_type_hints

import pytest

from clip_course.core.models import LoadedModel
from clip_course.core.types import LoadedModelLike
from clip_course.notebook.session import Session
from clip_course.report import schema
from clip_course.tasks import types as T


def _property_types(protocol: type) -> dict[str, object]:
    return {name: get_type_hints(member.fget)["return"] for name, member in vars(protocol).items()
            if isinstance(member, property)}


def test_loaded_model_has_every_attribute_of_the_protocol_with_its_type():
    fields = {f.name: f.type for f in dataclasses.fields(LoadedModel)}
    hints = get_type_hints(LoadedModel)
    wanted = _property_types(LoadedModelLike)
    assert set(wanted) <= set(fields), set(wanted) - set(fields)
    for name, typ in wanted.items():
        got = hints[name]
        # LoadedModel.preprocess is a bare Callable; every other attribute has the protocol's type exactly
        assert got == typ or (name == "preprocess" and (get_origin(got) or got) is get_origin(typ)), (name, got, typ)


def test_session_has_what_tasks_read():
    wanted = set(_property_types(T.SessionLike)) | {"earlier"}
    have = {f.name for f in dataclasses.fields(Session)} | {n for n in vars(Session) if not n.startswith("_")}
    assert wanted <= have, wanted - have


def _mismatches(spec: schema.Spec, hint: object, path: str = "") -> list[str]:
    """Where the TypedDict-side type ``hint`` departs from the schema's ``spec``."""
    if isinstance(spec, dict):
        if not typing.is_typeddict(hint):
            return [f"{path}: {hint} is not a TypedDict"]
        assert isinstance(hint, type)
        out = []
        if set(hint.__required_keys__) != set(spec):  # type: ignore[attr-defined]
            out.append(f"{path}: required keys {sorted(hint.__required_keys__)} != schema {sorted(spec)}")  # type: ignore[attr-defined]
        hints = get_type_hints(hint)
        for k in set(spec) & set(hints):
            out += _mismatches(spec[k], hints[k], f"{path}.{k}")
        return out
    if isinstance(spec, schema.Optional):
        args = [a for a in get_args(hint) if a is not type(None)]
        if type(None) not in get_args(hint) or len(args) != 1:
            return [f"{path}: {hint} is not X | None"]
        return _mismatches(spec.spec, args[0], path)
    if isinstance(spec, schema.ListOf | schema.MapOf):
        want = list if isinstance(spec, schema.ListOf) else dict
        if get_origin(hint) is not want:
            return [f"{path}: {hint} is not a {want.__name__}"]
        return _mismatches(spec.spec, get_args(hint)[-1], path + "[]")
    expected = {str: str, int: int, bool: bool, list: list, dict: dict}.get(spec) if isinstance(spec, type) else float
    got = get_origin(hint) or hint
    return [] if got is expected else [f"{path}: {hint} where the schema has {spec}"]


PAIRS = [(schema.ZEROSHOT_ENTRY, T.ZeroShotEntry), (schema.PROBE_ENTRY, T.ProbeEntry),
         (schema.ACROSS_ENTRY, T.AcrossEntry), (schema.SWEEP_ENTRY, T.SweepEntry),
         (schema.PROMPT_ENTRY, T.PromptEntry), (schema.DATASET, T.DatasetRecord), (schema.DIFF, T.Diff),
         (schema.TOP, T.Top), (schema.ACCURACY_CI, T.AccuracyCI)]


@pytest.mark.parametrize(("spec", "typed"), PAIRS, ids=[p[1].__name__ for p in PAIRS])
def test_typed_dicts_agree_with_the_schema(spec: dict, typed: type):
    assert _mismatches(spec, typed) == []


def test_the_comparison_finds_a_planted_disagreement():
    class Wrong(TypedDict):
        top1: int  # the schema says a percentage
        top5: float
        extra: str  # not in the schema, and required

    found = _mismatches(schema.TOP, Wrong)
    assert any("required keys" in m for m in found) and any(".top1" in m for m in found)
    assert _mismatches({"a": schema.Optional(int)}, type("X", (), {})) != []
    assert _mismatches(schema.ListOf(str), list[int]) == ["[]: <class 'int'> where the schema has <class 'str'>"]
    assert _mismatches(schema.Optional(schema.NUMBER), types.NoneType | float) == []
