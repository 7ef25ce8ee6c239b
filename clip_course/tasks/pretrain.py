"""MiniCLIP: openai's own ``clip.model.CLIP`` at a small size, pretrained on ShapesWorld.

The objective is CLIP's: image and caption embeddings, L2-normalised, an N x N similarity
matrix scaled by a learnable temperature (initialised at 0.07, logit scale clamped at 100),
and a symmetric cross-entropy over its rows and columns; AdamW with linear warm-up and
cosine decay. One change, for a world with a small vocabulary: in a batch of 256 many
captions are true of several images ("disc clipart" describes every circle), so the target
of each row/column is spread uniformly over *all* pairs whose caption's stated attributes
agree with the image, plus the scraped pair itself even when its caption is wrong
(``multi_positive``; with all-distinct captions this is exactly CLIP's loss). The batches
are ShapesWorld v2's pretraining mixture: every rendering style, a quarter of the images
with repeated shapes, web alt-text captions with label noise
(:func:`clip_course.data.shapes.pretraining_scenes`, :mod:`clip_course.data.shapes_captions`).

Two exact shortcuts keep training quick on a CPU: captions are encoded with a 24-token
context (the text transformer is causal, so the end-of-text feature does not depend on the
padding after it; the saved model has CLIP's 77 positions, the unused ones zero), and
token-embedding rows of words ShapesWorld never uses are zero from the start (they get no
gradient, so they stay zero and compress to nothing).

The package ships the checkpoint (``assets/miniclip.pt.xz``) with its training log and
config; :func:`miniclip_checkpoint` materialises it once into a user cache, verified by
sha256. ``python -m clip_course pretrain`` reproduces it byte for byte on a CPU.
"""

from __future__ import annotations

import contextlib
import copy
import io
import lzma
import math
import os
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict, cast

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from clip_course.core.checkpoint import read_state_dict
from clip_course.core.device import default_device
from clip_course.core.miniclip import (
    ASSETS,
    SHIPPED_CHECKPOINT,
    SHIPPED_LOG,
    SHIPPED_META,
    shipped_metadata,
)
from clip_course.data import shapes as synthetic
from clip_course.data.dataset import ImageDataset
from clip_course.errors import PretrainError
from clip_course.io import atomic_path, sha256_bytes, write_json

__all__ = [
    "batches", "build_model", "CLIP_MEAN", "CLIP_STD", "contrastive_loss", "encode_captions", "evaluate_checkpoint",
    "lr_at", "normalise_images", "np", "PretrainConfig", "shapes_token_ids", "shipped_config", "train", "TRAIN_CONTEXT",
    "train_miniclip", "write_shipped", "zero_shot_accuracy",
]

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import clip
    import clip.model
#: CLIP's image normalisation (clip's preprocess), applied to uint8 images in training.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
_CONTEXT_LENGTH = 77  # clip.tokenize's default, so every caller's tokens fit the model
TRAIN_CONTEXT = 24  # longest ShapesWorld caption is under 20 tokens


class _TrainResult(TypedDict):
    """What :func:`train_miniclip` returns: the config as a dict, the training log, the file's hash and size."""

    config: dict[str, Any]
    log: dict[str, Any]
    sha256: str
    bytes: int


