"""OpenCLIP models by name and tag, on fakes in the hub's own formats, and the offline failure.

Random-init open_clip models (a ViT-B-32 and an RN50, built once per session) are saved as the hub
repositories store them (``open_clip_model.safetensors`` / ``open_clip_pytorch_model.bin`` beside
``open_clip_config.json``) and served through ``huggingface_hub``'s cache layout (the blob named by
the file's sha256, the snapshot entry a link to it) by a fake ``hf_hub_download``. The package loads
them by tag; its features are compared with open_clip's own forward pass on the original model.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import socket
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from clip_course.cli_commands import models_listing
from clip_course.core import encode, feature_cache, hub, models, openclip, text_cache
from clip_course.errors import ModelLoadError

open_clip = pytest.importorskip("open_clip")

#: The real hub download, kept before conftest's autouse fixture replaces it for every test.
REAL_HF_DOWNLOAD = hub._hf_hub_download

VIT_TAG, RN_TAG = "laion2b_s34b_b79k", "yfcc15m"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _save_hub_repo(folder: Path, model: torch.nn.Module, arch: str, filename: str) -> Path:
    """The model's weights and config as an open_clip hub repository holds them."""
    folder.mkdir(parents=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if filename.endswith(".safetensors"):
        from safetensors.torch import save_file

        save_file(state, folder / filename)
    else:
        torch.save(state, folder / filename)
    config = {"model_cfg": open_clip.get_model_config(arch),
              "preprocess_cfg": {"mean": list(model.visual.image_mean), "std": list(model.visual.image_std)}}
    (folder / "open_clip_config.json").write_text(json.dumps(config))
    return folder / filename


def cache_hub_file(cache: Path, repo_id: str, filename: str, src: Path, published_sha256: str | None = None) -> Path:
    """``src`` placed in huggingface_hub's cache layout under ``cache`` as ``hf_hub_download`` leaves it:
    the blob named by the sha256 the hub published for the file (by default ``src``'s own: the hub
    served this very file), the snapshot entry a relative link to it, ``refs/main`` naming the commit."""
    repo_dir = cache / f"models--{repo_id.replace('/', '--')}"
    sha, commit = published_sha256 or _sha256(src), "0" * 40
    blob = repo_dir / "blobs" / sha
    blob.parent.mkdir(parents=True, exist_ok=True)
    if not blob.exists():
        os.link(src, blob)  # the hub names an LFS blob by its sha256
    snap = repo_dir / "snapshots" / commit / filename
    snap.parent.mkdir(parents=True, exist_ok=True)
    if not snap.exists():
        snap.symlink_to(os.path.relpath(blob, snap.parent))
    (repo_dir / "refs").mkdir(exist_ok=True)
    (repo_dir / "refs" / "main").write_text(commit)
    return snap


def write_fake_tag(folder: Path, cache: Path, arch: str, tag: str, published_sha256: str | None = None) -> Path:
    """A random-init open_clip ``arch`` (QuickGELU where the tag turns it on) saved as the tag's hub
    repository stores it (``open_clip_model.safetensors`` + config) and placed in the hub cache."""
    cfg = openclip.pretrained_cfg(arch, tag)
    model = open_clip.create_model(arch, force_quick_gelu=bool(cfg.get("quick_gelu"))).eval()
    repo = cfg["hf_hub"].strip("/")
    src = _save_hub_repo(folder / repo.replace("/", "--"), model, arch, "open_clip_model.safetensors")
    return cache_hub_file(cache, repo, src.name, src, published_sha256)


@pytest.fixture(scope="session")
def fake_repos(tmp_path_factory):
    """{(repo_id, filename): file} for a random ViT-B-32 (laion2b tag) and RN50 (yfcc15m, QuickGELU)."""
    root = tmp_path_factory.mktemp("hub_repos")
    torch.manual_seed(0)
    vit = open_clip.create_model("ViT-B-32").eval()
    rn = open_clip.create_model("RN50", force_quick_gelu=True).eval()  # yfcc15m's tag turns QuickGELU on
    repos = {}
    for arch, tag, model, filename in (("ViT-B-32", VIT_TAG, vit, "open_clip_model.safetensors"),
                                       ("RN50", RN_TAG, rn, "open_clip_pytorch_model.bin")):
        repo = openclip.pretrained_cfg(arch, tag)["hf_hub"].strip("/")
        repos[(repo, filename)] = _save_hub_repo(root / repo.replace("/", "--"), model, arch, filename)
    return {"files": repos, "models": {"ViT-B-32": vit, "RN50": rn}}


@pytest.fixture
def fake_hub(fake_repos, tmp_path, monkeypatch):
    """A fake hub: hf_hub_download 'downloads' into huggingface_hub's cache layout under tmp_path."""
    import huggingface_hub.constants

    cache = tmp_path / "hf_cache"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hub, "reachable", lambda host, *a, **k: True)
    calls = []

    def hf_hub_download(repo_id, filename, revision=None, cache_dir=None, **kwargs):
        calls.append((repo_id, filename))
        src = fake_repos["files"].get((repo_id, filename))
        if src is None:
            raise FileNotFoundError(f"404: {repo_id}/{filename}")
        return str(cache_hub_file(cache, repo_id, filename, src))

    monkeypatch.setattr(open_clip.pretrained, "hf_hub_download", hf_hub_download)
    return calls


