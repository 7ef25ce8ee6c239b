"""Command line: ``python -m clip_course <command> ...`` (or ``clip-course``).

Each task module that has a command exposes ``configure_cli(subparsers)``; this module only
assembles them and turns the package's user errors into one clear line and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

# Modules in the order their commands are listed in --help.
_COMMAND_MODULES = ("zeroshot", "probe", "styleclip", "pretrain", "download", "report")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser, with a sub-command per task module (or just ``only``'s, which is faster:
    each task module imports torch)."""
    parser = argparse.ArgumentParser(
        prog="python -m clip_course",
        description="Reproduce and extend CLIP's evaluation: zero-shot, linear probe, StyleCLIP, "
        "and the course report. Run a command with --help for its options.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in [only] if only in _COMMAND_MODULES else _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"clip_course.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"clip_course.{name}":
                continue  # not part of this installation
            raise
        configure = getattr(module, "configure_cli", None)
        if configure is not None:
            configure(sub)
    return parser


def _is_user_error(err: BaseException) -> bool:
    # Our own error classes are ValueError/RuntimeError subclasses named "...Error" in clip_course.
    return type(err).__module__.startswith("clip_course.") or isinstance(err, FileNotFoundError)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and argv[0] in _COMMAND_MODULES else None
    args = build_parser(only=command).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if not _is_user_error(err):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
