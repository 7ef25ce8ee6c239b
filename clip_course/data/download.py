"""``make download``: the paper profile's assets, fetched once, never half-written.

- CLIP ViT-B/32 weights through clip's own downloader (sha256-checked) into clip's cache;
- CIFAR-10 and CIFAR-100 through torchvision (md5-checked) into ``data/``;
- with ``--styleclip``, the StyleGAN2 FFHQ checkpoint StyleCLIP optimises over;
- with ``--datasets eurosat,dtd`` (or ``all``), those datasets through torchvision's own classes
  (:mod:`clip_course.data.torchvision_sets`); :func:`ensure_dataset` does the same on demand.

Every download goes into a temporary folder beside its target and is moved into place only
when complete. A quick connectivity check runs first, so with no network the command fails
in seconds with a clear message, having written nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from tqdm.auto import tqdm

from clip_course.core import hub, models
from clip_course.core.models import weights_problem
from clip_course.data import torchvision_sets as tv
from clip_course.data.cifar import _CIFAR, cifar_present
from clip_course.errors import DownloadError, ModelLoadError
from clip_course.io import atomic_path

__all__ = [
    "check_connectivity", "download_paper_assets", "ensure_dataset", "fetch_cifar", "fetch_clip_weights",
    "fetch_datasets", "fetch_stylegan2", "fetch_url", "parse_dataset_names", "STYLEGAN2_CHECKPOINT", "stylegan2_target",
    "STYLEGAN2_URL", "tv", "urllib", "urllib",
]

_CIFAR_HOST = "https://www.cs.toronto.edu/~kriz/"
#: rosinality's StyleGAN2 FFHQ 1024 px config-f conversion, as StyleCLIP uses it, from where
#: StyleCLIP's own code fetches it (Google Drive; ``confirm=t`` answers the "download anyway"
#: step a large file needs).
STYLEGAN2_URL = "https://drive.google.com/uc?export=download&id=1EM87UquaoQmk17Q8d5kYIAHqu0dkYqdT&confirm=t"
_STYLEGAN2_FILENAME = "stylegan2-ffhq-config-f.pt"
#: Where ``make download-styleclip`` puts it, and where StyleCLIP looks for it.
STYLEGAN2_CHECKPOINT = Path("data") / _STYLEGAN2_FILENAME
_CONNECT_TIMEOUT = 5.0


def stylegan2_target() -> Path:
    """Where the StyleGAN2 checkpoint goes."""
    return STYLEGAN2_CHECKPOINT


def check_connectivity(urls: list[str], timeout: float = _CONNECT_TIMEOUT) -> None:
    """Open a TCP connection to each URL's host, or raise :class:`DownloadError` at once."""
    for url in urls:
        parsed = urlparse(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            with socket.create_connection((parsed.hostname, port), timeout=timeout):
                pass
        except OSError as err:
            raise DownloadError(
                f"Cannot reach {parsed.hostname} ({err}). `make download` needs internet; "
                f"nothing was downloaded. Run it on a machine with a network and copy `data/` "
                f"and ~/.cache/clip here, or use the offline profile (--profile offline)."
            ) from err


@contextlib.contextmanager
def _staging_dir(target_dir: Path) -> Iterator[Path]:
    """A temporary folder beside ``target_dir`` (same file system), always removed."""
    target_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=target_dir))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fetch_clip_weights(name: str = "ViT-B/32") -> Path:
    """openai's weights of ``name``: clip's sha256-checked download, else the Hugging Face hub's copy.

    openai's file is moved into clip's cache when complete. A file already there that is not
    openai's is left alone and refused (it is the user's); when openai's address fails (404s
    since October 2025) the hub copy is converted to openai's layout (:mod:`clip_course.core.hub`).
    """
    if ":" in name and models.model_spec(name).kind == "open_clip":  # an open_clip tag: open_clip's own download
        try:
            return models.resolve_checkpoint(name, download=True)
        except ModelLoadError as err:
            raise DownloadError(str(err)) from err
    target = models.weights_path(name)
    if target.is_file():
        if not models._sha_matches(name, target):
            raise DownloadError(models.not_openai_message(name, target))
        return target
    converted = hub.converted_path(name, models.CLIP_CACHE)
    if hub.is_converted(converted):
        return converted
    with _staging_dir(target.parent) as tmp:
        try:
            path = Path(models._clip_impl._download(models._clip_impl._MODELS[name], str(tmp)))
        except (urllib.error.URLError, OSError, RuntimeError) as err:  # incl. clip's sha256 check
            openai_error = err
        else:
            os.replace(path, target)
            return target
    try:
        return hub.fetch(name, converted)
    except DownloadError as err:
        raise DownloadError(
            f"Downloading CLIP {name} failed (openai's address: {openai_error}; Hugging Face hub: "
            f"{err}); nothing was kept. Try again."
        ) from err