def _images(n: int = 2, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in ((240, 320), (224, 224), (300, 260))[:n]]


@pytest.mark.parametrize("arch,tag", [("ViT-B-32", VIT_TAG), ("RN50", RN_TAG)])
def test_features_match_open_clips_forward(fake_repos, fake_hub, arch, tag):
    lm = models.load(arch, device="cpu", pretrained=tag)
    ref = fake_repos["models"][arch]
    assert (lm.name, lm.arch, lm.pretrained, lm.loader) == (f"{arch}:{tag}", arch, tag, "open_clip")
    assert lm.training_data == {"laion2b_s34b_b79k": "LAION-2B", "yfcc15m": "YFCC-15M"}[tag]
    assert lm.checkpoint_sha256 == _sha256(lm.checkpoint) == Path(os.path.realpath(lm.checkpoint)).name
    preprocess = open_clip.image_transform(224, is_train=False)  # open_clip's own, with clip's mean and std
    images = _images()
    with torch.inference_mode():
        want = torch.cat([ref.encode_image(preprocess(Image.fromarray(im))[None]) for im in images])
        want_text = ref.encode_text(open_clip.get_tokenizer(arch)(["a photo of a dog", "a cat", "x"]))
    got = encode.encode_images(lm, images, normalize=False, progress=False)
    got_text = encode.encode_texts(lm, ["a photo of a dog", "a cat", "x"], normalize=False)
    assert (got - want).abs().max() < 1e-4
    assert (got_text - want_text).abs().max() < 1e-4
    d = lm.describe()
    assert d["pretrained"] == tag and d["parameters"] == sum(p.numel() for p in ref.parameters())


