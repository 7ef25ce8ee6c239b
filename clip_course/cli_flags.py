"""The command line's shared flags, defined once, and the checks every command's arguments pass
before any work starts (one clear line and exit 2 for a bad device, output path, seed, ...).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from clip_course.core.prompts import validate_templates
from clip_course.data.profiles import PROFILE_NAMES
from clip_course.errors import UsageError
from clip_course.io import check_replaceable

__all__ = [
    "add_cache", "add_command", "add_dataset", "add_device", "add_limit", "add_model", "add_out_json",
    "add_predictions", "add_profile", "add_seed", "add_split", "apply_profile", "check_args", "check_out_file",
    "Handler", "HelpFormatter", "os", "with_classnames",
]

Handler = Callable[[argparse.Namespace], int]

# ----------------------------------------------------------------------------- shared flags


def add_model(p: argparse.ArgumentParser, default: str | None = None,
              help_default: str = " (default: the --profile's: miniclip offline, ViT-B/32 paper)") -> None:
    p.add_argument("--model", default=default,
                   help="CLIP model: an openai name (ViT-B/32 or open_clip's spelling ViT-B-32), an open_clip "
                   "architecture with --pretrained (or written ARCH:TAG), 'miniclip', or a checkpoint path"
                   + help_default)
    p.add_argument("--pretrained", default=None, metavar="TAG",
                   help="open_clip / CLIP_benchmark pretrained tag, e.g. laion2b_s34b_b79k, laion400m_e32; "
                   "'openai' is openai's weights (the default for openai's architectures)")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="execute a TorchScript --model archive whose sha256 is not openai's (it can run "
                   "code); without it such a file is read as tensors only")


def add_dataset(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", default=None,
                   help="a name from `python -m clip_course datasets` (cifar10, eurosat, dtd, mnist, shapes100, "
                        "shapes10_sketch, shapes_count ...) or folder:PATH (default: the --profile's: shapes10 "
                        "offline, cifar10 paper)")
    p.add_argument("--data-root", default="data", help="where downloaded datasets live")
    p.add_argument("--classnames", type=Path, default=None, metavar="FILE",
                   help="a text file with one class name per line, in label order, used in prompts and tables "
                        "instead of the dataset's own (folder names are read as words: blue_square -> blue square)")


def add_profile(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", choices=PROFILE_NAMES, default="auto",
                   help="asset profile that supplies --model/--dataset when they are not given: offline (miniclip, "
                        "ShapesWorld; runs anywhere), paper (ViT-B/32, CIFAR; needs `make download`), or auto "
                        "(paper when its files are on disk, else offline)")


def add_predictions(p: argparse.ArgumentParser) -> None:
    p.add_argument("--predictions", default=None, metavar="FILE",
                   help="write per-image predictions here (.csv, or .json): image id, true label, the top-k "
                        "labels and their probabilities")
    p.add_argument("--top-k", type=int, default=5, help="how many labels --predictions keeps per image")


def add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda when present, else cpu)")


def add_split(p: argparse.ArgumentParser) -> None:
    p.add_argument("--split", default="test", choices=["train", "test"],
                   help="which split to evaluate: the dataset's test split (as the paper reports) or its train "
                        "split (a folder without train/ and test/ is split per class, seeded)")


def add_seed(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--seed", type=int, default=0, help=f"seed of {what}")


def add_limit(p: argparse.ArgumentParser, what: str = "images") -> None:
    p.add_argument("--limit", type=int, default=None, help=f"use a seeded random subset of this many {what}")


def add_cache(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", default="data/cache", help="image-feature cache")


def add_out_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=None, help="write the JSON record here (default: print a summary only)")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's "(default: X)" added once: not where the help already says its default, nor for
    flags without one (None, False), so no flag reads "(default: ...) (default: None)"."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        no_default = action.default is None or action.default is False or action.default == argparse.SUPPRESS
        if "default" in text.lower() or no_default or not action.option_strings:  # `is`: 0 == False
            return text
        return super()._get_help_string(action)


def add_command(sub: argparse._SubParsersAction, name: str, handler: Handler, description: str,
                help: str | None = None) -> argparse.ArgumentParser:
    """A sub-command's parser; its one-line ``help`` is the ``--help`` listing's (given by the caller)."""
    p = sub.add_parser(name, help=help, description=description, formatter_class=HelpFormatter)
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

    check_replaceable(os.path.realpath(path))  # no device node or FIFO, before any work


def _check_out_folder(flag: str, value: str | os.PathLike) -> None:
    """``value`` can be used as an output folder: not an existing file, creatable, writable."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path} is an existing file; give a folder (it is created if missing).")
    _check_writable_dir(flag, path, "Choose a folder you can write to.")


