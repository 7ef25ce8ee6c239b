"""Images by their real range: a known gradient survives every PIL mode.

Each case writes (or, for modes no file format holds, builds) an image whose pixels encode a
ramp, and checks :func:`load_image` / ``_to_rgb_uint8`` returns that ramp as RGB uint8. The
expected values come from the ramp and the colour-space formulas, not from PIL's conversion.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from clip_course.data.folders import ImageRangeWarning, _to_rgb_uint8, load_image
from clip_course.errors import DatasetError

H, W = 8, 32
RAMP = np.tile(np.linspace(0.0, 1.0, W), (H, 1))  # 0..1 left to right
RAMP8 = np.round(RAMP * 255).astype(np.uint8)


def _gray(expected: np.ndarray) -> np.ndarray:
    return np.repeat(expected[..., None], 3, axis=2)


def _close(got: np.ndarray, expected: np.ndarray, tol: int = 1) -> None:
    assert got.dtype == np.uint8 and got.shape == (H, W, 3), (got.dtype, got.shape)
    diff = np.abs(got.astype(int) - expected.astype(int)).max()
    assert diff <= tol, f"max difference {diff}"


def _load(tmp_path, im: Image.Image, suffix: str) -> np.ndarray:
    path = tmp_path / f"img{suffix}"
    im.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no library or range warning for in-range data
        return load_image(path)


def test_mode_1(tmp_path):
    im = Image.fromarray(RAMP > 0.5).convert("1")
    got = _load(tmp_path, im, ".png")
    _close(got, _gray(np.where(RAMP > 0.5, 255, 0).astype(np.uint8)), 0)


def test_mode_L(tmp_path):
    _close(_load(tmp_path, Image.fromarray(RAMP8, "L"), ".png"), _gray(RAMP8), 0)


def test_mode_LA_drops_alpha(tmp_path):
    alpha = np.random.default_rng(0).integers(0, 256, (H, W), dtype=np.uint8)
    im = Image.fromarray(np.stack([RAMP8, alpha], -1), "LA")
    _close(_load(tmp_path, im, ".png"), _gray(RAMP8), 0)


def test_mode_P_looks_up_its_palette(tmp_path):
    idx = (RAMP * 63).round().astype(np.uint8)  # 64 palette entries
    palette = np.array([(4 * i, 255 - 4 * i, 2 * i) for i in range(64)] + [(0, 0, 0)] * 192, dtype=np.uint8)
    im = Image.fromarray(idx, "P")
    im.putpalette(palette.flatten().tolist())
    _close(_load(tmp_path, im, ".png"), palette[idx], 0)


def test_mode_RGB_and_RGBA(tmp_path):
    rgb = np.stack([RAMP8, 255 - RAMP8, np.full_like(RAMP8, 7)], -1)
    _close(_load(tmp_path, Image.fromarray(rgb, "RGB"), ".png"), rgb, 0)
    rgba = np.concatenate([rgb, np.full((H, W, 1), 9, np.uint8)], -1)
    _close(_load(tmp_path, Image.fromarray(rgba, "RGBA"), ".png"), rgb, 0)


def test_mode_CMYK(tmp_path):
    zero = np.zeros_like(RAMP8)
    im = Image.fromarray(np.stack([RAMP8, zero, zero, zero], -1), "CMYK")
    # R = 255 (1 - C)(1 - K), G = 255 (1 - M)(1 - K), B = 255 (1 - Y)(1 - K)
    expected = np.stack([255 - RAMP8, np.full_like(RAMP8, 255), np.full_like(RAMP8, 255)], -1)
    _close(_load(tmp_path, im, ".tif"), expected, 0)


def test_mode_I16_png(tmp_path):
    im = Image.fromarray((RAMP * 65535).round().astype(np.uint16))
    assert im.mode.startswith("I;16")
    _close(_load(tmp_path, im, ".png"), _gray(RAMP8))


def test_mode_I16B_tiff(tmp_path):
    im = Image.frombytes("I;16B", (W, H), (RAMP * 65535).round().astype(">u2").tobytes())
    _close(_load(tmp_path, im, ".tif"), _gray(RAMP8))


def test_mode_I_holding_16_bit_data_is_16_bit(tmp_path):
    """The issue's case: an int32 TIFF of 16-bit values loaded all black (scaled by 2^31 - 1)."""
    im = Image.fromarray((RAMP * 65535).round().astype(np.int32))
    assert im.mode == "I"
    got = _load(tmp_path, im, ".tif")
    _close(got, _gray(RAMP8))
    assert got.max() == 255


def test_mode_I_full_32_bit_range(tmp_path):
    im = Image.fromarray((RAMP * (2**31 - 1)).round().astype(np.int32))
    _close(_load(tmp_path, im, ".tif"), _gray(RAMP8))


