"""Profile selection with and without the paper assets on disk (fake assets in tmp dirs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_cifar

from clip_course import errors
from clip_course.core import models
from clip_course.data import profiles
from clip_course.io import sha256_file


@pytest.fixture
def clip_cache(tmp_path, monkeypatch) -> Path:
    cache = tmp_path / "clip-cache"
    monkeypatch.setattr(models, "CLIP_CACHE", cache)
    return cache


def _fake_weights(cache: Path, name: str = "ViT-B/32", monkeypatch=None) -> Path:
    """A file at openai's weights path; with ``monkeypatch``, its sha256 is taken as openai's."""
    path = models.weights_path(name)
    assert path.parent == cache
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"weights")
    if monkeypatch is not None:
        published = dict.fromkeys(models.clip.available_models(), "0" * 64)
        published[name] = sha256_file(path)
        monkeypatch.setattr(models, "openai_sha256", published.__getitem__)
    return path


def test_auto_is_offline_when_nothing_is_on_disk(tmp_path, clip_cache):
    p = profiles.resolve("auto", data_root=tmp_path / "data")
    assert (p.name, p.model, p.coarse, p.fine) == ("offline", "miniclip", "shapes10", "shapes100")
    assert "ViT-B/32" in p.reason and "cifar10" in p.reason and "make download" in p.reason
    assert p.as_dict()["name"] == "offline"


def test_auto_is_paper_when_weights_and_both_cifars_are_on_disk(tmp_path, clip_cache, monkeypatch):
    data = tmp_path / "data"
    _fake_weights(clip_cache, monkeypatch=monkeypatch)
    write_cifar(data, "cifar10")
    write_cifar(data, "cifar100")
    p = profiles.resolve("auto", data_root=data)
    assert (p.name, p.model, p.coarse, p.fine) == ("paper", "ViT-B/32", "cifar10", "cifar100")
    assert "on disk" in p.reason


def test_auto_names_the_one_missing_asset(tmp_path, clip_cache, monkeypatch):
    data = tmp_path / "data"
    _fake_weights(clip_cache, monkeypatch=monkeypatch)
    write_cifar(data, "cifar10")
    p = profiles.resolve("auto", data_root=data)
    assert p.name == "offline"
    assert "cifar100" in p.reason and "ViT-B/32" not in p.reason


def test_paper_without_assets_is_a_clear_error(tmp_path, clip_cache):
    with pytest.raises(errors.ProfileError, match="make download") as info:
        profiles.resolve("paper", data_root=tmp_path)
    assert str(models.weights_path("ViT-B/32")) in str(info.value)


def test_offline_is_always_available_and_unknown_names_fail(tmp_path, clip_cache):
    _fake_weights(clip_cache)
    assert profiles.resolve("offline", data_root=tmp_path).name == "offline"
    with pytest.raises(errors.ProfileError, match="auto"):
        profiles.resolve("colab")


def test_a_file_that_is_not_openais_does_not_make_paper(tmp_path, clip_cache):
    data = tmp_path / "data"
    path = _fake_weights(clip_cache)  # b"weights": not openai's sha256
    write_cifar(data, "cifar10")
    write_cifar(data, "cifar100")
    p = profiles.resolve("auto", data_root=data)
    assert p.name == "offline"
    assert f"{path} is present but not openai's file (sha256 {sha256_file(path)}" in p.reason
    with pytest.raises(errors.ProfileError, match="present but not openai's file"):
        profiles.resolve("paper", data_root=data)
    assert path.read_bytes() == b"weights"


def test_the_weights_checked_are_the_models_asked_for(tmp_path, clip_cache, monkeypatch):
    data = tmp_path / "data"
    _fake_weights(clip_cache, "ViT-B/32", monkeypatch=monkeypatch)
    write_cifar(data, "cifar10")
    write_cifar(data, "cifar100")
    assert profiles.resolve("paper", data_root=data).name == "paper"
    with pytest.raises(errors.ProfileError, match="ViT-B/16") as info:
        profiles.resolve("paper", data_root=data, model="ViT-B/16")
    assert str(models.weights_path("ViT-B/16")) in str(info.value) and "ViT-B/32" not in str(info.value)
    p = profiles.resolve("auto", data_root=data, model="ViT-B/16")
    assert p.name == "offline" and "ViT-B/16" in p.reason
    own = tmp_path / "mine.pt"
    own.write_bytes(b"x")
    assert "ViT-B/16" not in profiles.missing_paper_assets(data, str(own))
    assert profiles.missing_paper_assets(data, str(own)) == []
    assert profiles.missing_paper_assets(data, str(tmp_path / "typo.pt")) == [
        f"model checkpoint {tmp_path / 'typo.pt'} (not a file)"]

