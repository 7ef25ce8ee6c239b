"""Validation of notebook parameters (the papermill ``parameters`` cell), before any work.

Papermill passes ``-p limit abc`` as the string ``"abc"`` and ``-p limit 12.5`` as a float;
without a check these fail deep inside the library with a ``TypeError`` or ``KeyError``.
:func:`validate_params` checks every parameter it knows (others pass through) and raises a
:class:`~clip_course.errors.NotebookError` naming the parameter, its value and what is
allowed. :func:`clip_course.notebook.setup` calls it.

Names are checked too (:func:`check_names`): papermill accepts ``-p limitt 50`` with only a
warning and the notebook runs on its default, and Colab users edit the parameters cell by hand.
``setup`` (through :func:`ipython_params`) reads the cells the kernel ran (IPython's input
history, the same in a papermill run, the report's runner, Jupyter and Colab): papermill's injected cell
(``# Parameters``) and the
latest run of the parameters cell itself; a name the notebook does not define is refused with
the closest real one.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from clip_course.data.catalog import dataset_names
from clip_course.data.corruptions import CORRUPTIONS, SEVERITIES
from clip_course.errors import NotebookError
from clip_course.tasks.logreg import FITTERS
from clip_course.tasks.probe import SEARCHES

__all__ = [
    "Check", "check_names", "declared_names", "flag", "ipython_history", "ipython_params", "number", "one_of",
    "OTHER_NAMES", "parameter_cells", "SPEC", "text", "validate_params",
]

#: A check returns None when the value is fine, else a description of what is allowed.
Check = Callable[[Any], str | None]


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _positive_int(optional: bool = False, minimum: int = 1) -> Check:
    """An integer >= ``minimum`` (or None when ``optional``)."""
    def check(v: Any) -> str | None:
        if optional and v is None:
            return None
        if _is_int(v) and v >= minimum:
            return None
        return f"an integer >= {minimum}" + (" or None" if optional else "")
    return check


def _non_negative_int(v: Any) -> str | None:
    return None if _is_int(v) and v >= 0 else "an integer >= 0"


def number(minimum: float = 0.0, strict: bool = False) -> Check:
    """A finite number > ``minimum`` (``strict``) or >= it."""
    def check(v: Any) -> str | None:
        ok = _is_number(v) and (v > minimum if strict else v >= minimum)
        return None if ok else f"a finite number {'>' if strict else '>='} {minimum:g}"
    return check


def _list_of(item: Check, what: str, length: int | None = None, optional: bool = False) -> Check:
    """A non-empty list (or tuple) whose items pass ``item`` (exactly ``length`` of them if given)."""
    def check(v: Any) -> str | None:
        if optional and v is None:
            return None
        n = f"{length} " if length else "a non-empty list of "
        allowed = f"{'a list of ' + n if length else n}{what}" + (" or None" if optional else "")
        if not isinstance(v, (list, tuple)) or not v or (length is not None and len(v) != length):
            return allowed
        return allowed if any(item(x) is not None for x in v) else None
    return check


def one_of(choices: Callable[[], tuple | list]) -> Check:
    """A value among ``choices()`` (called late: some imports are heavy)."""
    def check(v: Any) -> str | None:
        options = list(choices())
        return None if isinstance(v, str) and v in options else f"one of {options}"
    return check


def text(optional: bool = True) -> Check:
    def check(v: Any) -> str | None:
        if (optional and v is None) or (isinstance(v, str) and v.strip()):
            return None
        return "a non-empty string" + (" or None" if optional else "")
    return check


def flag(v: Any) -> str | None:
    return None if isinstance(v, bool) else "True or False"


def _dataset_name(optional: bool = False) -> Check:
    def check(v: Any) -> str | None:
        if (optional and v is None) or (isinstance(v, str) and (v in dataset_names() or v.startswith("folder:"))):
            return None
        return f"one of {dataset_names()} or 'folder:PATH'" + (" or None" if optional else "")
    return check


def _corruptions() -> tuple[str, ...]:
    return CORRUPTIONS


def _severities() -> tuple[int, ...]:
    return SEVERITIES


def _fitters() -> tuple[str, ...]:
    return FITTERS


def _searches() -> tuple[str, ...]:
    return SEARCHES


def _severity(v: Any) -> str | None:
    return None if _is_int(v) and v in _severities() else f"one of {list(_severities())}"


#: The parameters the notebooks share, by name.
SPEC: dict[str, Check] = {
    "seed": _non_negative_int,
    "limit": _positive_int(optional=True),
    "limit_train": _positive_int(optional=True),
    "robustness_limit": _positive_int(optional=True),
    "batch": _positive_int(),
    "batch_size": _positive_int(),
    "top_k": _positive_int(),
    "n_starts": _positive_int(),
    "steps": _positive_int(),
    "max_iter": _positive_int(),
    "probe_max_iter": _positive_int(),
    "grid_steps": _positive_int(minimum=2),
    "kshot_steps": _positive_int(minimum=2),
    "ks": _list_of(_positive_int(), "positive integers"),
    "kshot_seeds": _list_of(_non_negative_int, "integers >= 0"),
    "datasets": _list_of(_dataset_name(), "dataset names ([coarse, fine])", length=2, optional=True),
    "coarse": _dataset_name(optional=True),
    "fine": _dataset_name(optional=True),
    "corruptions": _list_of(one_of(_corruptions), "corruption names from clip_course.data.corruptions."
                           "CORRUPTIONS"),
    "severities": _list_of(_severity, "severities 1..5"),
    "fitter": one_of(_fitters),
    "search": one_of(_searches),
    "lr": number(strict=True),
    "l2_lambda": number(),
    "id_lambda": number(),
    "sweep_lambdas": _list_of(number(), "numbers >= 0"),
    "queries": _list_of(text(optional=False), "non-empty strings", optional=True),
    "prompts": _list_of(text(optional=False), "non-empty strings", optional=True),
    "templates": _list_of(text(optional=False), "templates with {} for the class name", optional=True),
    "chinese_templates": _list_of(text(optional=False), "templates with {} for the class name", optional=True),
    "text": text(),
    "model": text(),
    "models": _list_of(text(optional=False), "model names (clip.available_models()) or checkpoint paths",
                      optional=True),
    "timed_images": _positive_int(),
    "fetch": flag,
    "device": text(),
    "output_dir": text(),
    "cache_dir": text(),
    "lang": one_of(lambda: ("en", "zh", "both")),  # session.DISPLAY_LANGS (this module is imported by it)
}


#: Where one notebook's parameter of a shared name takes other values.
NOTEBOOK_SPEC: dict[str, dict[str, Check]] = {
    "07_zero_shot_across_datasets": {
        "datasets": _list_of(_dataset_name(), "dataset names (any number)", optional=True),
    },
}


def _check_param(name: str, value: Any, check: Check | None = None) -> None:
    """Raise :class:`NotebookError` unless ``value`` is allowed for parameter ``name``."""
    check = check or SPEC.get(name)
    if check is None:
        return
    allowed = check(value)
    if allowed is not None:
        raise NotebookError(
            f"Notebook parameter {name}={value!r} ({type(value).__name__}) is invalid: it must be "
            f"{allowed}. Fix it in the parameters cell or the papermill -p / --params value."
        )


def validate_params(params: Mapping[str, Any], notebook: str | None = None) -> None:
    """Check every parameter of ``params`` that :data:`SPEC` knows (or ``notebook``'s own
    :data:`NOTEBOOK_SPEC`); the first bad one raises."""
    own = NOTEBOOK_SPEC.get(notebook or "", {})
    for name, value in params.items():
        _check_param(name, value, own.get(name))


def declared_names(notebook: str) -> set[str]:
    """Names the ``parameters`` cell of ``notebooks/<notebook>.ipynb`` assigns (empty if not found).

    Only these are read from the kernel: a notebook may bind a parameter name of another
    notebook to something else (01 imports the module ``prompts``, a parameter of 02).
    """
    import ast
    import json
    from pathlib import Path

    for folder in (Path.cwd() / "notebooks", Path(__file__).resolve().parents[2] / "notebooks"):
        path = folder / f"{notebook}.ipynb"
        if path.is_file():
            break
    else:
        return set()
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        cell = next(c for c in cells if "parameters" in c.get("metadata", {}).get("tags", []))
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        tree = ast.parse(source)
    except (OSError, ValueError, KeyError, StopIteration, SyntaxError):
        return set()
    return {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}


def ipython_params(notebook: str) -> dict[str, Any]:
    """The values, in the running IPython kernel, of the parameters ``notebook`` declares
    (the parameters cell's, papermill's injected ones included); empty outside IPython.

    A name the kernel's parameter cells set that ``notebook`` does not define (papermill's
    ``-p limitt 50``, a typo in the parameters cell) is refused first, by :func:`check_names`:
    ``setup`` reads the parameters through here, so every notebook checks its names there.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    if shell is None:
        return {}
    check_names(notebook, ipython_history())
    names = declared_names(notebook) & set(SPEC)
    return {k: shell.user_ns[k] for k in sorted(names) if k in shell.user_ns}


