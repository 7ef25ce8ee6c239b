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
import json
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


def compiled_pipeline(lm, mode: str, batch_size: int) -> Callable[[np.ndarray], torch.Tensor]:
    """Preprocessing + encoder compiled as one function of one batch shape.

    The images go to the device once, as uint8 (a 32x32x3 image is 3 KB, its preprocessed
    224x224 float input 600 KB); the last, smaller batch is padded to the compiled shape; each
    batch's features are copied into one device tensor (a copy also keeps CUDA-graph outputs,
    which the next replay overwrites) that comes back to the host once, so the host never waits
    for the GPU inside the loop.
    """
    height = width = 32
    r = lm.input_resolution
    mats = preprocess_core.resize_crop_matrices(height, width, r, lm.device, preprocess_core._exact_dtype(lm.device))
    crop = (*preprocess_core.crop_offsets(height, width, r), r)

    def step(x: torch.Tensor) -> torch.Tensor:
        f = lm.model.encode_image(preprocess_core.resample_uint8_batch(x, mats, crop).to(lm.dtype)).float()
        return f / f.norm(dim=-1, keepdim=True)

    compiled = torch.compile(step, mode=mode, dynamic=False)
    pin = lm.device.type == "cuda"

    def run(images: np.ndarray) -> torch.Tensor:
        with torch.inference_mode():
            host = torch.from_numpy(images)
            x = (host.pin_memory() if pin else host).to(lm.device, non_blocking=pin)
            out = torch.empty(len(x), encode.embed_dim(lm), device=lm.device)
            for start in range(0, len(x), batch_size):
                batch = x[start : start + batch_size]
                n = len(batch)
                if n < batch_size:  # pad to the compiled shape rather than compile another
                    batch = torch.cat([batch, batch[-1:].expand(batch_size - n, *batch.shape[1:])])
                out[start : start + n] = compiled(batch)[:n]
            return out.cpu()

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
    p.add_argument("--compile-mode", default=None,
                   help="torch.compile modes, comma-separated (default: see compiled_variants)")
    p.add_argument("--compile-batch-sizes", default=None,
                   help="batch sizes of the compiled variants, comma-separated (default: see compiled_variants)")
    p.add_argument("--json", default=None, help="also write the figures to this JSON file")
    return p.parse_args(argv)


def compiled_variants(args: argparse.Namespace, device: torch.device, n: int) -> list[tuple[str, int]]:
    """(mode, batch size) of each compiled variant to time.

    Default: ``--batch-size`` in the default mode; on CUDA also batch 1024 in the default mode and
    with CUDA graphs (``reduce-overhead``), where launch overhead is the limit at 32x32 inputs.
    """
    if args.compile_mode or args.compile_batch_sizes:
        modes = (args.compile_mode or "default").split(",")
        sizes = [int(b) for b in (args.compile_batch_sizes or str(args.batch_size)).split(",")]
        variants = [(m.strip(), b) for m in modes for b in sizes]
    elif device.type == "cuda":
        variants = [("default", args.batch_size), ("default", 1024), ("reduce-overhead", 1024)]
    else:
        variants = [("default", args.batch_size)]
    # Never a batch larger than the images: padding would time work on copies.
    return list(dict.fromkeys((m, min(b, n)) for m, b in variants))


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
        for mode, batch in compiled_variants(args, device, n):
            run = compiled_pipeline(lm, mode, batch)
            start = time.perf_counter()
            run(images[: min(n, batch)])  # compiles (and captures the CUDA graph) on the one shape
            print(f"compile {mode}, batch {batch}: {time.perf_counter() - start:.1f} s", flush=True)
            pipelines[f"compiled preprocess + encode, {mode}, b{batch}"] = lambda run=run: run(images)
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
    if args.json:
        Path(args.json).write_text(json.dumps({
            "device": gpu, "torch": torch.__version__, "model": lm.name, "dtype": str(lm.dtype), "n": n,
            "workers": args.workers, "batch_size": args.batch_size,
            "images_per_s": {k: round(v, 1) for k, v in rates.items()},
            "peak_mib": {k: round(p / 2**20) for k, (_, _, p) in results.items()},
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