@dataclass(frozen=True)
class PretrainConfig:
    """Everything that determines the trained weights (given the code version)."""

    seed: int = 0
    steps: int = 1000
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 0.1
    warmup_steps: int = 50
    image_size: int = 32
    patch_size: int = 8
    vision_width: int = 64
    vision_layers: int = 6
    text_width: int = 64
    text_layers: int = 1
    embed_dim: int = 64
    init_temperature: float = 0.07
    multi_positive: bool = True

    def validate(self) -> None:
        """Raise :class:`PretrainError` for values CLIP's class cannot take."""
        for name in ("steps", "batch_size", "image_size", "patch_size", "vision_width",
                     "vision_layers", "text_width", "text_layers", "embed_dim"):
            if getattr(self, name) <= 0:
                raise PretrainError(f"Pretraining config {name} must be positive, got {getattr(self, name)}.")
        if self.image_size % self.patch_size:
            raise PretrainError(f"image_size {self.image_size} must be a multiple of patch_size {self.patch_size}.")
        for name in ("vision_width", "text_width"):
            if getattr(self, name) % 64:
                raise PretrainError(f"{name} must be a multiple of 64 (CLIP uses 64-wide heads), got "
                                    f"{getattr(self, name)}.")
        if not 0 <= self.warmup_steps < self.steps:
            raise PretrainError(f"warmup_steps must be in [0, steps), got {self.warmup_steps}.")

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> PretrainConfig:
        """Build from a dict, ignoring keys this version does not know."""
        names = {f.name for f in fields(cls)}
        return cls(**cast(dict[str, Any], {k: v for k, v in d.items() if k in names}))  # validate() checks values


# ---------------------------------------------------------------- model

def build_model(config: PretrainConfig, context_length: int = TRAIN_CONTEXT) -> clip.model.CLIP:
    """A freshly initialised (seeded) openai CLIP at the config's size, fp32."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = clip.model.CLIP(
            embed_dim=config.embed_dim,
            image_resolution=config.image_size,
            vision_layers=config.vision_layers,
            vision_width=config.vision_width,
            vision_patch_size=config.patch_size,
            context_length=context_length,
            vocab_size=49408,
            transformer_width=config.text_width,
            transformer_heads=config.text_width // 64,  # as clip.model.build_model infers it
            transformer_layers=config.text_layers,
        )
    with torch.no_grad():
        model.logit_scale.fill_(math.log(1 / config.init_temperature))
    model.token_embedding = _CompactEmbedding(model.token_embedding, shapes_token_ids())
    return model


class _CompactEmbedding(torch.nn.Module):
    """A token embedding holding only the rows of ShapesWorld's tokens.

    Training the full 49408-row table would spend most optimiser time on rows that never
    get a gradient; other tokens embed to zero, as in the exported checkpoint.
    """

    lookup: torch.Tensor  # buffers (registered in __init__)
    ids: torch.Tensor

    def __init__(self, full: torch.nn.Embedding, ids: torch.Tensor) -> None:
        super().__init__()
        self.num_embeddings = full.num_embeddings
        self.weight = torch.nn.Parameter(full.weight.detach()[ids].clone())
        lookup = torch.full((full.num_embeddings,), len(ids), dtype=torch.long)
        lookup[ids] = torch.arange(len(ids))
        self.register_buffer("lookup", lookup, persistent=False)
        self.register_buffer("ids", ids.clone(), persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        padded = torch.cat([self.weight, self.weight.new_zeros(1, self.weight.shape[1])])
        return padded[self.lookup[tokens]]

    def full_weight(self) -> torch.Tensor:
        """The (num_embeddings, width) table, zero outside ShapesWorld's tokens."""
        w = self.weight.new_zeros(self.num_embeddings, self.weight.shape[1])
        w[self.ids] = self.weight.detach()
        return w


@lru_cache(maxsize=1)
def shapes_token_ids() -> torch.Tensor:
    """BPE ids of every token ShapesWorld captions and templates use (plus start/end)."""
    tokens = clip.tokenize(synthetic.vocabulary_texts(), context_length=TRAIN_CONTEXT)
    return torch.unique(tokens[tokens > 0])


