"""The offline generator: a small VAE trained on ShapesWorld and an attribute readout that
measures what an edit changed (shape, colour, size, position, background).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from clip_course.core.device import default_device
from clip_course.data import shapes as sw
from clip_course.errors import StyleCLIPError
from clip_course.generators.editable import (
    ATTRIBUTES,
    SHAPES_GENERATOR,
    EditableGenerator,
    attribute_names,
    load_latent_file,
)
from clip_course.io import atomic_path

__all__ = [
    "EditableGenerator", "find_attributes", "load_shapes_generator", "parse_phrase", "save_shapes_generator",
    "ShapesGenerator", "ShapesTrainConfig", "ShapesVAE", "ShapesVAEConfig", "train_shapes_generator",
]

# ----------------------------------------------------------------------- offline: ShapesVAE


@dataclass(frozen=True)
class ShapesVAEConfig:
    """Architecture of the offline generator (stored in its checkpoint)."""

    image_size: int = 32
    latent_dim: int = 32
    width: int = 32


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))


def _up(cin: int, cout: int) -> nn.Sequential:
    # Nearest upsampling + conv instead of transposed convs: no checkerboard artefacts.
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(cin, cout, 3, 1, 1),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(0.2),
    )


class ShapesVAE(nn.Module):
    """A small convolutional VAE for 32x32 ShapesWorld images (three 2x stages).

    Channels halve as resolution doubles (``4w`` at 4x4 down to ``w/2`` at full size), which
    keeps a training step cheap enough for a 2-core CPU.
    """

    def __init__(self, config: ShapesVAEConfig = ShapesVAEConfig()):
        super().__init__()
        self.config = config
        w, d = config.width, config.latent_dim
        self.base = config.image_size // 8
        self.encoder = nn.Sequential(_down(3, w // 2), _down(w // 2, w), _down(w, 2 * w), nn.Flatten())
        self.to_stats = nn.Linear(2 * w * self.base**2, 2 * d)
        self.from_latent = nn.Linear(d, 4 * w * self.base**2)
        self.decoder = nn.Sequential(
            _up(4 * w, 2 * w), _up(2 * w, w), _up(w, w // 2), nn.Conv2d(w // 2, 3, 3, 1, 1)
        )

    def encode(self, x01: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance for images in [0, 1]."""
        mu, logvar = self.to_stats(self.encoder(x01 * 2 - 1)).chunk(2, dim=1)
        return mu, logvar.clamp(-10, 10)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] (sigmoid output) from latents (B, latent_dim)."""
        h = self.from_latent(z).view(z.shape[0], 4 * self.config.width, self.base, self.base)
        return torch.sigmoid(self.decoder(F.leaky_relu(h, 0.2)))


class _AttributeReadout(nn.Module):
    """A small CNN with one classification head per ShapesWorld attribute."""

    def __init__(self, sizes: dict[str, int], width: int = 32):
        super().__init__()
        w = width
        self.trunk = nn.Sequential(
            _down(3, w), _down(w, 2 * w), _down(2 * w, 2 * w), nn.AdaptiveAvgPool2d(2), nn.Flatten()
        )
        self.heads = nn.ModuleDict({k: nn.Linear(8 * w, n) for k, n in sizes.items()})

    def forward(self, x01: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.trunk(x01 * 2 - 1)
        return {k: head(h) for k, head in self.heads.items()}


# -------------------------------------------------------------------- training (reproducible)


@dataclass(frozen=True)
class ShapesTrainConfig:
    """Everything that determines the shipped checkpoint's bytes (with the torch version)."""

    n_images: int = 20000
    steps: int = 4000
    batch_size: int = 128
    lr: float = 2e-3
    kl_weight: float = 0.02  # relative to the per-pixel squared error summed over the image
    readout_steps: int = 1000
    seed: int = 0
    vae: ShapesVAEConfig = ShapesVAEConfig()


