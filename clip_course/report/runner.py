"""`make report`: run the numbered notebooks with papermill, then build the report PDF.

``python -m clip_course report`` executes ``notebooks/[0-9][0-9]_*.ipynb`` in order with
cwd = the repository root (so ``figures/<nb>/`` and ``results/<nb>.json`` are relative to the
root), saves the executed copies under ``build/notebooks/`` and hands them to
:mod:`clip_course.report_pdf`, which assembles one HTML document and prints it to PDF.

Parameters injected into each notebook, later entries winning:
``profile`` (resolved, e.g. ``"offline"``), the notebook's quick parameters when ``--quick``,
the YAML's ``global:`` entries (only into notebooks that declare them), the YAML's entry for
the notebook (keyed by stem, ``03_cifar_zero_shot``, or number, ``"03"``)::

    global: {device: cpu, seed: 0}
    03_cifar_zero_shot: {limit: 2000}

Quick parameters: a notebook lists them in its metadata,
``metadata["clip_course"]["quick_parameters"] = {"limit": 200, ...}``; a notebook without that
entry but with a ``quick`` parameter gets ``quick=True``.

Incremental: a notebook is re-executed only when the key of its stamp
(``build/stamps/<nb>.json``) changes: sha256 over the notebook without outputs, the injected
parameters, the package's source files, the profile, the kernel and every input a notebook
reads (:func:`input_fingerprint`: the images folder's contents, the files under ``data/``,
the checkpoint's sha256). A stamp also records the sha256 of the results JSON the run wrote;
a changed or deleted results file re-runs it.

Interruption: SIGINT and SIGTERM unwind the build like an error (the previous PDF becomes
``.stale``), every process the build started (kernels, Chromium and its helpers) is ended,
temporary files are removed, and only notebooks that finished have a stamp. Papermill writes
each executed notebook to a temporary file renamed on success.

Results conventions (what the report reads; every key optional, an absent one reads
"not run" / "not reported"). Percentages are percent (0-100), as
``zeroshot.classification_metrics`` returns them. Any dict below may instead be a
``results.run_record`` whose ``"metrics"`` hold the keys: lookups step into ``"metrics"``::

    results/<stem>.json            {"profile": str, ...}  (every notebook)
    01_intro.json                  {"model": {"name", "parameters", "checkpoint_sha256", ...},
                                    "pretraining": {"steps", "final_loss", "final_accuracy"}}
    02_single_image.json           {"images": [{"image", "prompts", "probabilities",
                                                "top_prompt"}, ...]}
    03_cifar_zero_shot.json        {"model": {...}, "datasets": {"<name>": {
                                        "single": {"top1", "top5"}, "ensemble": {"top1", "top5"},
                                        "n_classes", "n_images", "classes": [...],
                                        "templates": {"single": [...], "ensemble": [...]}}}}
    04_linear_probe.json           {"datasets": {"<name>": {"probe": {"top1", "top5", "C"},
                                        "zero_shot": {"top1", "top5"}, "crossover_k"}}}
    05_styleclip.json              {"generator": str, "edits": [{"prompt", "steps",
                                        "similarity_before", "similarity_after"}]}
    06_analysis.json               {"prompts": {"<name>": {"ensemble_gain_points"}},
                                    "fewshot": {"<name>": {"k_to_match_zeroshot"}},
                                    "robustness_summary": {"dataset",
                                        "mean_drop_points": {"zeroshot", "probe"}},
                                    "retrieval": {"dataset", "recall@1", "recall@5", "recall@10",
                                        "by_dataset": {"<name>": {"recall@1", ...}}}}

Models and datasets for the run manifest are gathered from every ``"model"`` dict holding a
``"checkpoint_sha256"`` and every ``"dataset"`` dict holding a ``"fingerprint"`` anywhere in
the results (the shape ``results.run_record`` writes).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from clip_course.errors import NotebookFailedError, ParamsError, ReportError
from clip_course.io import read_json, sha256_file, write_json

#: Bumped when the stamp format or what goes into its key changes.
STAMP_VERSION = 1
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
DEFAULT_OUT = Path("report") / "clip_course_report.pdf"
PROFILES = ("auto", "offline", "paper")


@dataclass
class NotebookRun:
    """One notebook of a build: where it is, what it got, what it took."""

    source: Path
    executed: Path
    params: dict[str, Any]
    defaults: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    seconds: float = 0.0
    reused: bool = False
    finished: str = ""

    @property
    def stem(self) -> str:
        return self.source.stem


@dataclass
class BuildResult:
    """What a build produced."""

    pdf: Path
    html: Path
    profile: str
    runs: list[NotebookRun] = field(default_factory=list)
    pages: int = 0


# --------------------------------------------------------------------------- selection


def find_notebooks(notebooks_dir: str | Path, only: Sequence[str] | None = None) -> list[Path]:
    """The numbered notebooks in order; ``only`` selects by number (``"03"``) or stem."""
    notebooks_dir = Path(notebooks_dir)
    found = sorted(notebooks_dir.glob(NOTEBOOK_GLOB))
    if not found:
        raise ReportError(f"no notebooks matching {NOTEBOOK_GLOB} in {notebooks_dir}/.")
    if not only:
        return found
    chosen = []
    for sel in only:
        sel = sel.strip()
        hits = [p for p in found if p.stem == sel or p.stem[:2] == sel.zfill(2)]
        if not hits:
            names = ", ".join(p.stem for p in found)
            raise ParamsError(f"--notebooks: no notebook {sel!r} in {notebooks_dir}/ (have: {names}).")
        chosen.extend(h for h in hits if h not in chosen)
    return sorted(chosen)


def resolve_profile(profile: str) -> tuple[str, str]:
    """(profile name, reason): ``auto`` resolves through ``clip_course.profiles`` when present."""
    if profile not in PROFILES:
        raise ReportError(f"--profile {profile!r}: use one of {', '.join(PROFILES)}.")
    try:
        from clip_course import profiles
    except ImportError:
        return profile, "clip_course.profiles is not installed; notebooks resolve it"
    resolved = profiles.resolve(profile)
    return resolved.name, getattr(resolved, "reason", "")


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
    except yaml.YAMLError as err:
        raise ParamsError(f"--params {path}: not valid YAML ({err}).") from err
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
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    declared[target.id] = ast.literal_eval(node.value) if node.value is not None else None
                except ValueError:
                    declared[target.id] = None
    return declared


def quick_parameters(nb: nbformat.NotebookNode, declared: dict[str, Any]) -> dict[str, Any]:
    """A notebook's quick-run parameters (see the module docstring)."""
    meta = nb.metadata.get("clip_course", {}).get("quick_parameters")
    if meta is not None:
        return dict(meta)
    return {"quick": True} if "quick" in declared else {}


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
        params.update(quick_parameters(nb, declared))
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


