"""Encoding against openai's own pipeline: clip's PIL ``preprocess`` + ``encode_image``, and a
zero-shot classifier written the way openai's notebook writes it (one class at a time)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image
from torchvision.transforms import CenterCrop

from clip_course.core import encode
from clip_course.core import feature_cache as feature_cache_core
from clip_course.core import preprocess as preprocess_core
from clip_course.core.encode import encode_images, encode_texts
from clip_course.core.feature_cache import image_features
from clip_course.core.models import load
from clip_course.core.preprocess import preprocess_images, preprocess_images_differentiable
from clip_course.core.prompts import CIFAR10_CLASSES, CIFAR_TEMPLATES
from clip_course.data.dataset import ImageDataset
from clip_course.errors import ImageInputError, TextInputError, TextTooLongError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import clip
    import clip.model

RESOLUTION = 64
MEAN = torch.tensor(preprocess_core.CLIP_MEAN).view(3, 1, 1)
STD = torch.tensor(preprocess_core.CLIP_STD).view(3, 1, 1)


# ----------------------------------------------------------------------------- fixtures


def _tiny_clip(resolution: int, gain: float = 10.0) -> clip.model.CLIP:
    """A random openai CLIP whose residual branches are scaled up by ``gain``.

    At plain random init the class token dominates and almost every image gets the same
    zero-shot class; the gain makes features depend on the image, so top-1 comparisons bite
    (a PIL-unfaithful resize such as ``F.interpolate`` then flips more than 0.1% of them).
    """
    torch.manual_seed(0)
    model = clip.model.CLIP(
        embed_dim=32, image_resolution=resolution, vision_layers=2, vision_width=64,
        vision_patch_size=16, context_length=77, vocab_size=49408,
        transformer_width=64, transformer_heads=1, transformer_layers=2,
    )
    with torch.no_grad():
        for tower in (model.visual.transformer, model.transformer):
            for block in tower.resblocks:
                block.attn.out_proj.weight *= gain
                block.mlp.c_proj.weight *= gain
    return model


@pytest.fixture(scope="module")
def lm(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("encode") / "tiny.pt"
    torch.save(_tiny_clip(RESOLUTION).state_dict(), path)
    return load(str(path), device="cpu")


def _photos() -> list[np.ndarray]:
    return [skimage.data.astronaut(), skimage.data.chelsea(), skimage.data.coffee(), skimage.data.rocket()]


def _cifar_like(n: int, seed: int = 0) -> np.ndarray:
    """32x32 images cut from real photos (smooth, CIFAR-like), plus a few noise images."""
    rng = np.random.default_rng(seed)
    photos, out = _photos(), []
    for i in range(n):
        if i % 50 == 0:
            out.append(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
            continue
        p = photos[i % len(photos)]
        s = int(rng.integers(32, min(p.shape[:2])))
        y, x = rng.integers(0, p.shape[0] - s), rng.integers(0, p.shape[1] - s)
        out.append(np.asarray(Image.fromarray(p[y : y + s, x : x + s]).resize((32, 32), Image.BILINEAR)))
    return np.stack(out)


def _odd_sizes(resolution: int, seed: int = 1) -> list[np.ndarray]:
    """Whole photos and crops of random (mostly non-square) sizes, up- and down-sampled,
    plus the edge cases: exactly R x R, one side R, sizes one pixel off R."""
    rng = np.random.default_rng(seed)
    images = _photos()
    photo = skimage.data.coffee()
    sizes = [(17, 45), (50, 23), (33, 32), (resolution, resolution), (resolution, resolution + 7),
             (resolution + 1, resolution), (resolution - 1, resolution + 1), (300, 301)]
    sizes += [tuple(int(v) for v in rng.integers(12, 400, size=2)) for _ in range(10)]
    for h, w in sizes:
        y, x = rng.integers(0, photo.shape[0] - h + 1), rng.integers(0, photo.shape[1] - w + 1)
        images.append(np.ascontiguousarray(photo[y : y + h, x : x + w]))
    images.append(rng.integers(0, 256, (41, 77, 3), dtype=np.uint8))
    return images


def _pil_reference(images, resolution: int) -> torch.Tensor:
    """clip's own PIL transform, one image at a time."""
    transform = clip.clip._transform(resolution)
    return torch.stack([transform(Image.fromarray(im)) for im in images])


