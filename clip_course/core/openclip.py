"""OpenCLIP models by architecture and pretrained tag, loaded through ``open_clip_torch``.

CLIP_benchmark and open_clip name a model by two words, ``--model ViT-B-32 --pretrained
laion2b_s34b_b79k``; open_clip also writes the pair as one string, ``ViT-B-32:laion2b_s34b_b79k``
(``open_clip.list_pretrained(as_str=True)``), which is how this package names such a model in
its records, caches and sweeps. What open_clip already does is left to it: its registry of
architectures and tags (:func:`open_clip.list_pretrained_tags_by_model`), each tag's hub
repository and preprocessing (``get_pretrained_cfg``), the download through
``huggingface_hub`` (``open_clip.pretrained.download_pretrained``) and the model's construction
(``open_clip.create_model``). This module adds what the course needs around it: spellings and
"did you mean", one line listing the known tags of an architecture, a quick failure when the hub
cannot be reached (``huggingface_hub`` retries each file five times, about half a minute each),
the checkpoint's sha256 and whether it is the file the hub published (the hub's cache names each
file's blob by its sha256), the data each tag was trained on, and the tag's normalisation where it
is not clip's (the resize must be clip's, which :mod:`clip_course.core.preprocess` reproduces).

openai's weights (the tag ``openai``) are not loaded here: :mod:`clip_course.core.models` loads
them with openai's own code and checks openai's published sha256, whichever spelling is used.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from clip_course.core import hub
from clip_course.core.preprocess import CLIP_MEAN, CLIP_STD
from clip_course.errors import ModelLoadError

__all__ = [
    "build", "hub_sha256", "input_resolution", "known_models", "normalisation", "open_clip_spelling", "openai_spelling",
    "OPENAI_TAG", "pretrained_cfg", "resolve", "Spec", "split_name", "training_data", "unreachable_message",
    "weights_file",
]

OPENAI_TAG = "openai"

#: The pretraining data behind a tag, by the tag's prefix (open_clip's pretrained registry and its
#: README's model table name them); the first matching prefix wins.
_TRAINING_DATA: tuple[tuple[str, str], ...] = (
    ("openai", "WIT-400M"),
    ("laion400m", "LAION-400M"),
    ("laion2b", "LAION-2B"),
    ("frozen_laion5b", "LAION-5B"),
    ("laion5b", "LAION-5B"),
    ("laion_aesthetic", "LAION-Aesthetic"),
    ("datacomp_xl", "DataComp-1B"),
    ("datacomp_l", "DataComp-L"),
    ("datacomp_m", "DataComp-M"),
    ("datacomp_s", "DataComp-S"),
    ("commonpool", "CommonPool"),
    ("metaclip_400m", "MetaCLIP-400M"),
    ("metaclip_fullcc", "MetaCLIP-2.5B"),
    ("metaclip", "MetaCLIP"),
    ("dfn2b", "DFN-2B"),
    ("dfn5b", "DFN-5B"),
    ("webli", "WebLI"),
    ("yfcc15m", "YFCC-15M"),
    ("cc12m", "CC12M"),
    ("merged2b", "Merged-2B"),
    ("mmc4", "MMC4"),
)


def training_data(tag: str | None) -> str | None:
    """The pretraining data set a tag names (``laion2b_s34b_b79k`` -> ``LAION-2B``), None if unknown."""
    if not tag:
        return None
    return next((data for prefix, data in _TRAINING_DATA if tag.startswith(prefix)), None)


def _open_clip():
    # Lazy: importing open_clip (and timm under it) costs about a second; only its models need it.
    import open_clip

    return open_clip


def open_clip_spelling(name: str) -> str:
    """openai's model name in open_clip's spelling: ``ViT-B/32`` -> ``ViT-B-32``, ``ViT-L/14@336px`` ->
    ``ViT-L-14-336``."""
    return name.replace("@336px", "-336").replace("/", "-")


def openai_spelling(arch: str) -> str:
    """open_clip's architecture name in openai's spelling (``ViT-B-32-quickgelu`` -> ``ViT-B/32``)."""
    arch = arch.removesuffix("-quickgelu")
    m = re.fullmatch(r"(ViT-[A-Za-z]+)-(\d+)(-336)?", arch)
    if m:
        return f"{m.group(1)}/{m.group(2)}{'@336px' if m.group(3) else ''}"
    return arch


@dataclass(frozen=True)
class Spec:
    """What a model name means: ``kind`` is ``"openai"`` (``name`` is openai's spelling),
    ``"open_clip"`` (``arch`` + ``pretrained``), or ``"other"`` (miniclip or a path: ``name``)."""

    kind: str
    name: str
    arch: str | None = None
    pretrained: str | None = None


def split_name(name: str, pretrained: str | None = None) -> tuple[str, str | None]:
    """``"ViT-B-32:laion2b_s34b_b79k"`` -> ``("ViT-B-32", "laion2b_s34b_b79k")``; a tag given twice must agree."""
    arch, sep, tag = name.partition(":")
    if not sep or not arch or not tag or "/" in tag or "\\" in tag:
        return name, pretrained
    if pretrained is not None and pretrained != tag:
        raise ModelLoadError(f"Model {name!r} names the tag {tag!r} but --pretrained is {pretrained!r}; "
                             f"give the tag once.")
    return arch, tag


def resolve(name: str, pretrained: str | None, openai_names: list[str], others: list[str]) -> Spec:
    """The model that ``name`` (+ ``pretrained``) names, or a :class:`ModelLoadError` saying why not.

    ``openai_names`` are openai's (``clip.available_models()``), ``others`` the names loaded
    elsewhere (``miniclip``). ``ViT-B-32`` and ``ViT-B/32`` name the same model; without a tag an
    openai architecture means openai's weights, any other open_clip architecture needs one.
    """
    arch, tag = split_name(name, pretrained)
    if arch in others:
        if tag is not None:
            raise ModelLoadError(f"Model {arch!r} has no pretrained tags; drop --pretrained {tag}.")
        return Spec("other", arch)
    openai_name = arch if arch in openai_names else openai_spelling(arch)
    if tag in (None, OPENAI_TAG) and openai_name in openai_names:
        return Spec("openai", openai_name, open_clip_spelling(openai_name), OPENAI_TAG)
    oc = _open_clip()
    archs = oc.list_models()
    oc_arch = arch if arch in archs else open_clip_spelling(arch)
    if oc_arch not in archs:
        known = [*openai_names, *others, *archs]
        close = difflib.get_close_matches(arch, known, n=3, cutoff=0.6)
        hint = f"Did you mean {' or '.join(close)}? " if close else ""
        raise ModelLoadError(f"Unknown model {arch!r} (and no such file). {hint}Known: "
                             f"{', '.join([*openai_names, *others])}, "
                             f"or an open_clip architecture with --pretrained TAG (`python -m clip_course models`).")
    tags = oc.list_pretrained_tags_by_model(oc_arch)
    if tag is None:
        raise ModelLoadError(f"{oc_arch} needs a pretrained tag: --pretrained one of {', '.join(tags) or '(none)'}.")
    if tag not in tags:
        raise ModelLoadError(f"open_clip knows no tag {tag!r} for {oc_arch}; its tags: {', '.join(tags) or '(none)'}.")
    if tag == OPENAI_TAG:  # an open_clip-only variant of openai's weights (e.g. a -quickgelu name)
        return Spec("openai", openai_spelling(oc_arch), oc_arch, OPENAI_TAG) if openai_spelling(oc_arch) in \
            openai_names else Spec("open_clip", f"{oc_arch}:{tag}", oc_arch, tag)
    return Spec("open_clip", f"{oc_arch}:{tag}", oc_arch, tag)


def known_models(openai_names: list[str], others: list[str]) -> list[dict]:
    """Every model name this package loads, one dict per (model, tag), for ``models`` listings."""
    rows = [{"model": n, "pretrained": OPENAI_TAG, "training_data": training_data(OPENAI_TAG), "loader": "clip"}
            for n in openai_names]
    rows += [{"model": n, "pretrained": None, "training_data": None, "loader": "clip_course"} for n in others]
    for arch, tag in _open_clip().list_pretrained():
        if tag == OPENAI_TAG and openai_spelling(arch) in openai_names:
            continue  # the openai rows above (a -quickgelu spelling of openai's weights is the same model)
        rows.append({"model": arch, "pretrained": tag, "training_data": training_data(tag), "loader": "open_clip"})
    return rows


# ----------------------------------------------------------------------------- weights


def pretrained_cfg(arch: str, tag: str) -> dict:
    """open_clip's record of a tag: hub repository or URL, preprocessing, QuickGELU."""
    return dict(_open_clip().pretrained.get_pretrained_cfg(arch, tag))


def normalisation(arch: str, tag: str, cfg: dict) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """The tag's own (mean, std) where it is not clip's (e.g. ViT-L-14 ``laion2b_s32b_b82k``: 0.5), else None.

    A tag that resizes otherwise than clip (not bicubic of the shorter side, then centre crop: the
    transform :mod:`core.preprocess` reproduces exactly) is refused with one line.
    """
    mean, std = tuple(cfg.get("mean") or CLIP_MEAN), tuple(cfg.get("std") or CLIP_STD)
    interpolation, resize = cfg.get("interpolation") or "bicubic", cfg.get("resize_mode") or "shortest"
    if (interpolation, resize) != ("bicubic", "shortest"):
        raise ModelLoadError(
            f"{arch}:{tag} resizes images its own way ({interpolation}, {resize}); clip-course reproduces "
            f"clip's (bicubic, shorter side, centre crop) only. Use a tag with clip's preprocessing.")
    return None if (mean, std) == (tuple(CLIP_MEAN), tuple(CLIP_STD)) else (mean, std)


def _cached_hub_file(repo: str, filenames: tuple[str, ...]) -> str | None:
    from huggingface_hub import try_to_load_from_cache

    for filename in filenames:
        found = try_to_load_from_cache(repo, filename)
        if isinstance(found, str) and os.path.isfile(found):
            return found
    return None


def weights_file(arch: str, tag: str, download: bool = True) -> str:
    """The local weights file of ``arch:tag``: the hub cache's copy, else open_clip's download.

    A file already in the hub cache is used without asking the network (``hf_hub_download`` would
    first ask the hub, and offline retry for half a minute). Before downloading, the hub's host is
    probed once, so an offline machine gets one short line in a few seconds.
    """
    cfg = pretrained_cfg(arch, tag)
    oc = _open_clip()
    repo = (cfg.get("hf_hub") or "").strip("/")
    if repo:
        weights = cfg.get("hf_weights") or oc.constants.HF_WEIGHTS_NAME
        names = (oc.constants.HF_SAFE_WEIGHTS_NAME, weights) if weights == oc.constants.HF_WEIGHTS_NAME else (weights,)
        found = _cached_hub_file(repo, names)
        if found:
            return found
    if not download:
        raise ModelLoadError(f"The weights of {arch}:{tag} are not on disk; load it once online to fetch them.")
    host = hub.HUB_HOST if repo else (re.match(r"https?://([^/]+)", cfg.get("url") or "") or [None, None])[1]
    if not host or not hub.reachable(host):
        raise ModelLoadError(unreachable_message(f"{arch}:{tag}"))
    try:
        return oc.pretrained.download_pretrained(cfg)
    except Exception as err:  # network, missing file, hub errors: one line
        first = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise ModelLoadError(f"Could not download {arch}:{tag} ({first}). Try again, or use --model miniclip.") from err


def unreachable_message(model: str) -> str:
    """One short line: the weights are missing and the network cannot fetch them (< 200 characters)."""
    return (f"{model}: weights not on disk and the hub is unreachable (offline?). "
            f"Run `make download` online, or use --model miniclip.")


def hub_sha256(path: str | os.PathLike) -> str | None:
    """The sha256 the hub published for a file in its cache: ``huggingface_hub`` names an LFS file's
    blob by it (``.../blobs/<sha256>``, the snapshot entry a link to it). None outside that layout."""
    name = Path(os.path.realpath(path)).name
    return name if re.fullmatch(r"[0-9a-f]{64}", name) else None


def build(arch: str, tag: str, path: str, device, precision: str):
    """open_clip's model for ``arch`` built with the weights at ``path``, preprocessing as the tag has it."""
    cfg = pretrained_cfg(arch, tag)
    oc = _open_clip()
    model, _, preprocess = oc.create_model_and_transforms(
        arch, pretrained=path, device=device, precision=precision,
        force_quick_gelu=bool(cfg.get("quick_gelu", False)),
        image_mean=cfg.get("mean"), image_std=cfg.get("std"),
        image_interpolation=cfg.get("interpolation"), image_resize_mode=cfg.get("resize_mode"))
    if not isinstance(model, oc.CLIP) or getattr(model, "text_projection", None) is None:
        raise ModelLoadError(f"{arch}:{tag} is a {type(model).__name__}, not a CLIP with openai's towers; "
                             f"clip-course reads those only.")
    return model, preprocess


def input_resolution(model) -> int:
    size = model.visual.image_size
    return int(size[0] if isinstance(size, (tuple, list)) else size)