def _resolve_model(args: argparse.Namespace) -> None:
    """Fold ``--pretrained`` into ``--model`` as open_clip writes the pair (``ViT-B-32:laion2b_s34b_b79k``;
    openai's weights keep openai's name), so every command's ``load(args.model)`` gets the tag, and a
    misspelt name or unknown tag fails here, before any data is read."""
    # lazy: keeps torch out of the CLI until needed
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
    # an empty value would silently mean "the current folder" / "a path named ."
    if isinstance(getattr(args, "model", None), str) and not args.model.strip():
        raise UsageError("--model is empty; give a model name (e.g. ViT-B/32, miniclip) or a checkpoint path.")
    dataset = getattr(args, "dataset", None)
    if isinstance(dataset, str) and not dataset.strip():
        raise UsageError("--dataset is empty; give a name from `python -m clip_course datasets` or folder:PATH.")
    if isinstance(dataset, str) and dataset.startswith("folder:") and not dataset[len("folder:"):].strip():
        raise UsageError("--dataset folder: has an empty path; give the image folder, e.g. folder:photos/.")
    if getattr(args, "model", None) is not None and hasattr(args, "pretrained"):
        _resolve_model(args)
    if getattr(args, "device", None) is not None:
        # lazy: keeps torch out of the CLI until needed
        from clip_course.core.models import resolve_device

        resolve_device(args.device)
    if getattr(args, "cache_dir", None):
        _check_writable_dir("--cache-dir", Path(args.cache_dir),
                            "Give a writable folder for the feature cache.")
    if getattr(args, "build_dir", None):
        _check_writable_dir("--build-dir", Path(args.build_dir), "Give a writable folder for the build.")
    if getattr(args, "custom_templates", None):
        validate_templates(args.custom_templates)
    if getattr(args, "top_k", 1) is not None and getattr(args, "top_k", 1) <= 0:
        raise UsageError(f"--top-k {args.top_k} must be a positive integer.")
    if getattr(args, "predictions", None):
        check_out_file("--predictions", args.predictions)
    if getattr(args, "classnames", None) is not None and not Path(args.classnames).is_file():
        raise UsageError(f"--classnames {args.classnames} is not a file; give a text file with one class name "
                         f"per line.")
    out = getattr(args, "out", None)
    if out is not None:
        (_check_out_folder if getattr(args, "_out_kind", "file") == "folder" else check_out_file)("--out", out)


#: OSErrors that mean "this path cannot be written", the user's to fix.


# ----------------------------------------------------------------------------- profile, class names


def apply_profile(args: argparse.Namespace, fill_dataset: bool = True) -> None:
    """Fill ``--model`` (and ``--dataset``) left unset from ``--profile``; print which profile and why.

    The line is the command's first output, so a user sees at once why miniclip (or ViT-B/32) runs.
    Flags given explicitly always win over the profile's.
    """
    wants_model, wants_dataset = args.model is None, fill_dataset and getattr(args, "dataset", "") is None
    if not (wants_model or wants_dataset):
        return
    from clip_course.data.profiles import resolve  # lazy: checking openai's weights imports torch

    profile = resolve(args.profile, getattr(args, "data_root", "data"), model=args.model)
    filled = {}
    if wants_model:
        args.model = filled["--model"] = profile.model
    if wants_dataset:
        args.dataset = filled["--dataset"] = profile.coarse
    print(f"profile: {profile.name}, so {' '.join(f'{k} {v}' for k, v in filled.items())}. "
          f"{' '.join(profile.reason.split())}", flush=True)


def _read_classnames(path: str | os.PathLike, n: int) -> list[str]:
    """``n`` class names from a text file, one per line (blank lines and surrounding spaces ignored)."""
    try:
        names = [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"--classnames {path}: cannot be read ({err}); give a UTF-8 text file, one name "
                         f"per line.") from None
    if len(names) != n:
        raise UsageError(f"--classnames {path} holds {len(names)} names but the dataset has {n} classes; give "
                         f"one name per class, in label order.")
    if len(set(names)) != n:
        raise UsageError(f"--classnames {path} repeats a name; every class needs its own.")
    return names


def with_classnames(dataset: Any, path: str | os.PathLike | None) -> Any:
    """``dataset`` (an ImageDataset) with the class names of ``--classnames`` (unchanged when None)."""
    if path is None:
        return dataset
    return replace(dataset, classes=_read_classnames(path, len(dataset.classes)))