def test_mode_I_negative_scaled_by_min_max_with_one_warning(tmp_path):
    path = tmp_path / "signed.tif"
    Image.fromarray((RAMP * 2000 - 1000).round().astype(np.int32)).save(path)
    with pytest.warns(ImageRangeWarning, match=r"signed\.tif.*-1000, 1000.*min/max") as rec:
        got = load_image(path)
    assert len(rec) == 1
    _close(got, _gray(RAMP8))


def test_mode_F_in_unit_range(tmp_path):
    _close(_load(tmp_path, Image.fromarray(RAMP.astype(np.float32)), ".tif"), _gray(RAMP8))


def test_mode_F_out_of_range_scaled_by_min_max_with_a_warning(tmp_path):
    path = tmp_path / "hdr.tif"
    Image.fromarray((RAMP * 4 - 1).astype(np.float32)).save(path)
    with pytest.warns(ImageRangeWarning, match=r"hdr\.tif.*mode F.*\[-1, 3\]"):
        got = load_image(path)
    _close(got, _gray(RAMP8))


def test_mode_F_nan_refused(tmp_path):
    path = tmp_path / "nan.tif"
    a = RAMP.astype(np.float32)
    a[0, 0] = np.nan
    Image.fromarray(a).save(path)
    with pytest.raises(DatasetError, match=r"nan\.tif.*NaN"):
        load_image(path)


def test_mode_LAB(tmp_path):
    zero = np.zeros_like(RAMP8)  # a* = b* = 0: neutral grey of lightness L*
    im = Image.fromarray(np.stack([RAMP8, zero, zero], -1), "LAB")
    lstar = RAMP8 / 255 * 100
    y = np.where(lstar > 8, ((lstar + 16) / 116) ** 3, lstar / 903.3)  # CIE L* -> relative luminance
    srgb = np.where(y <= 0.0031308, 12.92 * y, 1.055 * y ** (1 / 2.4) - 0.055)
    _close(_load(tmp_path, im, ".tif"), _gray(np.round(srgb * 255).astype(np.uint8)), 3)


@pytest.mark.parametrize("mode", ["HSV", "YCbCr"])
def test_modes_without_a_file_format(mode):
    zero, mid = np.zeros_like(RAMP8), np.full_like(RAMP8, 128)
    # HSV with saturation 0 and YCbCr with neutral chroma are the grey of V / Y
    data = np.stack([zero, zero, RAMP8], -1) if mode == "HSV" else np.stack([RAMP8, mid, mid], -1)
    _close(_to_rgb_uint8(Image.fromarray(data, mode), "mem"), _gray(RAMP8))


@pytest.mark.parametrize("mode", ["La", "RGBa", "PA"])
def test_premultiplied_and_palette_alpha_modes(mode):
    opaque = np.full_like(RAMP8, 255)  # alpha 255: premultiplied values are the colour itself
    if mode == "La":
        im = Image.fromarray(np.stack([RAMP8, opaque], -1), "LA").convert("La")
        expected = _gray(RAMP8)
    elif mode == "RGBa":
        rgb = np.stack([RAMP8, 255 - RAMP8, RAMP8 // 2], -1)
        im = Image.fromarray(np.concatenate([rgb, opaque[..., None]], -1), "RGBA").convert("RGBa")
        expected = rgb
    else:
        im = Image.new("PA", (W, H))
        idx = (RAMP * 255).round().astype(np.uint8)
        im.putdata([(int(i), 255) for i in idx.flatten()])
        im.putpalette([c for i in range(256) for c in (i, i, 255 - i)])
        expected = np.stack([idx, idx, 255 - idx], -1)
    assert im.mode == mode
    _close(_to_rgb_uint8(im, "mem"), expected)


def test_decompression_bomb_is_one_error_not_a_warning(tmp_path):
    """A 10000 x 10000 image (above PIL's 89.5 Mpx guard): one DatasetError naming the file, no warning."""
    path = tmp_path / "huge.png"
    Image.new("1", (10000, 10000)).save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DatasetError, match=r"huge\.png has 100 million pixels.*downscale"):
            load_image(path)


def test_cli_refuses_a_decompression_bomb_in_one_line(tmp_path, capsys):
    """Through the CLI: one `error:` line naming the file, exit 2, no DecompressionBombWarning."""
    from clip_course.cli import main

    for name in ("big", "small"):
        (tmp_path / name).mkdir()
        Image.fromarray(RAMP8).save(tmp_path / name / "0.png")
    Image.new("1", (10000, 10000)).save(tmp_path / "big" / "1.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code = main(["zeroshot", "--model", "miniclip", "--dataset", f"folder:{tmp_path}", "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Warning" not in err
    assert err.startswith("error: ") and "1.png has 100 million pixels" in err