def test_spellings_and_a_second_load_from_the_cache(fake_hub, monkeypatch):
    first = models.load("ViT-B-32:laion2b_s34b_b79k", device="cpu")
    assert fake_hub == [("laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "open_clip_model.safetensors")]

    def no_network(*a, **k):
        raise AssertionError("asked the network for a file in the cache")

    monkeypatch.setattr(open_clip.pretrained, "hf_hub_download", no_network)
    monkeypatch.setattr(hub, "reachable", no_network)
    again = models.load("ViT-B/32", device="cpu", pretrained=VIT_TAG)  # openai's spelling, same model
    assert again.checkpoint_sha256 == first.checkpoint_sha256 and again.name == first.name
    origin = models.checkpoint_origin(again.name, again.checkpoint, again.checkpoint_sha256)
    assert origin["kind"] == "open_clip" and origin["verified"] and models.is_published_checkpoint(origin)


def test_openai_spellings_name_openais_model():
    for name, tag in (("ViT-B/32", None), ("ViT-B-32", None), ("ViT-B-32", "openai"), ("ViT-B-32:openai", None),
                      ("ViT-L-14-336", "openai"), ("RN50", "openai")):
        spec = models.model_spec(name, tag)
        assert spec.kind == "openai" and spec.pretrained == "openai", (name, tag)
    assert models.model_spec("ViT-L-14-336").name == "ViT-L/14@336px"
    assert models.model_spec("ViT-B-32", VIT_TAG).name == f"ViT-B-32:{VIT_TAG}"


def test_misspelt_name_and_unknown_tag_are_one_line():
    with pytest.raises(ModelLoadError, match=r"Did you mean ViT-B-32") as err:
        models.model_spec("ViT-B-23")
    assert "\n" not in str(err.value)
    with pytest.raises(ModelLoadError) as err:
        models.model_spec("ViT-B-32", "laion5b_typo")
    msg = str(err.value)
    assert "\n" not in msg and "laion5b_typo" in msg
    for tag in open_clip.list_pretrained_tags_by_model("ViT-B-32"):  # the library's own list, every tag
        assert tag in msg
    with pytest.raises(ModelLoadError, match="needs a pretrained tag"):
        models.model_spec("ViT-B-16-plus-240")
    with pytest.raises(ModelLoadError, match="no pretrained tags"):
        models.model_spec("miniclip", "openai")


def test_open_clip_and_openai_models_never_share_a_cache_entry(tiny_clip_path):
    import dataclasses

    same_file = models.load(str(tiny_clip_path), device="cpu")
    # the same file built by open_clip under a tag: same sha256, another model
    oc = dataclasses.replace(same_file, name="ViT-B-32:" + VIT_TAG, pretrained=VIT_TAG, loader="open_clip")

    class Data:
        name, split, fingerprint, images = "d", "test", "f" * 64, []

        def __len__(self):
            return 1

    assert feature_cache.cache_key(oc, Data()) != feature_cache.cache_key(same_file, Data())
    k_oc, k_openai = text_cache.key_of(oc), text_cache.key_of(same_file)
    assert k_oc != k_openai and text_cache.path_of("c", k_oc) != text_cache.path_of("c", k_openai)


def _no_network(monkeypatch) -> list:
    """Every connection fails as on a machine without network; returns the hosts asked for."""
    asked = []

    def refuse(address, *a, **k):
        asked.append(address)
        raise OSError(101, "Network is unreachable")

    def no_dns(host, *a, **k):
        asked.append(host)
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hub, "_hf_hub_download", REAL_HF_DOWNLOAD)
    return asked


def test_openai_model_offline_fails_fast_in_one_short_line(monkeypatch, tmp_path, capfd):
    import huggingface_hub.constants

    monkeypatch.setattr(models, "CLIP_CACHE", tmp_path / "clip")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    asked = _no_network(monkeypatch)
    from clip_course.cli import main

    start = time.perf_counter()
    code = main(["zeroshot", "--model", "ViT-B/32", "--dataset", "shapes10", "--data-root", str(tmp_path)])
    elapsed = time.perf_counter() - start
    out, err = capfd.readouterr()
    assert code == 2 and asked  # the network was tried, and refused
    lines = [ln for ln in (out + err).splitlines() if ln.strip()]
    assert len(lines) == 1 and len(lines[0]) < 200, lines
    assert "make download" in lines[0] and "--model miniclip" in lines[0]
    assert "Retry" not in out + err and elapsed < 10


def test_open_clip_tag_offline_fails_fast(monkeypatch, tmp_path):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    _no_network(monkeypatch)
    monkeypatch.setattr(open_clip.pretrained, "hf_hub_download",
                        lambda *a, **k: pytest.fail("downloaded although the hub is unreachable"))
    with pytest.raises(ModelLoadError) as err:
        models.load("ViT-B-32", device="cpu", pretrained=VIT_TAG)
    assert len(str(err.value)) < 200 and "--model miniclip" in str(err.value)


def test_published_table_holds_every_row_of_clip_benchmark():
    from clip_course.data import published

    path = Path(published.__file__).parents[1] / "references" / "clip_benchmark_zeroshot_all.csv"
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["task"] == "zeroshot_classification"]
    pairs = {(r["model"], r["pretrained"]) for r in rows}
    assert ("ViT-B-32", "laion2b_s34b_b79k") in pairs and ("ViT-B-32", "openai") in pairs and len(pairs) == 13
    for r in rows:
        got = published.benchmark_zeroshot(r["model"], r["dataset"], r["pretrained"])
        want = 100 * float(r["acc1"]) if r["acc1"] else None  # multi-label sets publish mAP, no top-1
        assert got is not None and got["acc1"] == pytest.approx(want), r
    laion = published.benchmark_zeroshot("ViT-B-32:laion2b_s34b_b79k", "cifar10")
    openai = published.benchmark_zeroshot("ViT-B/32", "cifar10")
    assert laion["pretrained"] == "laion2b_s34b_b79k" and openai["pretrained"] == "openai"
    assert laion["acc1"] != openai["acc1"]
    # open_clip serves LAION-400M's QuickGELU ViT-B/32 under ViT-B-32 too; CLIP_benchmark wrote -quickgelu
    assert published.benchmark_zeroshot("ViT-B-32", "cifar10", "laion400m_e32")["model"] == "ViT-B-32-quickgelu"
    assert published.model_profile("ViT-B/32")["gmacs"] == 7.4 and published.dataset_type("cifar10") == "natural"
    table = published.benchmark_table()
    assert len(table) == len(rows) and {r["training_data"] for r in table} == {"WIT-400M", "LAION-400M", "LAION-2B"}