def _pixels(x: torch.Tensor) -> torch.Tensor:
    """Normalised (.., 3, R, R) back to pixel units 0..255."""
    return (x * STD + MEAN) * 255


def _assert_faithful(ours: torch.Tensor, ref: torch.Tensor) -> None:
    diff = (_pixels(ours) - _pixels(ref)).abs()
    within = (diff <= 1.0 + 1e-3).float().mean().item()
    assert within >= 0.999, f"only {within:.5%} of values within 1/255 of PIL"
    assert diff.max().item() <= 2.0 + 1e-3


# ----------------------------------------------------------------------------- preprocessing


def test_resize_matrix_is_pils_own_resize():
    """Applying the matrix to a float image equals PIL resizing it (mode F), both directions."""
    rng = np.random.default_rng(0)
    for n_in, n_out in [(32, 224), (32, 64), (451, 64), (600, 224), (7, 5)]:
        row = rng.random((3, n_in)).astype(np.float32)
        pil = np.asarray(Image.fromarray(row).resize((n_out, 3), Image.BICUBIC))
        ours = row.astype(np.float64) @ preprocess_core.pil_resize_matrix(n_in, n_out).T
        np.testing.assert_allclose(ours, pil, atol=2e-6)


def test_geometry_matches_torchvision_resize_and_center_crop():
    """Output size of clip's Resize and the offsets of its CenterCrop, read off torchvision."""
    for h, w in [(32, 32), (17, 45), (45, 17), (300, 451), (101, 100), (64, 65), (99, 224)]:
        for r in (32, 64, 224):
            resized = clip.clip._transform(r).transforms[0](Image.new("RGB", (w, h)))
            assert preprocess_core.resized_size(h, w, r) == (resized.height, resized.width)
            # A ramp image: the crop's first pixel value gives the offset.
            ramp_y = Image.fromarray(np.arange(h * w, dtype=np.int32).reshape(h, w) // w)
            ramp_x = Image.fromarray(np.arange(h * w, dtype=np.int32).reshape(h, w) % w)
            if r <= min(h, w):
                top = np.asarray(CenterCrop(r)(ramp_y))[0, 0]
                left = np.asarray(CenterCrop(r)(ramp_x))[0, 0]
                assert preprocess_core.crop_offsets(h, w, r) == (top, left)


@pytest.mark.parametrize("resolution", [64, 224])
def test_preprocess_matches_pil_on_32px_images(resolution):
    images = _cifar_like(40)
    ours = preprocess_images(torch.from_numpy(images), resolution)
    assert ours.shape == (40, 3, resolution, resolution) and ours.dtype == torch.float32
    _assert_faithful(ours, _pil_reference(images, resolution))


@pytest.mark.parametrize("resolution", [64, 224])
def test_preprocess_matches_pil_on_photos_of_other_sizes(resolution):
    for im in _odd_sizes(resolution):
        ours = preprocess_images(torch.from_numpy(im[None]), resolution)
        _assert_faithful(ours, _pil_reference([im], resolution))


def test_differentiable_preprocess_matches_pil_float_resize_and_has_gradients():
    """Reference: PIL's mode-F resize of each channel, then torchvision's centre crop."""
    rng = np.random.default_rng(0)
    for h, w in [(32, 32), (45, 17), (300, 451), (64, 80)]:
        img = rng.random((3, h, w)).astype(np.float32)
        size = preprocess_core.resized_size(h, w, RESOLUTION)
        crop = CenterCrop(RESOLUTION)
        ref = torch.stack([
            torch.from_numpy(np.array(crop(Image.fromarray(c).resize(size[::-1], Image.BICUBIC))))
            for c in img
        ])
        x = torch.from_numpy(img)[None].requires_grad_(True)
        out = preprocess_images_differentiable(x, RESOLUTION)
        torch.testing.assert_close(out[0] * STD + MEAN, ref, atol=1e-5, rtol=0)
        out.sum().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_preprocess_rejects_bad_images():
    with pytest.raises(ImageInputError, match="uint8"):
        preprocess_images(torch.rand(2, 32, 32, 3), 64)
    with pytest.raises(ImageInputError, match=r"\(B, H, W, 3\)"):
        preprocess_images(torch.zeros(2, 3, 32, 32, dtype=torch.uint8), 64)
    with pytest.raises(ImageInputError, match="float"):
        preprocess_images_differentiable(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), 64)