def export_state_dict(model: clip.model.CLIP) -> dict[str, torch.Tensor]:
    """The state dict as clip.load will hold it: fp16 where CLIP's convert_weights casts,
    77 text positions (rows past the training context are zero)."""
    m = copy.deepcopy(model).cpu()
    if isinstance(m.token_embedding, _CompactEmbedding):
        full = torch.nn.Embedding(m.token_embedding.num_embeddings, m.token_embedding.weight.shape[1])
        full.weight.data = m.token_embedding.full_weight()
        m.token_embedding = full
    clip.model.convert_weights(m)
    sd = {k: v.detach().clone() for k, v in m.state_dict().items()}
    pos = sd["positional_embedding"]
    positions = torch.zeros(_CONTEXT_LENGTH, pos.shape[1], dtype=pos.dtype)
    positions[: pos.shape[0]] = pos
    sd["positional_embedding"] = positions
    return sd


def _checkpoint_bytes(model: clip.model.CLIP) -> bytes:
    """``torch.save`` bytes of :func:`export_state_dict` (deterministic for equal weights)."""
    buf = io.BytesIO()
    torch.save(export_state_dict(model), buf)
    return buf.getvalue()


# ---------------------------------------------------------------- data

def normalise_images(images: np.ndarray | torch.Tensor, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 (B, H, W, 3) -> CLIP-normalised float (B, 3, H, W) (clip's preprocess at H = R)."""
    x = torch.as_tensor(images, device=device).permute(0, 3, 1, 2).float().div_(255)
    mean = torch.tensor(CLIP_MEAN, device=device)[:, None, None]
    std = torch.tensor(CLIP_STD, device=device)[:, None, None]
    return (x - mean) / std


class _Tokens:
    """clip.tokenize with a cache: the caption grammar repeats strings often."""

    def __init__(self) -> None:
        self._cache: dict[str, torch.Tensor] = {}

    def __call__(self, texts: list[str]) -> torch.Tensor:
        new = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if new:
            for t, row in zip(new, clip.tokenize(new, context_length=TRAIN_CONTEXT), strict=True):
                self._cache[t] = row
        return torch.stack([self._cache[t] for t in texts])


def batches(config: PretrainConfig) -> Iterator[tuple[np.ndarray, list[str], np.ndarray]]:
    """Endless seeded pretraining batches: images, captions, and the (N, N) match matrix."""
    rng = np.random.default_rng([config.seed, 7])
    while True:
        scenes = synthetic.pretraining_scenes(config.batch_size, rng)
        images = synthetic.render_scenes(scenes, rng, config.image_size)
        caps = synthetic.make_captions(scenes, rng)
        yield images, caps.text, synthetic.caption_matches(scenes, caps)


def encode_captions(model: clip.model.CLIP, tokens: torch.Tensor) -> torch.Tensor:
    """``model.encode_text`` on tokens cut to the batch's longest caption.

    Exact: attention is causal, so the end-of-text feature never sees the padding.
    """
    length = int((tokens > 0).sum(1).max())
    mask = model.build_attention_mask()[:length, :length].to(tokens.device)
    for block in model.transformer.resblocks:
        block.attn_mask = mask
    return model.encode_text(tokens[:, :length])


# ---------------------------------------------------------------- objective and schedule

def contrastive_loss(
    image_features: torch.Tensor,
    text_features: torch.Tensor,
    logit_scale: torch.Tensor,
    matches: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """CLIP's symmetric cross-entropy over the scaled N x N cosine-similarity matrix.

    ``matches`` (N, N bool, diagonal true) spreads each target over every true pair; None
    means the diagonal only (CLIP). Returns (loss, image->text in-batch accuracy), where a
    prediction is correct if the chosen caption is a true one.
    """
    img = F.normalize(image_features, dim=-1)
    txt = F.normalize(text_features, dim=-1)
    logits = logit_scale.exp() * img @ txt.T
    n = logits.shape[0]
    if matches is None:
        matches = torch.eye(n, dtype=torch.bool, device=logits.device)
    target = matches.float()
    loss_i = -(target / target.sum(1, keepdim=True) * logits.log_softmax(1)).sum(1).mean()
    loss_t = -(target.T / target.T.sum(1, keepdim=True) * logits.T.log_softmax(1)).sum(1).mean()
    acc = matches[torch.arange(n), logits.argmax(1)].float().mean()
    return (loss_i + loss_t) / 2, acc


def lr_at(step: int, config: PretrainConfig) -> float:
    """Linear warm-up to ``lr`` then cosine decay to zero."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.lr * 0.5 * (1 + math.cos(math.pi * progress))


def _optimizer(model: torch.nn.Module, config: PretrainConfig) -> torch.optim.AdamW:
    # As CLIP: no weight decay on gains, biases, embeddings and the temperature.
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, p in model.named_parameters():
        skip = p.ndim < 2 or "embedding" in name or name == "logit_scale"
        (no_decay if skip else decay).append(p)
    groups = [{"params": decay, "weight_decay": config.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr, betas=(0.9, 0.98), eps=1e-6)


@contextlib.contextmanager
def _deterministic(device: torch.device) -> Iterator[None]:
    """torch's deterministic algorithms for the duration (restored afterwards).

    Strict on CPU (the shipped checkpoint's device); elsewhere a warning for ops that have
    no deterministic kernel, since CUDA results differ from CPU ones anyway.
    """
    before = torch.are_deterministic_algorithms_enabled()
    # fill_uninitialized_memory is missing from torch's type stubs
    fill_before = torch.utils.deterministic.fill_uninitialized_memory  # type: ignore[attr-defined]
    torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")
    # Filling every new tensor with NaN (the deterministic default) costs a third of a step.
    torch.utils.deterministic.fill_uninitialized_memory = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)
        torch.utils.deterministic.fill_uninitialized_memory = fill_before  # type: ignore[attr-defined]


_TRAIN_THREADS = 1


@contextlib.contextmanager
def _single_thread() -> Iterator[None]:
    """One intra-op thread while training (restored afterwards).

    Float sums can depend on how work is split over threads, so a fixed thread count makes
    the checkpoint bytes independent of the machine's core count; one thread also avoids
    the many-fold slowdown of OpenMP threads on an oversubscribed CPU.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(_TRAIN_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# ---------------------------------------------------------------- training

def train(
    config: PretrainConfig,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> tuple[clip.model.CLIP, dict[str, Any]]:
    """Train MiniCLIP from scratch; returns the model (fp32) and its per-step log."""
    config.validate()
    device = torch.device(device) if device is not None else default_device()
    model = build_model(config).to(device).train()
    opt = _optimizer(model, config)
    tokens = _Tokens()
    log: dict[str, list[float]] = {"step": [], "loss": [], "accuracy": [], "temperature": [], "lr": []}
    data = batches(config)
    max_scale = math.log(100.0)
    start, cpu_start = time.perf_counter(), time.process_time()
    with _deterministic(device), _single_thread():
        for step in tqdm(range(config.steps), desc="pretraining MiniCLIP", disable=not progress):
            images, texts, matches = next(data)
            lr = lr_at(step, config)
            for g in opt.param_groups:
                g["lr"] = lr
            img = model.encode_image(normalise_images(images, device))
            txt = encode_captions(model, tokens(texts).to(device))
            m = torch.as_tensor(matches, device=device) if config.multi_positive else None
            loss, acc = contrastive_loss(img, txt, model.logit_scale, m)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, max_scale)  # CLIP clamps the scale at 100
            for key, value in (("step", step), ("loss", loss.item()), ("accuracy", acc.item()),
                               ("temperature", float(1 / model.logit_scale.detach().exp())), ("lr", lr)):
                log[key].append(value)
    full_mask = model.build_attention_mask().to(device)
    for block in model.transformer.resblocks:
        block.attn_mask = full_mask
    log_out: dict[str, Any] = dict(log)
    log_out["seconds"] = time.perf_counter() - start
    log_out["cpu_seconds"] = time.process_time() - cpu_start
    log_out["device"] = str(device)
    log_out["threads"] = _TRAIN_THREADS
    return model.eval(), log_out


def train_miniclip(config: PretrainConfig | dict | None, out_path: str | os.PathLike, progress: bool = True,
                   device: str | torch.device | None = None) -> _TrainResult:
    """Train, write the state dict to ``out_path`` atomically; returns log, config and sha256."""
    if config is None:
        config = PretrainConfig()
    elif isinstance(config, dict):
        config = PretrainConfig.from_dict(config)
    model, log = train(config, device=device, progress=progress)
    data = _checkpoint_bytes(model)
    with atomic_path(out_path) as tmp:
        tmp.write_bytes(data)
    return {"config": asdict(config), "log": log, "sha256": sha256_bytes(data), "bytes": len(data)}


# ---------------------------------------------------------------- evaluation (for the log)

@torch.no_grad()
def zero_shot_accuracy(model: clip.model.CLIP, dataset: ImageDataset, templates: list[str],
                       batch_size: int = 500) -> float:
    """Top-1 (percent) of the CLIP zero-shot classifier (template ensemble, 100 * cosine).

    A small self-contained version of :mod:`clip_course.tasks.zeroshot` for logging during
    pretraining; the notebooks use the zero-shot engine itself.
    """
    device = next(model.parameters()).device
    texts = [t.format(c) for c in dataset.classes for t in templates]
    txt = F.normalize(model.encode_text(clip.tokenize(texts).to(device)).float(), dim=-1)
    w = F.normalize(txt.reshape(len(dataset.classes), len(templates), -1).mean(1), dim=-1)
    correct = 0
    for i in range(0, len(dataset), batch_size):
        img = model.encode_image(normalise_images(np.asarray(dataset.images[i : i + batch_size]),
                                                  device).to(model.dtype))
        pred = (100 * F.normalize(img.float(), dim=-1) @ w.T).argmax(1).cpu().numpy()
        correct += int((pred == dataset.labels[i : i + batch_size]).sum())
    return 100.0 * correct / len(dataset)


def evaluate_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> dict[str, float]:
    """Zero-shot top-1 of a checkpoint (tensors only, built by clip) on the three ShapesWorld tests."""
    # clip.load would unpickle with torch's default, not weights-only before torch 2.6.
    model = clip.model.build_model(read_state_dict(path)).to(device)
    if torch.device(device).type == "cpu":
        model.float()
    templates = synthetic.SHAPES_TEMPLATES
    return {name: zero_shot_accuracy(model.eval(), synthetic.load_shapes_dataset(name, "test"), templates)
            for name in synthetic.BASE_NAMES}


def write_shipped(result: _TrainResult, checkpoint: Path, metrics: dict[str, float],
                  assets: Path = ASSETS) -> dict[str, Any]:
    """Compress a trained checkpoint into ``assets`` with its metadata and training log."""
    data = checkpoint.read_bytes()
    packed = lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
    with atomic_path(assets / SHIPPED_CHECKPOINT.name) as tmp:
        tmp.write_bytes(packed)
    meta = {
        "sha256": sha256_bytes(data),
        "bytes": len(data),
        "xz_sha256": sha256_bytes(packed),
        "xz_bytes": len(packed),
        "config": result["config"],
        "zero_shot_top1": metrics,
        "templates": "shapes ensemble",
        "train_seconds": result["log"]["seconds"],
        "device": result["log"]["device"],
        "threads": result["log"]["threads"],
        "torch": torch.__version__,
    }
    write_json(assets / SHIPPED_META.name, meta)
    write_json(assets / SHIPPED_LOG.name, {"config": result["config"], **result["log"]})
    return meta


def shipped_config() -> PretrainConfig:
    """The config the shipped checkpoint was trained with (the defaults of ``pretrain``)."""
    return PretrainConfig(**shipped_metadata()["config"]) if SHIPPED_META.is_file() else PretrainConfig()