# --------------------------------------------------------------------------- stamps


def package_fingerprint() -> str:
    """sha256 over the package's code and assets (not its report templates)."""
    pkg = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(pkg.rglob("*")):
        rel = path.relative_to(pkg)
        if not path.is_file() or "__pycache__" in rel.parts or rel.parts[0] == "templates":
            continue
        h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def notebook_fingerprint(notebook: Path) -> str:
    """sha256 of what a notebook runs: cells' types, sources and tags, and its metadata."""
    nb = nbformat.read(notebook, as_version=4)
    cells = [(c.cell_type, c.source, c.get("metadata", {}).get("tags", [])) for c in nb.cells]
    blob = json.dumps({"cells": cells, "meta": nb.metadata.get("clip_course", {})}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def stamp_key(notebook: Path, params: dict[str, Any], profile: str, kernel: str, package: str,
              inputs: str = "") -> str:
    """The key a notebook's stamp must match for its previous run to be reused."""
    blob = json.dumps(
        {"v": STAMP_VERSION, "nb": notebook_fingerprint(notebook), "params": params,
         "profile": profile, "kernel": kernel, "package": package, "inputs": inputs},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


#: Folders under ``data/`` that are outputs, not inputs (features are keyed on their inputs).
_DATA_OUTPUTS = {"cache"}


def tree_digest(folder: Path, contents: bool) -> str:
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
    """sha256 of the checkpoint a notebook loads (``model`` or the profile's); None if none."""
    try:
        from clip_course import profiles
        from clip_course.core import models

        name = model or profiles.resolve(profile).model
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
        "images": once(("images", images), lambda: tree_digest(images, contents=True)),
        "data": once(("data",), lambda: tree_digest(root / "data", contents=False)),
        "checkpoint": once(("ckpt", model, profile), lambda: checkpoint_digest(model, profile, root)),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def results_path(root: Path, stem: str) -> Path:
    """Where a notebook writes its numbers."""
    return root / "results" / f"{stem}.json"


def _file_sha(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() else None


def stamp_is_current(stamp_file: Path, key: str, run: NotebookRun, root: Path) -> bool:
    """True when the stamp matches ``key`` and the outputs it vouches for are unchanged."""
    if not stamp_file.is_file() or not run.executed.is_file():
        return False
    try:
        stamp = read_json(stamp_file)
    except (OSError, ValueError):
        return False
    if stamp.get("key") != key or stamp.get("results_sha256") != _file_sha(results_path(root, run.stem)):
        return False
    run.seconds, run.finished = float(stamp.get("seconds", 0.0)), stamp.get("finished", "")
    return True


# --------------------------------------------------------------------------- execution


@contextlib.contextmanager
def _kernel_env() -> Iterator[None]:
    # Kernels inherit this environment; our own tqdm read its settings at import already.
    old = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = old


def _failure_message(stem: str, err: Exception, executed: Path) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(err, PapermillExecutionError):
        src = "\n".join("    " + line for line in err.source.strip().splitlines()[:12])
        return (
            f"notebook {stem} failed in cell {err.cell_index} (execution count {err.exec_count}):\n"
            f"{src}\n{err.ename}: {err.evalue}\n"
            f"the executed copy with the full traceback is {executed}"
        )
    return f"notebook {stem} failed: {type(err).__name__}: {err}"


def execute_notebook(run: NotebookRun, root: Path, kernel: str, progress: bool = True) -> None:
    """Run one notebook with papermill (cwd = ``root``); raise NotebookFailedError on error."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    run.executed.parent.mkdir(parents=True, exist_ok=True)
    # papermill writes in place: a full disk or a kill would leave a truncated notebook
    tmp = run.executed.with_name(f".{run.executed.stem}.{os.getpid()}.tmp.ipynb")
    start = time.perf_counter()
    try:
        with _kernel_env():
            papermill.execute_notebook(
                str(run.source), str(tmp), parameters=run.params, kernel_name=kernel,
                cwd=str(root), progress_bar=progress, request_save_on_cell_execute=False,
            )
        os.replace(tmp, run.executed)
    except Exception as err:
        if isinstance(err, PapermillExecutionError) and tmp.is_file():
            os.replace(tmp, run.executed)  # complete, with the traceback; no stamp vouches for it
        raise NotebookFailedError(_failure_message(run.stem, err, run.executed)) from err
    finally:
        tmp.unlink(missing_ok=True)
    run.seconds = time.perf_counter() - start
    run.finished = time.strftime("%Y-%m-%d %H:%M:%S")


def run_notebooks(
    notebooks: list[Path],
    profile: str,
    params_file: dict[str, dict[str, Any]],
    quick: bool,
    root: Path,
    build_dir: Path,
    kernel: str = "python3",
    progress: bool = True,
) -> list[NotebookRun]:
    """Execute (or reuse) each notebook in order, printing what happens and how long it took."""
    package = package_fingerprint()
    runs = []
    memo: dict[tuple, str] = {}
    for i, nb in enumerate(notebooks, 1):
        params = notebook_params(nb, profile, params_file, quick)
        run = NotebookRun(nb, build_dir / "notebooks" / nb.name, params, declared_parameters(nb))
        stamp_file = build_dir / "stamps" / f"{nb.stem}.json"
        inputs = input_fingerprint(root, profile, params, run.defaults, memo)
        key = run.key = stamp_key(nb, params, profile, kernel, package, inputs)
        head = f"[{i}/{len(notebooks)}] {nb.stem}"
        if stamp_is_current(stamp_file, key, run, root):
            run.reused = True
            print(f"{head}: up to date (ran {run.seconds:.1f} s at {run.finished})", flush=True)
        else:
            print(f"{head}: running with {json.dumps(params, default=str)}", flush=True)
            stamp_file.unlink(missing_ok=True)
            execute_notebook(run, root, kernel, progress)
            write_json(stamp_file, {
                "key": key, "seconds": round(run.seconds, 3), "finished": run.finished,
                "params": params, "results_sha256": _file_sha(results_path(root, nb.stem)),
            })
            print(f"{head}: done in {run.seconds:.1f} s", flush=True)
        runs.append(run)
    return runs


# --------------------------------------------------------------------------- build


def pdf_key(runs: list[NotebookRun], profile: str, quick: bool, root: Path, out: Path) -> str:
    """What the PDF depends on besides the package: each run, its results, templates, commit."""
    from clip_course.provenance import git_commit

    templates = Path(__file__).resolve().parent / "templates"
    blob = json.dumps({
        "runs": [(r.stem, r.key, _file_sha(results_path(root, r.stem))) for r in runs],
        "templates": [(str(p.relative_to(templates)), sha256_file(p))
                      for p in sorted(templates.rglob("*")) if p.is_file()],
        "package": package_fingerprint(), "profile": profile, "quick": quick,
        "out": str(out), "commit": git_commit(root),
    }, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def pdf_is_current(build_dir: Path, key: str, out: Path) -> int:
    """The PDF's page count when ``out`` is the PDF a build with ``key`` printed, else 0."""
    try:
        stamp = read_json(build_dir / "stamps" / "_report.json")
    except (OSError, ValueError):
        return 0
    if stamp.get("key") != key or _file_sha(out) != stamp.get("pdf_sha256"):
        return 0
    return int(stamp.get("pages", 0))


def stale_path(pdf: Path) -> Path:
    """Where a failed build moves the previous report."""
    return pdf.with_name(f"{pdf.stem}.stale{pdf.suffix}")


def mark_stale(pdf: Path) -> Path | None:
    """Move a previous report aside so its name never claims a build that failed."""
    if not pdf.is_file():
        return None
    stale = stale_path(pdf)
    os.replace(pdf, stale)
    return stale


# --------------------------------------------------------------------------- interruption


class BuildInterrupted(KeyboardInterrupt):
    """SIGTERM (or SIGINT) arrived during a build; raised so that every cleanup runs."""


def _descendants() -> list[Any]:
    try:
        import psutil
    except ImportError:  # without psutil only the direct children's own cleanup applies
        return []
    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


def end_processes(procs: list[Any], grace: float = 3.0) -> None:
    """SIGTERM ``procs`` (psutil processes), then SIGKILL whichever outlive ``grace`` seconds."""
    if not procs:
        return
    import psutil

    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=grace)


def _set_subreaper(on: bool) -> None:
    # Linux: orphans of our children (Chromium's helpers when Chromium itself is killed)
    # re-parent to us instead of init, so the final sweep still finds and ends them.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(36, int(on), 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def remove_debris(out: Path, build_dir: Path) -> list[Path]:
    """Temporary files an earlier killed build left (ours only: atomic_path's and papermill's)."""
    patterns = [(out.parent, f".{out.name}.*.tmp"), (build_dir / "notebooks", ".*.tmp.ipynb"),
                (build_dir / "report", ".*.tmp"), (build_dir / "stamps", ".*.tmp")]
    removed = []
    for folder, pattern in patterns:
        for path in folder.glob(pattern) if folder.is_dir() else []:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


@contextlib.contextmanager
def no_leftovers(out: Path, build_dir: Path) -> Iterator[None]:
    """SIGINT/SIGTERM raise :class:`BuildInterrupted`; on any exit every process started
    inside is ended and temporary files are removed."""
    before = {p.pid for p in _descendants()}

    def started_here() -> list[Any]:
        return [p for p in _descendants() if p.pid not in before]

    def on_signal(signum: int, frame: Any) -> None:
        end_processes(started_here())  # now, while the process tree is intact
        raise BuildInterrupted(f"build interrupted by {signal.Signals(signum).name}")

    main = threading.current_thread() is threading.main_thread()
    old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)} if main else {}
    _set_subreaper(True)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        end_processes(started_here())
        _set_subreaper(False)
        remove_debris(out, build_dir)


