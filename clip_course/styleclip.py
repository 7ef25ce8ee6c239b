"""StyleCLIP latent optimisation: edit a generated image toward a text with CLIP's gradient.

StyleCLIP (Patashnik et al. 2021, "latent optimisation") starts from a latent ``w0`` of a
generator G and minimises over ``w``::

    loss(w) = (1 - cos(CLIP_image(G(w)), CLIP_text(text)))
              + l2_lambda * ||w - w0||^2  (+ id_lambda * ID(G(w), G(w0)))

with Adam and StyleCLIP's learning-rate schedule (:func:`lr_schedule`: linear ramp-up over the
first 5 %, cosine ramp-down over the last 25 %; lr 0.1, 300 steps, l2_lambda 0.008). The
first term is StyleCLIP's CLIP loss (``1 - logits_per_image / 100`` for ViT-B/32, whose logit
scale is 100); here it is the cosine itself, so any CLIP (MiniCLIP included) works. The
image goes to CLIP through :func:`clip_course.encode.preprocess_images_differentiable`, the
same resize-crop-normalise that :mod:`clip_course.encode` applies to photos (StyleCLIP itself
feeds [-1, 1] pixels, upsampled x7 and average-pooled, without CLIP's normalisation).

A batch of latents is optimised at once, each with its own ``l2_lambda``: the loss is a sum
of per-sample terms and Adam is element-wise, so a batch is exactly independent runs. That
makes :func:`lambda_sweep` one run.

Generators: :mod:`clip_course.generators` (the offline ShapesWorld VAE, or StyleGAN2).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from clip_course.generators import EditableGenerator, ShapesGenerator, StyleCLIPError

__all__ = [
    "StyleCLIPError",
    "EditConfig",
    "EditResult",
    "lr_schedule",
    "edit",
    "lambda_sweep",
    "attribute_changes",
    "entanglement_study",
    "configure_cli",
]

#: An identity loss: (edited images, start images), both (B, 3, H, W) in about [0, 1] (unclamped,
#: so gradients flow) -> (B,) or a scalar.
IdentityLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


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


def _check_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise StyleCLIPError(
            f"text must be a non-empty description of the edit, e.g. 'a woman with purple hair' "
            f"or 'a blue circle'; got {text!r}."
        )
    return text.strip()


# ------------------------------------------------------------------------------ CLIP side


class ClipSimilarity:
    """Cosine similarity of generated images to one text under a CLIP model (differentiable)."""

    def __init__(self, lm: Any, text: str):
        from clip_course import encode

        self.lm = lm
        self.text = _check_text(text)
        tokens = encode.tokenize(lm, [self.text]).to(lm.device)
        with torch.no_grad():
            t = lm.model.encode_text(tokens).float()
        self.text_features = t / t.norm(dim=-1, keepdim=True)

    def __call__(self, images01: torch.Tensor) -> torch.Tensor:
        """(B,) cosine similarities; gradients flow to ``images01``."""
        from clip_course.encode import preprocess_images_differentiable

        x = preprocess_images_differentiable(images01, self.lm.input_resolution)
        f = self.lm.model.encode_image(x.to(self.lm.dtype)).float()
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
    lm: Any,
    text: str,
    start: torch.Tensor | None = None,
    config: EditConfig = EditConfig(),
    l2_lambdas: Sequence[float] | None = None,
    id_loss: IdentityLoss | None = None,
    progress: bool = True,
) -> EditResult:
    """Optimise latents toward ``text`` (StyleCLIP's latent optimisation, edit mode).

    ``start`` is a latent batch (B, *latent_shape) (default: ``generator.start_latent(seed=
    config.seed)``); ``l2_lambdas`` gives each sample its own ``l2_lambda`` (default: the
    config's for all). ``id_loss`` is used when ``config.id_lambda > 0`` and is required then.
    """
    config = config.validated()
    text = _check_text(text)
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
        if config.id_lambda > 0:
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


def _record(result: EditResult, step: int, sim, sq_dist, loss, lr: float) -> None:
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
    lm: Any,
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
        raise StyleCLIPError(f"lambdas must be a list of l2_lambda values, e.g. [0, 0.002, 0.008, 0.03]; got {lambdas!r}.")
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


# -------------------------------------------------------------------- entanglement (offline)


def attribute_changes(generator: ShapesGenerator, result: EditResult) -> dict:
    """What the attribute readout sees before and after each edited sample.

    Per attribute (shape, colour, size, position, background): the predicted value before
    and after per sample, whether it changed, and the fraction of samples that changed. The
    readout is a separate CNN trained on ShapesWorld renders and reconstructions, not the
    CLIP model that guided the edit, so it is an independent witness.
    """
    from clip_course.generators import ATTRIBUTES, _attribute_names

    if not isinstance(generator, ShapesGenerator):
        raise StyleCLIPError("attribute_changes needs the offline ShapesWorld generator (it has the readout).")
    names = _attribute_names()

    def read(images: np.ndarray) -> dict[str, torch.Tensor]:
        x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
        return generator.read_attributes(x)

    before, after = read(result.before), read(result.after)
    out: dict[str, Any] = {}
    for attr in ATTRIBUTES:
        b, a = before[attr].argmax(-1), after[attr].argmax(-1)
        out[attr] = {
            "before": [names[attr][i] for i in b.tolist()],
            "after": [names[attr][i] for i in a.tolist()],
            "confidence_after": [round(float(p), 3) for p in after[attr].max(-1).values],
            "changed": (a != b).tolist(),
            "changed_fraction": float((a != b).float().mean()),
        }
    return out


def border_change(result: EditResult, border: int = 3) -> list[float]:
    """Mean absolute change (0..1) of the outer ``border`` pixels: mostly background."""
    mask = np.ones(result.before.shape[1:3], dtype=bool)
    mask[border:-border, border:-border] = False
    diff = np.abs(result.after.astype(np.float32) - result.before.astype(np.float32)) / 255
    return [round(float(d[mask].mean()), 5) for d in diff]


def edit_entry(result: EditResult, index: int = 0, start: object = None) -> dict:
    """One edit as the report reads it: prompt, steps, similarity before/after, and more."""
    s = result.summary()
    return {"prompt": result.text, "start": None if start is None else str(start),
            "steps": result.config.steps, "lr": result.config.lr,
            "l2_lambda": result.l2_lambdas[index], "id_lambda": result.config.id_lambda,
            "similarity_before": s["similarity_before"][index], "similarity_after": s["similarity_after"][index],
            "latent_distance": s["latent_distance"][index], "pixel_change": s["pixel_change"][index],
            "border_change": border_change(result)[index], "seconds": s["seconds"]}


def sweep_sentence(rows: Sequence[dict], l2_lambda: float) -> str:
    """What the l2_lambda sweep shows, with its numbers (markdown)."""
    best = max(rows, key=lambda r: r["similarity_after"])
    faithful = min(rows, key=lambda r: r["pixel_change"])
    text = (f"From a start similarity of {rows[0]['similarity_before']:.3f}, the strongest edit came at "
            f"λ = {best['l2_lambda']:g} (similarity {best['similarity_after']:.3f}, mean pixel change "
            f"{best['pixel_change']:.3f}); the most faithful at λ = {faithful['l2_lambda']:g} (similarity "
            f"{faithful['similarity_after']:.3f}, pixel change {faithful['pixel_change']:.3f}).")
    used = [r for r in rows if r["l2_lambda"] == l2_lambda]
    if used:
        r = used[0]
        text += (f" The run above used λ = {l2_lambda:g}: similarity {r['similarity_after']:.3f}, "
                 f"pixel change {r['pixel_change']:.3f}.")
    return text


def clip_identity_loss(lm: Any) -> IdentityLoss:
    """A stand-in identity loss: 1 - cosine of CLIP *image* embeddings of edit and start.

    StyleCLIP's own ID loss is ArcFace face recognition (weights not shipped here); this
    keeps what CLIP sees of the whole image close to the start, for any generator.
    """
    from clip_course.encode import preprocess_images_differentiable

    def embed(x: torch.Tensor) -> torch.Tensor:
        f = lm.model.encode_image(preprocess_images_differentiable(x, lm.input_resolution).to(lm.dtype)).float()
        return f / f.norm(dim=-1, keepdim=True)

    def loss(edited: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            ref = embed(start)
        return 1 - (embed(edited) * ref).sum(-1)

    return loss


def start_batch(generator: EditableGenerator, start: object, n: int, seed: int = 0) -> tuple[torch.Tensor, list[str]]:
    """``n`` related start latents and their labels, for measuring what an edit changes.

    Offline: the start phrase's shape and colour in varied sizes, positions and
    backgrounds (the first is the phrase itself). StyleGAN2: ``n`` seeds from ``seed``.
    """
    if n <= 0:
        raise StyleCLIPError(f"n must be a positive number of start images, got {n}.")
    if isinstance(generator, ShapesGenerator):
        from clip_course.generators import parse_phrase

        base = parse_phrase(str(start))
        shape, colour = base["shape"], base["colour"]
        variants = [str(start)] + [
            f"a {size} {colour} {shape}{where} on a {bg} background"
            for size, where, bg in [
                ("small", "", "grey"), ("small", " on the left", "dark grey"), ("big", "", "light grey"),
                ("small", " at the top", "striped"), ("big", "", "checkered"), ("small", " on the right", "grey"),
                ("small", " at the bottom", "light grey"), ("big", "", "dark grey"), ("small", "", "striped"),
            ]
        ]
        labels = [variants[k % len(variants)] for k in range(n)]
        latents = torch.cat([generator.start_latent(t, seed=seed + k) for k, t in enumerate(labels)])
        return latents, labels
    labels = [f"seed {seed + k}" for k in range(n)]
    spec = start if start not in (None, "random") else "random"
    latents = torch.cat([generator.start_latent(spec, seed=seed + k) for k in range(n)])
    return latents, labels


def entanglement_study(
    generator: EditableGenerator,
    lm: Any,
    text: str,
    start: object,
    n: int = 8,
    config: EditConfig = EditConfig(),
    progress: bool = True,
) -> tuple[EditResult, dict]:
    """Edit ``n`` related starts toward ``text`` (one batched run) and measure what changed.

    Always: similarity before/after, pixel change overall and on the border (mostly
    background). Offline also: the attribute readout before/after, whether the requested
    attributes were reached, and how often each *unrequested* attribute changed anyway.
    """
    latents, labels = start_batch(generator, start, n, config.seed)
    config = replace(config, record_every=config.steps)  # keep the start and the result only
    run = edit(generator, lm, text, latents, config, progress=progress)
    s = run.summary()
    summary: dict[str, Any] = {
        "text": run.text, "n": n, "starts": labels,
        "similarity_before_mean": float(np.mean(s["similarity_before"])),
        "similarity_after_mean": float(np.mean(s["similarity_after"])),
        "similarity_rose": float(np.mean(np.array(s["similarity_after"]) > np.array(s["similarity_before"]))),
        "pixel_change_mean": float(np.mean(s["pixel_change"])),
        "border_change_mean": float(np.mean(border_change(run))),
    }
    if isinstance(generator, ShapesGenerator) and generator.readout is not None:
        summary.update(_attribute_summary(generator, run))
    return run, summary


def _attribute_summary(generator: ShapesGenerator, run: EditResult) -> dict:
    from clip_course.generators import ATTRIBUTES, find_attributes

    changes = attribute_changes(generator, run)
    target = find_attributes(run.text)
    n = len(run.after)
    # Requested: what the text names with a value the start does not have.
    requested = {a: v for a, v in target.items() if any(b != v for b in changes[a]["before"])}
    reached = {a: sum(x == v for x in changes[a]["after"]) / n for a, v in requested.items()}
    leaked = {a: changes[a]["changed_fraction"] for a in ATTRIBUTES if a not in requested}
    return {"readout": changes, "target": target, "requested": requested,
            "requested_reached": reached, "unrequested_changed": leaked}


def entanglement_sentence(summary: dict) -> str:
    """The study in words, with its numbers (markdown)."""
    n = summary["n"]
    text = (f"Toward “{summary['text']}”, CLIP similarity rose in {summary['similarity_rose'] * n:.0f} of {n} "
            f"edits (mean {summary['similarity_before_mean']:.3f} → {summary['similarity_after_mean']:.3f}). "
            f"Mean pixel change {summary['pixel_change_mean']:.3f} (0–1 scale); on the image border, "
            f"mostly background, {summary['border_change_mean']:.3f}.")
    if "requested_reached" in summary:
        got = ", ".join(f"{a} = {summary['requested'][a]} in {f * n:.0f}/{n}"
                        for a, f in summary["requested_reached"].items()) or "nothing new"
        leak = ", ".join(f"{a} {f * n:.0f}/{n}" for a, f in summary["unrequested_changed"].items())
        text += (f" The attribute readout (a separate CNN, not the CLIP that guided the edit) sees the "
                 f"request met — {got} — and unrequested attributes changed too: {leak}.")
    return text


# ------------------------------------------------------------------------------- figures


def plot_before_after(result: EditResult, index: int = 0, save: str | os.PathLike | None = None):
    """Start image, edited image and their difference, with the similarities."""
    from clip_course import plots

    before, after = result.before[index], result.after[index]
    diff = np.abs(after.astype(np.float32) - before.astype(np.float32)).mean(-1) / 255
    with plots.style():
        fig = plots._new((8.4, 3.2))
        axes = fig.subplots(1, 3)
        titles = [f"start  (sim {result.similarity_before[index]:.3f})",
                  f"edited (sim {result.similarity_after[index]:.3f})",
                  "|change| (mean over RGB)"]
        for ax, img, title in zip(axes, [before, after, None], titles, strict=True):
            if img is None:
                im = ax.imshow(diff, cmap="magma", vmin=0, vmax=max(float(diff.max()), 1e-6))
                ax.set_xticks([])
                ax.set_yticks([])
                fig.colorbar(im, ax=ax, shrink=0.8)
            else:
                plots._show_image(ax, img)
            ax.set_title(title, fontsize=9, loc="center")
        fig.suptitle(f"StyleCLIP edit toward \"{result.text}\"")
    return plots._finish(fig, save)


def plot_strip(result: EditResult, index: int = 0, n: int = 8, save: str | os.PathLike | None = None):
    """``n`` evenly spaced recorded frames of the trajectory, with step and similarity."""
    from clip_course import plots

    picks = np.unique(np.linspace(0, len(result.frames) - 1, min(n, len(result.frames))).round().astype(int))
    sims = dict(zip(result.steps, (s[index] for s in result.similarity), strict=True))
    with plots.style():
        fig = plots._new((1.6 * len(picks), 2.1))
        axes = np.atleast_1d(fig.subplots(1, len(picks)))
        for ax, k in zip(axes, picks, strict=True):
            step, images = result.frames[k]
            plots._show_image(ax, images[index])
            ax.set_title(f"step {step}\nsim {sims[step]:.3f}", fontsize=8, loc="center", fontweight="normal")
        fig.suptitle(f"Trajectory toward \"{result.text}\"")
    return plots._finish(fig, save)


def plot_curves(result: EditResult, index: int = 0, save: str | os.PathLike | None = None):
    """Similarity to the text, distance to the start latent, and the learning rate per step."""
    from clip_course import plots

    steps = result.steps
    with plots.style():
        fig = plots._new((9.0, 3.0))
        ax1, ax2, ax3 = fig.subplots(1, 3)
        ax1.plot(steps, [s[index] for s in result.similarity], color=plots.PALETTE["blue"])
        ax1.set(xlabel="step", ylabel="cosine similarity", title="CLIP similarity to the text")
        ax2.plot(steps, [d[index] for d in result.distance], color=plots.PALETTE["orange"])
        ax2.set(xlabel="step", ylabel="||w - w0||", title="Distance to the start latent")
        ax3.plot(steps, result.lr, color=plots.PALETTE["grey"])
        ax3.set(xlabel="step", ylabel="learning rate", title="Schedule")
        for ax in (ax1, ax2, ax3):
            ax.grid(True)
    return plots._finish(fig, save)


def plot_sweep(run: EditResult, rows: Sequence[dict], save: str | os.PathLike | None = None):
    """Edit strength against faithfulness over l2_lambda, with each lambda's result image."""
    from clip_course import plots

    n = len(rows)
    with plots.style():
        fig = plots._new((max(7.5, 1.6 * (n + 1)), 5.2))
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1.0])
        ax = top.subplots(1, 1)
        sim = [r["similarity_after"] for r in rows]
        change = [r["pixel_change"] for r in rows]
        ax.plot(change, sim, "o-", color=plots.PALETTE["blue"])
        for r in rows:
            ax.annotate(f"λ={r['l2_lambda']:g}", (r["pixel_change"], r["similarity_after"]),
                        textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.axhline(rows[0]["similarity_before"], color=plots.PALETTE["grey"], ls="--", lw=1)
        ax.set(xlabel="mean pixel change from the start (lower = more faithful)",
               ylabel="similarity after", title="Edit strength vs faithfulness over l2_lambda")
        ax.grid(True)
        axes = np.atleast_1d(bottom.subplots(1, n + 1))
        plots._show_image(axes[0], run.before[0])
        axes[0].set_title("start", fontsize=8, loc="center", fontweight="normal")
        for k, r in enumerate(rows):
            plots._show_image(axes[k + 1], run.after[k])
            axes[k + 1].set_title(f"λ={r['l2_lambda']:g}", fontsize=8, loc="center", fontweight="normal")
    return plots._finish(fig, save)


def plot_batch(run: EditResult, labels: Sequence[str] | None = None, save: str | os.PathLike | None = None):
    """Every sample of a batched edit: start (top row) and result (bottom row)."""
    from clip_course import plots

    n = len(run.before)
    with plots.style():
        fig = plots._new((1.5 * n, 3.6))
        axes = np.atleast_2d(fig.subplots(2, n))
        if n == 1:
            axes = axes.reshape(2, 1)
        for k in range(n):
            plots._show_image(axes[0, k], run.before[k])
            plots._show_image(axes[1, k], run.after[k])
            axes[0, k].set_title(plots._wrap(labels[k], 18) if labels else f"start {k}", fontsize=7,
                                 loc="center", fontweight="normal")
            axes[1, k].set_title(f"sim {run.similarity_before[k]:.2f}→{run.similarity_after[k]:.2f}",
                                 fontsize=7, loc="center", fontweight="normal")
        fig.suptitle(f"Starts (top) edited toward \"{run.text}\" (bottom)")
    return plots._finish(fig, save)


def save_gif(
    result: EditResult, path: str | os.PathLike, index: int = 0, size: int = 256, duration_ms: int = 80
) -> Path:
    """The trajectory as an animated GIF (Pillow), frames resized to ``size`` px."""
    from PIL import Image

    from clip_course.fileio import atomic_path

    frames = []
    for _, images in result.frames:
        img = Image.fromarray(images[index])
        small = img.width <= 64
        frames.append(img.resize((size, size), Image.NEAREST if small else Image.LANCZOS))
    frames += [frames[-1]] * 10  # hold the result for a moment
    path = Path(path)
    with atomic_path(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=duration_ms, loop=0)
    return path


# ------------------------------------------------------------------------ profiles / setup


def resolve_setup(profile: str = "auto", generator: str | None = None) -> dict[str, str]:
    """Which generator and CLIP model a profile uses for StyleCLIP, and why.

    ``paper``: StyleGAN2 FFHQ + ViT-B/32; ``offline``: the ShapesWorld generator + MiniCLIP;
    ``auto``: paper when its CLIP weights and the StyleGAN2 checkpoint are both on disk.
    """
    from clip_course import profiles, stylegan2

    prof = profiles.resolve(profile)
    if prof.name == "paper" and generator is None and not stylegan2.DEFAULT_CHECKPOINT.is_file():
        if profile == "paper":
            raise StyleCLIPError(
                f"The paper profile's StyleGAN2 checkpoint {stylegan2.DEFAULT_CHECKPOINT} is not on "
                f"disk. Fetch it with `make download-styleclip` (needs internet) or use the offline "
                f"profile."
            )
        off = profiles.resolve("offline")
        return {"profile": off.name, "model": off.model, "generator": "offline",
                "reason": f"{prof.reason}; but no StyleGAN2 checkpoint at {stylegan2.DEFAULT_CHECKPOINT}"}
    gen = generator or ("stylegan2" if prof.name == "paper" else "offline")
    return {"profile": prof.name, "model": prof.model, "generator": gen, "reason": prof.reason}


def _small_model_threads(gen: EditableGenerator) -> None:
    # The offline models are tiny: on CPU a second OpenMP thread only adds synchronisation,
    # which costs up to 10x on a busy machine. One thread, said out loud.
    if isinstance(gen, ShapesGenerator) and gen.device.type == "cpu" and torch.get_num_threads() > 1:
        torch.set_num_threads(1)
        print("torch: 1 CPU thread (the offline models are too small to gain from more)")


#: What the notebook edits when its ``text`` / ``start`` parameters are None.
DEFAULTS = {
    "offline": {"text": "a blue circle", "start": "a red circle"},
    "paper": {"text": "a woman with purple hair", "start": "random"},  # the seed report's example
}


def notebook_setup(
    profile: str = "auto",
    model: str | None = None,
    device: str | None = None,
    seed: int = 0,
    output_root: str = ".",
    generator: str | None = None,
) -> tuple[Any, EditableGenerator, dict]:
    """Notebook 05's setup: (session, generator, choice), the choice saying which and why."""
    from clip_course import generators
    from clip_course import notebook as nb

    choice = resolve_setup(profile, generator)
    session = nb.setup("05_styleclip", choice["profile"], model or choice["model"], device, seed, output_root)
    gen = generators.load_editable(choice["generator"], device=session.lm.device)
    _small_model_threads(gen)
    print(f"generator: {gen.name} from {getattr(gen, 'source', '?')}  ({choice['reason']})")
    return session, gen, {**choice, **DEFAULTS[choice["profile"]]}


# ----------------------------------------------------------------------------------- CLI


def configure_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``styleclip`` command."""
    p = subparsers.add_parser(
        "styleclip",
        help="edit a generated image toward a text by StyleCLIP latent optimisation",
        description="StyleCLIP latent optimisation: CLIP loss + l2_lambda * ||w - w0||^2, Adam with "
        "StyleCLIP's schedule. Writes figures, a GIF and result.json to --out.",
    )
    p.add_argument("--text", help="target description, e.g. 'a blue circle' or 'a woman with purple hair'")
    p.add_argument("--start", default=None,
                   help="offline: a ShapesWorld phrase (default 'a red circle'); StyleGAN2: 'random' "
                   "(seeded, truncation 0.7), 'mean' or a W+ .pt file; or a latent .pt file")
    p.add_argument("--steps", type=int, default=300, help="optimisation steps (StyleCLIP: 300)")
    p.add_argument("--lr", type=float, default=0.1, help="initial learning rate (StyleCLIP: 0.1)")
    p.add_argument("--l2-lambda", type=float, default=0.008, help="weight of ||w - w0||^2 (StyleCLIP: 0.008)")
    p.add_argument("--seed", type=int, default=0, help="seed for the start latent")
    p.add_argument("--generator", default="offline",
                   help="'offline' (ShapesWorld VAE), 'stylegan2' (data/stylegan2-ffhq-config-f.pt) or a checkpoint path")
    p.add_argument("--model", default=None, help="CLIP model (default: miniclip offline, ViT-B/32 for StyleGAN2)")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")
    p.add_argument("--out", default="results/styleclip", help="output folder")
    p.add_argument("--train-generator", action="store_true",
                   help="retrain the shipped offline generator (clip_course/assets/shapes_generator.pt; "
                   "same device kind, same bytes) and exit")
    p.set_defaults(func=_run_cli)


def _run_cli(args: argparse.Namespace) -> int:
    from clip_course import generators, models
    from clip_course.fileio import write_json

    if args.train_generator:
        path = generators.train_shapes_generator(device=args.device or models.default_device())
        print(f"wrote {path}")
        return 0
    gen = generators.load_editable(args.generator, device=args.device)
    offline = isinstance(gen, ShapesGenerator)
    _small_model_threads(gen)
    lm = models.load(args.model or ("miniclip" if offline else "ViT-B/32"), device=args.device)
    text = _check_text(args.text)
    config = EditConfig(steps=args.steps, lr=args.lr, l2_lambda=args.l2_lambda, seed=args.seed).validated()
    start_spec = args.start or ("a red circle" if offline else "random")
    start = gen.start_latent(start_spec, seed=args.seed)
    result = edit(gen, lm, text, start, config)
    out = Path(args.out)
    plot_before_after(result, save=out / "before_after.png")
    plot_strip(result, save=out / "strip.png")
    plot_curves(result, save=out / "curves.png")
    save_gif(result, out / "trajectory.gif")
    record = {"start": start_spec, "model": lm.name, "checkpoint_sha256": lm.checkpoint_sha256,
              **result.summary()}
    if offline and gen.readout is not None:
        record["attributes"] = attribute_changes(gen, result)
    write_json(out / "result.json", record)
    print(f"similarity to {text!r}: {result.similarity_before[0]:.4f} -> {result.similarity_after[0]:.4f} "
          f"(latent distance {result.distance[-1][0]:.3f}); wrote {out}/")
    return 0
