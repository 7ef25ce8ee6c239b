"""`make report`: run the numbered notebooks with papermill, then build the report PDF.

``python -m clip_course report`` executes ``notebooks/[0-9][0-9]_*.ipynb`` in order with
cwd = the repository root (so ``figures/<nb>/`` and ``results/<nb>.json`` are relative to the
root), saves the executed copies under ``build/notebooks/`` and hands them to
:mod:`clip_course.report.pdf`, which assembles one HTML document and prints it to PDF.

Parameters injected into each notebook, later entries winning:
``profile`` (resolved, e.g. ``"offline"``), the notebook's quick parameters when ``--quick``,
the YAML's ``global:`` entries (only into notebooks that declare them), the YAML's entry for
the notebook (keyed by stem, ``03_cifar_zero_shot``, or number, ``"03"``), then, unless set
already, the build's own ``output_dir`` and ``lang="both"`` (:func:`build_params`)::

    global: {device: cpu, seed: 0}
    03_cifar_zero_shot: {limit: 2000}

Quick parameters: a notebook lists them in its metadata,
``metadata["clip_course"]["quick_parameters"] = {"limit": 200, ...}``, and per profile in
``["quick_parameters_by_profile"] = {"paper": {"limit": 30, ...}}`` (merged over the first: a
full-size CLIP on a CPU affords far fewer images and prompts); a notebook without either entry
but with a ``quick`` parameter gets ``quick=True``.

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

Results: what each notebook's ``results/<stem>.json`` holds, and what the report and other
notebooks read from it, is :mod:`clip_course.report.schema` (one spec per notebook, checked on
write and on read; every accuracy a percentage, 0-100). The run manifest's models and datasets
come from :func:`clip_course.report.facts.manifest`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clip_course.errors import NotebookFailedError, ReportError
from clip_course.io import sha256_file, write_json
from clip_course.report import pdf as report_pdf
from clip_course.report import stamps, system
from clip_course.report.cleanup import mark_stale, no_leftovers, remove_debris, stale_path
from clip_course.report.i18n import editions
from clip_course.report.notebook_params import (
    check_params_file,
    declared_parameters,
    find_notebooks,
    load_params_file,
    notebook_params,
    notebook_reads,
)
from clip_course.report.schema import results_path
from clip_course.report.stamps import (
    file_sha,
    input_fingerprint,
    pdf_is_current,
    pdf_key,
    stamp_is_current,
    stamp_key,
)

__all__ = [
    "build_report", "BuildResult", "default_jobs", "DEFAULT_OUT", "edition_path", "editions", "environment",
    "execute_notebook", "JOBS_ENV", "NotebookFailedError", "NotebookRun", "PROFILES", "run_notebooks", "stamps",
    "usable_cpus",
]

DEFAULT_OUT = Path("report") / "clip_course_report.pdf"
#: A quick build never touches a full build's PDF, results/ or figures/: it writes here instead
#: (the PDF beside the full one, the notebooks' outputs and stamps under ``<build_dir>/quick``).
QUICK_OUT = Path("report") / "clip_course_report_quick.pdf"
_QUICK_DIR = "quick"
PROFILES = ("auto", "offline", "paper")
#: Set in the kernels of a report build (see :func:`clip_course.notebook.status`).
_REPORT_ENV = "CLIP_COURSE_REPORT"


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
    #: The results JSON the run writes (under the build's output root); None: ``results/<stem>.json``.
    results_file: Path | None = None

    @property
    def stem(self) -> str:
        return self.source.stem

    def results(self, root: Path) -> Path:
        """Where this run's results JSON is (``root``: the repository root)."""
        return self.results_file or results_path(root, self.stem)


@dataclass
class BuildResult:
    """What a build produced."""

    pdf: Path
    html: Path
    profile: str
    runs: list[NotebookRun] = field(default_factory=list)
    pages: int = 0
    #: language -> (pdf, html, pages), one per edition built (``--lang both``: en and zh)
    editions: dict[str, tuple[Path, Path, int]] = field(default_factory=dict)


def _resolve_profile(profile: str, model: str | None = None, data_root: str | Path = "data") -> tuple[str, str]:
    """(profile name, reason): ``auto`` resolves through ``clip_course.data.profiles`` when present.

    ``model``: the model the notebooks load (PARAMS' global ``model``); its weights are checked,
    not ViT-B/32's.
    """
    if profile not in PROFILES:
        raise ReportError(f"--profile {profile!r}: use one of {', '.join(PROFILES)}.")
    try:
        # lazy: its failure is handled where it is imported
        from clip_course.data import profiles
    except ImportError:
        return profile, "clip_course.data.profiles is not installed; notebooks resolve it"
    resolved = profiles.resolve(profile, data_root=data_root, model=model)
    return resolved.name, getattr(resolved, "reason", "")