# ----------------------------------------------------------------------------- encoding


def _reference_classifier(lm, classnames, templates) -> torch.Tensor:
    """openai's notebook: one forward pass per class, normalise, mean, renormalise."""
    weights = []
    with torch.no_grad():
        for name in classnames:
            emb = lm.model.encode_text(clip.tokenize([t.format(name) for t in templates]))
            emb = emb / emb.norm(dim=-1, keepdim=True)
            mean = emb.mean(dim=0)
            weights.append(mean / mean.norm())
    return torch.stack(weights, dim=1)


def _reference_image_features(lm, images, batch_size: int = 100) -> torch.Tensor:
    """openai's notebook: PIL preprocess per image, batches of those to encode_image, normalise."""
    feats = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = [lm.preprocess(Image.fromarray(im)) for im in images[start : start + batch_size]]
            f = lm.model.encode_image(torch.stack(batch))
            feats.append(f / f.norm(dim=-1, keepdim=True))
    return torch.cat(feats)


def _our_classifier(lm, classnames, templates) -> torch.Tensor:
    texts = [t.format(c) for c in classnames for t in templates]
    emb = encode_texts(lm, texts, batch_size=64).reshape(len(classnames), len(templates), -1)
    mean = emb.mean(dim=1)
    return (mean / mean.norm(dim=-1, keepdim=True)).T


def test_zero_shot_matches_openai_reference(lm):
    # Images of other sizes interleaved with the 32x32 ones: encode_images batches by size
    # and must put every feature back in its place.
    cifar = list(_cifar_like(1000))
    odd = _odd_sizes(RESOLUTION)
    images = cifar[:500] + odd + cifar[500:]
    ours_w = _our_classifier(lm, CIFAR10_CLASSES, CIFAR_TEMPLATES)
    ref_w = _reference_classifier(lm, CIFAR10_CLASSES, CIFAR_TEMPLATES)
    torch.testing.assert_close(ours_w, ref_w, atol=1e-5, rtol=0)

    ours = encode_images(lm, images, batch_size=128, progress=False)
    ref = _reference_image_features(lm, images)
    assert ours.shape == (len(images), 32) and ours.dtype == torch.float32
    assert (ours * ref).sum(-1).min() > 0.9999
    ours_top1 = (100 * ours @ ours_w).argmax(1)
    ref_top1 = (100 * ref @ ref_w).argmax(1)
    agree = (ours_top1 == ref_top1).float().mean().item()
    assert agree >= 0.999, f"top-1 agrees on only {agree:.4%} of images"
    assert len(ref_top1.unique()) >= 3, "the test model predicts too few classes to test anything"


def test_encode_images_array_equals_list_and_raw_norms(lm):
    images = _cifar_like(20, seed=3)
    from_array = encode_images(lm, images, batch_size=7, normalize=False, progress=False)
    from_list = encode_images(lm, list(images), batch_size=64, normalize=False, progress=False)
    torch.testing.assert_close(from_array, from_list, atol=1e-5, rtol=1e-5)
    normed = encode_images(lm, images, progress=False)
    torch.testing.assert_close(normed, from_array / from_array.norm(dim=-1, keepdim=True))


