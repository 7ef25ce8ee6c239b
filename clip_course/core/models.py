"""Loading CLIP models: openai's names, OpenCLIP's models by tag, local checkpoints, the offline MiniCLIP.

Models are built by openai/CLIP's own code (``clip.model.build_model``, or ``clip.load(...,
jit=False)`` for trusted archives), so a model here is exactly the model the openai README
evaluates. A checkpoint never runs code unless trusted: a file of unknown origin is read as
tensors only (:mod:`clip_course.core.checkpoint`); a TorchScript archive is executed only when
its sha256 is openai's published one or the user passes ``--trust-checkpoint``.
:func:`load` adds what caches and reports need: the checkpoint's path and sha256, how it was
read, the input resolution, device and dtype, and errors that say what is wrong and the fix.

Names follow openai and open_clip / CLIP_benchmark alike (:mod:`clip_course.core.openclip`):
``ViT-B/32`` = ``ViT-B-32`` = ``ViT-B-32:openai`` is openai's release, loaded here with openai's
code and checked against openai's sha256 (whichever spelling; one cache entry); any other tag
(``ViT-B-32:laion2b_s34b_b79k``, or ``pretrained="laion2b_s34b_b79k"``) is built by open_clip.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import urllib.error
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from clip_course.core import hub, openclip
from clip_course.core.checkpoint import (
    UnsafeCheckpointError,
    is_torchscript_archive,
    read_state_dict,
)
from clip_course.core.device import default_device
from clip_course.errors import DownloadError, ModelLoadError

__all__ = [
    "available_models", "checkpoint_origin", "checkpoint_sha256", "CLIP_CACHE", "DownloadError", "is_openai_release",
    "is_published_checkpoint", "known_models", "load", "LoadedModel", "model_spec", "ModelLoadError",
    "not_openai_message", "OFFLINE_MODEL", "openai_sha256", "openai_sha256s", "os", "Path", "resolve_checkpoint",
    "resolve_device", "TENSORS_ONLY", "torch", "TRUSTED_BY_USER", "TRUSTED_OPENAI", "warnings", "weights_path",
    "weights_problem",
]

with warnings.catch_warnings():
    # clip-anytorch imports pkg_resources, which warns on import (setuptools < 82 keeps it importable).
    warnings.simplefilter("ignore")
    import clip
    import clip.clip as _clip_impl

from clip_course.core.miniclip import miniclip_checkpoint
from clip_course.io import display_path, sha256_file

#: Where clip keeps downloaded weights (clip's own default).
CLIP_CACHE = Path(os.environ.get("CLIP_CACHE", Path.home() / ".cache" / "clip"))
OFFLINE_MODEL = "miniclip"
TENSORS_ONLY = "tensors-only"
TRUSTED_OPENAI = "openai-sha256"
TRUSTED_BY_USER = "trusted-by-user"


@dataclass
class LoadedModel:
    """A CLIP model plus the facts that caches, results and reports need."""

    model: torch.nn.Module
    name: str
    checkpoint: Path
    checkpoint_sha256: str
    input_resolution: int
    context_length: int
    device: torch.device
    dtype: torch.dtype
    preprocess: Callable  # clip's own PIL transform: the reference our encoder matches
    #: How the file was read: ``"tensors-only"`` (nothing in it ran), ``"openai-sha256"``
    #: (a TorchScript archive executed because its hash is openai's) or ``"trusted-by-user"``.
    checkpoint_trust: str = TENSORS_ONLY
    #: The pretrained tag (``"openai"`` for openai's weights, an open_clip tag, None for others).
    pretrained: str | None = None
    #: open_clip's architecture name (``ViT-B-32``) where the model has one.
    arch: str | None = None
    #: Who built the model: ``"clip"`` (openai's code) or ``"open_clip"``.
    loader: str = "clip"
    #: The pretraining data the tag names (``WIT-400M``, ``LAION-2B``, ...), None when unknown.
    training_data: str | None = None
    #: The model's own normalisation where it is not clip's mean and std (None: clip's).
    image_mean: tuple[float, ...] | None = None
    image_std: tuple[float, ...] | None = None

    def __iter__(self) -> Iterator:
        """``model, preprocess = load(...)``, as with ``clip.load``."""
        return iter((self.model, self.preprocess))

    def describe(self) -> dict:
        """Architecture facts as a flat dict (for tables and run manifests)."""
        # clip's and open_clip's modules: their sub-modules and hyper-parameters are plain attributes
        m: Any = self.model
        visual = m.visual
        vit = getattr(visual, "transformer", None)  # a ViT's; a ResNet has stages layer1..layer4 instead
        vision_layers = vit.layers if vit is not None else "x".join(str(len(getattr(visual, f"layer{i}")))
                                                                    for i in range(1, 5))
        return {
            "name": self.name,
            "checkpoint_sha256": self.checkpoint_sha256[:16],
            "parameters": sum(p.numel() for p in m.parameters()),
            "image_encoder": type(visual).__name__,
            "input_resolution": self.input_resolution,
            "vision_width": vit.width if vit is not None else visual.layer1[0].conv1.in_channels,
            "vision_layers": vision_layers,
            "patch_size": getattr(getattr(visual, "conv1", None), "kernel_size", (None,))[0],
            "text_width": m.ln_final.weight.shape[0],
            "text_layers": m.transformer.layers,
            "text_heads": m.transformer.resblocks[0].attn.num_heads,
            "context_length": self.context_length,
            "vocab_size": m.vocab_size,
            "embed_dim": m.text_projection.shape[1],
            "logit_scale": float(m.logit_scale.detach().exp()),
            "device": str(self.device),
            "dtype": str(self.dtype).replace("torch.", ""),
            "checkpoint_trust": self.checkpoint_trust,
            "pretrained": self.pretrained,
            "training_data": self.training_data,
            "loader": self.loader,
        }


def available_models() -> list[str]:
    """openai's model names plus the offline ``"miniclip"`` (open_clip's: :func:`known_models`)."""
    return [*clip.available_models(), OFFLINE_MODEL]


def known_models() -> list[dict]:
    """Every (model, pretrained tag) this package loads: openai's, miniclip, and open_clip's registry."""
    return openclip.known_models(clip.available_models(), [OFFLINE_MODEL])


def model_spec(name_or_path: str, pretrained: str | None = None) -> openclip.Spec:
    """What a model name (+ tag) means; see :func:`clip_course.core.openclip.resolve`.

    openai's names and ``miniclip`` are answered without importing open_clip; a checkpoint path
    is ``kind="other"``; a misspelt name gets "did you mean", an unknown tag the known ones.
    """
    if pretrained in (None, openclip.OPENAI_TAG) and name_or_path in clip.available_models():
        return openclip.Spec("openai", name_or_path, openclip.open_clip_spelling(name_or_path), openclip.OPENAI_TAG)
    if pretrained is None and name_or_path == OFFLINE_MODEL:
        return openclip.Spec("other", OFFLINE_MODEL)
    path = Path(name_or_path).expanduser()
    if path.is_file():
        if pretrained is not None:
            raise ModelLoadError(f"--pretrained {pretrained} names weights, but {path} is a checkpoint file "
                                 f"already; drop --pretrained.")
        return openclip.Spec("other", name_or_path)
    if path.exists():
        raise ModelLoadError(f"Model path {path} exists but is not a file. Give a checkpoint file.")
    return openclip.resolve(name_or_path, pretrained, clip.available_models(), [OFFLINE_MODEL])


def weights_path(name: str, root: Path | None = None) -> Path:
    """Where clip stores (or would store) the weights of an openai model name."""
    url = _clip_impl._MODELS[name]
    return Path(root or CLIP_CACHE) / os.path.basename(url)


@lru_cache(maxsize=32)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(path)


def checkpoint_sha256(path: str | os.PathLike) -> str:
    """sha256 of a checkpoint file, memoised on (path, size, mtime)."""
    st = os.stat(path)
    return _cached_sha256(os.fspath(path), st.st_size, st.st_mtime_ns)


def resolve_checkpoint(name_or_path: str, download: bool = True, pretrained: str | None = None) -> Path:
    """The local checkpoint file for a model name (+ tag) or path, downloading weights if allowed."""
    spec = model_spec(name_or_path, pretrained)
    if spec.kind == "open_clip":
        return Path(openclip.weights_file(*_open_clip_names(spec), download=download))
    name_or_path = spec.name
    if name_or_path == OFFLINE_MODEL:
        return miniclip_checkpoint()
    if name_or_path in clip.available_models():
        target = weights_path(name_or_path)
        converted = hub.converted_path(name_or_path, CLIP_CACHE)
        if not target.is_file() and hub.is_converted(converted):
            return converted  # openai's weights from the Hugging Face hub, converted earlier
        if target.is_file() or download:
            return _download_openai(name_or_path, target)
        raise ModelLoadError(_missing_weights_message(name_or_path, target))
    return Path(name_or_path).expanduser()  # model_spec found the file


def _missing_weights_message(name: str, target: Path, cause: object = None) -> str:
    why = f" ({cause})" if cause else ""
    return (
        f"The weights of CLIP {name} are not on disk: looked for {target}, and they could not "
        f"be downloaded{why}. Two ways out: run `make download` on a machine with internet "
        f"(it puts the file at that path; copy it here if needed), or use the offline model "
        f"with `--model {OFFLINE_MODEL}` / `--profile offline`."
    )


def _download_openai(name: str, target: Path) -> Path:
    """openai's file (clip's sha256-checked download), else the Hugging Face hub's copy, converted.

    A file already at ``target`` is never replaced or deleted: openai's is returned, any other
    is refused (it is the user's). Downloads go to a temporary folder and are moved into place
    only when complete, so a failure leaves nothing behind.
    """
    if target.is_file():
        if _sha_matches(name, target):
            return target
        raise ModelLoadError(not_openai_message(name, target))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".download-", dir=target.parent) as tmp:
            os.replace(_clip_impl._download(_clip_impl._MODELS[name], tmp), target)
            return target
    except (urllib.error.URLError, OSError, ValueError, RuntimeError) as err:  # incl. clip's sha256 check
        openai_error = err
    try:
        return hub.fetch(name, hub.converted_path(name, CLIP_CACHE))
    except hub.HubUnreachable as err:  # offline: one short line, in seconds, no retries
        raise ModelLoadError(openclip.unreachable_message(f"CLIP {name}")) from err
    except DownloadError as err:
        raise ModelLoadError(_missing_weights_message(
            name, target, f"openai's address: {openai_error}; Hugging Face hub: {err}")) from err


def openai_sha256(name: str) -> str:
    """The sha256 of openai's released file for ``name`` (clip's URLs carry it)."""
    return _clip_impl._MODELS[name].split("/")[-2]


def _sha_matches(name: str, path: Path) -> bool:
    return checkpoint_sha256(path) == openai_sha256(name)


def not_openai_message(name: str, path: Path) -> str:
    """Why a file at openai's weights path is not used for the name, and how to use it anyway."""
    return (
        f"{path} is present but not openai's file of CLIP {name} (sha256 {checkpoint_sha256(path)}, "
        f"openai's is {openai_sha256(name)}); it was left as it is. To use it as your own checkpoint, "
        f"give its path as the model (--model {path} / model=\"{path}\"); for openai's weights, "
        f"move it away and run `make download`."
    )


