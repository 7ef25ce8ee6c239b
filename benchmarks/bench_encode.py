"""Image encoding throughput: ``clip_course.encode.encode_images`` vs the openai README pipeline.

Both run in this process on the same model and the same random uint8 32x32 (CIFAR-like)
images. The README pipeline is clip's PIL ``preprocess`` per image in a torch DataLoader with
workers, then ``model.encode_image`` on each batch (fp16 on CUDA). Ours moves uint8 batches to
the device and preprocesses there (PIL-exact resize matrices), optionally compiled together
with the encoder as one function (``--compile``). Prints images/s of each, the ratio and peak
memory (CUDA max allocated, or the main process's peak RSS on CPU).

    python benchmarks/bench_encode.py                      # CPU: ~1 minute
    python benchmarks/bench_encode.py --device cuda --n 20000 --workers 16 --compile
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from clip_course.core import device as device_core
from clip_course.core import preprocess as preprocess_core

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import clip
    import clip.model

from clip_course.core import encode, models

# Full-size ViT-B/32: embed 512, 224 px, 12 layers of width 768, patch 32, text 12 x 512.
VIT_B32 = dict(
    embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768, vision_patch_size=32,
    context_length=77, vocab_size=49408, transformer_width=512, transformer_heads=8,
    transformer_layers=12,
)


# --------------------------------------------------------------------------- model


def random_vit_b32(device: torch.device) -> models.LoadedModel:
    """A randomly initialised ViT-B/32, in the dtype clip.load would give it (fp16 on CUDA)."""
    torch.manual_seed(0)
    model = clip.model.CLIP(**VIT_B32)
    if device.type == "cuda":
        clip.model.convert_weights(model)  # what clip.load does: fp16 weights, fp32 LayerNorm
    model = model.to(device).eval()
    return models.LoadedModel(
        model=model, name="ViT-B/32 (random init)", checkpoint=Path("-"),
        checkpoint_sha256="random-init", input_resolution=224, context_length=77,
        device=device, dtype=next(model.parameters()).dtype, preprocess=clip.clip._transform(224),
    )


def get_model(args: argparse.Namespace, device: torch.device) -> models.LoadedModel:
    if args.random_init:
        return random_vit_b32(device)
    if args.model is None:
        if models.weights_path("ViT-B/32").is_file():
            return models.load("ViT-B/32", device=device, download=False)
        print("ViT-B/32 weights not on disk: using a randomly initialised ViT-B/32.")
        return random_vit_b32(device)
    return models.load(args.model, device=device)


# --------------------------------------------------------------------------- pipelines


class PILImages(Dataset):
    """The README's way: one PIL image through clip's preprocess per item."""

    def __init__(self, images: np.ndarray, preprocess: Callable) -> None:
        self.images, self.preprocess = images, preprocess

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.preprocess(Image.fromarray(self.images[i]))


def readme_pipeline(lm, images: np.ndarray, batch_size: int, workers: int) -> torch.Tensor:
    loader = DataLoader(
        PILImages(images, lm.preprocess), batch_size=batch_size, num_workers=workers,
        pin_memory=lm.device.type == "cuda",
    )
    feats = []
    with torch.no_grad():
        for x in loader:
            f = lm.model.encode_image(x.to(lm.device, dtype=lm.dtype)).float()
            feats.append((f / f.norm(dim=-1, keepdim=True)).cpu())
    return torch.cat(feats)


def ours_pipeline(lm, images: np.ndarray, batch_size: int) -> torch.Tensor:
    return encode.encode_images(lm, images, batch_size=batch_size, progress=False)


def compiled_pipeline(lm, mode: str) -> Callable[[np.ndarray, int], torch.Tensor]:
    """Preprocessing + encoder compiled as one function (shapes fixed per batch size)."""
    height = width = 32
    r = lm.input_resolution
    mats = preprocess_core.resize_crop_matrices(height, width, r, lm.device, preprocess_core._exact_dtype(lm.device))
    crop = (*preprocess_core.crop_offsets(height, width, r), r)

    def step(x: torch.Tensor) -> torch.Tensor:
        f = lm.model.encode_image(preprocess_core.resample_uint8_batch(x, mats, crop).to(lm.dtype)).float()
        return f / f.norm(dim=-1, keepdim=True)

    compiled = torch.compile(step, mode=mode, dynamic=False)
    pin = lm.device.type == "cuda"

    def run(images: np.ndarray, batch_size: int) -> torch.Tensor:
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                batch = torch.from_numpy(images[start : start + batch_size])
                batch = batch.pin_memory() if pin else batch
                out.append(compiled(batch.to(lm.device, non_blocking=pin)).cpu())
        return torch.cat(out)

    return run


# --------------------------------------------------------------------------- measuring


class PeakMemory:
    """Peak CUDA memory allocated, or the main process's peak RSS sampled every 5 ms."""

    def __init__(self, device: torch.device) -> None:
        self.device, self.peak, self._stop = device, 0, threading.Event()

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        while not self._stop.is_set():
            try:
                with open("/proc/self/statm") as f:
                    self.peak = max(self.peak, int(f.read().split()[1]) * page)
            except OSError:  # not Linux: fall back to the lifetime peak
                import resource

                self.peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                return
            time.sleep(0.005)

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.peak = torch.cuda.max_memory_allocated(self.device)
        else:
            self._stop.set()
            self._thread.join()


