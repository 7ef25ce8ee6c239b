"""Hub copies of openai's weights: both layouts convert to a model that computes what the source
computes (randomly initialised models saved in each layout; the hub download is faked)."""

from __future__ import annotations

import json
import urllib.error
import warnings

import pytest
import torch
from safetensors.torch import save_file

from clip_course.core import hub, models
from clip_course.errors import DownloadError, ModelLoadError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import clip

transformers = pytest.importorskip("transformers")  # a dev dependency: present in CI

CONTEXT, VOCAB = 16, 1000


def _fp16_exact(module: torch.nn.Module) -> torch.nn.Module:
    """Round every weight to fp16 (openai's release is fp16; hub copies are exact upcasts)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.half().float())
    return module.eval()


def _tiny_transformers_clip() -> torch.nn.Module:
    cfg = transformers.CLIPConfig(
        text_config={"vocab_size": VOCAB, "hidden_size": 128, "intermediate_size": 512,
                     "num_hidden_layers": 2, "num_attention_heads": 2,
                     "max_position_embeddings": CONTEXT, "hidden_act": "quick_gelu",
                     "eos_token_id": VOCAB - 1, "bos_token_id": VOCAB - 2, "pad_token_id": 0},
        vision_config={"hidden_size": 128, "intermediate_size": 512, "num_hidden_layers": 2,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 8,
                       "hidden_act": "quick_gelu"},
        projection_dim=32,
    )
    torch.manual_seed(1)
    model = transformers.CLIPModel(cfg)
    with torch.no_grad():  # transformers initialises some weights to constants: make all random
        for name, p in model.named_parameters():  # q/k large enough that attention is not uniform
            p.normal_(0, 0.2 if ("q_proj" in name or "k_proj" in name) else 0.05)
        model.logit_scale.fill_(2.5)
    return _fp16_exact(model)


def _tokens() -> torch.Tensor:
    """Two texts like clip.tokenize makes them: start, words, end (the largest id), zeros."""
    tokens = torch.zeros(2, CONTEXT, dtype=torch.long)
    tokens[0, :5] = torch.tensor([VOCAB - 2, 17, 230, 5, VOCAB - 1])
    tokens[1, :8] = torch.tensor([VOCAB - 2, 400, 401, 3, 9, 77, 12, VOCAB - 1])
    return tokens


def _features(out) -> torch.Tensor:
    return out if isinstance(out, torch.Tensor) else out.pooler_output


def _load_converted(state: dict) -> torch.nn.Module:
    """What clip.load does with a state dict on CPU: build_model, then float32."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clip.model.build_model(dict(state)).float().eval()