def _training_images(n: int, seed: int, image_size: int = 32) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``n`` ShapesWorld renders (all pairs, held-out ones included) and their attributes."""
    rng = np.random.default_rng([seed, 5])
    scenes = sw.sample_scenes(n, rng, exclude_held_out=False)
    images = sw.render_scenes(scenes, rng, image_size)
    labels = {k: np.asarray(getattr(scenes, k)) for k in ATTRIBUTES}
    return images, labels


def _to_float(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255


def _lr_at(step: int, steps: int, lr: float) -> float:
    # Short linear warm-up, then cosine decay to zero.
    warm = max(1, steps // 20)
    if step < warm:
        return lr * (step + 1) / warm
    return lr * 0.5 * (1 + np.cos(np.pi * (step - warm) / max(1, steps - warm)))


def _train_vae(
    images: torch.Tensor, config: ShapesTrainConfig, progress: bool = True, device: str | torch.device = "cpu"
) -> tuple[ShapesVAE, list[dict]]:
    """Train the VAE on float images (N, 3, H, W) in [0, 1]; returns it (eval mode, on CPU) and a log.

    Batches and noise are drawn from a CPU generator, so every device sees the same data.
    """
    torch.manual_seed(config.seed)
    vae = ShapesVAE(config.vae).to(device)
    images = images.to(device)
    opt = torch.optim.Adam(vae.parameters(), lr=config.lr)
    gen = torch.Generator().manual_seed(config.seed)
    log = []
    for step in tqdm(range(config.steps), desc="shapes VAE", disable=not progress):
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, config.steps, config.lr)
        x = images[torch.randint(len(images), (config.batch_size,), generator=gen).to(device)]
        mu, logvar = vae.encode(x)
        eps = torch.randn(mu.shape, generator=gen).to(device)
        recon = ((vae.decode(mu + eps * (0.5 * logvar).exp()) - x) ** 2).sum((1, 2, 3)).mean()
        kl = (0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(1)).mean()
        loss = recon + config.kl_weight * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == config.steps - 1:
            log.append({"step": step, "recon": recon.item(), "kl": kl.item()})
    return vae.eval().cpu(), log


def _train_readout(
    images: torch.Tensor,
    labels: dict[str, np.ndarray],
    vae: ShapesVAE,
    config: ShapesTrainConfig,
    progress: bool = True,
    device: str | torch.device = "cpu",
) -> tuple[_AttributeReadout, list[dict]]:
    """Train the attribute readout on renders and on their VAE reconstructions (half each).

    Seeing reconstructions keeps the readout calibrated on the generator's own, smoother
    images: those are what it measures after an edit.
    """
    torch.manual_seed(config.seed + 1)
    names = attribute_names()
    readout = _AttributeReadout({k: len(names[k]) for k in ATTRIBUTES}).to(device)
    vae = vae.to(device)
    images = images.to(device)
    opt = torch.optim.Adam(readout.parameters(), lr=config.lr)
    gen = torch.Generator().manual_seed(config.seed + 1)
    y_all = {k: torch.from_numpy(v).long().to(device) for k, v in labels.items()}
    log = []
    for step in tqdm(range(config.readout_steps), desc="attribute readout", disable=not progress):
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, config.readout_steps, config.lr)
        idx = torch.randint(len(images), (config.batch_size,), generator=gen).to(device)
        x = images[idx]
        half = config.batch_size // 2
        with torch.no_grad():
            x = torch.cat([x[:half], vae.decode(vae.encode(x[half:])[0])])
        logits = readout(x)
        losses = {k: F.cross_entropy(logits[k], y_all[k][idx]) for k in ATTRIBUTES}
        loss = cast(torch.Tensor, sum(losses.values()))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == config.readout_steps - 1:
            log.append({"step": step, **{k: v.item() for k, v in losses.items()}})
    vae.cpu()
    return readout.eval().cpu(), log


@torch.no_grad()
def _evaluate_generator(vae: ShapesVAE, readout: _AttributeReadout | None, n: int = 1000, seed: int = 99) -> dict:
    """Held-out quality: reconstruction error (mean |pixel| 0..1) and readout accuracy per
    attribute on fresh renders and on their reconstructions."""
    images_u8, labels = _training_images(n, seed, vae.config.image_size)
    x = _to_float(images_u8)
    recon = vae.decode(vae.encode(x)[0])
    out: dict = {"recon_mae": round(float((recon - x).abs().mean()), 4)}
    if readout is not None:
        for name, batch in (("render", x), ("reconstruction", recon)):
            logits = readout(batch)
            out[f"readout_{name}"] = {
                k: round(float((logits[k].argmax(-1).numpy() == labels[k]).mean()), 3) for k in ATTRIBUTES
            }
    return out


def train_shapes_generator(
    out: str | os.PathLike = SHAPES_GENERATOR,
    config: ShapesTrainConfig = ShapesTrainConfig(),
    progress: bool = True,
    device: str | torch.device = "cpu",
) -> Path:
    """Train the offline generator and its readout from scratch and save them atomically.

    Deterministic for a given config, torch version and device: on CPU it trains on one
    thread, on CUDA with deterministic cuDNN, so the same command gives the same weights
    on the same kind of machine (CPU and GPU results differ in the last bits).
    """
    start = time.perf_counter()
    device = torch.device(device)
    images_u8, labels = _training_images(config.n_images, config.seed, config.vae.image_size)
    images = _to_float(images_u8)
    threads = torch.get_num_threads()
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    if device.type == "cpu":
        torch.set_num_threads(1)  # a fixed summation order
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        vae, vae_log = _train_vae(images, config, progress, device)
        readout, readout_log = _train_readout(images, labels, vae, config, progress, device)
    finally:
        torch.set_num_threads(threads)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn
    extra = {"log": {"vae": vae_log, "readout": readout_log},
             "train_seconds": round(time.perf_counter() - start, 1),
             "train_device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
             "evaluation": _evaluate_generator(vae, readout)}
    return save_shapes_generator(out, vae, readout, config, extra)


def save_shapes_generator(
    out: str | os.PathLike,
    vae: ShapesVAE,
    readout: _AttributeReadout | None,
    config: ShapesTrainConfig = ShapesTrainConfig(),
    extra: dict | None = None,
) -> Path:
    """Write a shapes-generator checkpoint (fp16 weights, config, metadata) atomically."""
    payload = {
        "format": "clip-course/shapes-generator/1",
        "config": {**asdict(config), "vae": asdict(vae.config)},
        "vae": _half_state(vae),
        "readout": _half_state(readout) if readout is not None else None,
        "torch": str(torch.__version__),
        **(extra or {}),
    }
    out = Path(out)
    with atomic_path(out) as tmp:
        torch.save(payload, tmp)
    return out


def _half_state(module: nn.Module) -> dict[str, torch.Tensor]:
    # fp16 storage halves the shipped file; weights are cast back to fp32 on load.
    return {k: (v.half() if v.is_floating_point() else v) for k, v in module.state_dict().items()}


# ----------------------------------------------------------------------- offline: wrapper


class ShapesGenerator(EditableGenerator):
    """The offline generator: a ShapesWorld VAE decoder, plus its attribute readout."""

    def __init__(self, vae: ShapesVAE, readout: _AttributeReadout | None, device: torch.device, source: str):
        self.vae = vae.eval().requires_grad_(False).to(device)
        self.readout = readout.eval().requires_grad_(False).to(device) if readout is not None else None
        self.device = device
        self.name = "shapes-vae"
        self.source = source
        self.latent_shape = (vae.config.latent_dim,)
        self.image_size = vae.config.image_size

    def synthesize(self, latent: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(latent)

    def encode(self, images: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Posterior means (B, latent_dim) of uint8 (B, H, W, 3) images."""
        x = _to_float(np.asarray(images)) if not isinstance(images, torch.Tensor) else images
        with torch.no_grad():
            return self.vae.encode(x.to(self.device))[0]

    def start_latent(self, start: object = "a red circle", seed: int = 0) -> torch.Tensor:
        """Encode a start image: a ShapesWorld phrase ("a small red circle on the left"), a
        uint8 (H, W, 3) image, or a latent (tensor or file path)."""
        if isinstance(start, torch.Tensor):
            return self.check_latent(start, "start latent")
        if isinstance(start, np.ndarray):
            return self.encode(start[None] if start.ndim == 3 else start)
        if isinstance(start, (str, os.PathLike)) and Path(start).suffix in (".pt", ".pth"):
            return self.check_latent(load_latent_file(start), f"start latent from {start}")
        return self.encode(_render_phrase(str(start), seed, self.image_size)[None])

    def read_attributes(self, images01: torch.Tensor) -> dict[str, torch.Tensor]:
        """Class probabilities (B, n_values) per attribute for images in [0, 1]."""
        if self.readout is None:
            raise StyleCLIPError("This offline generator was saved without its attribute readout.")
        with torch.no_grad():
            logits = self.readout(images01.clamp(0, 1).to(self.device))
        return {k: v.softmax(-1).cpu() for k, v in logits.items()}

    def describe(self) -> dict:
        return {**super().describe(), "source": self.source}