def weights_problem(name: str, pretrained: str | None = None) -> str | None:
    """Why model ``name`` cannot be loaded from disk as it is (None when it can)."""
    if name == OFFLINE_MODEL and pretrained is None:
        return None
    try:
        spec = model_spec(name, pretrained)
    except ModelLoadError as err:
        path = Path(name).expanduser()
        looks_like_path = (os.sep in name.replace("/", os.sep).removeprefix("ViT-")
                           or path.suffix in (".pt", ".pth", ".bin"))
        return f"model checkpoint {path} (not a file)" if looks_like_path else str(err)
    if spec.kind == "open_clip":
        try:
            openclip.weights_file(*_open_clip_names(spec), download=False)
            return None
        except ModelLoadError:
            return f"{spec.name} weights (not in the Hugging Face hub cache)"
    name = spec.name
    if name not in clip.available_models():
        path = Path(name).expanduser()
        return None if path.is_file() else f"model checkpoint {path} (not a file)"
    target = weights_path(name)
    if target.is_file():
        return None if _sha_matches(name, target) else (
            f"CLIP {name} weights: {target} is present but not openai's file (sha256 "
            f"{checkpoint_sha256(target)}; to use it anyway give its path as the model)")
    if hub.is_converted(hub.converted_path(name, CLIP_CACHE)):
        return None
    return f"CLIP {name} weights ({target})"


