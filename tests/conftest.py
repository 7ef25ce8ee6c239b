"""Shared fixtures: tiny CLIP checkpoints and CIFAR-format files made by the tests themselves."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import clip.model


@pytest.fixture(autouse=True)
def no_hub_network(monkeypatch):
    """No test reaches the Hugging Face hub: its download fails as it would offline."""
    from clip_course.core import hub

    def offline(repo_id: str, filename: str) -> str:
        raise OSError(f"network disabled in tests ({repo_id}/{filename})")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "_hf_hub_download", offline)


def make_tiny_clip(seed: int = 0, resolution: int = 32, patch: int = 8) -> clip.model.CLIP:
    """A randomly initialised openai CLIP (ViT) small enough for CPU tests."""
    torch.manual_seed(seed)
    return clip.model.CLIP(
        embed_dim=32, image_resolution=resolution, vision_layers=2, vision_width=64,
        vision_patch_size=patch, context_length=77, vocab_size=49408,
        transformer_width=64, transformer_heads=2, transformer_layers=2,
    )


@pytest.fixture(scope="session")
def tiny_clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random CLIP saved as a state dict (the format clip.load reads)."""
    path = tmp_path_factory.mktemp("ckpt") / "tiny_clip.pt"
    torch.save(make_tiny_clip().state_dict(), path)
    return path


def write_cifar(root: Path, name: str, n_train: int = 20, n_test: int = 10, seed: int = 0) -> dict:
    """Write CIFAR-format python batches with known random content; returns what was written."""
    rng = np.random.default_rng(seed)
    n_classes = 10 if name == "cifar10" else 100
    label_key = b"labels" if name == "cifar10" else b"fine_labels"
    folder = root / ("cifar-10-batches-py" if name == "cifar10" else "cifar-100-python")
    folder.mkdir(parents=True, exist_ok=True)
    files = {"train": [f"data_batch_{i}" for i in range(1, 6)] if name == "cifar10" else ["train"],
             "test": ["test_batch"] if name == "cifar10" else ["test"]}
    written = {}
    for split, names in files.items():
        n = n_train if split == "train" else n_test
        data = rng.integers(0, 256, size=(n * len(names), 3072), dtype=np.uint8)
        labels = rng.integers(0, n_classes, size=n * len(names))
        for i, fname in enumerate(names):
            sl = slice(i * n, (i + 1) * n)
            with open(folder / fname, "wb") as f:
                pickle.dump({b"data": data[sl], label_key: labels[sl].tolist()}, f)
        written[split] = (data, labels)
    return written


@pytest.fixture(scope="module")
def one_torch_thread():
    """For modules of tiny problems: on busy CI cores a second torch thread only adds
    start-up and OpenMP overhead (10x seen here). Use with ``pytestmark``."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def quick_report(tmp_path_factory):
    """The real notebooks' quick offline report, built once for the whole session, in both editions.

    test_report_real checks the PDFs, test_notebooks and test_analysis the notebooks' results and
    executed copies: one run of the seven notebooks serves all three. (A user's own images in
    notebook 02 are tested through ``single_image.gallery`` in test_single_image.)
    """
    import shutil

    from clip_course.report import runner

    root = tmp_path_factory.mktemp("real_report")
    shutil.copytree(Path(__file__).resolve().parents[1] / "notebooks", root / "notebooks")
    result = runner.build_report(root=root, profile="offline", quick=True, progress=False, lang="both")
    # a quick build's results, figures, executed notebooks and stamps live under build/quick
    return root / "build" / "quick", result
