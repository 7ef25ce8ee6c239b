"""StyleGAN2's generator in plain PyTorch, loading rosinality-format checkpoints.

StyleCLIP edits faces with ``stylegan2-ffhq-config-f.pt``, a checkpoint of rosinality's
``stylegan2-pytorch`` (a dict whose ``"g_ema"`` entry is the generator's state dict, often
beside ``"latent_avg"``). That code needs two custom CUDA ops (``upfirdn2d`` and
``fused_leaky_relu``) compiled at import time. No maintained PyPI package loads this format
without them (``stylegan2-torch`` compiles the same ops and renames the keys), so this module
re-implements the generator with the same module tree, hence the same state-dict keys, and
plain ``torch.nn.functional`` ops: it runs wherever torch runs, CPU or GPU.

The architecture follows rosinality's ``model.py`` exactly; only ``channels`` is an extra
(optional) argument so tests can build small generators, and :func:`load_generator` infers
every size from the state dict, so any rosinality generator loads without configuration.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from clip_course.core.device import default_device
from clip_course.data.download import STYLEGAN2_CHECKPOINT
from clip_course.errors import StyleCLIPError

__all__ = [
    "DEFAULT_CHECKPOINT", "fused_leaky_relu", "Generator", "load_generator", "ModulatedConv2d", "PixelNorm",
    "rosinality_channels", "upfirdn2d", "Upsample",
]

#: Where ``make download-styleclip`` puts the FFHQ checkpoint StyleCLIP uses (check a download
#: with :func:`load_generator`).
DEFAULT_CHECKPOINT = STYLEGAN2_CHECKPOINT
#: StyleCLIP's FFHQ config-f: 1024 px, 512-d styles, 8 mapping layers, channel multiplier 2.
_FFHQ_CONFIG = {"size": 1024, "style_dim": 512, "n_mlp": 8, "channel_multiplier": 2}
_BLUR_KERNEL = (1, 3, 3, 1)
_LRELU_GAIN = math.sqrt(2.0)


def rosinality_channels(channel_multiplier: int = 2) -> dict[int, int]:
    """Feature channels per resolution, as rosinality's ``Generator.channels``."""
    return {
        4: 512,
        8: 512,
        16: 512,
        32: 512,
        64: 256 * channel_multiplier,
        128: 128 * channel_multiplier,
        256: 64 * channel_multiplier,
        512: 32 * channel_multiplier,
        1024: 16 * channel_multiplier,
    }


# --- plain replacements for rosinality's custom ops -------------------------------------


def upfirdn2d(
    x: torch.Tensor,
    kernel: torch.Tensor,
    up: int = 1,
    down: int = 1,
    pad: tuple[int, int] = (0, 0),
) -> torch.Tensor:
    """Upsample (zero insertion), pad, FIR-filter and downsample each channel of ``x``.

    Same semantics as rosinality's ``upfirdn2d`` with equal x/y factors: the filter is
    applied as a true convolution (kernel flipped), negative pads crop.
    """
    b, c, h, w = x.shape
    if up > 1:
        x = x.reshape(b, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
        x = x.reshape(b, c, h * up, w * up)
    p0, p1 = pad
    x = F.pad(x, [max(p0, 0), max(p1, 0), max(p0, 0), max(p1, 0)])
    if p0 < 0 or p1 < 0:
        x = x[:, :, max(-p0, 0) : x.shape[2] - max(-p1, 0), max(-p0, 0) : x.shape[3] - max(-p1, 0)]
    k = torch.flip(kernel, [0, 1]).to(x.dtype)
    weight = k.expand(c, 1, *k.shape)
    return F.conv2d(x, weight, stride=down, groups=c)


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor, slope: float = 0.2) -> torch.Tensor:
    """Bias, leaky ReLU and the sqrt(2) gain, as rosinality's fused op."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return F.leaky_relu(x + bias.view(shape), slope) * _LRELU_GAIN


def _make_kernel(k: Sequence[float]) -> torch.Tensor:
    """A normalised 2-D FIR kernel from a 1-D (separable) or 2-D one."""
    t = torch.tensor(k, dtype=torch.float32)
    if t.ndim == 1:
        t = t[None, :] * t[:, None]
    return t / t.sum()


# --- layers (module and parameter names are rosinality's: they are the checkpoint keys) --


class PixelNorm(nn.Module):
    """Normalise each vector to unit mean square."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(torch.mean(x**2, dim=1, keepdim=True) + 1e-8)


