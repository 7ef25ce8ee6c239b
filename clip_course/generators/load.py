"""The generators StyleCLIP edits through (ShapesWorld VAE, StyleGAN2) and :func:`load_editable`.

Two kinds share one small interface (:class:`EditableGenerator`):

- :class:`ShapesGenerator`, the offline one: the decoder of a small variational
  autoencoder trained on ShapesWorld (:mod:`clip_course.data.shapes`), shipped in
  ``clip_course/generators/assets/shapes_generator.pt`` (reproduce it with
  ``python -m clip_course styleclip --train-generator``). Its latent is a 32-d vector;
  a start image ("a red circle") is encoded to its posterior mean. Beside it ships an
  *attribute readout*, a small CNN trained on renders and on the decoder's own
  reconstructions that reads shape, colour, size, position and background off an image,
  so edits can be measured for what changed beyond the request (entanglement).
- :class:`StyleGAN2Generator`, StyleCLIP's own setting: rosinality's StyleGAN2
  (:mod:`clip_course.generators.stylegan2`) in W+ (18 x 512 at 1024 px), fixed noise.

:func:`load_editable` picks one from ``"offline"`` or a checkpoint path.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from clip_course.errors import StyleCLIPError
from clip_course.generators import stylegan2
from clip_course.generators.editable import EditableGenerator, load_latent_file
from clip_course.generators.shapes_generator import load_shapes_generator

__all__ = ["load_editable", "StyleGAN2Generator"]

# ----------------------------------------------------------------------- StyleGAN2 wrapper


class StyleGAN2Generator(EditableGenerator):
    """rosinality's StyleGAN2 in W+ with its stored noise; images mapped from [-1, 1] to [0, 1]."""

    def __init__(self, generator, latent_avg: torch.Tensor | None, source: str, truncation: float = 0.7):
        self.g = generator
        self.device = generator.device
        self.name = f"stylegan2-{generator.size}"
        self.source = source
        self.latent_shape = (generator.n_latent, generator.style_dim)
        self.image_size = generator.size
        self.truncation = truncation
        self._latent_avg = latent_avg

    def synthesize(self, latent: torch.Tensor) -> torch.Tensor:
        return (self.g.synthesis(latent) + 1) / 2

    def mean_latent(self) -> torch.Tensor:
        """The checkpoint's ``latent_avg``, else the mean of 4096 mapped z (as StyleCLIP)."""
        if self._latent_avg is None:
            self._latent_avg = self.g.mean_latent(4096)
        return self._latent_avg

    def start_latent(self, start: object = "random", seed: int = 0) -> torch.Tensor:
        """W+ start: ``"mean"``, ``"random"`` (seeded z, truncated toward the mean with
        :attr:`truncation`, StyleCLIP's edit mode), a tensor, or a W+ ``.pt`` file."""
        if isinstance(start, torch.Tensor):
            return self.check_latent(start, "start latent")
        if start in (None, "random"):
            gen = torch.Generator().manual_seed(seed)
            z = torch.randn(1, self.g.style_dim, generator=gen).to(self.device)
            with torch.no_grad():
                w = self.g.get_latent(z)
                mean = self.mean_latent()
                w = mean + self.truncation * (w - mean)
            return w.unsqueeze(1).repeat(1, self.g.n_latent, 1)
        if start == "mean":
            return self.mean_latent().unsqueeze(1).repeat(1, self.g.n_latent, 1).clone()
        if isinstance(start, (str, os.PathLike)) and Path(start).suffix in (".pt", ".pth"):
            return self.check_latent(load_latent_file(start), f"start latent from {start}")
        raise StyleCLIPError(
            f"Unknown StyleGAN2 start {start!r}: use 'random' (seeded, truncated), 'mean', or "
            f"the path of a W+ latent .pt file of shape (1, {self.g.n_latent}, {self.g.style_dim})."
        )

    def describe(self) -> dict:
        return {**super().describe(), "source": self.source, "truncation": self.truncation}


def load_editable(
    generator: str | os.PathLike = "offline", device: str | torch.device | None = None
) -> EditableGenerator:
    """``"offline"`` (the shipped ShapesWorld generator), ``"stylegan2"`` (the default FFHQ
    checkpoint path) or the path of a rosinality StyleGAN2 / clip-course shapes checkpoint."""
    if generator == "offline":
        return load_shapes_generator(device=device)
    path = stylegan2.DEFAULT_CHECKPOINT if generator == "stylegan2" else Path(generator)
    if path.is_file() and _is_shapes_checkpoint(path):
        return load_shapes_generator(path, device=device)
    g, latent_avg = stylegan2.load_generator(path, device=device)
    return StyleGAN2Generator(g, latent_avg, source=str(path))


def _is_shapes_checkpoint(path: Path) -> bool:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:
        return False
    return isinstance(payload, dict) and str(payload.get("format", "")).startswith("clip-course/shapes")