def test_transformers_layout_converts_to_the_same_model():
    src = _tiny_transformers_clip()
    state = hub.to_openai(src.state_dict(), hub.TRANSFORMERS)
    hub.check(state)
    assert hub.architecture(state) == {"embed_dim": 32, "input_resolution": 32, "vision_layers": 2,
                                       "vision_width": 128, "patch_size": 8, "context_length": CONTEXT,
                                       "vocab_size": VOCAB, "text_width": 128, "text_layers": 2}
    model = _load_converted(state)
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        want_img = _features(src.get_image_features(pixel_values=images))
        want_txt = _features(src.get_text_features(input_ids=_tokens()))
        got_img, got_txt = model.encode_image(images), model.encode_text(_tokens())
    assert got_img.shape == want_img.shape == (3, 32)
    torch.testing.assert_close(got_img, want_img, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(got_txt, want_txt, atol=1e-4, rtol=1e-4)
    assert float(model.logit_scale.detach()) == pytest.approx(2.5)


def test_open_clip_layout_converts_to_the_same_model():
    torch.manual_seed(3)  # heads = width // 64 in both towers, as openai's (and build_model's) rule
    src = _fp16_exact(clip.model.CLIP(
        embed_dim=32, image_resolution=32, vision_layers=2, vision_width=128, vision_patch_size=8,
        context_length=77, vocab_size=49408, transformer_width=128, transformer_heads=2,
        transformer_layers=2).float())
    # open_clip's file: openai's names, here under `module.` with its causal-mask buffer
    saved = {f"module.{k}": v.clone() for k, v in src.state_dict().items()}
    saved["module.attn_mask"] = torch.full((77, 77), float("-inf")).triu(1)
    state = hub.to_openai({"state_dict": saved}, hub.OPEN_CLIP)
    assert "attn_mask" not in state and not any(k.startswith("module.") for k in state)
    model = _load_converted(state)
    images, tokens = torch.randn(2, 3, 32, 32), clip.tokenize(["a dog", "a photo of a cat"])
    with torch.no_grad():
        torch.testing.assert_close(model.encode_image(images), src.encode_image(images), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(model.encode_text(tokens), src.encode_text(tokens), atol=1e-5, rtol=1e-5)


def test_both_layouts_of_one_model_give_one_tensor_hash():
    src = _tiny_transformers_clip()
    via_transformers = hub.to_openai(src.state_dict(), hub.TRANSFORMERS)
    as_open_clip = {k: v.half() for k, v in via_transformers.items()}  # an fp16 file of the same weights
    assert hub.tensors_sha256(hub.to_openai(as_open_clip, hub.OPEN_CLIP)) == hub.tensors_sha256(via_transformers)
    changed = dict(via_transformers, logit_scale=via_transformers["logit_scale"] + 1)
    assert hub.tensors_sha256(changed) != hub.tensors_sha256(via_transformers)


def test_wrong_shapes_keys_or_architecture_are_refused():
    state = hub.to_openai(_tiny_transformers_clip().state_dict(), hub.TRANSFORMERS)
    with pytest.raises(DownloadError, match="wrong architecture.*vision_width"):
        hub.check(state, "ViT-B/32")
    bad = dict(state, **{"visual.ln_post.weight": torch.ones(64)})
    with pytest.raises(DownloadError, match="do not fit openai's CLIP model"):
        hub.check(bad)
    with pytest.raises(DownloadError, match="'text_model.pooler.weight' has no openai counterpart"):
        hub.to_openai({"text_model.pooler.weight": torch.ones(1)}, hub.TRANSFORMERS)


# ----------------------------------------------------------------------------- fetching


@pytest.fixture
def hub_files(tmp_path, monkeypatch):
    """A tiny model in each hub layout on disk, and a fake hf_hub_download serving them."""
    src = _tiny_transformers_clip()
    tf_file = tmp_path / "model.safetensors"
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, str(tf_file))
    served = {("openai/clip-vit-base-patch32", "model.safetensors"): tf_file}
    calls = []

    def fake_download(repo_id, filename):
        calls.append(f"{repo_id}/{filename}")
        if (repo_id, filename) not in served:
            raise OSError(f"404 for {repo_id}/{filename}")
        return str(served[(repo_id, filename)])

    monkeypatch.setattr(hub, "_hf_hub_download", fake_download)
    tiny_arch = hub.architecture(hub.to_openai(src.state_dict(), hub.TRANSFORMERS))
    monkeypatch.setitem(hub.ARCHITECTURES, "ViT-B/32", tiny_arch)
    return src, calls


def test_name_falls_back_from_openai_to_the_hub_in_order(tmp_path, monkeypatch, hub_files):
    src, calls = hub_files
    cache = tmp_path / "cache"
    monkeypatch.setattr(models, "CLIP_CACHE", cache)
    openai_calls = []

    def openai_404(url, root):
        openai_calls.append(url)
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    monkeypatch.setattr(models._clip_impl, "_download", openai_404)
    lm = models.load("ViT-B/32", device="cpu")
    assert len(openai_calls) == 1 and "openaipublic" in openai_calls[0]
    assert calls == ["timm/vit_base_patch32_clip_224.openai/open_clip_model.safetensors",
                     "timm/vit_base_patch32_clip_224.openai/open_clip_pytorch_model.bin",
                     "openai/clip-vit-base-patch32/model.safetensors"]
    path = hub.converted_path("ViT-B/32", cache)
    assert lm.checkpoint == path and not models.weights_path("ViT-B/32").exists()
    record = json.loads(hub.record_path(path).read_text())
    assert record["source"] == "openai/clip-vit-base-patch32/model.safetensors"
    assert record["tensors_sha256"] == hub.tensors_sha256(torch.load(path, weights_only=True))
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(lm.model.encode_image(images),
                                   _features(src.get_image_features(pixel_values=images)), atol=1e-4, rtol=1e-4)
    # the next load uses the converted file without any download
    monkeypatch.setattr(models._clip_impl, "_download", lambda *a: pytest.fail("downloaded again"))
    assert models.resolve_checkpoint("ViT-B/32", download=False) == path


def test_a_recorded_hash_that_differs_is_refused(tmp_path, monkeypatch, hub_files):
    monkeypatch.setitem(hub.CONVERTED_SHA256, "ViT-B/32", "0" * 64)
    with pytest.raises(DownloadError, match="not the recorded 0000"):
        hub.fetch("ViT-B/32", tmp_path / "w.pt")
    assert not (tmp_path / "w.pt").exists()


def test_every_source_failing_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "CLIP_CACHE", tmp_path)
    monkeypatch.setattr(models._clip_impl, "_download",
                        lambda url, root: (_ for _ in ()).throw(urllib.error.URLError("no network")))
    with pytest.raises(ModelLoadError) as err:
        models.resolve_checkpoint("ViT-B/32")
    msg = str(err.value)
    assert "not on disk" in msg and "no network" in msg and "Hugging Face hub" in msg
    assert "openai/clip-vit-base-patch32/model.safetensors" in msg
    assert list(tmp_path.rglob("*")) == []


def test_a_resnet_comes_from_its_open_clip_copy_and_builds_the_same_model(tmp_path):
    """RN50's hub copy is timm/resnet50_clip.openai (timm's registry): a random small ResNet CLIP
    saved in that layout (under ``state_dict``, ``module.`` keys) converts to a model that gives the
    source model's features."""
    import clip.model

    torch.manual_seed(5)
    src = clip.model.CLIP(embed_dim=32, image_resolution=64, vision_layers=(1, 1, 1, 1), vision_width=16,
                          vision_patch_size=None, context_length=16, vocab_size=49408, transformer_width=64,
                          transformer_heads=1, transformer_layers=1).eval()  # build_model: heads = width // 64
    saved = tmp_path / "open_clip_pytorch_model.bin"
    torch.save({"state_dict": {f"module.{k}": v for k, v in src.state_dict().items()}}, saved)
    asked = []

    def download(repo_id, filename):
        asked.append(f"{repo_id}/{filename}")
        if filename != saved.name:
            raise OSError("404")
        return str(saved)

    target = hub.fetch("RN50", tmp_path / "hub" / "RN50.pt", download=download)
    assert asked == ["timm/resnet50_clip.openai/open_clip_model.safetensors",
                     "timm/resnet50_clip.openai/open_clip_pytorch_model.bin"]
    record = json.loads(hub.record_path(target).read_text())
    assert (record["source"] == "timm/resnet50_clip.openai/open_clip_pytorch_model.bin"
            and record["recorded_sha256"] is None)
    built = clip.model.build_model(dict(torch.load(target, weights_only=True))).float().eval()
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(built.encode_image(images), src.float().encode_image(images), atol=1e-3, rtol=1e-3)
