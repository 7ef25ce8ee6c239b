"""Model loading: openai names, local checkpoints, clear errors."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
import torch

from clip_course.core import models
from clip_course.core.models import load
from clip_course.errors import ModelLoadError


def test_state_dict_round_trip_matches_clip_load(tiny_clip_path):
    import clip

    lm = load(str(tiny_clip_path), device="cpu")
    ref, _ = clip.load(str(tiny_clip_path), device="cpu", jit=False)
    assert lm.input_resolution == 32 and lm.context_length == 77
    assert lm.dtype == torch.float32 and lm.device.type == "cpu"
    for (k, a), (_, b) in zip(lm.model.state_dict().items(), ref.state_dict().items(), strict=True):
        assert torch.equal(a, b), k
    assert len(lm.checkpoint_sha256) == 64
    d = lm.describe()
    assert d["vision_layers"] == 2 and d["text_layers"] == 2 and d["embed_dim"] == 32
    assert d["parameters"] == sum(p.numel() for p in ref.parameters())


def test_jit_archive_loads(tmp_path):
    from conftest import make_tiny_clip

    # openai's released checkpoints are traced TorchScript archives.
    model = make_tiny_clip().eval()
    image, text = torch.randn(1, 3, 32, 32), torch.zeros(1, 77, dtype=torch.long)
    traced = torch.jit.trace(model, (image, text), check_trace=False)
    path = tmp_path / "tiny_jit.pt"
    traced.save(str(path))
    lm = load(str(path), device="cpu")
    assert lm.input_resolution == 32
    # build_model round-trips most weights through fp16: equal up to fp16 rounding
    ref = model.state_dict()
    for k, v in lm.model.state_dict().items():
        torch.testing.assert_close(v, ref[k].float(), rtol=1e-3, atol=1e-4, msg=k)


def test_hash_changes_with_content(tmp_path, tiny_clip_path):
    other = tmp_path / "other.pt"
    sd = torch.load(tiny_clip_path)
    sd["logit_scale"] = sd["logit_scale"] + 1
    torch.save(sd, other)
    assert load(str(other), device="cpu").checkpoint_sha256 != load(str(tiny_clip_path), device="cpu").checkpoint_sha256


@pytest.mark.parametrize("cut", [0, 100, 5000])
def test_truncated_checkpoint_gives_clear_error(tmp_path, tiny_clip_path, cut):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(tiny_clip_path.read_bytes()[:cut])
    with pytest.raises(ModelLoadError, match="corrupt, truncated or not a CLIP checkpoint"):
        load(str(bad), device="cpu")


def test_non_clip_state_dict_gives_clear_error(tmp_path):
    bad = tmp_path / "linear.pt"
    torch.save(torch.nn.Linear(3, 4).state_dict(), bad)
    with pytest.raises(ModelLoadError, match=str(bad)):
        load(str(bad), device="cpu")


def test_unknown_name_lists_valid_names():
    with pytest.raises(ModelLoadError) as err:
        load("ViT-B/33", device="cpu")
    assert "ViT-B/32" in str(err.value) and "miniclip" in str(err.value)


def test_missing_weights_without_network(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise urllib.error.URLError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(models, "CLIP_CACHE", tmp_path)
    with pytest.raises(ModelLoadError) as err:
        load("ViT-B/32", device="cpu")
    msg = str(err.value)
    assert str(tmp_path / "ViT-B-32.pt") in msg
    assert "make download" in msg and "miniclip" in msg
    assert not (tmp_path / "ViT-B-32.pt").exists()


def test_no_download_flag_does_not_touch_network(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(urllib.request, "urlopen", forbidden)
    monkeypatch.setattr(models, "CLIP_CACHE", tmp_path)
    with pytest.raises(ModelLoadError, match="not on disk"):
        models.resolve_checkpoint("RN50", download=False)


def test_a_users_file_at_the_weights_path_is_never_deleted(tmp_path, monkeypatch):
    """Data loss fix: a file at openai's path that is not openai's is left and named, never replaced."""
    monkeypatch.setattr(models, "CLIP_CACHE", tmp_path)
    mine = models.weights_path("ViT-B/32")
    mine.write_bytes(b"my own fine-tuned weights")
    digest = models.checkpoint_sha256(mine)

    def would_overwrite(url, root):  # clip's downloader re-downloads over a mismatching file
        (Path(root) / Path(url).name).write_bytes(b"openai")
        return str(Path(root) / Path(url).name)

    for network in (would_overwrite, lambda url, root: (_ for _ in ()).throw(urllib.error.URLError("offline"))):
        monkeypatch.setattr(models._clip_impl, "_download", network)
        for download in (True, False):
            with pytest.raises(ModelLoadError) as err:
                models.resolve_checkpoint("ViT-B/32", download=download)
            msg = str(err.value)
            assert f"{mine} is present but not openai's file of CLIP ViT-B/32 (sha256 {digest}" in msg
            assert f"--model {mine}" in msg and "left as it is" in msg
            assert mine.read_bytes() == b"my own fine-tuned weights"
    assert sorted(p.name for p in tmp_path.rglob("*")) == [mine.name]
    assert models.resolve_checkpoint(str(mine)) == mine  # used as a path, it loads as the user's


def test_openai_download_is_moved_into_place_only_when_complete(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "CLIP_CACHE", tmp_path)

    def half(url, root):
        (Path(root) / Path(url).name).write_bytes(b"half")
        raise OSError("connection reset")

    monkeypatch.setattr(models._clip_impl, "_download", half)
    with pytest.raises(ModelLoadError, match="connection reset"):
        models.resolve_checkpoint("ViT-B/32")
    assert list(tmp_path.rglob("*")) == []
