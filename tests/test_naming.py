"""Names from hashes: what a model is called, and whether published figures are comparable, is
decided by its checkpoint's sha256 alone; a user's file is named by file name and hash, never a path."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from clip_course.core import hub, models
from clip_course.data import naming
from clip_course.io import sha256_file
from clip_course.report import prose, prose_across


@pytest.fixture
def user_file(tmp_path):
    """A file in openai's format and at openai's file name, but not openai's bytes."""
    path = tmp_path / "clip" / "ViT-B-32.pt"
    path.parent.mkdir()
    path.write_bytes(b"random weights in openai's format")
    return path, sha256_file(path)


def record(path, sha, name=None) -> dict:
    name = name or str(path)
    return {"name": name, "checkpoint_sha256": sha, "origin": models.checkpoint_origin(name, path, sha)}


def every_text(model: dict) -> list[str]:
    """Every sentence and title this branch names a model in, both languages."""
    name = prose.model_name(model)
    texts = [prose.model_identity(model), prose.no_training_log(model), name,
             prose.published_figures_note(False, False, model), prose.published_figures_note(False, True, model),
             prose_across.benchmark_sentence({}, model, naming.model_name(model).openai, offline=False)]
    return [t for b in texts for t in (b.en, b.zh)]


def test_a_file_at_openais_name_is_not_openais_unless_its_hash_is(user_file, monkeypatch):
    path, sha = user_file
    n = naming.model_name(record(path, sha, name="ViT-B/32"))
    assert (n.kind, n.openai, n.comparable) == ("other", False, False)
    assert (n.en == f"the checkpoint ViT-B-32.pt (sha256 {sha[:12]}…)"
            and n.zh == f"检查点 ViT-B-32.pt（sha256 {sha[:12]}…）")
    for text in every_text(record(path, sha)):
        assert str(path.parent) not in text and "OpenAI's ViT-B/32" not in text.replace(
            "published figures for OpenAI's released ViT-B/32", "")
    # the same bytes registered as openai's published hash: now, and only now, OpenAI's
    monkeypatch.setattr(models, "openai_sha256s", lambda: {sha: "ViT-B/32"})
    monkeypatch.setattr(naming, "openai_sha256s", lambda: {sha: "ViT-B/32"})
    n = naming.model_name(record(path, sha))
    assert (n.en, n.zh, n.kind, n.openai, n.comparable) == ("OpenAI's ViT-B/32", "OpenAI 的 ViT-B/32", "openai",
                                                            True, True)
    assert prose.model_identity(record(path, sha)).en.startswith("The model is OpenAI's ViT-B/32, the released file")
    assert "comes pretrained by OpenAI" in prose.no_training_log(record(path, sha)).en
    # another openai release is OpenAI's, but the published ViT-B/32 figures do not measure it
    monkeypatch.setattr(naming, "openai_sha256s", lambda: {sha: "RN50"})
    old = naming.model_name({"name": "RN50", "checkpoint_sha256": sha})  # a record without origin: the hash decides
    assert (old.en, old.openai, old.comparable) == ("OpenAI's RN50", True, False)


def test_a_hub_copy_is_openais_only_when_verified(tmp_path, monkeypatch):
    converted = hub.converted_path("ViT-B/32", tmp_path / "cache")
    converted.parent.mkdir(parents=True)
    converted.write_bytes(b"converted")
    hub.record_path(converted).write_text(json.dumps({"model": "ViT-B/32",
                                                      "source": "timm/x/open_clip_model.safetensors",
                                                      "tensors_sha256": "c" * 64, "recorded_sha256": None}))
    sha = sha256_file(converted)
    unverified = naming.model_name(record(converted, sha, name="ViT-B/32"))
    assert unverified.kind == "hub" and not unverified.openai and not unverified.comparable
    assert "unverified" in unverified.en and "OpenAI's" not in unverified.en
    monkeypatch.setitem(hub.CONVERTED_SHA256, "ViT-B/32", "c" * 64)
    verified = naming.model_name(record(converted, sha, name="ViT-B/32"))
    assert (verified.en, verified.openai, verified.comparable) == ("OpenAI's ViT-B/32", True, True)


def test_miniclip_and_a_loaded_model_are_named_from_their_record(user_file):
    path, sha = user_file
    assert naming.model_name({"name": "miniclip", "checkpoint_sha256": "ab" * 32}).en == "MiniCLIP"
    lm = SimpleNamespace(name=str(path), checkpoint=path, checkpoint_sha256=sha)
    n = naming.session_model_name(lm)
    assert n.en == f"the checkpoint ViT-B-32.pt (sha256 {sha[:12]}…)" and str(n) == n.en
    assert prose.session_name(lm) == n and prose_across.session_name(lm) == n


def test_a_path_passed_as_a_name_keeps_only_its_file_name(user_file):
    path, _ = user_file
    assert prose.display_name(str(path)) == "ViT-B-32.pt"
    assert prose.display_name("ViT-B/32") == "ViT-B/32"  # a model name, not a path
    note = prose.published_figures_note(False, False, str(path)).en
    assert "ViT-B-32.pt" in note and not re.search(re.escape(str(path.parent)), note)
