"""Atomic file writes, JSON results and content hashes.

Every file this package writes goes through here, so an interrupted run never leaves a
partial or corrupt file under its final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clip_course.errors import OutputPathError

__all__ = [
    "Any", "atomic_path", "atomic_write_bytes", "check_replaceable", "display_path", "os", "Path", "printable",
    "read_json", "sha256_bytes", "sha256_file", "status", "write_json",
]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    A symlink is followed (its target is replaced, the link stays). Anything but a regular
    file or nothing at ``path`` (a folder, device node, FIFO, socket) is refused before any
    work: a rename would silently replace it with a regular file.
    """
    path = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    check_replaceable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def check_replaceable(path: str | os.PathLike) -> None:
    """Raise :class:`OutputPathError` unless ``path`` is a regular file or does not exist."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise OutputPathError(f"Cannot write {path}: a part of its folder path is a file.") from None
    if stat.S_ISREG(mode):
        return
    kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a device node"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
    raise OutputPathError(
        f"Refusing to write {path}: it is {kind}, and writing would replace it with a regular "
        f"file. Give the path of a regular file (or a new one)."
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=_json_default)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file written by :func:`write_json`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _json_default(obj: Any) -> Any:
    # numpy / torch scalars and arrays, Paths: everything results may hold.
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(*parts: bytes) -> str:
    """Hex sha256 of the concatenation of ``parts``."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.hexdigest()


def display_path(path: str | os.PathLike, base: str | os.PathLike | None = None) -> str:
    """A path as a reader should see it: relative to ``base`` (default: the working directory, the
    repository root in a build) when under it, ``~/...`` under the home folder, else as given."""
    p = Path(path).expanduser()
    if not p.is_absolute():
        return str(path)
    for folder, prefix in ((Path(base or Path.cwd()), ""), (Path.home(), "~/")):
        try:
            return prefix + str(p.resolve().relative_to(folder.resolve()))
        except (ValueError, OSError):
            continue
    return str(p)


def status(line: str) -> None:
    """A status line for whoever runs the notebook, control characters escaped (:func:`printable`);
    silent in a report build, whose title page and manifest say once what every chapter would repeat
    (the runner sets ``CLIP_COURSE_REPORT``)."""
    if os.environ.get("CLIP_COURSE_REPORT") != "1":
        print(printable(line))  # one line: dataset and class names in it are data


#: Format characters that reorder or hide text on screen (bidi overrides and isolates, zero-width
#: joiners are harmless and kept): escaped like control characters.
_BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
         "\u200e", "\u200f", "\u061c"}


def printable(text: object) -> str:
    """``text`` as data for a terminal, notebook or PDF: control characters escaped.

    Class names, file names and templates come from the user's disk; a newline or an ANSI
    escape sequence in one must show as ``\\n`` / ``\\x1b``, not move the cursor, recolour
    the terminal or start a new line in a report table. C0/C1 controls and DEL become
    ``\\xNN``, bidi overrides ``\\uNNNN``; everything else (Chinese included) is kept.
    """
    s = str(text)
    if s.isprintable():  # the common case: nothing to escape (isprintable is False for controls)
        return s
    out = []
    for ch in s:
        if unicodedata.category(ch) == "Cc" or ch in _BIDI:
            code = ord(ch)
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
                       or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"))
        else:
            out.append(ch)
    return "".join(out)
