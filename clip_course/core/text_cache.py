"""Text features kept on disk per model, so notebooks of one build encode each prompt once.

A full-size CLIP text encoder costs about as much per text as per image on a CPU, and the
notebooks of a build ask for the same prompts (03's classifier again in 04 and 06). The file
of a model holds its texts and their raw features with a checksum, is keyed on the checkpoint's
sha256, dtype and device type (fp16 on CUDA gives other values than fp32 on CPU), and is
rewritten atomically. An unusable file is ignored with a warning and replaced.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from clip_course.core.types import LoadedModelLike
from clip_course.io import atomic_path, sha256_bytes

__all__ = ["key_of", "path_of", "read", "write"]


def key_of(lm: LoadedModelLike) -> dict:
    """What a text feature depends on besides the text."""
    return {"checkpoint_sha256": lm.checkpoint_sha256, "dtype": str(lm.dtype).replace("torch.", ""),
            "device": lm.device.type, "context_length": int(lm.context_length),
            # open_clip and openai's code build different models from one file: never one entry
            "loader": getattr(lm, "loader", "clip"), "pretrained": getattr(lm, "pretrained", None)}


def path_of(cache_dir: str | Path, key: dict) -> Path:
    """``<cache_dir>/texts/<sha16>_<dtype>_<device>.pt`` (``<sha16>_open_clip_...`` for open_clip's models)."""
    loader = "" if key.get("loader", "clip") == "clip" else f"_{key['loader']}"
    return Path(cache_dir) / "texts" / f"{key['checkpoint_sha256'][:16]}{loader}_{key['dtype']}_{key['device']}.pt"


def _checksum(texts: list[str], feats: torch.Tensor) -> str:
    t = feats.detach().cpu().contiguous()
    return sha256_bytes("\n".join(texts).encode(), f"{tuple(t.shape)}{t.dtype}".encode(),
                        t.view(torch.uint8).numpy().tobytes())


def read(path: Path, key: dict) -> dict[str, torch.Tensor]:
    """{text: raw feature} from ``path`` ({} when absent or unusable, with a warning)."""
    if not path.is_file():
        return {}
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        texts, feats = list(blob["texts"]), blob["features"]
        ok = blob.get("key") == key and len(texts) == len(feats) and blob.get("sha256") == _checksum(texts, feats)
    except Exception as err:  # a truncated or foreign file fails in many ways
        ok, texts, feats = False, [], None
        warnings.warn(f"Text-feature cache {path} could not be read ({type(err).__name__}); recomputing.",
                      stacklevel=3)
        return {}
    if not ok:
        warnings.warn(f"Text-feature cache {path} is unusable (key or checksum differs); recomputing.", stacklevel=3)
        return {}
    return dict(zip(texts, feats, strict=True))


def write(path: Path, key: dict, memo: dict[str, torch.Tensor]) -> None:
    """Save every text of ``memo`` (atomically: a reader sees the old file or the new one)."""
    texts = list(memo)
    feats = torch.stack([memo[t] for t in texts]).float().contiguous()
    with atomic_path(path) as tmp:
        torch.save({"key": key, "texts": texts, "features": feats, "sha256": _checksum(texts, feats)}, tmp)