def build_report(
    profile: str = "auto",
    params: str | Path | None = None,
    notebooks: Sequence[str] | None = None,
    quick: bool = False,
    out: str | Path = DEFAULT_OUT,
    build_dir: str | Path = "build",
    root: str | Path = ".",
    notebooks_dir: str | Path | None = None,
    kernel: str = "python3",
    progress: bool = True,
) -> BuildResult:
    """Run the notebooks and print the report PDF to ``out`` (relative paths are under ``root``).

    On any failure the previous PDF, if any, is renamed ``<name>.stale.pdf`` and the error
    re-raised: the report's own name only ever holds a PDF of a build that succeeded. After a
    good build no ``.stale.pdf`` remains. SIGINT/SIGTERM leave no process, no partial file.
    """
    root = Path(root).resolve()
    out, build_dir = root / out, root / build_dir
    notebooks_dir = root / (notebooks_dir or "notebooks")
    with no_leftovers(out, build_dir):
        result = _build(profile, params, notebooks, quick, out, build_dir, root, notebooks_dir, kernel, progress)
    # a good report is on disk: a stale one from an earlier failure would only mislead
    stale_path(out).unlink(missing_ok=True)
    return result


def _build(profile: str, params: str | Path | None, notebooks: Sequence[str] | None, quick: bool,
           out: Path, build_dir: Path, root: Path, notebooks_dir: Path, kernel: str,
           progress: bool) -> BuildResult:
    from clip_course.report import pdf as report_pdf

    remove_debris(out, build_dir)
    try:
        name, reason = resolve_profile(profile)
        print(f"profile: {name}" + (f" ({reason})" if reason and profile == "auto" else ""), flush=True)
        selected = find_notebooks(notebooks_dir, notebooks)
        params_file = load_params_file(params)
        check_params_file(params_file, selected)
        start = time.perf_counter()
        runs = run_notebooks(selected, name, params_file, quick, root, build_dir, kernel, progress)
        print(f"notebooks: {time.perf_counter() - start:.1f} s", flush=True)
        key = pdf_key(runs, name, quick, root, out)
        pages = pdf_is_current(build_dir, key, out)
        html = build_dir / "report" / "report.html"
        if pages:
            print(f"pdf: up to date ({out})", flush=True)
        else:
            html, pages = report_pdf.build_pdf(runs, name, root, build_dir, out, quick=quick)
            write_json(build_dir / "stamps" / "_report.json",
                       {"key": key, "pdf_sha256": sha256_file(out), "pages": pages})
    except BaseException:
        try:
            stale = mark_stale(out)
        except OSError as err:  # e.g. a read-only report/: never hide the build's own error
            print(f"build failed; the previous report could not be marked stale ({err})", file=sys.stderr)
        else:
            if stale is not None:
                print(f"build failed: the previous report was moved to {stale}", file=sys.stderr)
        raise
    print(f"report: {out} ({pages} pages)", flush=True)
    return BuildResult(out, html, name, runs, pages)