class Upsample(nn.Module):
    kernel: torch.Tensor  # a buffer (registered in __init__)

    """2x upsampling through a blur kernel (for the skip connections to RGB)."""

    def __init__(self, kernel: Sequence[int], factor: int = 2):
        super().__init__()
        self.factor = factor
        self.register_buffer("kernel", _make_kernel(kernel) * factor**2)
        p = self.kernel.shape[0] - factor
        self.pad = ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class _Blur(nn.Module):
    """FIR low-pass filter applied after a transposed convolution."""

    kernel: torch.Tensor  # a buffer (registered in __init__)

    def __init__(self, kernel: Sequence[int], pad: tuple[int, int], upsample_factor: int = 1):
        super().__init__()
        self.register_buffer("kernel", _make_kernel(kernel) * upsample_factor**2)
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, pad=self.pad)


class _EqualLinear(nn.Module):
    """Linear layer with equalised learning rate (weights scaled at run time)."""

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        bias: bool = True,
        bias_init: float = 0.0,
        lr_mul: float = 1.0,
        activation: str | None = None,
    ):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim).div_(lr_mul))
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init))) if bias else None
        self.activation = activation
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.bias * self.lr_mul if self.bias is not None else None
        if self.activation:
            out = F.linear(x, self.weight * self.scale)
            return fused_leaky_relu(out, bias) if bias is not None else F.leaky_relu(out, 0.2) * _LRELU_GAIN
        return F.linear(x, self.weight * self.scale, bias=bias)


class ModulatedConv2d(nn.Module):
    """Convolution whose weights are modulated per sample by a style, then demodulated."""

    def __init__(
        self,
        in_channel: int,
        out_channel: int,
        kernel_size: int,
        style_dim: int,
        demodulate: bool = True,
        upsample: bool = False,
        blur_kernel: Sequence[int] = _BLUR_KERNEL,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.in_channel = in_channel
        self.out_channel = out_channel
        self.upsample = upsample
        if upsample:
            factor = 2
            p = (len(blur_kernel) - factor) - (kernel_size - 1)
            pad = ((p + 1) // 2 + factor - 1, p // 2 + 1)
            self.blur = _Blur(blur_kernel, pad=pad, upsample_factor=factor)
        self.scale = 1 / math.sqrt(in_channel * kernel_size**2)
        self.padding = kernel_size // 2
        self.weight = nn.Parameter(torch.randn(1, out_channel, in_channel, kernel_size, kernel_size))
        self.modulation = _EqualLinear(style_dim, in_channel, bias_init=1)
        self.demodulate = demodulate

    def modulated_weight(self, style: torch.Tensor) -> torch.Tensor:
        """Per-sample weights (B, out, in, k, k) for styles (B, style_dim)."""
        s = self.modulation(style).view(style.shape[0], 1, self.in_channel, 1, 1)
        weight = self.scale * self.weight * s
        if self.demodulate:
            demod = torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + 1e-8)
            weight = weight * demod.view(style.shape[0], self.out_channel, 1, 1, 1)
        return weight

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        k = self.kernel_size
        weight = self.modulated_weight(style)
        # One grouped convolution for the whole batch: sample i uses weight group i.
        x = x.reshape(1, b * self.in_channel, h, w)
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(b * self.in_channel, self.out_channel, k, k)
            out = F.conv_transpose2d(x, weight, padding=0, stride=2, groups=b)
            out = out.view(b, self.out_channel, *out.shape[2:])
            return self.blur(out)
        weight = weight.reshape(b * self.out_channel, self.in_channel, k, k)
        out = F.conv2d(x, weight, padding=self.padding, groups=b)
        return out.view(b, self.out_channel, *out.shape[2:])


class _NoiseInjection(nn.Module):
    """Adds per-pixel noise scaled by a learned weight."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, image: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        if noise is None:
            b, _, h, w = image.shape
            noise = image.new_empty(b, 1, h, w).normal_()
        return image + self.weight * noise


class _ConstantInput(nn.Module):
    """The learned 4x4 constant the synthesis network starts from."""

    def __init__(self, channel: int, size: int = 4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channel, size, size))

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.input.repeat(latent.shape[0], 1, 1, 1)


class _FusedLeakyReLU(nn.Module):
    """Bias + leaky ReLU + gain; the bias is the checkpoint's ``activate.bias``."""

    def __init__(self, channel: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channel))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fused_leaky_relu(x, self.bias)