def checkpoint_origin(name: str, path: str | os.PathLike, sha256: str) -> dict:
    """What a loaded checkpoint is, for the report: ``kind`` is

    - ``"openai"``: the file's sha256 is openai's published one (``model`` names which);
    - ``"hub"``: openai's weights converted from a Hugging Face hub copy by :mod:`core.hub` (its
      record names ``source`` and the converted tensors' sha256; ``verified`` when that equals a
      value recorded in the package, else it was recorded at the first download);
    - ``"open_clip"``: an open_clip tag's weights (``model`` is ``ARCH:TAG``); ``verified`` when the
      file's sha256 is the one the hub published for it (its blob name in the hub cache);
    - ``"miniclip"``: the offline model; ``"other"``: any other file (not openai's released weights).
    """
    path = Path(path)
    out = {"kind": "other", "model": None, "path": display_path(path), "sha256": sha256}
    if name == OFFLINE_MODEL:
        return {**out, "kind": "miniclip"}
    arch, tag = openclip.split_name(name)
    if tag is not None and tag != openclip.OPENAI_TAG:
        published = openclip.hub_sha256(path)
        return {**out, "kind": "open_clip", "model": name, "pretrained": tag,
                "training_data": openclip.training_data(tag), "hub_sha256": published,
                "verified": published is not None and published == sha256}
    if sha256 in openai_sha256s():
        return {**out, "kind": "openai", "model": openai_sha256s()[sha256]}
    record = hub.record_path(path)
    if hub.is_converted(path) and path.parent.name == "hub":
        try:
            import json

            rec = json.loads(record.read_text())
        except (OSError, ValueError):
            return out
        if rec.get("model") in hub.HUB_COPIES:
            expected = hub.CONVERTED_SHA256.get(rec["model"])
            return {**out, "kind": "hub", "model": rec["model"], "source": str(rec.get("source")),
                    "tensors_sha256": str(rec.get("tensors_sha256")),
                    "verified": expected is not None and expected == rec.get("tensors_sha256")}
    return out


