"""The whole paper-profile report, end to end, on CPU: the real runner, papermill and Chromium over
the six real notebooks, with a randomly initialised **full-size** ViT-B/32 (openai's architecture,
saved as the fp16 state dict ``clip.load`` reads) and CIFAR-10/100 files in the real pickle layout.

The checkpoint sits at openai's weights path under a redirected clip cache (``CLIP_CACHE``; the
user's ``~/.cache`` is never touched) and is given as the model's path, as the profile check's own
message tells a user to do with a file that is not openai's. The build uses the paper profile's
quick parameters (``quick_parameters_by_profile``): 20 test images per set, one template, a few
StyleCLIP steps with the offline generator (no StyleGAN2 checkpoint here, which chapter 6 says).
"""

from __future__ import annotations

import json
import pickle
import shutil
import warnings
from pathlib import Path

import huggingface_hub.constants
import nbformat
import numpy as np
import pytest
import torch
from pypdf import PdfReader
from test_open_clip import write_fake_tag
from test_report import norm, page_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from clip.model import CLIP, convert_weights

from clip_course.core import models
from clip_course.core.device import thread_counts
from clip_course.data import profiles
from clip_course.io import read_json, sha256_file
from clip_course.report import runner

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STEMS = ["01_intro", "02_single_image", "03_cifar_zero_shot", "04_linear_probe", "05_styleclip", "06_analysis",
         "07_zero_shot_across_datasets"]
HEADINGS = ["Abstract", "Contents", "1 CLIP introduction", "2 Single-image tests",
            "3 CIFAR: zero-shot and linear probe",
            "3.1 Zero-shot classification", "3.2 Linear probe", "4 Analysis",
            "5 Where zero-shot works and where it fails",
            "6 StyleCLIP", "7 Conclusions",
            "References", "Appendix A: Class names and templates", "Appendix B: Run manifest"]


def write_cifar(root: Path, name: str, n_train: int, n_test: int, seed: int) -> None:
    """CIFAR python batches in the real layout; training labels cycle over 10 classes, so even
    CIFAR-100's few training images leave a validation split for the probe's C search."""
    rng = np.random.default_rng(seed)
    ten = name == "cifar10"
    folder = root / ("cifar-10-batches-py" if ten else "cifar-100-python")
    folder.mkdir(parents=True)
    files = {"train": [f"data_batch_{i}" for i in range(1, 6)] if ten else ["train"],
             "test": ["test_batch"] if ten else ["test"]}
    for split, names in files.items():
        n = n_train if split == "train" else n_test
        labels = np.arange(n) % 10 if split == "train" else rng.integers(0, 10 if ten else 100, n)
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        for k, fname in enumerate(names):
            part = slice(k * n // len(names), (k + 1) * n // len(names))
            with open(folder / fname, "wb") as f:
                pickle.dump({b"data": data[part], b"labels" if ten else b"fine_labels": labels[part].tolist()}, f)


def write_random_vit_b32(path: Path) -> None:
    """openai's ViT-B/32 architecture, randomly initialised, in fp16 as build_model converts it."""
    torch.manual_seed(0)
    model = CLIP(embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768, vision_patch_size=32,
                 context_length=77, vocab_size=49408, transformer_width=512, transformer_heads=8,
                 transformer_layers=12)
    convert_weights(model)
    path.parent.mkdir(parents=True)
    torch.save(model.state_dict(), path)


#: Notebook 07's default ``open_models``: faked here as random-init models in the hub cache.
OPEN_FAKES = ("ViT-B-32:laion400m_e32", "ViT-B-32:laion2b_s34b_b79k")


def write_open_clip_fakes(root: Path) -> Path:
    """Random-init open_clip models for :data:`OPEN_FAKES`, saved as their hub repositories store them
    and placed in a hub cache as a download leaves them, the blob named by the sha256 the real hub
    published for the tag's file (here a stand-in: not the fake's own, since the fake is not that file).
    The network is never asked: every file is in the cache."""
    import hashlib

    torch.manual_seed(0)
    cache = root / "hf-cache"
    for name in OPEN_FAKES:
        arch, tag = name.split(":")
        write_fake_tag(root / "hub_repos", cache, arch, tag,
                       published_sha256=hashlib.sha256(f"{name}: the hub's file".encode()).hexdigest())
    return cache


@pytest.fixture(scope="module")
def paper_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper_report")
    shutil.copytree(NOTEBOOKS, root / "notebooks")
    write_cifar(root / "data", "cifar10", n_train=40, n_test=100, seed=1)
    write_cifar(root / "data", "cifar100", n_train=40, n_test=100, seed=2)
    cache = root / "clip-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLIP_CACHE", str(cache))  # the kernels' clip cache
        mp.setattr(models, "CLIP_CACHE", cache)  # this process's
        ckpt = models.weights_path("ViT-B/32")
        write_random_vit_b32(ckpt)
        auto = profiles.resolve("auto", data_root=root / "data")
        hf_cache = write_open_clip_fakes(root)  # notebook 07's open_models, in the hub cache
        mp.setenv("HF_HUB_CACHE", str(hf_cache))  # the kernels'
        mp.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hf_cache))  # this process's
        (root / "params.yml").write_text(json.dumps({"global": {"model": str(ckpt)}}))
        result = runner.build_report(profile="paper", params=root / "params.yml", quick=True, root=root,
                                     progress=False)
    print("stage seconds:", {r.stem: round(r.seconds, 1) for r in result.runs})
    pages = [norm(p.extract_text()) for p in PdfReader(str(result.pdf)).pages]
    return root, result, pages, auto, ckpt