#: Parameter names some notebook declares besides :data:`SPEC`'s: with :data:`SPEC`, the names a
#: notebook may take when its file cannot be read (Colab opens it from GitHub, not from disk).
#: tests/test_param_names.py checks every notebook's parameters cell is covered.
OTHER_NAMES = frozenset({"profile", "output_root", "output_dir", "cache_dir", "images_dir", "own_images_only",
                         "open_models",
                         "generator", "start", "lang"})
#: Names every notebook's parameters cell sets: how its runs are told from other cells in the history.
_MARKER_NAMES = frozenset({"profile", "seed"})

#: The first line of the cell papermill injects (its Python translator's header).
_INJECTED_HEADER = "# Parameters"


def _literal_assignments(source: str) -> list[str] | None:
    """Names a cell assigns when it holds nothing but ``name = literal`` lines, else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names: list[str] = []
    for node in tree.body:
        targets: list[ast.Name]
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            targets, value = [t for t in node.targets if isinstance(t, ast.Name)], node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            return None
        try:
            ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
        names += [t.id for t in targets]
    return names or None


def parameter_cells(history: Sequence[str]) -> list[tuple[str, list[str]]]:
    """The parameter-setting cells among executed cell sources ``history`` (oldest first).

    They are the latest run of the notebook's parameters cell (only ``name = literal`` lines, among
    them ``profile`` and ``seed``, which every notebook's parameters cell sets) and papermill's
    injected cells after it (or anywhere, without one). Returns (kind, names) per cell: kind is
    ``"injected"`` or ``"parameters cell"``.
    """
    found: list[tuple[int, str, list[str]]] = []
    for i, source in enumerate(history):
        if not isinstance(source, str):
            continue
        names = _literal_assignments(source)
        if names is None:
            continue
        if source.lstrip().startswith(_INJECTED_HEADER):
            found.append((i, "injected", names))
        elif _MARKER_NAMES <= set(names):
            found.append((i, "parameters cell", names))
    last = max((i for i, kind, _ in found if kind == "parameters cell"), default=-1)
    return [(kind, names) for i, kind, names in found if i >= last]


def check_names(notebook: str, history: Sequence[str], declared: set[str] | None = None) -> None:
    """Raise :class:`NotebookError` for a name set by a parameter cell of ``history`` that
    ``notebook`` does not define, naming the closest real one.

    ``declared``: the notebook's parameter names (default: its parameters cell on disk, else
    :data:`SPEC` and :data:`OTHER_NAMES`, all the names any notebook takes).
    """
    if declared is None:
        declared = declared_names(notebook) or (set(SPEC) | OTHER_NAMES)
    for kind, names in parameter_cells(history):
        for name in names:
            if name in declared:
                continue
            close = difflib.get_close_matches(name, sorted(declared), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            where = ("the papermill -p / --params name" if kind == "injected" else "the name in the parameters cell")
            raise NotebookError(
                f"Notebook {notebook} has no parameter {name!r}: {hint}Fix {where}; its parameters are "
                f"{', '.join(sorted(declared))}."
            )


def ipython_history() -> list[str]:
    """The sources of the cells the running IPython kernel executed, oldest first (empty outside)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    if shell is None:
        return []
    hist = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    return list(hist if hist is not None else shell.user_ns.get("In", []))
