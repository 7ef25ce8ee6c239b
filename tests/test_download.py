"""`make download` without a network: fails fast, clearly, and leaves no partial files."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest
from conftest import write_cifar

from clip_course import errors
from clip_course.cli import main
from clip_course.core import models
from clip_course.data import cifar as cifar_data
from clip_course.data import download


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def offline(monkeypatch):
    """No network: every connection attempt fails as it does with no route to the host."""
    def refuse(*args, **kwargs):
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def clip_cache(tmp_path, monkeypatch) -> Path:
    cache = tmp_path / "clip-cache"
    monkeypatch.setattr(models, "CLIP_CACHE", cache)
    return cache


def test_no_network_fails_before_writing_anything(tmp_path, offline, clip_cache, monkeypatch):
    called = []
    monkeypatch.setattr(models._clip_impl, "_download", lambda *a: called.append(a))
    monkeypatch.setattr(cifar_data, "download_cifar", lambda *a: called.append(a))
    with pytest.raises(errors.DownloadError, match="needs internet"):
        download.download_paper_assets(tmp_path / "data")
    assert called == []
    assert _all_files(tmp_path) == []


def test_cli_reports_no_network_as_one_line_and_exit_2(tmp_path, offline, clip_cache, capsys):
    assert main(["download", "--data", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot reach") and "offline" in err
    assert _all_files(tmp_path) == []


def test_interrupted_clip_download_leaves_nothing(tmp_path, clip_cache, monkeypatch):
    def half_download(url, root):
        (Path(root) / Path(url).name).write_bytes(b"half a file")
        raise OSError("connection reset")

    monkeypatch.setattr(models._clip_impl, "_download", half_download)
    with pytest.raises(errors.DownloadError, match="nothing was kept"):
        download.fetch_clip_weights("ViT-B/32")
    assert _all_files(tmp_path) == []


def test_complete_clip_download_is_moved_into_clips_cache(tmp_path, clip_cache, monkeypatch):
    def full_download(url, root):
        path = Path(root) / Path(url).name
        path.write_bytes(b"verified weights")
        return str(path)

    monkeypatch.setattr(models._clip_impl, "_download", full_download)
    path = download.fetch_clip_weights("ViT-B/32")
    assert path == models.weights_path("ViT-B/32") and path.read_bytes() == b"verified weights"
    assert _all_files(tmp_path) == [path]


def test_cifar_is_staged_then_moved_into_place(tmp_path, monkeypatch):
    def fake_torchvision(name, root):
        write_cifar(Path(root), name)
        (Path(root) / "cifar-10-python.tar.gz").write_bytes(b"archive")  # torchvision keeps it
        return Path(root) / "cifar-10-batches-py"

    monkeypatch.setattr(cifar_data, "download_cifar", fake_torchvision)
    folder = download.fetch_cifar("cifar10", tmp_path)
    assert cifar_data.cifar_present("cifar10", tmp_path)
    assert {p.parent for p in _all_files(tmp_path)} == {folder}


def test_failed_cifar_download_leaves_nothing(tmp_path, monkeypatch):
    def broken(name, root):
        (Path(root) / "cifar-100-python.tar.gz").write_bytes(b"partial")
        raise OSError("timed out")

    monkeypatch.setattr(cifar_data, "download_cifar", broken)
    with pytest.raises(errors.DownloadError):
        download.fetch_cifar("cifar100", tmp_path)
    assert _all_files(tmp_path) == []


class _BrokenResponse(io.BytesIO):
    headers = {"Content-Length": "100"}

    def read(self, n=-1):
        if self.tell() >= 10:
            raise OSError("connection reset by peer")
        return super().read(10)


def test_interrupted_url_download_leaves_no_partial_file(tmp_path, monkeypatch):
    monkeypatch.setattr(download.urllib.request, "urlopen", lambda *a, **k: _BrokenResponse(b"x" * 100))
    target = tmp_path / "stylegan2-ffhq-config-f.pt"
    with pytest.raises(errors.DownloadError, match="nothing was kept"):
        download.fetch_url("https://example.invalid/ckpt.pt", target)
    assert _all_files(tmp_path) == []


def test_a_web_page_instead_of_a_checkpoint_is_refused(tmp_path, monkeypatch):
    page = b"<html>Google Drive can't scan this file for viruses</html>"
    monkeypatch.setattr(download.urllib.request, "urlopen", lambda *a, **k: _Response(page))
    with pytest.raises(errors.DownloadError, match="--url"):
        download.fetch_url("https://example.invalid/ckpt", tmp_path / "g.pt")
    assert _all_files(tmp_path) == []


def test_stylegan2_download_honours_url_and_out(tmp_path, monkeypatch):
    import torch

    buf = io.BytesIO()
    torch.save({"g_ema": {"style.1.weight": torch.zeros(2, 2)}}, buf)
    seen = []
    monkeypatch.setattr(download, "check_connectivity", lambda urls: seen.append(urls))
    monkeypatch.setattr(download.urllib.request, "urlopen",
                        lambda url, timeout: seen.append(url) or _Response(buf.getvalue()))
    out = tmp_path / "sg2.pt"
    assert main(["download", "--styleclip", "--url", "https://mirror.invalid/sg2.pt", "--out", str(out)]) == 0
    assert seen == [["https://mirror.invalid/sg2.pt"], "https://mirror.invalid/sg2.pt"]
    assert torch.load(out, weights_only=True)["g_ema"]["style.1.weight"].shape == (2, 2)


def test_stylegan2_default_target_is_the_styleclip_modules_path():
    from clip_course.generators import stylegan2

    assert download.stylegan2_target() == Path(stylegan2.DEFAULT_CHECKPOINT)


class _Response(io.BytesIO):
    def __init__(self, payload: bytes) -> None:
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}


def test_openai_404_falls_back_to_the_hub_copy(tmp_path, clip_cache, monkeypatch):
    import urllib.error

    from clip_course.core import hub

    def gone(url, root):
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    def fake_hub(name, target):
        target.parent.mkdir(parents=True)
        target.write_bytes(b"converted")
        hub.record_path(target).write_text("{}")
        return target

    monkeypatch.setattr(models._clip_impl, "_download", gone)
    monkeypatch.setattr(hub, "fetch", fake_hub)
    path = download.fetch_clip_weights("ViT-B/32")
    assert path == hub.converted_path("ViT-B/32", clip_cache) and path.read_bytes() == b"converted"
    assert not models.weights_path("ViT-B/32").exists()
    monkeypatch.setattr(hub, "fetch", lambda *a: pytest.fail("fetched again"))
    assert download.fetch_clip_weights("ViT-B/32") == path


def test_download_refuses_a_users_file_at_the_weights_path(clip_cache, monkeypatch):
    mine = models.weights_path("ViT-B/32")
    clip_cache.mkdir(parents=True)
    mine.write_bytes(b"mine")
    monkeypatch.setattr(models._clip_impl, "_download", lambda *a: pytest.fail("downloaded over it"))
    with pytest.raises(errors.DownloadError, match="present but not openai's file"):
        download.fetch_clip_weights("ViT-B/32")
    assert mine.read_bytes() == b"mine"


def test_paper_fetches_what_it_lacks_and_auto_never_downloads(tmp_path, clip_cache, monkeypatch):
    """The on-demand path with the network faked: ``paper`` fetches the weights (clip's sha-checked
    download) and both CIFARs (torchvision), then runs; ``auto`` with the same assets missing picks
    offline without touching the network."""
    from clip_course.data import profiles

    weights = b"openai's weights (fake)"
    fetched = []

    def clip_download(url, root):
        fetched.append("weights")
        path = Path(root) / Path(url).name
        path.write_bytes(weights)
        return str(path)

    def torchvision_cifar(name, root):
        fetched.append(name)
        written = write_cifar(Path(root), name)
        assert written
        return Path(root) / ("cifar-10-batches-py" if name == "cifar10" else "cifar-100-python")

    class Connection:  # the connectivity check's socket, answering
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    network = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: network.append(a) or Connection())
    monkeypatch.setattr(models._clip_impl, "_download", clip_download)
    monkeypatch.setattr(cifar_data, "download_cifar", torchvision_cifar)
    import hashlib

    monkeypatch.setattr(models, "openai_sha256", lambda name: hashlib.sha256(weights).hexdigest())
    data = tmp_path / "data"

    auto = profiles.resolve("auto", data_root=data)
    assert auto.name == "offline" and network == [] and fetched == [] and _all_files(tmp_path) == []

    paper = profiles.resolve("paper", data_root=data)
    assert paper.name == "paper" and fetched == ["weights", "cifar10", "cifar100"] and network
    assert models.weights_path("ViT-B/32").read_bytes() == weights
    assert cifar_data.cifar_present("cifar10", data) and cifar_data.cifar_present("cifar100", data)
    assert profiles.resolve("auto", data_root=data).name == "paper"  # now on disk: auto takes it


def test_paper_offline_says_nothing_could_be_fetched(tmp_path, offline, clip_cache):
    from clip_course.data import profiles

    with pytest.raises(errors.ProfileError, match="nothing could be fetched: Cannot reach"):
        profiles.resolve("paper", data_root=tmp_path / "data")
    assert _all_files(tmp_path) == []
