"""Caches go to the user cache folder, never the current directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from clip_course.core import miniclip
from clip_course.core.cache import USER_CACHE, resolve_cache_dir, user_cache_dir
from clip_course.core.feature_cache import image_features
from clip_course.core.models import load
from clip_course.data.dataset import ImageDataset


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CLIP_COURSE_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "clip_course"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: relative paths are invalid
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "clip_course"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir() == tmp_path / "xdg" / "clip_course"
    monkeypatch.setenv("CLIP_COURSE_CACHE", str(tmp_path / "own"))
    assert user_cache_dir() == miniclip.cache_dir() == resolve_cache_dir(USER_CACHE) == tmp_path / "own"
    assert resolve_cache_dir(None) is None and resolve_cache_dir("x/y") == Path("x/y")


def test_image_features_cache_in_the_user_cache_by_default(monkeypatch, tmp_path, tiny_clip_path):
    monkeypatch.setenv("CLIP_COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    ds = ImageDataset("cache-probe", "test", rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8),
                      np.array([0, 1, 0, 1]), ["a", "b"])
    feats = image_features(load(str(tiny_clip_path), device="cpu"), ds, progress=False)
    (cached,) = (tmp_path / "cache" / "features").glob("*.pt")
    assert torch.allclose(torch.nn.functional.normalize(torch.load(cached)["features"], dim=-1), feats, atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]  # nothing in the working folder