class _StyledConv(nn.Module):
    """Modulated convolution, noise, activation."""

    def __init__(
        self,
        in_channel: int,
        out_channel: int,
        kernel_size: int,
        style_dim: int,
        upsample: bool = False,
        blur_kernel: Sequence[int] = _BLUR_KERNEL,
    ):
        super().__init__()
        self.conv = ModulatedConv2d(
            in_channel, out_channel, kernel_size, style_dim, upsample=upsample, blur_kernel=blur_kernel
        )
        self.noise = _NoiseInjection()
        self.activate = _FusedLeakyReLU(out_channel)

    def forward(
        self, x: torch.Tensor, style: torch.Tensor, noise: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self.activate(self.noise(self.conv(x, style), noise=noise))


class _ToRGB(nn.Module):
    """1x1 modulated convolution to RGB, added to the upsampled skip image."""

    def __init__(
        self, in_channel: int, style_dim: int, upsample: bool = True, blur_kernel: Sequence[int] = _BLUR_KERNEL
    ):
        super().__init__()
        if upsample:
            self.upsample = Upsample(blur_kernel)
        self.conv = ModulatedConv2d(in_channel, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(
        self, x: torch.Tensor, style: torch.Tensor, skip: torch.Tensor | None = None
    ) -> torch.Tensor:
        out = self.conv(x, style) + self.bias
        if skip is not None:
            out = out + self.upsample(skip)
        return out


class Generator(nn.Module):
    """rosinality's StyleGAN2 generator: mapping network + synthesis network.

    ``forward`` keeps rosinality's signature (so code written for it works);
    :meth:`synthesis` is the direct W+ -> image path that latent optimisation uses.
    Images come out in roughly [-1, 1].
    """

    def __init__(
        self,
        size: int,
        style_dim: int = 512,
        n_mlp: int = 8,
        channel_multiplier: int = 2,
        blur_kernel: Sequence[int] = _BLUR_KERNEL,
        lr_mlp: float = 0.01,
        channels: Mapping[int, int] | None = None,
    ):
        super().__init__()
        self.size = size
        self.style_dim = style_dim
        self.style = nn.Sequential(
            PixelNorm(),
            *(
                _EqualLinear(style_dim, style_dim, lr_mul=lr_mlp, activation="fused_lrelu")
                for _ in range(n_mlp)
            ),
        )
        self.channels = dict(channels) if channels is not None else rosinality_channels(channel_multiplier)
        c4 = self.channels[4]
        self.input = _ConstantInput(c4)
        self.conv1 = _StyledConv(c4, c4, 3, style_dim, blur_kernel=blur_kernel)
        self.to_rgb1 = _ToRGB(c4, style_dim, upsample=False)

        self.log_size = int(math.log2(size))
        self.num_layers = (self.log_size - 2) * 2 + 1
        self.convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        self.noises = nn.Module()
        for layer_idx in range(self.num_layers):
            res = (layer_idx + 5) // 2
            self.noises.register_buffer(f"noise_{layer_idx}", torch.randn(1, 1, 2**res, 2**res))
        in_channel = c4
        for i in range(3, self.log_size + 1):
            out_channel = self.channels[2**i]
            self.convs.append(
                _StyledConv(in_channel, out_channel, 3, style_dim, upsample=True, blur_kernel=blur_kernel)
            )
            self.convs.append(_StyledConv(out_channel, out_channel, 3, style_dim, blur_kernel=blur_kernel))
            self.to_rgbs.append(_ToRGB(out_channel, style_dim))
            in_channel = out_channel
        #: Number of style vectors in a W+ latent (18 at 1024 px).
        self.n_latent = self.log_size * 2 - 2

    @property
    def device(self) -> torch.device:
        return self.input.input.device

    def get_latent(self, z: torch.Tensor) -> torch.Tensor:
        """Map z (B, style_dim) to w (B, style_dim)."""
        return self.style(z)

    @torch.no_grad()
    def mean_latent(self, n_latent: int, seed: int | None = None) -> torch.Tensor:
        """Mean of ``n_latent`` mapped random z: the centre truncation pulls toward."""
        gen = torch.Generator(device="cpu")
        gen.manual_seed(0 if seed is None else seed)
        z = torch.randn(n_latent, self.style_dim, generator=gen).to(self.device)
        return self.style(z).mean(0, keepdim=True)

    def make_noise(self) -> list[torch.Tensor]:
        """Fresh noise images, one per layer (rosinality's helper)."""
        return [
            torch.randn(1, 1, 2 ** ((i + 5) // 2), 2 ** ((i + 5) // 2), device=self.device)
            for i in range(self.num_layers)
        ]

    def fixed_noise(self) -> list[torch.Tensor]:
        """The checkpoint's stored noise images: what ``randomize_noise=False`` uses."""
        return [getattr(self.noises, f"noise_{i}") for i in range(self.num_layers)]

    def synthesis(
        self, latent: torch.Tensor, noise: Sequence[torch.Tensor | None] | None = None
    ) -> torch.Tensor:
        """Image (B, 3, size, size) from a W+ latent (B, n_latent, style_dim).

        ``noise`` defaults to the stored noise, so the image is a deterministic function
        of the latent (StyleCLIP optimises with ``randomize_noise=False``).
        """
        if latent.ndim != 3 or latent.shape[1:] != (self.n_latent, self.style_dim):
            raise StyleCLIPError(
                f"latent has shape {tuple(latent.shape)}; this generator needs W+ latents of "
                f"shape (batch, {self.n_latent}, {self.style_dim}). Map z with get_latent and "
                f"repeat it {self.n_latent} times, or load a W+ file made for this generator."
            )
        noise = self.fixed_noise() if noise is None else list(noise)
        out = self.input(latent)
        out = self.conv1(out, latent[:, 0], noise=noise[0])
        skip = self.to_rgb1(out, latent[:, 1])
        i = 1
        for conv1, conv2, noise1, noise2, to_rgb in zip(
            self.convs[::2], self.convs[1::2], noise[1::2], noise[2::2], self.to_rgbs, strict=True
        ):
            out = conv1(out, latent[:, i], noise=noise1)
            out = conv2(out, latent[:, i + 1], noise=noise2)
            skip = to_rgb(out, latent[:, i + 2], skip)
            i += 2
        return skip

    def forward(
        self,
        styles: Sequence[torch.Tensor],
        return_latents: bool = False,
        inject_index: int | None = None,
        truncation: float = 1.0,
        truncation_latent: torch.Tensor | None = None,
        input_is_latent: bool = False,
        noise: Sequence[torch.Tensor | None] | None = None,
        randomize_noise: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """rosinality's call: a list of z (or w) codes, optional mixing and truncation."""
        if not input_is_latent:
            styles = [self.style(s) for s in styles]
        if noise is None:
            noise = [None] * self.num_layers if randomize_noise else self.fixed_noise()
        if truncation < 1:
            assert truncation_latent is not None, "truncation < 1 needs truncation_latent"
            styles = [truncation_latent + truncation * (s - truncation_latent) for s in styles]
        if len(styles) < 2:
            s = styles[0]
            latent = s if s.ndim == 3 else s.unsqueeze(1).repeat(1, self.n_latent, 1)
        else:
            if inject_index is None:
                inject_index = random.randint(1, self.n_latent - 1)
            latent = torch.cat(
                [
                    styles[0].unsqueeze(1).repeat(1, inject_index, 1),
                    styles[1].unsqueeze(1).repeat(1, self.n_latent - inject_index, 1),
                ],
                1,
            )
        image = self.synthesis(latent, noise=noise)
        return image, (latent if return_latents else None)


# --- checkpoints ---------------------------------------------------------------------------


def _config_from_state_dict(state: Mapping[str, torch.Tensor]) -> dict:
    """The Generator arguments that produce exactly the keys and shapes of ``state``."""
    n_rgbs = len({k.split(".")[1] for k in state if k.startswith("to_rgbs.")})
    n_mlp = len({k.split(".")[1] for k in state if k.startswith("style.")})
    style_dim = int(state["style.1.weight"].shape[1])
    channels = {4: int(state["input.input"].shape[1])}
    for j in range(n_rgbs):
        channels[2 ** (j + 3)] = int(state[f"to_rgbs.{j}.conv.weight"].shape[2])
    return {"size": 2 ** (n_rgbs + 2), "style_dim": style_dim, "n_mlp": n_mlp, "channels": channels}


def _read_checkpoint(path: Path) -> dict:
    if not path.is_file():
        raise StyleCLIPError(
            f"StyleGAN2 checkpoint {path} does not exist. Fetch the FFHQ checkpoint StyleCLIP "
            f"uses with `make download-styleclip` (needs internet; it goes to {DEFAULT_CHECKPOINT}), "
            f"give the path of a rosinality-format .pt file, or use the offline generator "
            f"(`--generator offline`)."
        )
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a bad file; all mean the same here
        raise StyleCLIPError(
            f"Could not read the StyleGAN2 checkpoint {path}: it is corrupt, truncated or not a "
            f"torch file ({type(err).__name__}: {err}). Delete it and run "
            f"`make download-styleclip` again."
        ) from err
    if not isinstance(ckpt, Mapping):
        raise StyleCLIPError(f"{path} holds a {type(ckpt).__name__}, not a rosinality checkpoint dict.")
    return dict(ckpt)


def load_generator(
    path: str | os.PathLike = DEFAULT_CHECKPOINT,
    device: str | torch.device | None = None,
) -> tuple[Generator, torch.Tensor | None]:
    """Load a rosinality-format checkpoint; returns (generator in eval mode, latent_avg or None).

    The ``"g_ema"`` weights are used (as StyleCLIP does); a bare generator state dict also
    loads. Sizes are read from the state dict, and every key must match.
    """
    path = Path(path).expanduser()
    device = torch.device(device) if device is not None else default_device()
    ckpt = _read_checkpoint(path)
    state = ckpt.get("g_ema", ckpt)
    try:
        generator = Generator(**_config_from_state_dict(state))
        missing, unexpected = generator.load_state_dict(state, strict=False)
        # Old checkpoints lack the stored noise buffers: the seeded ones stand in for them.
        missing = [k for k in missing if not k.startswith("noises.")]
        if missing or unexpected:
            raise KeyError(f"missing keys {missing[:5]}, unexpected keys {unexpected[:5]}")
    except (KeyError, RuntimeError, ValueError, IndexError, TypeError) as err:
        raise StyleCLIPError(
            f"{path} is not a rosinality StyleGAN2 generator checkpoint (expected a dict with "
            f"'g_ema' holding keys like 'style.1.weight', 'convs.0.conv.weight'): {err}. Use the "
            f"stylegan2-ffhq-config-f.pt that `make download-styleclip` fetches."
        ) from err
    latent_avg = ckpt.get("latent_avg")
    if latent_avg is not None:
        latent_avg = latent_avg.reshape(1, -1).to(device)
    return generator.eval().requires_grad_(False).to(device), latent_avg