def test_encode_images_rejects_bad_input(lm):
    with pytest.raises(ImageInputError, match="uint8"):
        encode_images(lm, np.zeros((2, 32, 32, 3), dtype=np.float32), progress=False)
    with pytest.raises(ImageInputError, match=r"images\[1\]"):
        encode_images(lm, [np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8)], progress=False)
    with pytest.raises(ImageInputError, match="list"):
        encode_images(lm, "cat.png", progress=False)


def test_encode_texts_batches_agree_and_long_text_is_named(lm):
    texts = [t.format(c) for c in CIFAR10_CLASSES[:3] for t in CIFAR_TEMPLATES[:5]]
    one_batch = encode_texts(lm, texts)
    small_batches = encode_texts(lm, texts, batch_size=4)
    torch.testing.assert_close(one_batch, small_batches, atol=1e-5, rtol=1e-5)
    with torch.no_grad():
        single = lm.model.encode_text(clip.tokenize([texts[7]]))
    torch.testing.assert_close(one_batch[7], (single / single.norm())[0], atol=1e-5, rtol=0)
    long_text = "a photo of a " + "very " * 80 + "small cat."
    with pytest.raises(TextTooLongError, match="very very"):
        encode_texts(lm, ["a cat", long_text])
    with pytest.raises(TextInputError, match="list of strings"):
        encode_texts(lm, "a cat")


# ----------------------------------------------------------------------------- feature cache


def _dataset(seed: int, n: int = 12) -> ImageDataset:
    images = _cifar_like(n, seed=seed)
    return ImageDataset("toy", "test", images, np.arange(n) % 2, ["cat", "dog"])


@pytest.fixture
def counting(monkeypatch):
    """Counts calls to encode_images, starting from an empty in-process memo."""
    calls = []
    real = feature_cache_core.encode_images

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(feature_cache_core, "encode_images", spy)
    feature_cache_core.clear_memo()
    yield calls
    feature_cache_core.clear_memo()


def test_cache_hit_is_identical_and_skips_encoding(lm, tmp_path: Path, counting):
    ds = _dataset(0)
    first = image_features(lm, ds, normalize=False, cache_dir=tmp_path, progress=False)
    assert len(counting) == 1
    files = list(tmp_path.rglob("*.pt"))
    assert len(files) == 1
    feature_cache_core.clear_memo()  # force a read from disk
    second = image_features(lm, ds, normalize=False, cache_dir=tmp_path, progress=False)
    assert torch.equal(first, second) and len(counting) == 1
    normed = image_features(lm, ds, normalize=True, cache_dir=tmp_path, progress=False)
    torch.testing.assert_close(normed, first / first.norm(dim=-1, keepdim=True))
    torch.testing.assert_close(first, encode_images(lm, ds.images, normalize=False, progress=False))
    # The memo hands out copies: changing a returned tensor does not change the next one.
    normed.zero_()
    assert image_features(lm, ds, cache_dir=tmp_path, progress=False).norm(dim=-1).min() > 0.99


def test_cache_misses_when_key_changes(lm, tmp_path: Path, counting, monkeypatch):
    image_features(lm, _dataset(0), cache_dir=tmp_path, progress=False)
    other = _dataset(1)  # same name and split, other content: another fingerprint
    image_features(lm, other, cache_dir=tmp_path, progress=False)
    assert len(counting) == 2
    monkeypatch.setattr(feature_cache_core.preprocess, "PREPROCESS_VERSION", "changed")
    image_features(lm, other, cache_dir=tmp_path, progress=False)
    assert len(counting) == 3
    assert len(list(tmp_path.rglob("*.pt"))) == 3


