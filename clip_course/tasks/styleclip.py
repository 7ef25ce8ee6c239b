"""StyleCLIP latent optimisation: edit a generated image toward a text with CLIP's gradient.

StyleCLIP (Patashnik et al. 2021, "latent optimisation") starts from a latent ``w0`` of a
generator G and minimises over ``w``::

    loss(w) = (1 - cos(CLIP_image(G(w)), CLIP_text(text)))
              + l2_lambda * ||w - w0||^2  (+ id_lambda * ID(G(w), G(w0)))

with Adam and StyleCLIP's learning-rate schedule (:func:`lr_schedule`: linear ramp-up over the
first 5 %, cosine ramp-down over the last 25 %; lr 0.1, 300 steps, l2_lambda 0.008). The
first term is StyleCLIP's CLIP loss (``1 - logits_per_image / 100`` for ViT-B/32, whose logit
scale is 100); here it is the cosine itself, so any CLIP (MiniCLIP included) works. The
image goes to CLIP through :func:`clip_course.core.preprocess.preprocess_images_differentiable`, the
same resize-crop-normalise that :mod:`clip_course.core.encode` applies to photos (StyleCLIP itself
feeds [-1, 1] pixels, upsampled x7 and average-pooled, without CLIP's normalisation).

A batch of latents is optimised at once, each with its own ``l2_lambda``: the loss is a sum
of per-sample terms and Adam is element-wise, so a batch is exactly independent runs. That
makes :func:`lambda_sweep` one run.

Generators: :mod:`clip_course.generators.load` (the offline ShapesWorld VAE, or StyleGAN2).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from tqdm.auto import tqdm

from clip_course.core import encode
from clip_course.core.preprocess import preprocess_images_differentiable
from clip_course.core.types import LoadedModelLike, network
from clip_course.errors import StyleCLIPError
from clip_course.generators.editable import EditableGenerator

__all__ = [
    "check_text", "clip_identity_loss", "ClipSimilarity", "edit", "EditConfig", "EditResult", "lambda_sweep",
    "lr_schedule", "StyleCLIPError",
]

#: An identity loss: (edited images, start images), both (B, 3, H, W) in about [0, 1] (unclamped,
#: so gradients flow) -> (B,) or a scalar.
_IdentityLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class EditConfig:
    """StyleCLIP's optimisation settings (defaults are StyleCLIP's ``run_optimization.py``)."""

    steps: int = 300
    lr: float = 0.1
    l2_lambda: float = 0.008
    id_lambda: float = 0.0
    rampdown: float = 0.25
    rampup: float = 0.05
    seed: int = 0
    record_every: int | None = None  # images kept every n steps; None: about 40 frames

    def validated(self) -> EditConfig:
        """Self, after checking every value (StyleCLIPError naming the bad one)."""
        if not isinstance(self.steps, int) or isinstance(self.steps, bool) or self.steps <= 0:
            raise StyleCLIPError(f"steps must be a positive integer, got {self.steps!r}; StyleCLIP uses 300.")
        for name in ("lr", "l2_lambda", "id_lambda"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise StyleCLIPError(f"{name} must be a finite number >= 0, got {value!r}.")
        if self.lr == 0:
            raise StyleCLIPError("lr must be > 0 (StyleCLIP uses 0.1); with 0 nothing would change.")
        for name in ("rampdown", "rampup"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise StyleCLIPError(f"{name} must be in (0, 1] (a fraction of the steps), got {value!r}.")
        if self.record_every is not None and self.record_every <= 0:
            raise StyleCLIPError(f"record_every must be a positive integer or None, got {self.record_every!r}.")
        return self

    @property
    def frame_every(self) -> int:
        """Steps between recorded images."""
        return self.record_every or max(1, self.steps // 40)


def lr_schedule(t: float, initial_lr: float, rampdown: float = 0.25, rampup: float = 0.05) -> float:
    """StyleCLIP's learning rate at progress ``t`` = step / steps in [0, 1].

    Linear ramp-up over the first ``rampup`` of the run, cosine ramp-down over the last
    ``rampdown`` (exactly StyleCLIP's ``get_lr``; note it gives 0 at step 0).
    """
    ramp = min(1.0, (1.0 - t) / rampdown)
    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
    ramp = ramp * min(1.0, t / rampup)
    return initial_lr * ramp


def check_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise StyleCLIPError(
            f"text must be a non-empty description of the edit, e.g. 'a woman with purple hair' "
            f"or 'a blue circle'; got {text!r}."
        )
    return text.strip()


# ------------------------------------------------------------------------------ CLIP side


class ClipSimilarity:
    """Cosine similarity of generated images to one text under a CLIP model (differentiable)."""

    def __init__(self, lm: LoadedModelLike, text: str):
        self.lm = lm
        self.text = check_text(text)
        tokens = encode.tokenize(lm, [self.text]).to(lm.device)
        with torch.no_grad():
            t = network(lm).encode_text(tokens).float()
        self.text_features = t / t.norm(dim=-1, keepdim=True)

    def __call__(self, images01: torch.Tensor) -> torch.Tensor:
        """(B,) cosine similarities; gradients flow to ``images01``."""
        x = preprocess_images_differentiable(images01, self.lm.input_resolution)
        f = network(self.lm).encode_image(x.to(self.lm.dtype)).float()
        f = f / f.norm(dim=-1, keepdim=True)
        return f @ self.text_features.to(f.device).T[:, 0]


# ------------------------------------------------------------------------------ results


@dataclass
class EditResult:
    """One (batched) edit: the trajectory, its images and its numbers.

    Per-step lists hold one value per sample (lists of length B). ``frames`` is a list of
    (step, uint8 images (B, H, W, 3)); the first frame is the start, the last the result.
    """

    text: str
    config: EditConfig
    l2_lambdas: list[float]
    latent0: torch.Tensor
    latent: torch.Tensor
    steps: list[int] = field(default_factory=list)
    similarity: list[list[float]] = field(default_factory=list)
    distance: list[list[float]] = field(default_factory=list)
    loss: list[list[float]] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    frames: list[tuple[int, np.ndarray]] = field(default_factory=list)
    seconds: float = 0.0
    generator: dict = field(default_factory=dict)

    @property
    def before(self) -> np.ndarray:
        """uint8 (B, H, W, 3) start images."""
        return self.frames[0][1]

    @property
    def after(self) -> np.ndarray:
        """uint8 (B, H, W, 3) edited images."""
        return self.frames[-1][1]

    @property
    def similarity_before(self) -> list[float]:
        return self.similarity[0]

    @property
    def similarity_after(self) -> list[float]:
        return self.similarity[-1]

    def summary(self) -> dict:
        """JSON-ready numbers: parameters, start and end similarity, distance, pixel change."""
        pixel = np.abs(self.after.astype(np.float32) - self.before.astype(np.float32)).mean((1, 2, 3)) / 255
        return {
            "text": self.text,
            "config": asdict(self.config),
            "l2_lambdas": self.l2_lambdas,
            "generator": self.generator,
            "similarity_before": self.similarity_before,
            "similarity_after": self.similarity_after,
            "latent_distance": self.distance[-1],
            "pixel_change": [round(float(p), 5) for p in pixel],
            "seconds": round(self.seconds, 2),
            "curves": {"step": self.steps, "similarity": self.similarity, "distance": self.distance,
                       "loss": self.loss, "lr": self.lr},
        }


# --------------------------------------------------------------------------- optimisation


def edit(
    generator: EditableGenerator,
    lm: LoadedModelLike,
    text: str,
    start: torch.Tensor | None = None,
    config: EditConfig = EditConfig(),
    l2_lambdas: Sequence[float] | None = None,
    id_loss: _IdentityLoss | None = None,
    progress: bool = True,
) -> EditResult:
    """Optimise latents toward ``text`` (StyleCLIP's latent optimisation, edit mode).

    ``start`` is a latent batch (B, *latent_shape) (default: ``generator.start_latent(seed=
    config.seed)``); ``l2_lambdas`` gives each sample its own ``l2_lambda`` (default: the
    config's for all). ``id_loss`` is used when ``config.id_lambda > 0`` and is required then.
    """
    config = config.validated()
    text = check_text(text)
    torch.manual_seed(config.seed)
    if start is None:
        start = generator.start_latent(seed=config.seed)
    w0 = generator.check_latent(start, "start").detach()
    lambdas = _lambdas(l2_lambdas, config, len(w0))
    if config.id_lambda > 0 and id_loss is None:
        raise StyleCLIPError(
            f"id_lambda is {config.id_lambda} but no identity loss was given: pass id_loss="
            f"(edited, start) -> loss, or set id_lambda to 0 (StyleCLIP's default)."
        )
    target = ClipSimilarity(lm, text)
    lam = torch.tensor(lambdas, dtype=torch.float32, device=w0.device)
    w = w0.clone().requires_grad_(True)
    opt = torch.optim.Adam([w], lr=config.lr)
    with torch.no_grad():
        start_images = generator.synthesize(w0)
    result = EditResult(text, config, lambdas, w0.cpu(), w0.cpu(), generator=generator.describe())
    began = time.perf_counter()
    dims = tuple(range(1, w0.ndim))
    for step in tqdm(range(config.steps + 1), desc=f"StyleCLIP '{text}'", disable=not progress):
        images = generator.synthesize(w)
        sim = target(images)
        sq_dist = ((w - w0) ** 2).sum(dims)
        loss = (1 - sim) + lam * sq_dist
        if config.id_lambda > 0 and id_loss is not None:  # checked above: one implies the other
            loss = loss + config.id_lambda * id_loss(images, start_images)
        lr = lr_schedule(step / config.steps, config.lr, config.rampdown, config.rampup)
        _record(result, step, sim, sq_dist, loss, lr)
        if step % config.frame_every == 0 or step == config.steps:
            result.frames.append((step, _to_uint8(images)))
        if step == config.steps:
            break  # the last pass only measures the final latent
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
    result.latent = w.detach().cpu()
    result.seconds = time.perf_counter() - began
    return result


def _lambdas(l2_lambdas: Sequence[float] | None, config: EditConfig, batch: int) -> list[float]:
    if l2_lambdas is None:
        return [float(config.l2_lambda)] * batch
    try:
        lambdas = [float(v) for v in l2_lambdas]
    except (TypeError, ValueError):
        raise StyleCLIPError(f"l2_lambdas must be a list of numbers, got {l2_lambdas!r}.") from None
    if len(lambdas) != batch or any(not math.isfinite(v) or v < 0 for v in lambdas):
        raise StyleCLIPError(
            f"l2_lambdas must hold one finite value >= 0 per start latent ({batch}), got {lambdas}."
        )
    return lambdas


def _record(result: EditResult, step: int, sim: torch.Tensor, sq_dist: torch.Tensor, loss: torch.Tensor,
            lr: float) -> None:
    result.steps.append(step)
    result.similarity.append([round(v, 6) for v in sim.detach().float().cpu().tolist()])
    result.distance.append([round(v, 6) for v in sq_dist.detach().sqrt().float().cpu().tolist()])
    result.loss.append([round(v, 6) for v in loss.detach().float().cpu().tolist()])
    result.lr.append(lr)


def _to_uint8(images01: torch.Tensor) -> np.ndarray:
    x = images01.detach().clamp(0, 1).mul(255).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


def lambda_sweep(
    generator: EditableGenerator,
    lm: LoadedModelLike,
    text: str,
    lambdas: Sequence[float],
    start: torch.Tensor | None = None,
    config: EditConfig = EditConfig(),
    progress: bool = True,
) -> tuple[EditResult, list[dict]]:
    """Edit one start latent with each ``l2_lambda`` (one batched run).

    Returns the run and one row per lambda: final similarity (edit strength), latent
    distance and mean pixel change from the start (faithfulness), plus the start similarity.
    """
    if isinstance(lambdas, str) or len(lambdas) == 0:
        raise StyleCLIPError("lambdas must be a list of l2_lambda values, e.g. [0, 0.002, 0.008, 0.03]; got "
                             f"{lambdas!r}.")
    if start is None:
        start = generator.start_latent(seed=config.seed)
    w0 = generator.check_latent(start, "start")
    if len(w0) != 1:
        raise StyleCLIPError(f"lambda_sweep edits one start latent; got a batch of {len(w0)}.")
    config = replace(config, record_every=config.steps)  # keep the start and the result only
    run = edit(generator, lm, text, w0.repeat(len(lambdas), *([1] * (w0.ndim - 1))),
               config, l2_lambdas=lambdas, progress=progress)
    s = run.summary()
    rows = [
        {"l2_lambda": lam, "similarity_before": s["similarity_before"][i],
         "similarity_after": s["similarity_after"][i], "latent_distance": s["latent_distance"][i],
         "pixel_change": s["pixel_change"][i]}
        for i, lam in enumerate(lambdas)
    ]
    return run, rows


def clip_identity_loss(lm: LoadedModelLike) -> _IdentityLoss:
    """A stand-in identity loss: 1 - cosine of CLIP *image* embeddings of edit and start.

    StyleCLIP's own ID loss is ArcFace face recognition (weights not shipped here); this
    keeps what CLIP sees of the whole image close to the start, for any generator.
    """
    def embed(x: torch.Tensor) -> torch.Tensor:
        f = network(lm).encode_image(preprocess_images_differentiable(x, lm.input_resolution).to(lm.dtype)).float()
        return f / f.norm(dim=-1, keepdim=True)

    def loss(edited: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            ref = embed(start)
        return 1 - (embed(edited) * ref).sum(-1)

    return loss
