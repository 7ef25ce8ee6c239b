"""GPU check: the paper-profile notebooks at full CIFAR size, on format-identical fakes.

Random uint8 CIFAR-10/100 in the real pickle layout (50,000 train + 10,000 test each) and a randomly
initialised full-size ViT-B/32 saved as clip.load's fp16 state dict; the real runner runs the seven
notebooks (no PDF: the GPU machine has no Chromium). Prints each notebook's seconds and the total.

    python benchmarks/gpu_notebooks.py [ROOT [N_TRAIN N_TEST [NOTEBOOKS]]]   # /tmp/paper 50000 10000
    python benchmarks/gpu_notebooks.py /tmp/smoke 40 30 07                  # plumbing only, on CPU
"""
import json
import os
import pickle
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

here = Path(__file__).resolve().parents[1]  # the repository (or a copy of it carried to a GPU machine)
root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/paper")
n_train, n_test = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (50000, 10000)
jobs = int(os.environ.get("CLIP_COURSE_JOBS", "4"))  # 16 cores: 4 kernels of 4 threads
shutil.rmtree(root, ignore_errors=True)
root.mkdir(parents=True)
shutil.copytree(here / "notebooks", root / "notebooks")
os.environ["CLIP_CACHE"] = str(root / "clip-cache")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from clip.model import CLIP, convert_weights


def write_cifar(data: Path, name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ten = name == "cifar10"
    folder = data / ("cifar-10-batches-py" if ten else "cifar-100-python")
    folder.mkdir(parents=True)
    files = {"train": [f"data_batch_{i}" for i in range(1, 6)] if ten else ["train"],
             "test": ["test_batch"] if ten else ["test"]}
    for split, names in files.items():
        n = n_train if split == "train" else n_test
        labels = rng.integers(0, 10 if ten else 100, n)
        pixels = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        for k, fname in enumerate(names):
            part = slice(k * n // len(names), (k + 1) * n // len(names))
            with open(folder / fname, "wb") as f:
                pickle.dump({b"data": pixels[part], b"labels" if ten else b"fine_labels": labels[part].tolist()}, f)


start = time.perf_counter()
write_cifar(root / "data", "cifar10", 1)
write_cifar(root / "data", "cifar100", 2)
from clip_course.core import models  # noqa: E402  (after CLIP_CACHE is set)

ckpt = models.weights_path("ViT-B/32")
torch.manual_seed(0)
model = CLIP(embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768, vision_patch_size=32,
             context_length=77, vocab_size=49408, transformer_width=512, transformer_heads=8, transformer_layers=12)
convert_weights(model)
ckpt.parent.mkdir(parents=True)
torch.save(model.state_dict(), ckpt)
print(f"fakes written in {time.perf_counter() - start:.1f} s ({n_train} train + {n_test} test per CIFAR)", flush=True)

from clip_course.report import runner  # noqa: E402
from clip_course.report.notebook_params import find_notebooks, load_params_file  # noqa: E402

(root / "params.yml").write_text(json.dumps({
    "global": {"model": str(ckpt)},
    # torchvision's other sets are not on this machine: the across-datasets chapter on the two CIFARs
    "07_zero_shot_across_datasets": {"datasets": ["cifar10", "cifar100"]},
}))
notebooks = find_notebooks(root / "notebooks", sys.argv[4].split(",") if len(sys.argv) > 4 else None)
start = time.perf_counter()
failed = None
try:
    runs = runner.run_notebooks(notebooks, "paper", load_params_file(root / "params.yml"), False, root,
                                root / "build", progress=False, jobs=jobs)
except Exception as err:  # report what ran, then the failure
    failed = err
total = time.perf_counter() - start
stamps = {p.stem: json.loads(p.read_text()).get("seconds") for p in sorted((root / "build" / "stamps").glob("*.json"))}
print(json.dumps({"device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
                  "jobs": jobs, "notebooks_wall_s": round(total, 1), "per_notebook_s": stamps,
                  "failed": str(failed)[:3000] if failed else None}, indent=2), flush=True)
out = os.environ.get("OUT")
if out:
    for stem in ("03_cifar_zero_shot", "04_linear_probe", "06_analysis", "07_zero_shot_across_datasets"):
        res = root / "results" / f"{stem}.json"
        if res.is_file():
            shutil.copy(res, Path(out) / f"{stem}.json")
sys.exit(1 if failed else 0)