def find_attributes(text: str) -> dict[str, str]:
    """The ShapesWorld attributes a text names (only those): "a small red circle on the left"
    -> shape circle, colour red, size small, position left."""
    names = attribute_names()
    words = " " + " ".join(text.lower().replace(".", " ").replace(",", " ").split()) + " "
    found: dict[str, str] = {}
    for attr in ("background", "shape", "colour", "size"):
        # Longest names first, so "light grey" wins over "grey".
        for value in sorted(names[attr], key=len, reverse=True):
            needle = f" {value} background " if attr == "background" else f" {value} "
            if needle in words:
                found[attr] = value
                words = words.replace(needle, " ")
                break
    for position in ("left", "right", "top", "bottom"):
        if f" {position} " in words:
            found["position"] = position
    return found


def parse_phrase(text: str) -> dict[str, str]:
    """A full ShapesWorld scene from a phrase; unnamed attributes get defaults (big, centred,
    grey background). The phrase must name a shape and a colour."""
    found = find_attributes(text)
    if "shape" not in found or "colour" not in found:
        names = attribute_names()
        raise StyleCLIPError(
            f"The start phrase {text!r} must name a ShapesWorld shape and colour, e.g. "
            f"'a red circle' (shapes: {names['shape']}; colours: {names['colour']})."
        )
    out = {"size": "big", "position": "centre", "background": "grey", **found}
    if out["size"] == "big":
        out["position"] = "centre"  # ShapesWorld centres big shapes
    return out