def test_cache_key_follows_normalisation_constants(lm, tmp_path: Path, counting, monkeypatch):
    """Changing CLIP_MEAN (no version bump) changes the key and the features are recomputed."""
    from clip_course.core import preprocess

    ds = _dataset(0)
    before = image_features(lm, ds, normalize=False, cache_dir=tmp_path, progress=False)
    key_before = feature_cache_core.cache_key(lm, ds)
    monkeypatch.setattr(preprocess, "CLIP_MEAN", (0.5, 0.5, 0.5))
    assert feature_cache_core.cache_key(lm, ds) != key_before
    after = image_features(lm, ds, normalize=False, cache_dir=tmp_path, progress=False)
    assert len(counting) == 2 and not torch.allclose(before, after)
    monkeypatch.setattr(preprocess, "_FINGERPRINT_SIZES", ((10, 3),))
    preprocess._coefficients_digest.cache_clear()
    try:
        assert feature_cache_core.cache_key(lm, ds)["preprocess"] != key_before["preprocess"]
    finally:
        preprocess._coefficients_digest.cache_clear()


@pytest.mark.parametrize("damage", ["truncate", "nan", "wrong_key", "swap_halves", "flip_signs"])
def test_corrupt_cache_is_recomputed_with_warning(lm, tmp_path: Path, counting, damage):
    ds = _dataset(0)
    good = image_features(lm, ds, normalize=False, cache_dir=tmp_path, progress=False)
    (path,) = tmp_path.rglob("*.pt")
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    else:
        blob = torch.load(path, weights_only=True)
        f = blob["features"]
        if damage == "nan":
            f[0, 0] = float("nan")
        elif damage == "swap_halves":  # plausible values, wrong images: only the checksum tells
            half = len(f) // 2
            blob["features"] = torch.cat([f[half:], f[:half]])
        elif damage == "flip_signs":
            blob["features"] = -f
        else:
            blob["key"]["fingerprint"] = "0" * 64
        torch.save(blob, path)
    feature_cache_core.clear_memo()
    with pytest.warns(UserWarning, match="deleted it, recomputing") as record:
        again = image_features(lm, ds, normalize=False, cache_dir=tmp_path, progress=False)
    if damage in ("swap_halves", "flip_signs"):
        assert "checksum" in str(record[0].message)
    assert len(counting) == 2
    torch.testing.assert_close(again, good)
    feature_cache_core.clear_memo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten file is valid again
        assert torch.equal(image_features(lm, ds, normalize=False, cache_dir=tmp_path, progress=False), again)


def test_text_features_equal_clips_full_length_encoding_and_are_encoded_once(lm, monkeypatch):
    """Tokens are cut after the last end-of-text token: the features equal clip's encode_text over
    the full 77-token context; a repeated text is not encoded again (memo), in any order."""
    texts = ["a photo of a cat.", "a", "a photo of a small red circle on a grey background."]
    ours = encode.encode_texts(lm, texts)
    with torch.inference_mode():
        full = lm.model.encode_text(encode.tokenize(lm, texts)).float()  # the model's whole context
    assert torch.allclose(ours, full / full.norm(dim=-1, keepdim=True), atol=1e-5)
    calls = []
    original = lm.model.encode_text
    monkeypatch.setattr(lm.model, "encode_text", lambda t: calls.append(t.shape) or original(t))
    again = encode.encode_texts(lm, [texts[2], "a new text", texts[0]])
    assert calls == [(1, calls[0][1])] and calls[0][1] < lm.context_length  # only the new text, trimmed
    assert torch.allclose(again[0], ours[2]) and torch.allclose(again[2], ours[0])


def test_a_long_encoding_prints_its_estimate_first(lm, monkeypatch, capsys):
    monkeypatch.setattr(encode, "ESTIMATE_ABOVE_S", 0.0)
    images = np.random.default_rng(0).integers(0, 255, (6, 32, 32, 3), dtype=np.uint8)
    encode.encode_images(lm, images, batch_size=2, progress=False)
    out = capsys.readouterr().out
    assert out.count("encoding 6 images on cpu: about") == 1 and "images/s (measured on the first batch)" in out