def fetch_cifar(name: str, root: str | Path = "data") -> Path:
    """CIFAR through torchvision into a staging folder, then its batches moved under ``root``."""
    # lazy: tests replace clip_course.data.cifar.download_cifar (monkeypatch), which a module-top binding would not see
    from clip_course.data.cifar import _CIFAR, cifar_present, download_cifar

    root = Path(root)
    folder = root / str(_CIFAR[name]["folder"])
    if cifar_present(name, root):
        return folder
    with _staging_dir(root) as tmp:
        try:
            staged = download_cifar(name, tmp)
        except (urllib.error.URLError, OSError, RuntimeError) as err:
            raise DownloadError(f"Downloading {name} failed ({err}); nothing was kept. Try again.") from err
        if folder.exists():  # an incomplete earlier copy: replace it whole
            shutil.rmtree(folder)
        os.replace(staged, folder)
    if not cifar_present(name, root):
        raise DownloadError(f"{name} was downloaded but {folder} lacks some batches; delete it and retry.")
    return folder


def fetch_url(url: str, target: Path, timeout: float = 30.0) -> Path:
    """Stream ``url`` to ``target`` atomically with a progress bar."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, atomic_path(target) as tmp:
            total = int(response.headers.get("Content-Length") or 0) or None
            with open(tmp, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, desc=target.name) as bar:
                while block := response.read(1 << 20):
                    f.write(block)
                    bar.update(len(block))
            _check_torch_checkpoint(tmp, url)
    except (urllib.error.URLError, OSError) as err:
        raise DownloadError(f"Downloading {url} failed ({err}); nothing was kept. Try again.") from err
    return target


def _check_torch_checkpoint(path: Path, source: str) -> None:
    """Refuse a file that is not a torch checkpoint holding ``g_ema`` (an HTML page, say)."""
    import torch

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise DownloadError(
            f"{source} did not give a torch checkpoint ({type(err).__name__}); pass a direct "
            f"download link with --url."
        ) from err
    if not isinstance(ckpt, dict) or "g_ema" not in ckpt:
        raise DownloadError(f"{source} gave a checkpoint without 'g_ema'; it is not rosinality's StyleGAN2 format.")


def fetch_stylegan2(url: str = STYLEGAN2_URL, target: Path | None = None) -> Path:
    """The StyleGAN2 FFHQ checkpoint (about 380 MB with optimiser state) at ``target``."""
    target = Path(target) if target is not None else stylegan2_target()
    if target.is_file():
        return target
    check_connectivity([url])
    return fetch_url(url, target)


def download_paper_assets(data_root: str | Path = "data", model: str = "ViT-B/32") -> list[Path]:
    """Everything the paper profile needs; skips what is already on disk."""
    # (profiles.missing_paper_assets says the same; profiles fetches through here, so not imported)
    cifar_missing = [n for n in ("cifar10", "cifar100") if not cifar_present(n, data_root)]
    if weights_problem(model) is None and not cifar_missing:
        return []
    # openai's weights host may answer 404 (the hub copy is the fallback), so only CIFAR's is required
    if cifar_missing:
        check_connectivity([_CIFAR_HOST])
    return [fetch_clip_weights(model), fetch_cifar("cifar10", data_root), fetch_cifar("cifar100", data_root)]


def _fetch_torchvision_set(name: str, root: str | Path = "data") -> Path:
    """One torchvision dataset, downloaded by torchvision into a staging folder beside ``root``'s
    own, then moved into place whole; returns its folder. Already on disk: nothing is fetched."""
    name, root = tv.canonical(name), Path(root)
    spec = tv.SPECS[name]
    folder = root / spec.folder
    if tv.present(name, root):
        return folder
    if spec.host is None:
        raise DownloadError(spec.no_download)
    with _staging_dir(root) as tmp:
        try:
            staged = tv.torchvision_download(name, tmp)
        except (urllib.error.URLError, OSError, RuntimeError, ValueError) as err:  # incl. torchvision's md5 check
            raise DownloadError(f"Downloading {name} through torchvision.datasets.{spec.tv_class} failed "
                                f"({type(err).__name__}: {err}); nothing was kept. Try again.") from err
        if not tv.present(name, tmp):
            raise DownloadError(f"torchvision.datasets.{spec.tv_class} finished but left no complete {spec.folder}/ "
                                "(missing "
                                f"{', '.join(str(p.relative_to(tmp)) for p in tv.missing_files(name, tmp)[:3])}); "
                                f"nothing was kept.")
        if folder.exists():  # an incomplete earlier copy: replace it whole
            shutil.rmtree(folder)
        os.replace(staged, folder)
    return folder


def _dataset_host(name: str) -> str | None:
    return _CIFAR_HOST if name in ("cifar10", "cifar100") else tv.SPECS[name].host


def parse_dataset_names(text: str) -> list[str]:
    """``"eurosat,dtd"`` or ``"all"`` -> our names; an unknown or non-downloadable name is refused."""
    known = ["cifar10", "cifar100", *tv.downloadable()]
    names = known if text.strip() == "all" else [tv.canonical(n.strip()) for n in text.split(",") if n.strip()]
    for n in names:
        if n in tv.SPECS and tv.SPECS[n].host is None:
            raise DownloadError(tv.SPECS[n].no_download)
        if n not in known:
            raise DownloadError(f"--datasets: {n!r} is not a dataset that can be downloaded; use 'all' or names "
                                f"from {known} (the ShapesWorld sets are generated, not downloaded).")
    if not names:
        raise DownloadError("--datasets is empty; give names such as eurosat,dtd, or 'all'.")
    return list(dict.fromkeys(names))


def fetch_datasets(names: list[str], root: str | Path = "data") -> list[Path]:
    """Each named dataset that is not on disk yet; returns their folders.

    Each host is checked before its download, and one dataset failing does not stop the others:
    what could be fetched is in place, and one :class:`DownloadError` then names every failure.
    """
    root = Path(root)
    done, failed = [], []
    for n in names:
        is_cifar = n in _CIFAR
        try:
            if not (cifar_present(n, root) if is_cifar else tv.present(n, root)):
                check_connectivity([str(_dataset_host(n))])  # parse_dataset_names let only hosted sets through
            done.append(fetch_cifar(n, root) if is_cifar else _fetch_torchvision_set(n, root))
        except DownloadError as err:
            failed.append(f"{n}: {err}")
    if failed:
        ready = f" Ready: {', '.join(str(p) for p in done)}." if done else ""
        raise DownloadError(f"{len(failed)} of {len(names)} datasets could not be fetched: {' | '.join(failed)}{ready}")
    return done


def ensure_dataset(name: str, root: str | Path = "data") -> Path | None:
    """``name``'s files under ``root``, downloading them first when missing (needs internet then).

    For a notebook or script that should fetch what it needs; returns the dataset's folder, or
    None for datasets that are generated or given by path (ShapesWorld, ``folder:PATH``).
    """
    name, root = tv.canonical(name), Path(root)
    if name in _CIFAR and cifar_present(name, root):
        return root / str(_CIFAR[name]["folder"])
    if name in tv.SPECS and tv.present(name, root):
        return root / tv.SPECS[name].folder
    if name not in _CIFAR and name not in tv.SPECS:
        return None
    return fetch_datasets(parse_dataset_names(name), root)[0]