def _render_phrase(text: str, seed: int = 0, image_size: int = 32) -> np.ndarray:
    """Render the ShapesWorld scene a phrase describes (uint8 (H, W, 3))."""
    return sw.render(**cast(dict[str, Any], parse_phrase(text)), rng=seed, image_size=image_size)


def load_shapes_generator(
    path: str | os.PathLike = SHAPES_GENERATOR, device: str | torch.device | None = None
) -> ShapesGenerator:
    """Load the offline generator (the shipped one by default)."""
    path = Path(path)
    device = torch.device(device) if device is not None else default_device()
    if not path.is_file():
        raise StyleCLIPError(
            f"The offline generator {path} does not exist. Reinstall the package (it ships "
            f"with it) or rebuild it with `python -m clip_course styleclip --train-generator`."
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        config = payload["config"]
        vae = ShapesVAE(ShapesVAEConfig(**config["vae"]))
        vae.load_state_dict({k: v.float() for k, v in payload["vae"].items()})
        readout = None
        if payload.get("readout"):
            names = attribute_names()
            readout = _AttributeReadout({k: len(names[k]) for k in ATTRIBUTES})
            readout.load_state_dict({k: v.float() if v.is_floating_point() else v
                                     for k, v in payload["readout"].items()})
    except Exception as err:
        raise StyleCLIPError(
            f"Could not load the offline generator {path}: corrupt or not a clip-course shapes "
            f"generator ({type(err).__name__}: {err}). Rebuild it with "
            f"`python -m clip_course styleclip --train-generator`."
        ) from err
    return ShapesGenerator(vae, readout, device, source=str(path))