def test_zeroshot_cli_carries_the_tag_and_the_published_figure(fake_hub, tmp_path, monkeypatch):
    from conftest import write_cifar

    from clip_course.cli import main
    from clip_course.report.collect import collect

    write_cifar(tmp_path / "data", "cifar10", n_train=2, n_test=6)
    out = tmp_path / "results" / "zs.json"
    code = main(["zeroshot", "--model", "ViT-B-32", "--pretrained", VIT_TAG, "--dataset", "cifar10", "--data-root",
                 str(tmp_path / "data"), "--device", "cpu", "--cache-dir", str(tmp_path / "cache"), "--out", str(out)])
    assert code == 0
    rec = json.loads(out.read_text())
    assert rec["model"]["name"] == f"ViT-B-32:{VIT_TAG}" and rec["model"]["pretrained"] == VIT_TAG
    assert rec["model"]["training_data"] == "LAION-2B" and rec["model"]["checkpoint_published"]
    from clip_course.data.published import benchmark_zeroshot

    assert rec["published"]["acc1"] == benchmark_zeroshot("ViT-B-32", "cifar10", VIT_TAG)["acc1"]
    rows, _ = collect(tmp_path / "results")
    assert rows[0]["checkpoint"] == "open_clip (hub file)" and rows[0]["benchmark_acc1"] == rec["published"]["acc1"]


def test_no_published_figure_beside_a_file_that_is_not_the_hubs(tmp_path):
    from types import SimpleNamespace

    from clip_course.tasks.zeroshot import published_figure

    weights = tmp_path / "open_clip_model.safetensors"
    weights.write_bytes(b"weights")
    sha = _sha256(weights)
    for blob_name, verified in ((sha, True), ("f" * 64, False)):  # the hub's sha256 is the blob's name
        blob = tmp_path / "blobs" / blob_name
        blob.parent.mkdir(exist_ok=True)
        blob.write_bytes(b"weights")
        link = tmp_path / f"snapshot-{verified}"
        link.symlink_to(blob)
        lm = SimpleNamespace(name="ViT-B-32:" + VIT_TAG, checkpoint=link, checkpoint_sha256=sha, pretrained=VIT_TAG)
        origin = models.checkpoint_origin(lm.name, lm.checkpoint, lm.checkpoint_sha256)
        assert origin["kind"] == "open_clip" and origin["verified"] is verified
        figure = published_figure(lm, "cifar10")
        assert (figure is not None) is verified
    # a file outside the hub's cache (a path the user gave, a retrained file) is never the published one
    lm = SimpleNamespace(name="ViT-B-32:" + VIT_TAG, checkpoint=weights, checkpoint_sha256=sha, pretrained=VIT_TAG)
    assert published_figure(lm, "cifar10") is None


