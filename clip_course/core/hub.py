"""openai's CLIP weights from the Hugging Face hub, converted to openai's state-dict layout.

openai's download addresses (the azureedge URLs inside ``clip``) have returned 404 since
October 2025 (openai/CLIP issue #516). The same weights live on the Hugging Face hub in two
layouts, both tried here in order after openai's own address has failed:

- open_clip's (``timm/vit_base_patch32_clip_224.openai`` and its family): the same key names as
  openai's ``clip.model.CLIP``, possibly under ``module.`` or a ``state_dict`` entry;
- transformers' (``openai/clip-vit-base-patch32`` and its family): ``CLIPModel`` keys, with
  separate q/k/v projections and ``nn.Linear`` projections (stored transposed).

:func:`fetch` downloads one copy through ``huggingface_hub.hf_hub_download``, converts it with
:func:`to_openai`, checks every shape by building ``clip.model.build_model`` from it and the
architecture against openai's published one, computes :func:`tensors_sha256` of the converted
tensors and, where :data:`CONVERTED_SHA256` records a value for the model, requires it. The
result is saved as a plain state dict (what ``clip.load`` reads) beside a JSON record of its
source and tensor hash: ``<clip cache>/hub/<openai file name>`` and ``....json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from clip_course.errors import DownloadError

__all__ = [
    "architecture", "ARCHITECTURES", "check", "converted_path", "CONVERTED_SHA256", "fetch", "HUB_COPIES", "HUB_HOST",
    "HubUnreachable", "is_converted", "OPEN_CLIP", "reachable", "record_path", "tensors_sha256", "to_openai",
    "TRANSFORMERS",
]

OPEN_CLIP = "open_clip"
TRANSFORMERS = "transformers"
LAYOUTS = (OPEN_CLIP, TRANSFORMERS)


@dataclass(frozen=True)
class _HubCopy:
    """One Hugging Face hub repository holding openai's weights in one layout."""

    repo_id: str
    layout: str
    filenames: tuple[str, ...]


