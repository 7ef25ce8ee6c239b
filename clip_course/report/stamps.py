"""Incremental builds: the stamp of a notebook run covers every input it reads (source, parameters,
profile, kernel, package, images and data folders, the checkpoint), so a build is never stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

from clip_course.core.provenance import git_commit
from clip_course.io import read_json, sha256_file
from clip_course.report import system

if TYPE_CHECKING:  # the runner imports this module
    from clip_course.report.runner import NotebookRun

__all__ = [
    "checkpoint_digest", "file_sha", "input_fingerprint", "PACKAGE_DIR", "package_fingerprint", "pdf_is_current",
    "pdf_key", "stamp_is_current", "stamp_key",
]

#: Bumped when the stamp format or what goes into its key changes.
_STAMP_VERSION = 1


# --------------------------------------------------------------------------- stamps


#: The whole package (this module lives in its ``report/`` subpackage).
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def package_fingerprint(pkg: Path = PACKAGE_DIR) -> str:
    """sha256 over the package's code and assets, every subpackage (not the report's templates,
    which change the PDF, not a notebook's results)."""
    h = hashlib.sha256()
    for path in sorted(pkg.rglob("*")):
        rel = path.relative_to(pkg)
        if not path.is_file() or "__pycache__" in rel.parts or rel.parts[:2] == ("report", "templates"):
            continue
        h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _notebook_fingerprint(notebook: Path) -> str:
    """sha256 of what a notebook runs: cells' types, sources and tags, and its metadata."""
    nb = nbformat.read(notebook, as_version=4)
    cells = [(c.cell_type, c.source, c.get("metadata", {}).get("tags", [])) for c in nb.cells]
    blob = json.dumps({"cells": cells, "meta": nb.metadata.get("clip_course", {})}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def stamp_key(notebook: Path, params: dict[str, Any], profile: str, kernel: str, package: str,
              inputs: str = "") -> str:
    """The key a notebook's stamp must match for its previous run to be reused."""
    blob = json.dumps(
        {"v": _STAMP_VERSION, "nb": _notebook_fingerprint(notebook), "params": params,
         "profile": profile, "kernel": kernel, "package": package, "inputs": inputs},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


#: Folders under ``data/`` that are outputs, not inputs (features are keyed on their inputs).
_DATA_OUTPUTS = {"cache"}


def _tree_digest(folder: Path, contents: bool) -> str:
    """sha256 over the files under ``folder``: names and contents, or (cheaply, for large
    datasets and checkpoints) names, sizes and mtimes. ``"absent"`` when there is no folder."""
    if not folder.is_dir():
        return "absent"
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or rel.parts[0] in _DATA_OUTPUTS:
            continue
        st = path.stat()
        h.update(str(rel).encode() + b"\0")
        h.update(sha256_file(path).encode() if contents else f"{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def checkpoint_digest(model: str | None, profile: str, root: Path) -> str | None:
    """sha256 of the checkpoint a notebook loads (``model`` or the profile's); None if none.

    An open_clip model (``ARCH:TAG``) is its hub file in the Hugging Face cache: the sha256 the hub
    published (the blob's name), else the file's own."""
    try:
        # lazy: its failure is handled where it is imported
        from clip_course.core import models, openclip
        from clip_course.data import profiles

        name = model or profiles.resolve(profile).model
        if ":" in name and models.model_spec(name).kind == "open_clip":
            path = models.resolve_checkpoint(name, download=False)
            return openclip.hub_sha256(path) or models.checkpoint_sha256(path)
        if name not in models.available_models() and not Path(name).is_absolute():
            name = str(root / name)  # notebooks run with cwd = root
        return models.checkpoint_sha256(models.resolve_checkpoint(name, download=False))
    except Exception:  # a missing checkpoint: the notebook itself will say so
        return None


def input_fingerprint(root: Path, profile: str, params: dict[str, Any], declared: dict[str, Any],
                      memo: dict[tuple, str] | None = None) -> str:
    """What a notebook reads besides its source and parameters: the images folder (contents),
    the files under ``data/`` (sizes, mtimes) and the checkpoint's sha256."""
    memo = {} if memo is None else memo

    def once(key: tuple, fn: Callable[[], Any]) -> Any:
        if key not in memo:
            memo[key] = fn()
        return memo[key]

    images = root / str(params.get("images_dir", declared.get("images_dir") or "data/images"))
    model = params.get("model", declared.get("model"))
    parts = {
        "images": once(("images", images), lambda: _tree_digest(images, contents=True)),
        "data": once(("data",), lambda: _tree_digest(root / "data", contents=False)),
        "checkpoint": once(("ckpt", model, profile), lambda: checkpoint_digest(model, profile, root)),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def file_sha(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() else None


def stamp_is_current(stamp_file: Path, key: str, run: NotebookRun, root: Path) -> bool:
    """True when the stamp matches ``key`` and the outputs it vouches for are unchanged."""
    if not stamp_file.is_file() or not run.executed.is_file():
        return False
    try:
        stamp = read_json(stamp_file)
    except (OSError, ValueError):
        return False
    if stamp.get("key") != key or stamp.get("results_sha256") != file_sha(run.results(root)):
        return False
    run.seconds, run.finished = float(stamp.get("seconds", 0.0)), stamp.get("finished", "")
    return True


# --------------------------------------------------------------------------- build


def pdf_key(runs: list[NotebookRun], profile: str, quick: bool, root: Path, out: Path) -> str:
    """What the PDF depends on besides the package: each run, its results, templates, commit, and
    what the renderer has (:func:`clip_course.report.system.fingerprint`: Chromium, MathJax, CJK
    fonts), so a PDF printed before a font or MathJax was installed is printed again."""
    templates = Path(__file__).resolve().parent / "templates"
    blob = json.dumps({
        "runs": [(r.stem, r.key, file_sha(r.results(root))) for r in runs],
        "templates": [(str(p.relative_to(templates)), sha256_file(p))
                      for p in sorted(templates.rglob("*")) if p.is_file()],
        "package": package_fingerprint(), "profile": profile, "quick": quick,
        "out": str(out), "commit": git_commit(root), "renderer": system.fingerprint(),
    }, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def pdf_is_current(build_dir: Path, key: str, out: Path, stamp: str = "_report.json") -> int:
    """The PDF's page count when ``out`` is the PDF a build with ``key`` printed, else 0
    (``stamp``: the edition's stamp file under ``build/stamps/``)."""
    try:
        printed = read_json(build_dir / "stamps" / stamp)
    except (OSError, ValueError):
        return 0
    if printed.get("key") != key or file_sha(out) != printed.get("pdf_sha256"):
        return 0
    return int(printed.get("pages", 0))
