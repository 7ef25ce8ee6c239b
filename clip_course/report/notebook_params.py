"""Which notebooks a build runs and with which parameters: the parameters cell, quick parameters,
a YAML parameters file, checked against what each notebook declares.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
import yaml

from clip_course.errors import ParamsError, ReportError

__all__ = [
    "check_params_file", "declared_parameters", "find_notebooks", "load_params_file", "notebook_params",
    "notebook_reads", "Path", "quick_parameters",
]

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"


# --------------------------------------------------------------------------- selection


def find_notebooks(notebooks_dir: str | Path, only: Sequence[str] | None = None) -> list[Path]:
    """The numbered notebooks in order; ``only`` selects by number (``"03"``) or stem."""
    notebooks_dir = Path(notebooks_dir)
    found = sorted(notebooks_dir.glob(NOTEBOOK_GLOB))
    if not found:
        raise ReportError(f"no notebooks matching {NOTEBOOK_GLOB} in {notebooks_dir}/.")
    if not only:
        return found
    chosen: list[Path] = []
    for sel in only:
        sel = sel.strip()
        hits = [p for p in found if p.stem == sel or p.stem[:2] == sel.zfill(2)]
        if not hits:
            names = ", ".join(p.stem for p in found)
            raise ParamsError(f"--notebooks: no notebook {sel!r} in {notebooks_dir}/ (have: {names}).")
        chosen.extend(h for h in hits if h not in chosen)
    return sorted(chosen)


# --------------------------------------------------------------------------- parameters


def load_params_file(path: str | Path | None) -> dict[str, dict[str, Any]]:
    """The YAML parameters file as {"global" | notebook selector: {name: literal}}."""
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"--params {path}: no such file.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as err:  # RecursionError: absurd nesting
        raise ParamsError(f"--params {path}: not valid UTF-8 YAML ({' '.join(str(err).split())}).") from err
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ParamsError(
            f"--params {path}: expected a mapping of 'global' or notebook names to mappings of "
            "parameters, e.g. 'global: {seed: 0}' and '03_cifar_zero_shot: {limit: 2000}'."
        )
    return {str(k): dict(v) for k, v in data.items()}


def declared_parameters(notebook: Path) -> dict[str, Any]:
    """The notebook's ``parameters`` cell as {name: default (None unless a literal)}.

    Parsed with ``ast``, not papermill's line parser, which skips any line holding two "=".
    """
    nb = nbformat.read(notebook, as_version=4)
    cell = next((c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return {}
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as err:
        raise ReportError(f"{notebook.name}: its parameters cell is not valid Python ({err}).") from err
    declared: dict[str, Any] = {}
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    declared[target.id] = ast.literal_eval(node.value) if node.value is not None else None
                except ValueError:
                    declared[target.id] = None
    return declared


def quick_parameters(nb: nbformat.NotebookNode, declared: dict[str, Any], profile: str = "offline") -> dict[str, Any]:
    """A notebook's quick-run parameters for ``profile`` (see the runner's docstring).

    ``metadata["clip_course"]["quick_parameters"]`` holds every profile's; an entry of
    ``["quick_parameters_by_profile"][profile]`` overrides them for that profile (the paper
    profile's full-size CLIP needs far smaller sizes than the offline MiniCLIP).
    """
    meta = nb.metadata.get("clip_course", {})
    if meta.get("quick_parameters") is None and not meta.get("quick_parameters_by_profile"):
        return {"quick": True} if "quick" in declared else {}
    return {**(meta.get("quick_parameters") or {}), **(meta.get("quick_parameters_by_profile") or {}).get(profile, {})}


def notebook_params(
    notebook: Path,
    profile: str,
    params_file: dict[str, dict[str, Any]],
    quick: bool,
) -> dict[str, Any]:
    """The parameters injected into ``notebook``; unknown names are an error, not a typo ignored."""
    nb = nbformat.read(notebook, as_version=4)
    declared = declared_parameters(notebook)
    params: dict[str, Any] = {"profile": profile}
    if quick:
        params.update(quick_parameters(nb, declared, profile))
    params.update({k: v for k, v in params_file.get("global", {}).items() if k in declared})
    for key, own in params_file.items():
        if key != "global" and (key == notebook.stem or key.zfill(2) == notebook.stem[:2]):
            unknown = sorted(set(own) - set(declared))
            if unknown:
                raise ParamsError(
                    f"{notebook.stem} has no parameter {', '.join(map(repr, unknown))}; "
                    f"its parameters are: {', '.join(declared) or 'none'}."
                )
            params.update(own)
    return params


def check_params_file(params_file: dict[str, dict[str, Any]], notebooks: list[Path]) -> None:
    """Every key of the YAML names a selected notebook, every global name some notebook's."""
    for key in params_file:
        if key == "global":
            continue
        if not any(key == nb.stem or key.zfill(2) == nb.stem[:2] for nb in notebooks):
            raise ParamsError(
                f"--params: {key!r} names no notebook of this build "
                f"({', '.join(nb.stem for nb in notebooks)}); use 'global' for every notebook."
            )
    unused = set(params_file.get("global", {}))
    for nb in notebooks:
        unused -= set(declared_parameters(nb))
    if unused:
        raise ParamsError(f"--params: global {', '.join(sorted(unused))} is a parameter of no notebook.")


# --------------------------------------------------------------------------- dependencies

#: Results a notebook reads through the package rather than naming them in its own cells
#: (``tasks.across.earlier_probe`` reads 04's): the source scan of :func:`notebook_reads` cannot see them.
INDIRECT_READS: dict[str, tuple[str, ...]] = {"07_zero_shot_across_datasets": ("04_linear_probe",)}


def notebook_reads(notebook: Path, earlier: Sequence[Path]) -> set[str]:
    """Stems of the ``earlier`` notebooks whose results ``notebook`` reads (``Session.earlier``).

    A code cell naming another notebook's stem as a string literal (``S.earlier("03_cifar_zero_shot")``)
    reads it, as does an :data:`INDIRECT_READS` entry. Only earlier notebooks count: a build runs
    them in order, so a later one's results are never this build's.
    """
    nb = nbformat.read(notebook, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    stems = {p.stem for p in earlier if p.stem < notebook.stem}  # numbered: the build's order
    named = {s for s in stems if f'"{s}"' in code or f"'{s}'" in code}
    return named | (set(INDIRECT_READS.get(notebook.stem, ())) & stems)
