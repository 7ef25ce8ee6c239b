"""Corruptions: CIFAR-10-C's parameters, determinism, monotone severity, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata
from skimage.filters import gaussian

from clip_course.data.corruptions import (
    CORRUPTIONS,
    PARAMETERS,
    corrupt,
    corrupt_dataset,
    corrupted_name,
)
from clip_course.data.dataset import ImageDataset
from clip_course.errors import CorruptionError


def photo(size: int = 32, n: int = 4) -> np.ndarray:
    """Crops of a real photo (astronaut) resized to ``size``: natural edges and textures."""
    img = skdata.astronaut()
    crops = [img[y : y + 256, x : x + 256] for y, x in [(0, 0), (100, 150), (200, 50), (256, 256)][:n]]
    return np.stack([np.asarray(Image.fromarray(c).resize((size, size), Image.BICUBIC)) for c in crops])


def test_every_kind_has_five_severities_and_keeps_shape_and_dtype():
    x = photo()
    assert set(CORRUPTIONS) >= {"gaussian_noise", "blur", "contrast", "jpeg", "pixelate"}
    for kind in CORRUPTIONS:
        assert len(PARAMETERS[kind]) == 5
        for sev in range(6):
            y = corrupt(x, kind, sev, seed=3)
            assert y.shape == x.shape and y.dtype == np.uint8
            assert np.array_equal(y, corrupt(x, kind, sev, seed=3)), f"{kind}@{sev} not deterministic"


def test_severity_zero_is_an_unchanged_copy():
    x = photo()
    for kind in CORRUPTIONS:
        y = corrupt(x, kind, 0)
        assert np.array_equal(y, x) and y is not x


def test_damage_grows_with_severity():
    x = photo(n=4)
    for kind in CORRUPTIONS:
        err = [np.abs(corrupt(x, kind, s, seed=0).astype(float) - x).mean() for s in range(6)]
        assert err[0] == 0 and err[1] > 0, kind
        assert all(b >= a for a, b in zip(err, err[1:], strict=False)), f"{kind}: {err}"


def test_gaussian_noise_has_cifar_c_sigma_and_depends_on_seed():
    x = np.full((8, 32, 32, 3), 128, dtype=np.uint8)  # mid grey: no clipping
    for sev, sigma in zip(range(1, 6), (0.04, 0.06, 0.08, 0.09, 0.10), strict=True):
        y = corrupt(x, "gaussian_noise", sev, seed=1).astype(float) - 128
        assert abs(y.mean()) < 4 * sigma * 255 / np.sqrt(y.size)  # 4 standard errors
        assert y.std() == pytest.approx(sigma * 255, rel=0.03)
    assert not np.array_equal(corrupt(x, "gaussian_noise", 3, seed=1), corrupt(x, "gaussian_noise", 3, seed=2))


def test_blur_matches_skimage_gaussian_and_scales_with_image_size():
    for size, scale in ((32, 1), (64, 2)):
        x = photo(size, n=2)
        for sev, sigma in zip(range(1, 6), (0.4, 0.6, 0.7, 0.8, 1.0), strict=True):
            ref = gaussian(x.astype(float), sigma=(0, sigma * scale, sigma * scale, 0), mode="nearest",
                           truncate=4.0, preserve_range=True)
            ref = np.clip(np.rint(ref), 0, 255)
            assert np.abs(corrupt(x, "blur", sev).astype(float) - ref).max() <= 1


def test_contrast_keeps_channel_means_and_scales_deviations():
    rng = np.random.default_rng(0)
    x = rng.integers(60, 196, size=(3, 32, 32, 3), dtype=np.uint8)  # contrast never clips here
    for sev, factor in zip(range(1, 6), (0.75, 0.5, 0.4, 0.3, 0.15), strict=True):
        y = corrupt(x, "contrast", sev).astype(float)
        xf = x.astype(float)
        np.testing.assert_allclose(y.mean(axis=(1, 2)), xf.mean(axis=(1, 2)), atol=0.5)
        np.testing.assert_allclose(y.std(axis=(1, 2)), factor * xf.std(axis=(1, 2)), atol=0.5)


def test_jpeg_is_a_pil_roundtrip_at_cifar_c_quality():
    import io

    x = photo(n=1)
    buf = io.BytesIO()
    Image.fromarray(x[0]).save(buf, format="JPEG", quality=58)  # severity 3
    ref = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    assert np.array_equal(corrupt(x, "jpeg", 3)[0], ref)


def test_pixelate_at_half_scale_makes_two_by_two_blocks():
    # Not a CIFAR-C severity, but the mechanism: box down to 16 px and back gives 2x2 blocks.
    from clip_course.data import corruptions

    x = photo(n=1)
    y = corruptions._pixelate(x, 0.5)
    assert np.array_equal(y[:, ::2, ::2], y[:, 1::2, 1::2])
    assert np.array_equal(y[:, ::2, ::2], y[:, ::2, 1::2])


@pytest.mark.parametrize("kind,severity,match", [
    ("fog", 1, "Unknown corruption 'fog'"),
    ("blur", 6, "0..5"),
    ("blur", -1, "0..5"),
    ("blur", 2.5, "0..5"),
    ("blur", True, "0..5"),
])
def test_bad_kind_or_severity_is_a_clear_error(kind, severity, match):
    with pytest.raises(CorruptionError, match=match):
        corrupt(photo(n=1), kind, severity)


def test_bad_images_are_a_clear_error():
    with pytest.raises(CorruptionError, match="uint8"):
        corrupt(photo(n=1).astype(np.float32), "blur", 1)
    with pytest.raises(CorruptionError, match="batch axis"):
        corrupt(photo(n=1)[0], "blur", 1)
    with pytest.raises(CorruptionError, match="numpy array"):
        corrupt([photo(n=1)[0]], "blur", 1)


def test_corrupt_dataset_is_a_new_named_dataset():
    x = photo(n=4)
    ds = ImageDataset("shapes10", "test", x, np.array([0, 1, 2, 1]), ["a", "b", "c"])
    bad = corrupt_dataset(ds, "gaussian_noise", 3, seed=5)
    assert bad.name == corrupted_name("shapes10", "gaussian_noise", 3) == "shapes10+gaussian_noise@3"
    assert bad.fingerprint != ds.fingerprint
    assert np.array_equal(bad.labels, ds.labels) and bad.classes == ds.classes and bad.split == "test"
    assert np.array_equal(bad.images, corrupt(x, "gaussian_noise", 3, seed=5))
    assert bad.meta["corruption"] == {"kind": "gaussian_noise", "severity": 3, "seed": 5, "clean": "shapes10"}
    assert corrupt_dataset(ds, "blur", 0) is ds
    with pytest.raises(CorruptionError):
        corrupt_dataset(ds, "nope", 0)


def test_corrupt_dataset_handles_images_of_different_sizes():
    big, small = photo(48, n=1)[0], photo(32, n=1)[0]
    ds = ImageDataset("folder:x", "test", [big, small], np.array([0, 1]), ["a", "b"])
    out = corrupt_dataset(ds, "blur", 2)
    assert [im.shape for im in out.images] == [big.shape, small.shape]
    assert np.array_equal(out.images[1], corrupt(small[None], "blur", 2)[0])
