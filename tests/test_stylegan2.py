"""rosinality-format StyleGAN2: key layout, checkpoint loading, plain-op forward pass."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.signal import convolve2d
from torch.nn import functional as F

from clip_course.errors import StyleCLIPError
from clip_course.generators import stylegan2
from clip_course.generators.load import StyleGAN2Generator

TINY = {"size": 16, "style_dim": 16, "n_mlp": 2, "channels": {4: 16, 8: 12, 16: 8}}


def rosinality_spec(size: int, style_dim: int, n_mlp: int, channels: dict[int, int]) -> dict[str, tuple]:
    """Key -> shape of a rosinality ``Generator.state_dict()``, written out from its model.py."""
    spec: dict[str, tuple] = {}
    for i in range(1, n_mlp + 1):  # style.0 is PixelNorm (no parameters)
        spec[f"style.{i}.weight"] = (style_dim, style_dim)
        spec[f"style.{i}.bias"] = (style_dim,)

    def styled(prefix: str, cin: int, cout: int, up: bool) -> None:
        spec[f"{prefix}.conv.weight"] = (1, cout, cin, 3, 3)
        if up:
            spec[f"{prefix}.conv.blur.kernel"] = (4, 4)
        spec[f"{prefix}.conv.modulation.weight"] = (cin, style_dim)
        spec[f"{prefix}.conv.modulation.bias"] = (cin,)
        spec[f"{prefix}.noise.weight"] = (1,)
        spec[f"{prefix}.activate.bias"] = (cout,)

    def to_rgb(prefix: str, cin: int, up: bool) -> None:
        if up:
            spec[f"{prefix}.upsample.kernel"] = (4, 4)
        spec[f"{prefix}.conv.weight"] = (1, 3, cin, 1, 1)
        spec[f"{prefix}.conv.modulation.weight"] = (cin, style_dim)
        spec[f"{prefix}.conv.modulation.bias"] = (cin,)
        spec[f"{prefix}.bias"] = (1, 3, 1, 1)

    c4 = channels[4]
    spec["input.input"] = (1, c4, 4, 4)
    styled("conv1", c4, c4, False)
    to_rgb("to_rgb1", c4, False)
    log_size = int(math.log2(size))
    for i in range((log_size - 2) * 2 + 1):
        res = 2 ** ((i + 5) // 2)
        spec[f"noises.noise_{i}"] = (1, 1, res, res)
    cin = c4
    for j, i in enumerate(range(3, log_size + 1)):
        cout = channels[2**i]
        styled(f"convs.{2 * j}", cin, cout, True)
        styled(f"convs.{2 * j + 1}", cout, cout, False)
        to_rgb(f"to_rgbs.{j}", cout, True)
        cin = cout
    return spec


def random_checkpoint(spec: dict[str, tuple], seed: int = 0) -> dict:
    """A randomly initialised rosinality checkpoint dict, with the real FIR kernels."""
    gen = torch.Generator().manual_seed(seed)
    k1 = torch.tensor([1.0, 3.0, 3.0, 1.0])
    fir = torch.outer(k1, k1) / 64 * 4  # upsampling kernels carry the factor**2 gain
    state = {}
    for key, shape in spec.items():
        if key.endswith("kernel"):
            state[key] = fir.clone()
        elif key.endswith("noise.weight") or key.endswith("bias"):
            state[key] = 0.1 * torch.randn(shape, generator=gen)
        else:
            state[key] = torch.randn(shape, generator=gen)
    return {"g_ema": state, "latent_avg": torch.randn(spec["style.1.weight"][0], generator=gen)}


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp("sg2") / "tiny-stylegan2.pt"
    ckpt = random_checkpoint(rosinality_spec(**TINY))
    torch.save(ckpt, path)
    return path, ckpt


def test_config_f_key_layout_matches_rosinality():
    with torch.device("meta"):
        g = stylegan2.Generator(1024, 512, 8, channel_multiplier=2)
    got = {k: tuple(v.shape) for k, v in g.state_dict().items()}
    want = rosinality_spec(1024, 512, 8, stylegan2.rosinality_channels(2))
    assert got == want
    # Facts of StyleCLIP's FFHQ config-f generator, independent of the spec above.
    assert g.n_latent == 18 and len(g.convs) == 16 and len(g.to_rgbs) == 8
    assert got["convs.15.conv.weight"] == (1, 32, 32, 3, 3)
    assert got["noises.noise_16"] == (1, 1, 1024, 1024)


def test_loads_checkpoint_and_infers_config(tiny_ckpt):
    path, ckpt = tiny_ckpt
    g, latent_avg = stylegan2.load_generator(path, device="cpu")
    assert g.size == 16 and g.n_latent == 6 and g.style_dim == 16
    for key, value in ckpt["g_ema"].items():
        assert torch.equal(g.state_dict()[key], value), key
    assert torch.equal(latent_avg[0], ckpt["latent_avg"])


def test_forward_pass_is_deterministic_and_matches_rosinality_call(tiny_ckpt):
    g, _ = stylegan2.load_generator(tiny_ckpt[0], device="cpu")
    z = torch.randn(2, 16, generator=torch.Generator().manual_seed(1))
    w = g.get_latent(z)
    wplus = w.unsqueeze(1).repeat(1, g.n_latent, 1)
    img = g.synthesis(wplus)
    assert img.shape == (2, 3, 16, 16) and torch.isfinite(img).all()
    assert img.std() > 0
    torch.testing.assert_close(g.synthesis(wplus), img)
    via_call, latents = g([z], return_latents=True, randomize_noise=False)
    torch.testing.assert_close(via_call, img)
    torch.testing.assert_close(latents, wplus)
    # Truncation 0 collapses every sample onto the truncation latent.
    trunc, _ = g([z], truncation=0.0, truncation_latent=w[:1], randomize_noise=False)
    torch.testing.assert_close(trunc[1], img[0])
    # Random noise changes the image (the noise weights are non-zero).
    assert not torch.allclose(g([z], randomize_noise=True)[0], img)


def reference_upfirdn(x: np.ndarray, k: np.ndarray, up: int, down: int, pad: tuple[int, int]) -> np.ndarray:
    """Per-channel zero insertion, zero padding, true 2-D convolution, subsampling (scipy)."""
    h, w = x.shape
    u = np.zeros((h * up, w * up))
    u[::up, ::up] = x
    u = np.pad(u, [(pad[0], pad[1]), (pad[0], pad[1])])
    return convolve2d(u, k, mode="valid")[::down, ::down]


@pytest.mark.parametrize("up,down,pad", [(1, 1, (2, 1)), (2, 1, (2, 1)), (1, 2, (1, 1)), (2, 1, (1, 1))])
def test_upfirdn2d_matches_scipy(up, down, pad):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 2, 6, 6))
    k = rng.random((4, 4))  # asymmetric, so a flipped kernel would show
    got = stylegan2.upfirdn2d(torch.tensor(x), torch.tensor(k), up=up, down=down, pad=pad).numpy()
    for c in range(2):
        np.testing.assert_allclose(got[0, c], reference_upfirdn(x[0, c], k, up, down, pad), atol=1e-10)


@pytest.mark.parametrize("upsample", [False, True])
def test_modulated_conv_matches_per_sample_reference(upsample):
    torch.manual_seed(0)
    conv = stylegan2.ModulatedConv2d(5, 4, 3, style_dim=6, upsample=upsample)
    x, style = torch.randn(3, 5, 8, 8), torch.randn(3, 6)
    got = conv(x, style)
    for i in range(3):  # rosinality's unfused path, one sample at a time
        s = conv.modulation(style[i : i + 1])[0]
        weight = conv.scale * conv.weight[0] * s.view(1, 5, 1, 1)
        dcoef = (weight.square().sum((1, 2, 3)) + 1e-8).rsqrt()
        if upsample:
            out = F.conv_transpose2d(x[i : i + 1], weight.transpose(0, 1), stride=2)
            out = conv.blur(out)
        else:
            out = F.conv2d(x[i : i + 1], weight, padding=1)
        torch.testing.assert_close(got[i], (out * dcoef.view(1, -1, 1, 1))[0], rtol=1e-4, atol=1e-5)


def test_fused_leaky_relu_definition():
    x, b = torch.tensor([[-2.0, 3.0]]), torch.tensor([1.0, -1.0])
    want = torch.tensor([[-1.0 * 0.2, 2.0]]) * math.sqrt(2)
    torch.testing.assert_close(stylegan2.fused_leaky_relu(x, b), want)


def test_wrapper_start_latents_and_shape_errors(tiny_ckpt):
    g, latent_avg = stylegan2.load_generator(tiny_ckpt[0], device="cpu")
    wrapped = StyleGAN2Generator(g, latent_avg, source="tiny")
    w_rand = wrapped.start_latent("random", seed=3)
    assert w_rand.shape == (1, 6, 16)
    torch.testing.assert_close(w_rand, wrapped.start_latent("random", seed=3))
    z = torch.randn(1, 16, generator=torch.Generator().manual_seed(3))
    want = latent_avg + 0.7 * (g.get_latent(z) - latent_avg)  # StyleCLIP's truncation 0.7
    torch.testing.assert_close(w_rand[0, 0], want[0])
    torch.testing.assert_close(wrapped.start_latent("mean")[0, 5], latent_avg[0])
    img = wrapped.synthesize(w_rand)
    torch.testing.assert_close(img, (g.synthesis(w_rand) + 1) / 2)
    with pytest.raises(StyleCLIPError, match=r"\(batch, 6, 16\)"):
        wrapped.check_latent(torch.zeros(1, 18, 512))
    with pytest.raises(StyleCLIPError, match="W\\+"):
        g.synthesis(torch.zeros(1, 16))
    with pytest.raises(StyleCLIPError, match="random"):
        wrapped.start_latent("sideways")


def test_missing_and_corrupt_checkpoints(tmp_path):
    with pytest.raises(StyleCLIPError, match="make download-styleclip"):
        stylegan2.load_generator(tmp_path / "nope.pt", device="cpu")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a torch file" * 10)
    with pytest.raises(StyleCLIPError, match="corrupt"):
        stylegan2.load_generator(bad, device="cpu")
    wrong = tmp_path / "wrong.pt"
    torch.save({"g_ema": {"foo": torch.zeros(1)}}, wrong)
    with pytest.raises(StyleCLIPError, match="not a rosinality"):
        stylegan2.load_generator(wrong, device="cpu")
    partial = tmp_path / "partial.pt"
    ckpt = random_checkpoint(rosinality_spec(**TINY))
    del ckpt["g_ema"]["convs.1.conv.weight"]
    torch.save(ckpt, partial)
    with pytest.raises(StyleCLIPError, match="convs.1.conv.weight"):
        stylegan2.load_generator(partial, device="cpu")
