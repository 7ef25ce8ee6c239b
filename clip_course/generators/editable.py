"""The interface StyleCLIP-style editing optimises through: latent -> image in [0, 1].

:class:`EditableGenerator` is what :mod:`clip_course.tasks.styleclip` needs of a generator;
:data:`ATTRIBUTES` are what the offline attribute readout measures.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import torch

from clip_course.data import shapes as sw
from clip_course.errors import StyleCLIPError

__all__ = ["ASSETS", "attribute_names", "ATTRIBUTES", "EditableGenerator", "load_latent_file", "SHAPES_GENERATOR"]

ASSETS = Path(__file__).parent / "assets"
#: The shipped offline generator (VAE + attribute readout weights and their config).
SHAPES_GENERATOR = ASSETS / "shapes_generator.pt"
#: The attributes the readout predicts, in order; each one a ShapesWorld attribute list.
ATTRIBUTES = ("shape", "colour", "size", "position", "background")


def attribute_names() -> dict[str, list[str]]:
    return {
        "shape": list(sw.SHAPES),
        "colour": list(sw.COLOUR_NAMES),
        "size": list(sw.SIZES),
        "position": list(sw.POSITIONS),
        "background": list(sw.BACKGROUNDS),
    }


# ------------------------------------------------------------------------------ interface


class EditableGenerator(ABC):
    """A differentiable map from latents of :attr:`latent_shape` to RGB images in [0, 1]."""

    name: str
    latent_shape: tuple[int, ...]
    image_size: int
    device: torch.device

    @abstractmethod
    def synthesize(self, latent: torch.Tensor) -> torch.Tensor:
        """Images (B, 3, H, W) in [0, 1] (unclamped, so gradients flow) from latents (B, *latent_shape)."""

    @abstractmethod
    def start_latent(self, start: object = None, seed: int = 0) -> torch.Tensor:
        """A start latent (1, *latent_shape); what ``start`` may be depends on the generator."""

    def describe(self) -> dict:
        """Facts for results JSON."""
        return {"generator": self.name, "latent_shape": list(self.latent_shape), "image_size": self.image_size}

    def check_latent(self, latent: object, what: str = "latent") -> torch.Tensor:
        """``latent`` as a float tensor (B, *latent_shape) on this device, else StyleCLIPError."""
        if not isinstance(latent, torch.Tensor) or not latent.is_floating_point():
            raise StyleCLIPError(
                f"{what} must be a float tensor of shape (batch, {', '.join(map(str, self.latent_shape))}), "
                f"got {type(latent).__name__}."
            )
        if latent.ndim == len(self.latent_shape):
            latent = latent.unsqueeze(0)
        if tuple(latent.shape[1:]) != tuple(self.latent_shape):
            raise StyleCLIPError(
                f"{what} has shape {tuple(latent.shape)}, but the generator {self.name!r} takes "
                f"latents of shape (batch, {', '.join(map(str, self.latent_shape))}). Use "
                f"generator.start_latent(...) or a latent saved for this generator."
            )
        return latent.to(self.device, torch.float32)

    def images_uint8(self, latent: torch.Tensor) -> np.ndarray:
        """uint8 (B, H, W, 3) images for figures and GIFs."""
        with torch.no_grad():
            x = self.synthesize(latent).clamp(0, 1)
        return (x * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def load_latent_file(path: str | os.PathLike) -> torch.Tensor:
    """A latent saved with ``torch.save`` (a tensor, or a dict holding one under 'latent')."""
    path = Path(path)
    if not path.is_file():
        raise StyleCLIPError(f"Latent file {path} does not exist. Give the path of a tensor saved with torch.save.")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise StyleCLIPError(f"Could not read the latent file {path} ({type(err).__name__}: {err}).") from err
    if isinstance(obj, dict):
        obj = obj.get("latent", obj.get("w", None))
    if not isinstance(obj, torch.Tensor):
        raise StyleCLIPError(f"{path} holds no latent tensor (expected a tensor or {{'latent': tensor}}).")
    return obj.float()
