"""The command line's shared flags, defined once, and the checks every command's arguments pass
before any work starts (one clear line and exit 2 for a bad device, output path, seed, ...).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from clip_course.errors import UsageError

Handler = Callable[[argparse.Namespace], int]

# ----------------------------------------------------------------------------- shared flags


def add_model(p: argparse.ArgumentParser, default: str | None = "ViT-B/32", help_default: str = "") -> None:
    p.add_argument("--model", default=default,
                   help="CLIP model: an openai name (ViT-B/32 or open_clip's spelling ViT-B-32), an open_clip "
                   "architecture with --pretrained (or written ARCH:TAG), 'miniclip', or a checkpoint path" + help_default)
    p.add_argument("--pretrained", default=None, metavar="TAG",
                   help="open_clip / CLIP_benchmark pretrained tag, e.g. laion2b_s34b_b79k, laion400m_e32; "
                   "'openai' is openai's weights (the default for openai's architectures)")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="execute a TorchScript --model archive whose sha256 is not openai's (it can run "
                   "code); without it such a file is read as tensors only")


def add_dataset(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", default="cifar10",
                   help="a name from `python -m clip_course datasets` (cifar10, eurosat, dtd, mnist, shapes100, "
                        "shapes10_sketch, shapes_count ...) or folder:PATH")
    p.add_argument("--data-root", default="data", help="where downloaded datasets live")


def add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda when present, else cpu)")


def add_seed(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--seed", type=int, default=0, help=f"seed of {what}")


def add_limit(p: argparse.ArgumentParser, what: str = "images") -> None:
    p.add_argument("--limit", type=int, default=None, help=f"use a seeded random subset of this many {what}")


def add_cache(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", default="data/cache", help="image-feature cache")


def add_out_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=None, help="write the JSON record here (default: print a summary only)")


#: How the zeroshot/probe JSON records give their headline number.


def add_command(sub: argparse._SubParsersAction, name: str, handler: Handler, help: str, description: str,
             defaults_in_help: bool = True) -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter if defaults_in_help else argparse.HelpFormatter
    p = sub.add_parser(name, help=help, description=description, formatter_class=fmt)
    p.set_defaults(func=handler)
    return p


# ----------------------------------------------------------------------------- validation


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_writable_dir(flag: str, path: Path, fix: str) -> None:
    """The folder ``path`` (or the ancestor it would be created under) can take new files."""
    base = _nearest_existing(path)
    if not base.is_dir():
        raise UsageError(f"{flag} {path}: {base} is a file, not a folder. {fix}")
    try:  # a real write: os.access is always True for root, and misses read-only mounts
        fd, probe = tempfile.mkstemp(prefix=".clip_course_probe.", dir=base)
    except OSError as err:
        raise UsageError(f"{flag} {path}: cannot write in {base} ({err.strerror}). {fix}") from None
    os.close(fd)
    os.unlink(probe)


def check_out_file(flag: str, value: str | os.PathLike) -> None:
    """``value`` can be written as a file: not a folder, not under a file, in a writable folder."""
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"{flag} {path} is a folder; give a file name, e.g. {path / 'result.json'}.")
    _check_writable_dir(flag, path.parent, "Choose an output path in a writable folder.")
    from clip_course.io import check_replaceable

    check_replaceable(os.path.realpath(path))  # no device node or FIFO, before any work


def check_out_folder(flag: str, value: str | os.PathLike) -> None:
    """``value`` can be used as an output folder: not an existing file, creatable, writable."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path} is an existing file; give a folder (it is created if missing).")
    _check_writable_dir(flag, path, "Choose a folder you can write to.")


def _resolve_model(args: argparse.Namespace) -> None:
    """Fold ``--pretrained`` into ``--model`` as open_clip writes the pair (``ViT-B-32:laion2b_s34b_b79k``;
    openai's weights keep openai's name), so every command's ``load(args.model)`` gets the tag, and a
    misspelt name or unknown tag fails here, before any data is read."""
    from clip_course.core.models import model_spec

    spec = model_spec(args.model, args.pretrained)
    if spec.kind != "other":
        args.model = spec.name
    args.pretrained = spec.pretrained


def check_args(args: argparse.Namespace) -> None:
    """Refuse unusable flag values before any work starts (one line naming the flag and the fix)."""
    if getattr(args, "seed", 0) is not None and getattr(args, "seed", 0) < 0:
        raise UsageError(f"--seed {args.seed} is negative; give an integer >= 0.")
    for flag in ("limit", "max_iter"):  # --steps: each command checks its own (meaning differs)
        value = getattr(args, flag, None)
        if value is not None and value <= 0:
            raise UsageError(f"--{flag.replace('_', '-')} {value} must be a positive integer.")
    if getattr(args, "model", None) is not None and hasattr(args, "pretrained"):
        _resolve_model(args)
    if getattr(args, "device", None) is not None:
        from clip_course.core.models import resolve_device

        resolve_device(args.device)
    if getattr(args, "cache_dir", None):
        _check_writable_dir("--cache-dir", Path(args.cache_dir),
                            "Give a writable folder for the feature cache.")
    if getattr(args, "build_dir", None):
        _check_writable_dir("--build-dir", Path(args.build_dir), "Give a writable folder for the build.")
    if getattr(args, "custom_templates", None):
        from clip_course.core.prompts import validate_templates

        validate_templates(args.custom_templates)
    out = getattr(args, "out", None)
    if out is not None:
        (check_out_folder if getattr(args, "_out_kind", "file") == "folder" else check_out_file)("--out", out)


#: OSErrors that mean "this path cannot be written", the user's to fix.
