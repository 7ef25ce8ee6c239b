"""The package's layout: an import graph without cycles, small modules, short functions."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "clip_course"
MAX_MODULE_LINES = 520  # "about 450": the few above it are single-topic (StyleGAN2's layers, ShapesWorld)
MAX_FUNCTION_LINES = 65


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """{module: modules of the package it imports}, lazy (function-level) imports included."""
    modules = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(block.test) for n in ast.walk(block)}
        for node in ast.walk(tree):
            if id(node) in typing_only:  # annotations only: never imported at run time
                continue
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("clip_course"):
                # `from clip_course.x import y`: y may itself be a module
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("clip_course")]
            for t in targets:
                if t in modules and t != name:
                    graph[name].add(t)
                    break
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of modules, or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (cycle := visit(m)):
                return cycle
        state[n] = 2
        stack.pop()
        return None

    for n in sorted(graph):
        if n not in state and (cycle := visit(n)):
            return cycle
    return None


def test_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 30 and graph["clip_course.tasks.probe"]  # the graph was really read
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def _docstring_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = node.body[0]
    is_doc = (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
              and isinstance(first.value.value, str))
    return first.end_lineno - first.lineno + 1 if is_doc else 0


def test_modules_and_functions_stay_small():
    """Modules of about 450 lines at most, functions of about 60 (their docstrings not counted)."""
    too_long = []
    for path in PKG.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{path.name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1 - _docstring_lines(node)
                if n > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.name}:{node.name}: {n} lines")
    assert not too_long, too_long


def test_the_package_face_re_exports_the_users_calls():
    import clip_course
    from clip_course.core import models
    from clip_course.data import catalog
    from clip_course.tasks import probe, zeroshot

    assert clip_course.load is models.load and clip_course.load_dataset is catalog.load_dataset
    assert clip_course.zero_shot is zeroshot.evaluate and clip_course.linear_probe is probe.run_probe
    assert set(clip_course.__all__) >= {"load", "load_dataset", "image_features", "encode_texts"}


#: The stages in the order data flows; a module may import its own stage or one below it.
STAGES = {"errors": 0, "io": 0, "repository": 0, "core": 1, "data": 2, "tasks": 3, "generators": 3,
          "figures": 4, "report": 5, "notebook": 6, "cli": 7, "cli_flags": 7, "cli_commands": 7,
          "__main__": 7}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import (in-function ones too) from a lower stage to a higher one, as 'a -> b'."""
    out = []
    for a, targets in graph.items():
        for b in targets:
            sa, sb = _stage(a), _stage(b)
            if sa in STAGES and sb in STAGES and STAGES[sb] > STAGES[sa]:
                out.append(f"{a} -> {b}")
    return sorted(out)


def test_stage_rule_finds_a_planted_upward_import():
    assert upward_imports({"clip_course.core.x": {"clip_course.report.y"},
                           "clip_course.report.y": {"clip_course.core.x"}}) == [
        "clip_course.core.x -> clip_course.report.y"]


def test_every_module_belongs_to_a_stage():
    assert {_stage(m) for m in import_graph()} - {None} <= set(STAGES)


def test_no_import_runs_up_the_stages():
    assert upward_imports(import_graph()) == []


def any_parameters(paths: list[Path]) -> list[str]:
    """Every parameter annotated ``Any`` or with ``Any`` inside (``Mapping[str, Any]``), as 'file:function:name'."""
    out = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                a = node.args
                for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, *[x for x in (a.vararg, a.kwarg) if x]]:
                    names = ({n.id for n in ast.walk(arg.annotation) if isinstance(n, ast.Name)}
                             if arg.annotation else set())
                    if "Any" in names or (arg.annotation is not None and "typing.Any" in ast.unparse(arg.annotation)):
                        rel = path.relative_to(PKG).as_posix() if path.is_relative_to(PKG) else path.name
                        out.append(f"{rel}:{node.name}:{arg.arg}")
    return out


def test_any_parameter_finder_finds_a_planted_one(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from typing import Any\n\ndef f(x: Any, y: dict[str, Any], z: int) -> Any:\n    return x\n",
                       encoding="utf-8")
    assert any_parameters([planted]) == ["planted.py:f:x", "planted.py:f:y"]


def test_no_any_parameters_in_tasks_core_and_the_schema():
    paths = [*sorted((PKG / "tasks").glob("*.py")), *sorted((PKG / "core").glob("*.py")), PKG / "report" / "schema.py"]
    found = any_parameters(paths)
    assert len(paths) > 25 and found == [], found
