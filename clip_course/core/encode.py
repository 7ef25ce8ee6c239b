"""Batched image and text encoding, with preprocessing on the model's device.

Preprocessing reproduces clip's own PIL transform (``Resize(R, BICUBIC)`` of the shorter
side, ``CenterCrop(R)``, ``ToTensor``, ``Normalize``) on whole uint8 batches on the model's
device. PIL's bicubic (a = -0.5, antialiased when shrinking, rounded to uint8 after each of its
two passes) is not ``F.interpolate``'s, so the resize is done the way PIL does it: one matrix
per axis whose coefficients are read off PIL itself (by resizing unit impulses in mode "F"),
quantised to PIL's 22-bit fixed point, applied horizontally then vertically with PIL's
rounding and clamping after each pass. In float64 (CPU, CUDA) this is exact integer
arithmetic, so the uint8 result equals PIL's bit for bit; the centre crop is folded into the
matrices so only the kept rows and columns are computed.

:func:`image_features` adds an on-disk cache keyed on everything that changes the features
(checkpoint hash, dataset content, resolution, preprocessing fingerprint, dtype).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from clip_course.core import text_cache
from clip_course.core.preprocess import CLIP_MEAN, CLIP_STD, preprocess_images
from clip_course.errors import ImageInputError, TextInputError, TextTooLongError
from clip_course.io import status

__all__ = [
    "embed_dim", "encode_images", "encode_texts", "ESTIMATE_ABOVE_S", "finish_features", "ImageInputError",
    "preprocess_images", "status", "TextInputError", "TextTooLongError", "tokenize", "torch", "use_text_cache",
]

# Per (size, resolution, device, dtype); bounded, since a folder of photos can hold many sizes.


# --------------------------------------------------------------------------- images


def _as_uint8_images(images) -> np.ndarray | torch.Tensor | list:
    """Validate ``images``: a uint8 (N, H, W, 3) array/tensor, or a list of (H, W, 3) arrays."""
    if hasattr(images, "sizes") and hasattr(images, "paths"):  # data.folders.FileImages: decodes to RGB uint8
        return images
    if isinstance(images, (np.ndarray, torch.Tensor)):
        uint8 = torch.uint8 if isinstance(images, torch.Tensor) else np.uint8
        if images.dtype != uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ImageInputError(
                f"images must be uint8 (N, H, W, 3) RGB, got {images.dtype} {tuple(images.shape)}. "
                f"Convert float images in [0, 1] with (x * 255).round().astype(np.uint8)."
            )
        return images
    if isinstance(images, Sequence) and not isinstance(images, (str, bytes)):
        for i, im in enumerate(images):
            arr = np.asarray(im)
            if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[-1] != 3:
                raise ImageInputError(
                    f"images[{i}] must be a uint8 (H, W, 3) RGB array, got {arr.dtype} "
                    f"{arr.shape}. Load images with clip_course.data.load_image."
                )
        return list(images)
    raise ImageInputError(
        f"images must be a uint8 numpy array (N, H, W, 3) or a list of (H, W, 3) arrays, "
        f"got {type(images).__name__}."
    )


def _size_groups(images) -> dict[tuple[int, int], np.ndarray]:
    """Indices of the images sharing each (H, W): one resize-matrix pair per group."""
    sizes = getattr(images, "sizes", None)  # FileImages: from the file headers, nothing decoded
    if sizes is None and not isinstance(images, list):
        return {tuple(images.shape[1:3]): np.arange(len(images))}
    groups: dict[tuple[int, int], list[int]] = {}
    for i, size in enumerate(sizes if sizes is not None else (np.shape(im)[:2] for im in images)):
        groups.setdefault(tuple(size), []).append(i)
    return {k: np.asarray(v) for k, v in groups.items()}


def _gather(images, idx: np.ndarray) -> torch.Tensor:
    """The images at ``idx`` as one uint8 (B, H, W, 3) CPU tensor."""
    if isinstance(images, torch.Tensor):
        return images[torch.from_numpy(idx)]
    if isinstance(images, np.ndarray):
        contiguous = idx[-1] - idx[0] + 1 == len(idx)
        batch = images[idx[0] : idx[-1] + 1] if contiguous else images[idx]
        return torch.from_numpy(np.ascontiguousarray(batch))
    if hasattr(images, "stack"):  # FileImages: decoded in parallel threads
        return torch.from_numpy(images.stack(idx))
    return torch.from_numpy(np.stack([np.asarray(images[i]) for i in idx]))


def _renormalise(lm, x: torch.Tensor) -> torch.Tensor:
    """clip-normalised pixels re-normalised with the model's own mean and std, where it has its own
    (pixel = x * clip_std + clip_mean, then (pixel - mean) / std, as one multiply-add per channel)."""
    mean, std = getattr(lm, "image_mean", None), getattr(lm, "image_std", None)
    if mean is None or std is None:
        return x

    def col(v):
        return torch.tensor(v, dtype=torch.float64).view(1, 3, 1, 1)

    scale, shift = col(CLIP_STD) / col(std), (col(CLIP_MEAN) - col(mean)) / col(std)
    return x * scale.to(x.device, x.dtype) + shift.to(x.device, x.dtype)


def finish_features(features: torch.Tensor, normalize: bool) -> torch.Tensor:
    features = features.float()
    return features / features.norm(dim=-1, keepdim=True) if normalize else features


def embed_dim(lm) -> int:
    return int(lm.model.text_projection.shape[1])


class _Estimate:
    """After the first batch, one line saying how long the rest will take at the rate just measured
    (only when that is over :data:`ESTIMATE_ABOVE_S`: a long step should say so before it starts)."""

    def __init__(self, total: int, device: torch.device) -> None:
        import time

        self.total, self.device, self.first, self.start, self._time = (total, device, True, time.perf_counter(),
                                                                       time.perf_counter)

    def done(self, n: int) -> None:
        if not self.first:
            return
        self.first = False
        rate = n / max(self._time() - self.start, 1e-9)
        left = (self.total - n) / rate
        if left > ESTIMATE_ABOVE_S:
            status(f"encoding {self.total:,} images on {self.device}: about {_duration(left)} more at "
                   f"{rate:,.0f} images/s (measured on the first batch)")


#: A step expected to take longer than this prints its estimate first.
ESTIMATE_ABOVE_S = 20.0


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


# Batches of features kept on the device before copying them back (see encode_images).
_PENDING_BATCHES = 16


def encode_images(
    lm,
    images: np.ndarray | torch.Tensor | Sequence[np.ndarray],
    batch_size: int = 256,
    normalize: bool = True,
    progress: bool = True,
) -> torch.Tensor:
    """Image features, float32 (N, D) on CPU, L2-normalised unless ``normalize=False``.

    ``lm`` is a :class:`clip_course.core.models.LoadedModel`. ``images`` is uint8 (N, H, W, 3) or
    a list of (H, W, 3) uint8 arrays of any sizes (batched by size). Preprocessing and the
    encoder run on ``lm.device`` in the model's dtype (fp16 on CUDA, fp32 on CPU).
    """
    images = _as_uint8_images(images)
    if batch_size < 1:
        raise ImageInputError(f"batch_size must be positive, got {batch_size}.")
    out = torch.empty(len(images), embed_dim(lm), dtype=torch.float32)
    # Pinned host memory lets the copy to the GPU overlap with compute.
    pin = lm.device.type == "cuda" and not (isinstance(images, torch.Tensor) and images.is_cuda)
    pending: list[tuple[np.ndarray, torch.Tensor]] = []

    def flush() -> None:
        # Features wait on the device and come back in groups, so the host does not stop at
        # every batch to wait for the GPU (which would leave it idle between batches).
        for chunk, feats in pending:
            out[torch.from_numpy(chunk)] = feats.cpu()
        pending.clear()

    clock = _Estimate(len(images), lm.device)
    with torch.inference_mode(), tqdm(total=len(images), desc="encode images", disable=not progress) as bar:
        for idx in _size_groups(images).values():
            for start in range(0, len(idx), batch_size):
                chunk = idx[start : start + batch_size]
                batch = _gather(images, chunk)
                batch = batch.pin_memory() if pin else batch
                x = _renormalise(lm, preprocess_images(batch.to(lm.device, non_blocking=pin), lm.input_resolution))
                pending.append((chunk, lm.model.encode_image(x.to(lm.dtype)).float()))
                if len(pending) >= _PENDING_BATCHES or clock.first:
                    flush()
                clock.done(len(chunk))
                bar.update(len(chunk))
        flush()
    return finish_features(out, normalize)


# --------------------------------------------------------------------------- texts


def tokenize(lm, texts: Sequence[str]) -> torch.Tensor:
    """clip.tokenize without truncation; a too-long text raises :class:`TextTooLongError`."""
    import clip

    texts = list(texts)
    bad = [t for t in texts if not isinstance(t, str)]
    if bad:
        raise TextInputError(f"texts must be strings; got {type(bad[0]).__name__} {bad[0]!r}.")
    try:
        return clip.tokenize(texts, context_length=lm.context_length, truncate=False)
    except RuntimeError:
        for t in texts:  # find which one: clip's message holds the whole list
            try:
                clip.tokenize([t], context_length=lm.context_length, truncate=False)
            except RuntimeError:
                raise TextTooLongError(
                    f"Text {t!r} is longer than the model's context length "
                    f"({lm.context_length} tokens); shorten it."
                ) from None
        raise


#: Text features already computed, per model: {model key: {text: unnormalised feature}}. Prompts
#: repeat (the single template inside the ensemble, the same classifier in several studies), and
#: a full-size text encoder costs about as much per text as per image on a CPU.
_TEXT_MEMO: dict[tuple, dict[str, torch.Tensor]] = {}
_TEXT_MEMO_MAX = 50_000
#: Where text features are also kept on disk (None: memory only); see :func:`use_text_cache`.
_TEXT_CACHE_DIR: list[str | None] = [None]


def use_text_cache(cache_dir: str | None) -> None:
    """Keep text features under ``cache_dir/texts/`` too (None: in memory only); notebooks set it."""
    _TEXT_CACHE_DIR[0] = None if cache_dir is None else str(cache_dir)
    _TEXT_MEMO.clear()


def _text_memo(lm) -> dict[str, torch.Tensor] | None:
    model = lm.model
    if model.training or not getattr(lm, "checkpoint_sha256", ""):
        return None  # weights may change under training: never reuse
    key = (id(model), lm.checkpoint_sha256, str(lm.device), str(lm.dtype))
    if key not in _TEXT_MEMO:
        _TEXT_MEMO.clear()  # one model at a time: a notebook loads one
        disk = _TEXT_CACHE_DIR[0]
        _TEXT_MEMO[key] = text_cache.read(text_cache.path_of(disk, text_cache.key_of(lm)),
                                          text_cache.key_of(lm)) if disk else {}
    return _TEXT_MEMO[key]


def _save_text_memo(lm, memo: dict[str, torch.Tensor]) -> None:
    if _TEXT_CACHE_DIR[0]:
        key = text_cache.key_of(lm)
        try:
            text_cache.write(text_cache.path_of(_TEXT_CACHE_DIR[0], key), key, memo)
        except OSError:  # a read-only or full disk: the features are still right, only not kept
            pass


def _trim(tokens: torch.Tensor) -> torch.Tensor:
    """Tokens cut after the batch's last end-of-text token.

    clip's text tower is causal and reads its feature at the end-of-text token (the highest
    id), so the padding after it never reaches the feature; clip's ``encode_text`` takes any
    length up to the context (it slices its positional embedding and mask). Prompts are about
    10 tokens of 77: the same features at a fraction of the cost.
    """
    return tokens[:, : int(tokens.argmax(dim=-1).max()) + 1] if len(tokens) else tokens


def _open_clip_text(model, tokens: torch.Tensor) -> torch.Tensor:
    """open_clip's ``CLIP.encode_text`` on tokens cut after the last end-of-text (see :func:`_trim`).

    Its own method adds the whole positional embedding, so it takes full-length tokens only; this is
    its body with the embedding and the causal mask cut to the tokens' length (what clip's
    ``encode_text`` does itself). Models that do not pool at the end-of-text token with a causal
    mask get the full-length tokens and open_clip's own method.
    """
    mask = getattr(model, "attn_mask", None)
    if getattr(model, "text_pool_type", None) != "argmax" or mask is None:
        full = torch.nn.functional.pad(tokens, (0, model.context_length - tokens.shape[1]))
        return model.encode_text(full)
    n = tokens.shape[1]
    cast = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast) + model.positional_embedding[:n].to(cast)
    x = model.ln_final(model.transformer(x, attn_mask=mask[:n, :n]))
    x = x[torch.arange(x.shape[0], device=x.device), tokens.argmax(dim=-1)]
    return (x @ model.text_projection if not isinstance(model.text_projection, torch.nn.Linear)
            else model.text_projection(x))


def encode_texts(
    lm, texts: Sequence[str], normalize: bool = True, batch_size: int = 1024
) -> torch.Tensor:
    """Text features, float32 (N, D) on CPU, in batches of ``batch_size`` texts.

    Each distinct text is encoded once per loaded model (memoised in this process).
    """
    if isinstance(texts, str):
        raise TextInputError(f"texts must be a list of strings, got the single string {texts!r}.")
    texts = list(texts)
    tokenize(lm, texts)  # check every text before any work
    memo = _text_memo(lm)
    todo = list(dict.fromkeys(t for t in texts if memo is None or t not in memo))
    fresh: dict[str, torch.Tensor] = {}
    if todo:
        tokens = tokenize(lm, todo)
        with torch.inference_mode():
            for start in range(0, len(tokens), batch_size):
                batch = _trim(tokens[start : start + batch_size]).to(lm.device)
                open_clip_model = getattr(lm, "loader", "clip") == "open_clip"
                feats = (_open_clip_text(lm.model, batch) if open_clip_model
                         else lm.model.encode_text(batch)).float().cpu()
                fresh.update(zip(todo[start : start + len(batch)], feats, strict=True))
    if memo is not None and fresh and len(memo) + len(fresh) <= _TEXT_MEMO_MAX:
        memo.update(fresh)
        _save_text_memo(lm, memo)
    known = fresh if memo is None else {**memo, **fresh}
    out = torch.stack([known[t] for t in texts]) if texts else torch.empty(0, embed_dim(lm))
    return finish_features(out, normalize)


# --------------------------------------------------------------------------- feature cache