def test_auto_does_not_take_a_random_file_at_openais_path_for_openais(paper_build):
    *_, auto, ckpt = paper_build
    assert auto.name == "offline"
    assert "present but not openai's file" in auto.reason and sha256_file(ckpt) in auto.reason


def test_every_section_on_paper_pages(paper_build):
    root, result, pages, *_ = paper_build
    assert result.profile == "paper" and result.pdf.name == "clip_course_report_quick.pdf"
    assert [r.stem for r in result.runs] == STEMS and not any(r.reused for r in result.runs)
    text = " ".join(pages)
    for heading in HEADINGS:
        assert heading in text, heading
    for i, page in enumerate(pages[1:], 2):  # the title page names the profile in its own layout
        assert "paper profile" in page, f"page {i}"
    for stem in STEMS:
        rec = read_json(root / "build" / "quick" / "results" / f"{stem}.json")
        assert rec["profile"] == "paper", stem
        assert rec["model"]["checkpoint_sha256"] == sha256_file(paper_build[4]), stem


def test_no_error_in_any_notebook(paper_build):
    root, result, *_ = paper_build
    for run in result.runs:
        nb = nbformat.read(run.executed, as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert out["output_type"] != "error", (run.stem, out.get("ename"))
                if out["output_type"] == "stream" and out["name"] == "stderr":
                    assert "Error" not in out["text"] and "Traceback" not in out["text"], (run.stem, out["text"])


def test_the_random_checkpoint_is_not_called_openais(paper_build):
    root, result, pages, _, ckpt = paper_build
    abstract = " ".join(pages[page_of(pages, "Abstract"):page_of(pages, "Contents", 2)])
    sha = sha256_file(ckpt)  # named by file name and hash (data/naming.py), never by its folder
    assert f"The model is the checkpoint ViT-B-32.pt (sha256 {sha[:12]}…), not OpenAI's released weights" in abstract
    assert f"its sha256 ({sha}) is not OpenAI's" in abstract and "clip-cache/" not in abstract
    text = " ".join(pages)
    assert "OpenAI's released CLIP" not in text and "directly comparable" not in text
    assert "Not comparable: the zero-shot figures of the table's last column are the published figures" in text
    assert "It was not on disk for this build, so no face was edited" in text
    # what was missing, with its download step, in the run manifest
    manifest = " ".join(pages[page_of(pages, "Appendix B: Run manifest", 5):])
    assert "Not on disk for this build" in manifest and "make download-styleclip" in manifest


def test_the_paper_report_passes_its_lint(paper_build):
    from clip_course.report.lint import lint

    _, result, *_ = paper_build
    assert lint(result.pdf, result.html) == []


def test_each_notebook_records_the_threads_it_chose(paper_build):
    root, _, pages, *_ = paper_build
    expected = thread_counts()
    manifest = " ".join(pages[page_of(pages, "Appendix B: Run manifest", 5):])
    for stem in STEMS:
        threads = read_json(root / "build" / "quick" / "results" / f"{stem}.json")["environment"]["threads"]
        assert (threads["cpus"], threads["torch"]) == (expected["cpus"], expected["torch"]), stem
    assert manifest.count(f"{expected['torch']} torch") >= len(STEMS)


def test_the_open_models_chapter_measures_the_open_clip_fakes_beside_the_openai_fake(paper_build):
    """Notebook 07 measures the session's (openai-format) fake and the two open_clip fakes on one task,
    with intervals and paired differences, and sets no published figure beside any of them."""
    root, _, pages, _, ckpt = paper_build
    rec = read_json(root / "build" / "quick" / "results" / "07_zero_shot_across_datasets.json")
    rows = rec["open_models"]
    assert rec["open_missing"] == {} and [r["model"] for r in rows[1:]] == list(OPEN_FAKES)
    assert rows[0]["checkpoint_sha256"] == sha256_file(ckpt) and rows[0]["vs_base"] is None
    for r in rows:
        assert r["dataset"] == "cifar10" and r["n_test"] > 0 and r["lo"] <= r["top1"] <= r["hi"]
        assert r["published"] is None and not r["checkpoint_published"]  # a fake is not the file measured
    for r, name in zip(rows[1:], OPEN_FAKES, strict=True):
        tag = name.split(":")[1]
        assert r["pretrained"] == tag and r["training_data"] in ("LAION-400M", "LAION-2B")
        d = r["vs_base"]
        assert d["lo"] <= d["diff"] <= d["hi"] and d["n"] == rows[0]["n_test"]
        assert r["checkpoint_sha256"] != rows[0]["checkpoint_sha256"]
    text = " ".join(pages)
    assert "Open models and data scale" in text and "zero-shot top-1 measured here on cifar10" in text
    assert "Not comparable with CLIP_benchmark's figures:" in text
    for name in OPEN_FAKES:
        assert name in text


#: Words only one profile's report may hold: its model, data, generator and the explanations that
#: belong to it. The paper report may say which generator ran and why (chapter 6's one paragraph),
#: in words of its own, none of these.
OFFLINE_VOCABULARY = ["MiniCLIP", "ShapesWorld", "shapes10", "shapes100", "shapes_count", "a red circle",
                      "a blue circle", "offline world", "(offline profile)", "In the offline profile",
                      "attribute readout"]
PAPER_VOCABULARY = ["How the model was trained", "This chapter runs the build's CLIP on CIFAR-10",
                    "six stand-ins made for this course", "Which generator ran", "the torchvision datasets",
                    "The batch is CIFAR-10 test images"]


def test_each_profiles_report_holds_no_word_of_the_other(paper_build, quick_report):
    """Both quick reports (the suite's offline one, this module's paper one on fakes): each is
    written for the profile that ran, and each holds its own profile's explanations."""
    _, _, pages, *_ = paper_build
    paper = " ".join(pages)
    _, offline_result = quick_report
    offline = " ".join(norm(p.extract_text()) for p in PdfReader(str(offline_result.pdf)).pages)
    for word in OFFLINE_VOCABULARY:
        assert word not in paper, f"offline wording {word!r} in the paper report"
    for word in PAPER_VOCABULARY:
        assert word not in offline, f"paper wording {word!r} in the offline report"
    assert "MiniCLIP" in offline and "ShapesWorld" in offline
    assert "How the model was trained" in paper and "six stand-ins made for this course" in paper
    assert "In the paper profile" not in paper and "In the **paper** profile" not in paper  # the case that ran, stated


def test_no_absolute_path_of_the_build_in_the_paper_report(paper_build):
    root, _, pages, *_ = paper_build
    squeezed = "".join("".join(pages).split())  # a path broken over lines joins again
    assert str(root) not in squeezed and str(root.parent) not in squeezed


def test_the_styleclip_chapter_without_stylegan2_is_one_paragraph_on_the_generator(paper_build):
    _, _, pages, *_ = paper_build
    text = " ".join(pages)
    chapter = text[text.rindex("6 StyleCLIP"):text.rindex("7 Conclusions")]  # the headings, not the contents
    assert "Which generator ran" in chapter and "small generator of synthetic shapes" in chapter
    assert "Appendix B gives the download step" in chapter and "In the paper profile" not in chapter
    assert "a woman with purple hair" in chapter and "a really sad person" in chapter
    for figure_of_the_study in ("λ sweep", "Trajectory toward", "related starts"):
        assert figure_of_the_study not in chapter


def test_the_single_image_chapter_plays_the_original_six_pictures(paper_build):
    root, *_ = paper_build
    rec = read_json(root / "build" / "quick" / "results" / "02_single_image.json")
    assert set(rec["images"]) == {"map", "drawn", "person_dog", "emblem", "diagram", "composite"}
    assert {e["image"] for e in rec["experiments"].values()} == {f"picture:{n}" for n in rec["images"]}