def time_interleaved(pipelines: dict[str, Callable[[], torch.Tensor]], device: torch.device,
                     repeats: int) -> dict[str, tuple[float, torch.Tensor, int]]:
    """Best wall time, features and peak memory of each pipeline.

    Runs alternate between pipelines so that a load change on a shared machine hits all
    of them alike.
    """
    results: dict[str, tuple[float, torch.Tensor, int]] = {}
    for _ in range(repeats):
        for name, fn in pipelines.items():
            with PeakMemory(device) as mem:
                start = time.perf_counter()
                feats = fn()
                seconds = time.perf_counter() - start
            best, _, peak = results.get(name, (float("inf"), None, 0))
            results[name] = (min(best, seconds), feats, max(peak, mem.peak))
    return results


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="model name or checkpoint (default: ViT-B/32 "
                   "weights if on disk, else a random-init ViT-B/32)")
    p.add_argument("--random-init", action="store_true", help="use a random-init full-size ViT-B/32")
    p.add_argument("--n", type=int, default=None, help="images (default 20000 on CUDA, 48 on CPU)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--device", default=None, help="default: CUDA if present, else CPU")
    p.add_argument("--workers", type=int, default=min(16, os.cpu_count() or 1),
                   help="DataLoader workers of the README pipeline")
    p.add_argument("--repeats", type=int, default=2,
                   help="timed runs per pipeline, interleaved (the best is kept)")
    p.add_argument("--compile", action="store_true",
                   help="also time preprocessing + encode_image compiled as one function")
    p.add_argument("--compile-mode", default="default",
                   help="torch.compile mode, e.g. reduce-overhead for CUDA graphs")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = torch.device(args.device) if args.device else device_core.default_device()
    n = args.n or (20000 if device.type == "cuda" else 48)
    lm = get_model(args, device)
    images = np.random.default_rng(0).integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    # Warm-up on a full batch where kernels are tuned per shape (CUDA), else a few images.
    warm = images[: min(n, args.batch_size if device.type == "cuda" else 8)]
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"{lm.name} on {gpu} ({lm.dtype}), torch {torch.__version__}, {n} images 32x32 -> "
          f"{lm.input_resolution}, batch {args.batch_size}, {args.workers} workers, "
          f"{torch.get_num_threads()} torch threads")

    pipelines: dict[str, Callable[[], torch.Tensor]] = {
        "openai README (PIL in DataLoader)": lambda: readme_pipeline(lm, images, args.batch_size, args.workers),
        "clip_course encode_images": lambda: ours_pipeline(lm, images, args.batch_size),
    }
    # Warm-ups: CUDA context and kernels, resize matrices (not timed).
    readme_pipeline(lm, warm[:8], 8, 0)
    ours_pipeline(lm, warm, args.batch_size)
    if args.compile:
        run = compiled_pipeline(lm, args.compile_mode)
        start = time.perf_counter()
        run(warm, args.batch_size)  # full batch
        if n % args.batch_size:
            run(images[: n % args.batch_size], args.batch_size)  # the last, smaller batch
        print(f"compile + first batches: {time.perf_counter() - start:.1f} s")
        pipelines["clip_course, compiled preprocess + encode"] = lambda: run(images, args.batch_size)

    results = time_interleaved(pipelines, device, args.repeats)
    what = "CUDA max allocated" if device.type == "cuda" else "peak RSS, main process"
    rates = {name: n / seconds for name, (seconds, _, _) in results.items()}
    for name, (_, _, peak) in results.items():
        print(f"{name:45s} {rates[name]:10,.1f} images/s   {peak / 2**20:8,.0f} MiB {what}")
    base = next(iter(results))
    for name in list(results)[1:]:
        cos = (results[name][1] * results[base][1]).sum(-1).min().item()
        print(f"{name:45s} {rates[name] / rates[base]:6.2f}x the README pipeline "
              f"(min feature cosine {cos:.6f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