@contextlib.contextmanager
def environment(settings: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the kernels this process starts (they inherit them), then restore them."""
    old = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _kernel_env(extra: dict[str, str] | None = None) -> contextlib.AbstractContextManager[None]:
    # Our own tqdm read its settings at import already; the kernels read them from here.
    # REPORT_ENV tells notebooks they run for the report: status lines (profile, model, device)
    # are printed once on the title page, not in every chapter.
    return environment({"TQDM_DISABLE": "1", _REPORT_ENV: "1", **(extra or {})})


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


def execute_notebook(run: NotebookRun, root: Path, kernel: str, progress: bool = True, env: bool = True) -> None:
    """Run one notebook with papermill (cwd = ``root``); raise NotebookFailedError on error.

    ``env``: set the kernels' environment (:func:`_kernel_env`) around this run; a parallel build
    sets it once around all of them instead (os.environ is one for every thread).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    run.executed.parent.mkdir(parents=True, exist_ok=True)
    # papermill writes in place: a full disk or a kill would leave a truncated notebook
    tmp = run.executed.with_name(f".{run.executed.stem}.{os.getpid()}.tmp.ipynb")
    start = time.perf_counter()
    try:
        with _kernel_env() if env else contextlib.nullcontext():
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


def build_params(declared: dict[str, Any], params: dict[str, Any], quick: bool, root: Path,
                 build_dir: Path) -> dict[str, Any]:
    """What a build passes explicitly to a notebook that declares it (and the YAML left unset):
    ``output_dir``, the build's own folders (``"."``: the repository's ``results/`` and ``figures/``;
    a quick build ``<build_dir>/quick``), since a notebook run on its own writes to a ``runs/``
    folder; ``lang="both"``, since the PDF builder splits the two editions from one run."""
    own = {"output_dir": os.path.relpath(build_dir, root) if quick else ".", "lang": "both"}
    return {k: v for k, v in own.items() if k in declared and k not in params}


#: ``CLIP_COURSE_JOBS=N``: at most N notebooks at once (1: one after another, as before).
JOBS_ENV = "CLIP_COURSE_JOBS"


def default_jobs() -> int:
    """Notebooks run at once: ``CLIP_COURSE_JOBS``, else one per usable core."""
    env = os.environ.get(JOBS_ENV, "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ReportError(f"{JOBS_ENV}={env!r}: use a positive whole number of notebooks to run at once.")
        return int(env)
    return usable_cpus()


@dataclass
class _Pending:
    """A notebook of a build that must run: its run, head line, stamp file and stamp key."""

    run: NotebookRun
    head: str
    stamp_file: Path
    key: str


def _plan(notebooks: list[Path], profile: str, params_file: dict[str, dict[str, Any]], quick: bool,
          root: Path, build_dir: Path, kernel: str) -> tuple[list[NotebookRun], list[_Pending]]:
    """Every notebook's run (reused ones printed as up to date) and those that must run, in order."""
    package = stamps.package_fingerprint()
    runs, pending = [], []
    memo: dict[tuple, str] = {}
    for i, nb in enumerate(notebooks, 1):
        params = notebook_params(nb, profile, params_file, quick)
        run = NotebookRun(nb, build_dir / "notebooks" / nb.name, params, declared_parameters(nb))
        params.update(build_params(run.defaults, params, quick, root, build_dir))
        output_dir = root / str(params.get("output_dir", run.defaults.get("output_dir") or "."))
        run.results_file = output_dir / "results" / f"{nb.stem}.json"
        stamp_file = build_dir / "stamps" / f"{nb.stem}.json"
        inputs = input_fingerprint(root, profile, params, run.defaults, memo)
        # Keyed on the effective parameters: a value passed equal to its default changes nothing.
        key = run.key = stamp_key(nb, {**run.defaults, **params}, profile, kernel, package, inputs)
        head = f"[{i}/{len(notebooks)}] {nb.stem}"
        if stamp_is_current(stamp_file, key, run, root):
            run.reused = True
            print(f"{head}: up to date (ran {run.seconds:.1f} s at {run.finished})", flush=True)
        else:
            pending.append(_Pending(run, head, stamp_file, key))
        runs.append(run)
    return runs, pending


def _start(job: _Pending) -> None:
    print(f"{job.head}: running with {json.dumps(job.run.params, default=str)}", flush=True)
    job.stamp_file.unlink(missing_ok=True)


def _finish(job: _Pending, root: Path) -> None:
    """Stamp a notebook that finished (only finished ones ever get a stamp)."""
    run = job.run
    write_json(job.stamp_file, {
        "key": job.key, "seconds": round(run.seconds, 3), "finished": run.finished,
        "params": run.params, "results_sha256": file_sha(run.results(root)),
    })
    print(f"{job.head}: done in {run.seconds:.1f} s", flush=True)


def run_notebooks(
    notebooks: list[Path],
    profile: str,
    params_file: dict[str, dict[str, Any]],
    quick: bool,
    root: Path,
    build_dir: Path,
    kernel: str = "python3",
    progress: bool = True,
    jobs: int | None = None,
) -> list[NotebookRun]:
    """Execute (or reuse) each notebook, printing what happens and how long it took.

    ``jobs``: notebooks run at once (None: :func:`default_jobs`). With more than one, a notebook
    starts as soon as the notebooks whose results it reads have finished (:func:`_run_parallel`);
    with one, they run in order as they always did.
    """
    runs, pending = _plan(notebooks, profile, params_file, quick, root, build_dir, kernel)
    jobs = default_jobs() if jobs is None else jobs
    if jobs > 1 and len(pending) > 1:
        _run_parallel(pending, notebooks, min(jobs, len(pending)), root, build_dir, kernel)
        return runs
    for job in pending:
        _start(job)
        execute_notebook(job.run, root, kernel, progress)
        _finish(job, root)
    return runs


def _priorities(pending: list[_Pending], reads: dict[str, set[str]], build_dir: Path) -> dict[str, float]:
    """Each notebook's longest chain of work to the end of the build (its own seconds and those of
    the notebooks that wait for it), from the previous run's stamps (1 s where none): the longest
    chain starts first."""
    cost = {}
    for job in pending:
        try:
            cost[job.run.stem] = float(json.loads(job.stamp_file.read_text()).get("seconds", 1.0))
        except (OSError, ValueError, AttributeError):
            cost[job.run.stem] = 1.0
    chain: dict[str, float] = {}
    for job in reversed(pending):  # dependants come later in the build's order
        stem = job.run.stem
        after = [chain[o] for o, deps in reads.items() if stem in deps and o in chain]
        chain[stem] = cost[stem] + max(after, default=0.0)
    return chain


def _run_parallel(pending: list[_Pending], notebooks: list[Path], jobs: int, root: Path, build_dir: Path,
                  kernel: str) -> None:
    """Run ``pending`` notebooks up to ``jobs`` at once, each after the notebooks it reads.

    The kernels share the build's caches (features, text embeddings) on disk, written atomically.
    Each kernel gets ``CLIP_COURSE_THREADS`` = usable cores / jobs (unless set), so the notebooks
    together use the machine's cores once, not ``jobs`` times. On a failure no notebook starts; those
    running finish (and are stamped), then the first failure is raised.
    """
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    order = [nb.stem for nb in notebooks]
    todo = {job.run.stem for job in pending}
    # Only the notebooks of this run matter: a reused one's results are already on disk.
    reads = {job.run.stem: notebook_reads(job.run.source, notebooks[: order.index(job.run.stem)]) & todo
             for job in pending}
    chain = _priorities(pending, reads, build_dir)
    waiting = sorted(pending, key=lambda j: (-chain[j.run.stem], order.index(j.run.stem)))
    done: set[str] = set()
    running: dict[Future, _Pending] = {}
    failure: BaseException | None = None
    threads = max(1, usable_cpus() // jobs)
    extra = {} if os.environ.get("CLIP_COURSE_THREADS") else {"CLIP_COURSE_THREADS": str(threads)}
    with _kernel_env(extra), ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="notebook") as pool:
        try:
            while waiting or running:
                while failure is None and len(running) < jobs:
                    ready = next((j for j in waiting if reads[j.run.stem] <= done), None)
                    if ready is None:
                        break
                    waiting.remove(ready)
                    _start(ready)
                    running[pool.submit(execute_notebook, ready.run, root, kernel, False, False)] = ready
                if not running:
                    break  # a failure left the rest waiting
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    job = running.pop(future)
                    err = future.exception()
                    if err is None:
                        _finish(job, root)
                        done.add(job.run.stem)
                    elif failure is None:
                        failure = err
        except BaseException:
            for future in running:  # an interrupt: the cleanup ends the kernels, nothing new starts
                future.cancel()
            raise
    if failure is not None:
        raise failure


def usable_cpus() -> int:
    """Usable cores (the affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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
    lang: str = "en",
) -> BuildResult:
    """Run the notebooks and print the report PDF to ``out`` (relative paths are under ``root``).

    ``lang``: ``en``, ``zh`` or ``both``; the Chinese edition is ``<out stem>_zh.pdf``. One run of
    the notebooks serves every edition (stamps do not hold the language).
    ``quick``: each notebook's quick parameters, written elsewhere (:data:`QUICK_OUT`, and
    ``<build_dir>/quick/`` for executed notebooks, stamps, results and figures), so a full build's
    report, results and figures stay as they were.

    On any failure the previous PDF, if any, is renamed ``<name>.stale.pdf`` and the error
    re-raised: the report's own name only ever holds a PDF of a build that succeeded. After a
    good build no ``.stale.pdf`` remains. SIGINT/SIGTERM leave no process, no partial file.
    """
    root = Path(root).resolve()
    if quick:  # a quick build writes beside the full one, never over it
        out = QUICK_OUT if Path(out) == DEFAULT_OUT else out
        build_dir = Path(build_dir) / _QUICK_DIR
    out, build_dir = root / out, root / build_dir
    notebooks_dir = root / (notebooks_dir or "notebooks")
    outs = {code: edition_path(out, code) for code in editions(lang)}
    with no_leftovers(out, build_dir):
        result = _build(profile, params, notebooks, quick, outs, build_dir, root, notebooks_dir, kernel, progress)
    for path in outs.values():  # a good report is on disk: a stale one from an earlier failure would only mislead
        stale_path(path).unlink(missing_ok=True)
    return result


def edition_path(out: Path, lang: str) -> Path:
    """Where an edition's PDF goes: ``out`` for English, ``<stem>_zh.pdf`` beside it for Chinese."""
    return out if lang == "en" else out.with_name(f"{out.stem}_{lang}{out.suffix}")


def _edition(runs: list[NotebookRun], name: str, quick: bool, root: Path, build_dir: Path, out: Path,
             lang: str) -> tuple[Path, int]:
    """Print one edition's PDF unless the one on disk is current; (html, pages)."""
    stamp = "_report.json" if lang == "en" else f"_report_{lang}.json"
    key = pdf_key(runs, name, quick, root, out)
    pages = pdf_is_current(build_dir, key, out, stamp)
    html = build_dir / "report" / ("report.html" if lang == "en" else f"report_{lang}.html")
    if pages:
        print(f"pdf: up to date ({out})", flush=True)
        return html, pages
    html, pages = report_pdf.build_pdf(runs, name, root, build_dir, out, quick=quick, lang=lang)
    write_json(build_dir / "stamps" / stamp, {"key": key, "pdf_sha256": sha256_file(out), "pages": pages,
                                              "renderer": system.fingerprint()})  # what printed it (in the key too)
    return html, pages


def _build(profile: str, params: str | Path | None, notebooks: Sequence[str] | None, quick: bool,
           outs: dict[str, Path], build_dir: Path, root: Path, notebooks_dir: Path, kernel: str,
           progress: bool) -> BuildResult:
    built: dict[str, tuple[Path, Path, int]] = {}
    for out in outs.values():
        remove_debris(out, build_dir)
    try:
        params_file = load_params_file(params)
        model = params_file.get("global", {}).get("model")
        if model and not Path(str(model)).expanduser().is_absolute() and (root / str(model)).exists():
            model = str(root / str(model))  # notebooks run with cwd = root
        name, reason = _resolve_profile(profile, model, root / "data")  # as the notebooks see it
        print(f"profile: {name}" + (f" ({reason})" if reason and profile == "auto" else ""), flush=True)
        selected = find_notebooks(notebooks_dir, notebooks)
        check_params_file(params_file, selected)
        system.ensure()  # Chromium, MathJax, a CJK font: before minutes of notebooks, not after
        start = time.perf_counter()
        runs = run_notebooks(selected, name, params_file, quick, root, build_dir, kernel, progress)
        print(f"notebooks: {time.perf_counter() - start:.1f} s", flush=True)
        for code, out in outs.items():
            html, pages = _edition(runs, name, quick, root, build_dir, out, code)
            built[code] = (out, html, pages)
            print(f"report: {out} ({pages} pages)", flush=True)
    except BaseException:
        for out in outs.values():
            try:
                stale = mark_stale(out)
            except OSError as err:  # e.g. a read-only report/: never hide the build's own error
                print(f"build failed; the previous report could not be marked stale ({err})", file=sys.stderr)
            else:
                if stale is not None:
                    print(f"build failed: the previous report was moved to {stale}", file=sys.stderr)
        raise
    first, html, pages = next(iter(built.values()))
    return BuildResult(first, html, name, runs, pages, built)