def is_published_checkpoint(origin: dict) -> bool:
    """True when published figures measure this file: openai's release (or its hub copy converted
    here), or an open_clip tag's file whose sha256 is the one the hub published."""
    return is_openai_release(origin) or (origin.get("kind") == "open_clip" and bool(origin.get("verified")))


def is_openai_release(origin: dict) -> bool:
    """True for openai's file or its hub copy converted here: the published figures measure these."""
    return origin.get("kind") in ("openai", "hub")


def openai_sha256s() -> dict[str, str]:
    """openai's published sha256 of each model's weights (clip's download URLs hold them)."""
    return {url.split("/")[-2]: name for name, url in _clip_impl._MODELS.items()}


def resolve_device(device: str | torch.device | None) -> torch.device:
    """A usable torch device, or a ModelLoadError naming the device problem."""
    if device is None:
        return default_device()
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ModelLoadError(
            f"Unknown device {device!r} ({err}). Use cpu, cuda, cuda:N or mps."
        ) from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError(f"Device {device!r} is unavailable: this machine has no usable CUDA. Use --device cpu.")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ModelLoadError(
            f"Device {device!r} is unavailable: only {torch.cuda.device_count()} CUDA device(s). Use cuda:0."
        )
    if dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ModelLoadError(f"Device {device!r} is unavailable on this machine. Use --device cpu.")
    return dev