def test_a_tags_own_normalisation_matches_open_clips_transform():
    from types import SimpleNamespace

    from clip_course.core.preprocess import preprocess_images

    cfg = openclip.pretrained_cfg("ViT-L-14", "laion2b_s32b_b82k")  # LAION's ViT-L/14 normalises with 0.5
    mean, std = openclip.normalisation("ViT-L-14", "laion2b_s32b_b82k", cfg)
    assert mean == std == (0.5, 0.5, 0.5) and openclip.normalisation("ViT-B-32", VIT_TAG, openclip.pretrained_cfg(
        "ViT-B-32", VIT_TAG)) is None
    image = _images(1)[0]
    lm = SimpleNamespace(image_mean=mean, image_std=std)
    got = encode._renormalise(lm, preprocess_images(torch.from_numpy(image)[None], 224))
    want = open_clip.image_transform(224, is_train=False, mean=mean, std=std)(Image.fromarray(image))[None]
    assert (got - want).abs().max() < 1e-5


def test_models_listing_names_every_model_and_tag():
    text = models_listing()
    names = [line.split()[0] for line in text.splitlines()]
    for arch, tag in open_clip.list_pretrained():  # open_clip's own registry, every pair
        openai_name = openclip.openai_spelling(arch)
        assert f"{arch}:{tag}" in names or (tag == "openai" and openai_name in names), (arch, tag)
    assert "miniclip" in names and names.count("ViT-B/32") == 1
    for name in names[:20] + names[-20:]:  # every listed name loads as typed (resolves to a model)
        assert models.model_spec(name).kind in ("openai", "open_clip", "other")


def test_models_all_lists_open_clips_tags_beside_openais(capsys):
    """``models --all`` reads open_clip's own registry: LAION's ViT-B-32 tag with its data, and openai's."""
    from clip_course.cli import main

    assert main(["models", "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    laion = [ln for ln in lines if ln.startswith("ViT-B-32:laion2b_s34b_b79k ")]
    assert len(laion) == 1 and "LAION-2B" in laion[0] and laion[0].rstrip().endswith("open_clip")
    assert any(ln.split()[:2] == ["ViT-B/32", "openai"] for ln in lines)


def test_stamps_carry_an_open_clip_models_hub_digest(fake_hub, tmp_path):
    """The build's input fingerprint names an ``ARCH:TAG`` model by its hub file's sha256, not None."""
    from clip_course.report import stamps

    name = f"ViT-B-32:{VIT_TAG}"
    assert stamps.checkpoint_digest(name, "paper", tmp_path) is None  # not in the cache yet: nothing to name
    lm = models.load(name, device="cpu")
    digest = stamps.checkpoint_digest(name, "paper", tmp_path)
    assert digest == _sha256(lm.checkpoint) == Path(os.path.realpath(lm.checkpoint)).name
    # openai's spelling with the tag is the same model and the same digest; another tag is not
    assert stamps.checkpoint_digest(f"ViT-B/32:{VIT_TAG}", "paper", tmp_path) == digest
    other = stamps.checkpoint_digest(f"RN50:{RN_TAG}", "paper", tmp_path)
    assert other is None
    models.load(f"RN50:{RN_TAG}", device="cpu")
    assert stamps.checkpoint_digest(f"RN50:{RN_TAG}", "paper", tmp_path) not in (None, digest)
    fingerprints = {stamps.input_fingerprint(tmp_path, "paper", {"model": m}, {}) for m in (name, f"RN50:{RN_TAG}")}
    assert len(fingerprints) == 2


def test_the_paper_profile_fetches_open_clip_weights_on_demand(fake_hub, tmp_path):
    """``--profile paper --model ViT-B-32:TAG`` online with the weights missing: open_clip's download
    fetches them (the hub faked), and the profile runs."""
    from conftest import write_cifar

    from clip_course.data import profiles

    data = tmp_path / "data"
    for name in ("cifar10", "cifar100"):
        write_cifar(data, name, n_train=2, n_test=2)
    name = f"ViT-B-32:{VIT_TAG}"
    assert profiles.missing_paper_assets(data, name) == [f"{name} weights (not in the Hugging Face hub cache)"]
    assert fake_hub == []
    profile = profiles.resolve("paper", data_root=data, model=name)
    assert profile.name == "paper" and name in profile.reason
    assert fake_hub == [("laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "open_clip_model.safetensors")]
    assert profiles.missing_paper_assets(data, name) == []