def _copies(open_clip_repo: str, transformers_repo: str) -> tuple[_HubCopy, ...]:
    return (
        _HubCopy(open_clip_repo, OPEN_CLIP, ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")),
        _HubCopy(transformers_repo, TRANSFORMERS, ("model.safetensors", "pytorch_model.bin")),
    )


def _open_clip_only(repo: str) -> tuple[_HubCopy, ...]:
    return (_HubCopy(repo, OPEN_CLIP, ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")),)


#: Hub copies of openai's weights, tried in this order. The ResNets have no transformers copy;
#: their open_clip copies are the ``timm/resnet*_clip.openai`` repositories, as timm's own
#: registry names them (pytorch-image-models, timm/models/byobnet.py: ``resnet50_clip_gap.openai``
#: has ``hf_hub_id='timm/resnet50_clip.openai'``, ``hf_hub_filename='open_clip_pytorch_model.bin'``,
#: and likewise resnet101, resnet50x4, resnet50x16, resnet50x64), which open_clip's pretrained
#: registry also uses for its ``openai`` tags.
HUB_COPIES: dict[str, tuple[_HubCopy, ...]] = {
    "ViT-B/32": _copies("timm/vit_base_patch32_clip_224.openai", "openai/clip-vit-base-patch32"),
    "ViT-B/16": _copies("timm/vit_base_patch16_clip_224.openai", "openai/clip-vit-base-patch16"),
    "ViT-L/14": _copies("timm/vit_large_patch14_clip_224.openai", "openai/clip-vit-large-patch14"),
    "ViT-L/14@336px": _copies("timm/vit_large_patch14_clip_336.openai", "openai/clip-vit-large-patch14-336"),
    "RN50": _open_clip_only("timm/resnet50_clip.openai"),
    "RN101": _open_clip_only("timm/resnet101_clip.openai"),
    "RN50x4": _open_clip_only("timm/resnet50x4_clip.openai"),
    "RN50x16": _open_clip_only("timm/resnet50x16_clip.openai"),
    "RN50x64": _open_clip_only("timm/resnet50x64_clip.openai"),
}

#: openai's published architectures (the CLIP paper's Table 19/20 and model card).
ARCHITECTURES: dict[str, dict[str, int]] = {
    "ViT-B/32": {"embed_dim": 512, "input_resolution": 224, "vision_layers": 12, "vision_width": 768,
                 "patch_size": 32, "context_length": 77, "vocab_size": 49408, "text_width": 512,
                 "text_layers": 12},
    "ViT-B/16": {"embed_dim": 512, "input_resolution": 224, "vision_layers": 12, "vision_width": 768,
                 "patch_size": 16, "context_length": 77, "vocab_size": 49408, "text_width": 512,
                 "text_layers": 12},
    "ViT-L/14": {"embed_dim": 768, "input_resolution": 224, "vision_layers": 24, "vision_width": 1024,
                 "patch_size": 14, "context_length": 77, "vocab_size": 49408, "text_width": 768,
                 "text_layers": 12},
    "ViT-L/14@336px": {"embed_dim": 768, "input_resolution": 336, "vision_layers": 24,
                       "vision_width": 1024, "patch_size": 14, "context_length": 77,
                       "vocab_size": 49408, "text_width": 768, "text_layers": 12},
}

#: :func:`tensors_sha256` of the converted weights per model, once verified against openai's
#: file. None for every model: no machine that built this package had a network, so the real
#: values could not be computed, and none is invented. Until one is recorded here, a fetched
#: copy is checked by shape (the published architecture for the ViTs, build_model's strict load
#: for all) and its hash is computed at the first download and kept in the record beside the
#: file (``tensors_sha256``, ``recorded_sha256: null``), which the report prints. Both hub copies
#: convert to the same tensors (float32 upcasts of the same release), so one value per model
#: serves both.
CONVERTED_SHA256: dict[str, str | None] = dict.fromkeys(HUB_COPIES)


# ----------------------------------------------------------------------------- conversion


def _unwrap(state: Mapping) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint: under ``state_dict`` if nested, without ``module.``."""
    if "state_dict" in state and isinstance(state["state_dict"], Mapping):
        state = state["state_dict"]
    return {k.removeprefix("module."): v for k, v in state.items() if isinstance(v, torch.Tensor)}


def _from_open_clip(state: Mapping) -> dict[str, torch.Tensor]:
    """open_clip's layout is openai's; drop its non-weight buffers (the causal ``attn_mask``)."""
    return {k: v for k, v in _unwrap(state).items() if not k.endswith("attn_mask")}


_LAYER = {
    "layer_norm1": "ln_1", "layer_norm2": "ln_2", "mlp.fc1": "mlp.c_fc", "mlp.fc2": "mlp.c_proj",
    "self_attn.out_proj": "attn.out_proj",
}
_FIXED = {
    "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
    "text_model.embeddings.position_embedding.weight": "positional_embedding",
    "text_model.final_layer_norm.weight": "ln_final.weight",
    "text_model.final_layer_norm.bias": "ln_final.bias",
    "vision_model.embeddings.class_embedding": "visual.class_embedding",
    "vision_model.embeddings.patch_embedding.weight": "visual.conv1.weight",
    "vision_model.embeddings.position_embedding.weight": "visual.positional_embedding",
    "vision_model.pre_layrnorm.weight": "visual.ln_pre.weight",
    "vision_model.pre_layrnorm.bias": "visual.ln_pre.bias",
    "vision_model.post_layernorm.weight": "visual.ln_post.weight",
    "vision_model.post_layernorm.bias": "visual.ln_post.bias",
    "logit_scale": "logit_scale",
}
_LAYER_KEY = re.compile(r"(text|vision)_model\.encoder\.layers\.(\d+)\.(.+)\.(weight|bias)")


def _from_transformers(state: Mapping) -> dict[str, torch.Tensor]:
    """transformers' ``CLIPModel`` keys to openai's (q/k/v fused, projections transposed)."""
    src = {k: v for k, v in _unwrap(state).items() if not k.endswith("position_ids")}
    out: dict[str, torch.Tensor] = {}
    qkv: dict[tuple[str, str, str], dict[str, torch.Tensor]] = {}
    for key, value in src.items():
        if key in _FIXED:
            out[_FIXED[key]] = value
        elif key in ("text_projection.weight", "visual_projection.weight"):
            out["text_projection" if key.startswith("text") else "visual.proj"] = value.t().contiguous()
        elif m := _LAYER_KEY.fullmatch(key):
            tower, layer, part, kind = m.groups()
            prefix = f"{'visual.' if tower == 'vision' else ''}transformer.resblocks.{layer}"
            if part in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"):
                qkv.setdefault((prefix, kind, tower), {})[part[-6]] = value
            elif part in _LAYER:
                out[f"{prefix}.{_LAYER[part]}.{kind}"] = value
            else:
                raise DownloadError(f"transformers checkpoint key {key!r} has no openai counterpart; "
                                    f"it is not a CLIP ViT checkpoint.")
        else:
            raise DownloadError(f"transformers checkpoint key {key!r} has no openai counterpart; "
                                f"it is not a CLIP ViT checkpoint.")
    for (prefix, kind, _), parts in qkv.items():
        if set(parts) != {"q", "k", "v"}:
            raise DownloadError(f"transformers checkpoint lacks some of q/k/v_proj.{kind} for {prefix}.")
        out[f"{prefix}.attn.in_proj_{kind}"] = torch.cat([parts["q"], parts["k"], parts["v"]], dim=0)
    return out


def to_openai(state: Mapping, layout: str) -> dict[str, torch.Tensor]:
    """A hub checkpoint in ``layout`` ("open_clip" or "transformers") in openai's key layout, float32."""
    if layout not in LAYOUTS:
        raise DownloadError(f"Unknown hub layout {layout!r}; use one of {list(LAYOUTS)}.")
    converted = _from_open_clip(state) if layout == OPEN_CLIP else _from_transformers(state)
    # float32 holds both openai's fp16 release and the hub's fp32 upcasts exactly
    return {k: v.detach().to("cpu", torch.float32) if v.is_floating_point() else v.detach().cpu()
            for k, v in sorted(converted.items())}


def architecture(state: Mapping[str, torch.Tensor]) -> dict[str, int]:
    """The ViT architecture a state dict implies, read from shapes as ``clip.model.build_model`` does."""
    try:
        width = state["visual.conv1.weight"].shape[0]
        patch = state["visual.conv1.weight"].shape[-1]
        grid = round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        return {
            "embed_dim": state["text_projection"].shape[1],
            "input_resolution": patch * grid,
            "vision_layers": len({k.split(".")[3] for k in state if k.startswith("visual.transformer.resblocks.")}),
            "vision_width": width,
            "patch_size": patch,
            "context_length": state["positional_embedding"].shape[0],
            "vocab_size": state["token_embedding.weight"].shape[0],
            "text_width": state["ln_final.weight"].shape[0],
            "text_layers": len({k.split(".")[2] for k in state if k.startswith("transformer.resblocks.")}),
        }
    except KeyError as err:
        raise DownloadError(f"Converted checkpoint lacks {err}; it is not a CLIP ViT checkpoint.") from err


def check(state: Mapping[str, torch.Tensor], name: str | None = None) -> None:
    """Raise :class:`DownloadError` unless ``state`` builds openai's model (``name``'s architecture)."""
    import clip.model

    # The ViTs' architecture is compared with openai's published one; a ResNet's is checked by
    # build_model's strict load below only (every key and shape of the architecture it implies).
    want = ARCHITECTURES.get(name) if name else None
    if want is not None or name is None:
        arch = architecture(state)  # without a name: raises DownloadError unless state is a CLIP ViT's
        if want is not None and arch != want:
            diff = {k: (arch.get(k), v) for k, v in want.items() if arch.get(k) != v}
            raise DownloadError(f"Hub weights for CLIP {name} have the wrong architecture (got, want): {diff}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clip.model.build_model(dict(state))  # load_state_dict(strict): every key and shape
    except (RuntimeError, KeyError, ValueError) as err:
        raise DownloadError(f"Converted hub weights do not fit openai's CLIP model: {err}") from err


def tensors_sha256(state: Mapping[str, torch.Tensor]) -> str:
    """sha256 over the tensors in key order: name, dtype, shape and bytes of each."""
    h = hashlib.sha256()
    for key in sorted(state):
        t = state[key].detach().cpu().contiguous()
        h.update(f"{key}|{t.dtype}|{tuple(t.shape)}\n".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


# ----------------------------------------------------------------------------- fetching


def converted_path(name: str, cache: str | Path) -> Path:
    """Where the converted weights of openai model ``name`` live under clip's cache."""
    import clip.clip as clip_impl

    return Path(cache) / "hub" / os.path.basename(clip_impl._MODELS[name])


def record_path(path: Path) -> Path:
    """The JSON record beside converted weights (source, tensor sha256)."""
    return path.with_suffix(".json")


def is_converted(path: Path) -> bool:
    """True when ``path`` holds weights this module converted (the file and its record)."""
    return path.is_file() and record_path(path).is_file()


HUB_HOST = "huggingface.co"
#: Seconds to wait for a host to accept a connection before calling it unreachable.
_PROBE_TIMEOUT_S = 3.0


def reachable(host: str, port: int = 443, timeout: float = _PROBE_TIMEOUT_S) -> bool:
    """Whether ``host`` accepts a TCP connection within ``timeout`` (False with ``HF_HUB_OFFLINE`` set
    for the hub). One probe instead of ``huggingface_hub``'s five retries per file (about 30 s each
    file, 117 s for openai's four hub copies of ViT-B/32 on an offline machine)."""
    if host == HUB_HOST and os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:  # DNS failure, refused, unreachable, timed out
        return False


class HubUnreachable(DownloadError):
    """The hub's host accepts no connection: no other copy is tried (they all live there)."""


def _hf_hub_download(repo_id: str, filename: str) -> str:
    """``huggingface_hub.hf_hub_download`` (its own cache, resumable, with a progress bar), after one
    quick probe of the hub (offline, hf_hub_download would retry each file for about 30 s)."""
    try:
        from huggingface_hub import hf_hub_download, try_to_load_from_cache
    except ImportError as err:
        raise DownloadError("huggingface_hub is not installed: `pip install huggingface_hub`.") from err
    cached = try_to_load_from_cache(repo_id, filename)
    if isinstance(cached, str) and os.path.isfile(cached):
        return cached  # in the hub cache already: no network needed
    if not reachable(HUB_HOST):
        raise HubUnreachable(f"{HUB_HOST} is unreachable")
    return hf_hub_download(repo_id=repo_id, filename=filename)


def _read(path: str) -> Mapping:
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path)
    return torch.load(path, map_location="cpu", weights_only=True)


def fetch(name: str, target: Path, download: Callable[[str, str], str] | None = None) -> Path:
    """openai's ``name`` from the first hub copy that downloads, converts and checks; saved at ``target``."""
    if name not in HUB_COPIES:
        raise DownloadError(f"CLIP {name} has no known Hugging Face hub copy (only {list(HUB_COPIES)}).")
    download = download or _hf_hub_download
    failures = []
    for copy in HUB_COPIES[name]:
        for filename in copy.filenames:
            source = f"{copy.repo_id}/{filename}"
            try:
                state = to_openai(_read(download(copy.repo_id, filename)), copy.layout)
                check(state, name)
            except HubUnreachable:
                raise  # every copy is on the same host
            except DownloadError as err:
                failures.append(f"{source}: {err}")
                continue
            except Exception as err:  # network, missing file, unreadable file: try the next copy
                failures.append(f"{source}: {type(err).__name__}: {str(err).splitlines()[0][:160] if str(err) else ''}")
                continue
            digest = tensors_sha256(state)
            expected = CONVERTED_SHA256.get(name)
            if expected is not None and digest != expected:
                failures.append(f"{source}: converted tensors have sha256 {digest}, not the recorded {expected}")
                continue
            _save(state, target, {"model": name, "source": source, "layout": copy.layout,
                                  "tensors_sha256": digest, "recorded_sha256": expected})
            return target
    raise DownloadError(f"No Hugging Face hub copy of CLIP {name} could be used: " + "; ".join(failures))


def _save(state: Mapping[str, torch.Tensor], target: Path, record: dict) -> None:
    """The state dict and its JSON record, each written whole (temp file, then rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for path, write in ((target, lambda f: torch.save(dict(state), f)),
                        (record_path(target), lambda f: f.write(json.dumps(record, indent=1).encode()))):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