@contextlib.contextmanager
def _no_random_init() -> Iterator[None]:
    """Skip the random initialisation of the modules clip's build_model constructs.

    build_model then loads every parameter with ``load_state_dict(strict=True)``, which fails on
    any missing one, so no uninitialised value can survive; drawing ViT-B/32's 150 M random
    numbers first costs about 1.5 s of each load on a CPU.
    """
    names = ("uniform_", "normal_", "kaiming_uniform_", "xavier_uniform_")
    saved = {n: getattr(torch.nn.init, n) for n in names}
    try:
        for n in names:
            setattr(torch.nn.init, n, lambda tensor, *args, **kwargs: tensor)
        yield
    finally:
        for n, fn in saved.items():
            setattr(torch.nn.init, n, fn)


def _build_from_tensors(path: Path, device: torch.device) -> tuple[torch.nn.Module, Callable]:
    """clip's own build_model over tensors read without running anything from the file."""
    state_dict = read_state_dict(path)
    _check_finite(path, state_dict)
    with _no_random_init():
        model = clip.model.build_model(dict(state_dict))
    model = model.to(device)
    if device.type == "cpu":
        model.float()  # as clip.load does on CPU
    return model, _clip_impl._transform(model.visual.input_resolution)


def _check_finite(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise ModelLoadError(
            f"The CLIP checkpoint {path} holds NaN or infinite weights ({', '.join(bad[:3])}"
            f"{', ...' if len(bad) > 3 else ''}): it is damaged. Fetch or retrain it."
        )


def load(
    name_or_path: str = "ViT-B/32",
    device: str | torch.device | None = None,
    download: bool = True,
    trust: bool = False,
    pretrained: str | None = None,
) -> LoadedModel:
    """Load a CLIP model, running no code from a checkpoint of unknown origin.

    ``pretrained`` is an open_clip tag (``laion2b_s34b_b79k``; ``openai`` for openai's weights),
    also written ``name_or_path="ViT-B-32:laion2b_s34b_b79k"``; such a model is built by open_clip
    from the file the Hugging Face hub serves for the tag (see :func:`_load_open_clip`).

    ``name_or_path`` is a name from :func:`available_models` (openai weights are downloaded
    into ``~/.cache/clip`` by clip, sha256-checked) or the path of a checkpoint (a JIT
    archive or a state dict). A TorchScript archive is executed (through ``clip.load(...,
    jit=False)``) only when its sha256 is openai's published one or ``trust`` is set
    (``--trust-checkpoint``); any other file is read as tensors only and built with clip's
    ``build_model``. ``LoadedModel.checkpoint_trust`` records which happened. On CUDA the
    model is fp16, on CPU fp32, as clip makes it.
    """
    device = resolve_device(device)
    spec = model_spec(name_or_path, pretrained)
    if spec.kind == "open_clip":
        return _load_open_clip(spec, device, download)
    name_or_path = spec.name
    path = resolve_checkpoint(name_or_path, download=download)
    sha = checkpoint_sha256(path)
    trust_mode = TRUSTED_OPENAI if sha in openai_sha256s() else TRUSTED_BY_USER if trust else TENSORS_ONLY
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if trust_mode != TENSORS_ONLY and is_torchscript_archive(path):
                model, preprocess = clip.load(str(path), device=device, jit=False)
                _check_finite(path, model.state_dict())
            else:
                trust_mode = TENSORS_ONLY  # a state dict never needs code to run
                model, preprocess = _build_from_tensors(path, device)
    except ModelLoadError:
        raise
    except UnsafeCheckpointError as err:
        raise ModelLoadError(
            f"Refused to load {path}: it asks to run code while loading ({err}). Nothing from it "
            f"ran. If you trust where the file came from, pass --trust-checkpoint."
        ) from err
    except torch.cuda.OutOfMemoryError as err:
        raise ModelLoadError(f"Device {device} ran out of memory loading {path}. Use --device cpu.") from err
    except Exception as err:  # torch raises many types for a bad file; all mean the same here
        raise ModelLoadError(
            f"Could not load the CLIP checkpoint {path}: it is corrupt, truncated or not a CLIP "
            f"checkpoint ({type(err).__name__}: {err}). Delete it and fetch it again "
            f"(`make download` for openai weights, `make pretrain` for MiniCLIP), or pass "
            f"--trust-checkpoint if it is a TorchScript archive you trust."
        ) from err
    model.eval()
    return LoadedModel(
        model=model,
        # a path is named as a reader sees it (relative to the repository, or ~/...): reports print it
        name=name_or_path if name_or_path in available_models() else display_path(name_or_path),
        checkpoint=path,
        checkpoint_sha256=sha,
        input_resolution=int(model.visual.input_resolution),
        context_length=int(model.context_length),
        device=device,
        dtype=next(model.parameters()).dtype,
        preprocess=preprocess,
        checkpoint_trust=trust_mode,
        pretrained=spec.pretrained,
        arch=spec.arch,
        training_data=openclip.training_data(spec.pretrained),
    )


def _open_clip_names(spec: openclip.Spec) -> tuple[str, str]:
    """An open_clip spec's architecture and tag (both set when ``spec.kind`` is ``"open_clip"``)."""
    if spec.arch is None or spec.pretrained is None:
        raise ModelLoadError(f"{spec.name!r} names no open_clip architecture and tag.")
    return spec.arch, spec.pretrained


def _load_open_clip(spec: openclip.Spec, device: torch.device, download: bool) -> LoadedModel:
    """An open_clip tag's model: open_clip downloads (through the hub cache) and builds it.

    fp16 on CUDA and fp32 on CPU, as openai's models are here. The file is read by open_clip with
    ``weights_only=True`` (tensors only, as :mod:`core.checkpoint` reads unknown files).
    """
    arch, tag = _open_clip_names(spec)
    cfg = openclip.pretrained_cfg(arch, tag)
    norm = openclip.normalisation(arch, tag, cfg)
    path = Path(openclip.weights_file(arch, tag, download=download))
    sha = checkpoint_sha256(path)
    precision = "fp16" if device.type == "cuda" else "fp32"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _no_random_init():  # open_clip then loads every weight with load_state_dict(strict=True)
                model, preprocess = openclip.build(arch, tag, str(path), device, precision)
    except ModelLoadError:
        raise
    except torch.cuda.OutOfMemoryError as err:
        raise ModelLoadError(f"Device {device} ran out of memory loading {spec.name}. Use --device cpu.") from err
    except Exception as err:  # a damaged or foreign file: open_clip raises many types
        raise ModelLoadError(
            f"Could not build {spec.name} from {display_path(path)} ({type(err).__name__}: "
            f"{str(err).splitlines()[0][:160] if str(err) else ''}). Delete it from the hub cache and load it again."
        ) from err
    _check_finite(path, model.state_dict())
    if int(model.vocab_size) != 49408:  # encode.tokenize is clip's BPE: the same tokens for these only
        raise ModelLoadError(f"{spec.name} has its own tokenizer (vocabulary {model.vocab_size}); clip-course "
                             f"reads models with clip's tokenizer only.")
    model.eval()
    return LoadedModel(
        model=model, name=spec.name, checkpoint=path, checkpoint_sha256=sha,
        input_resolution=openclip.input_resolution(model), context_length=int(model.context_length),
        device=device, dtype=next(model.parameters()).dtype, preprocess=preprocess,
        checkpoint_trust=TENSORS_ONLY, pretrained=spec.pretrained, arch=spec.arch, loader="open_clip",
        training_data=openclip.training_data(spec.pretrained), image_mean=norm[0] if norm else None,
        image_std=norm[1] if norm else None,
    )
