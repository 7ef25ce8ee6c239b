"""A notebook's session: set-up, output paths, captioned figures and tables.

A notebook calls :func:`setup` once: it moves to the repository root (when opened from
``notebooks/``), sets the plot style and seeds, resolves the profile and loads its model.
Figures go to ``figures/<notebook stem>/<name>.png`` and numbers to
``results/<notebook stem>.json``, both under ``output_dir``. Only the report build passes its
own folders (``"."``: the repository's ``results/`` and ``figures/``); any other run (papermill,
JupyterLab, Colab) leaves them alone and writes to a fresh ``runs/<stem>-<time>/``
(:func:`run_folder`). Feature caches go to the user cache folder
(:func:`clip_course.core.cache.user_cache_dir`), never the current directory.

One language per run: ``lang="en"`` or ``"zh"`` shows captions, tables and generated text in
that language only; ``"both"`` (what the report build asks for) keeps both halves of every
pair (:mod:`clip_course.report.i18n`) so the PDF builder can split the two editions.

Results files are defined once, in :mod:`clip_course.report.schema`: :meth:`Outputs.write`
validates a record against its notebook's spec before writing it, and a notebook that needs
another's measurement reads it with :meth:`Session.earlier` instead of measuring it again.
The markdown tables (:func:`markdown_table`, :func:`model_table`, :func:`comparison_markdown`)
live in :mod:`clip_course.notebook.tables` and are re-exported here.
"""

from __future__ import annotations

import html
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from clip_course import repository as _repository
from clip_course.core import models as core_models
from clip_course.core.cache import user_cache_dir
from clip_course.core.device import configure_threads
from clip_course.core.encode import use_text_cache
from clip_course.core.models import checkpoint_origin, is_openai_release
from clip_course.core.provenance import environment
from clip_course.data import catalog, profiles
from clip_course.data import shapes as synthetic
from clip_course.data.published import REFERENCE_MODEL, REFERENCE_SOURCES, REFERENCES
from clip_course.errors import ClipCourseError, NotebookError
from clip_course.figures import style as style_figures
from clip_course.figures.lang import needs_translation, translate_figure
from clip_course.generators.editable import EditableGenerator
from clip_course.generators.load import load_editable
from clip_course.io import status
from clip_course.notebook.tables import comparison_markdown, markdown_table, model_table
from clip_course.report.i18n import LANGS, OUTPUT_METADATA, Bi, has_pairs, select
from clip_course.report.pdf import REPORT_CUT_MIME
from clip_course.report.schema import read_results, write_results
from clip_course.report.typography_zh import normalize as normalize_zh
from clip_course.tasks import styleclip_studies

__all__ = [
    "caption_html", "chdir_repo_root", "COLAB_BASE", "COLAB_PACKAGE", "colab_url", "comparison_markdown",
    "display_lang", "DISPLAY_LANGS", "figure", "in_display_lang", "markdown_table", "model_table", "NotebookError",
    "Outputs", "Path", "pick_examples", "pretraining_summary", "previous_sweep", "reference_dataset", "references",
    "report_ends_here", "run_folder", "RUNS_DIR", "seed_everything", "Session", "setup", "show", "show_figures_inline",
    "similarity_batch", "similarity_stats", "status", "styleclip_setup", "table", "topk_predictions",
]

#: The package as Colab installs it, and the notebooks' Open-in-Colab prefix: both from
#: ``[project.urls] Repository`` in pyproject.toml (see :mod:`clip_course.repository`).
COLAB_PACKAGE = _repository.colab_package(_repository.repository_url())
COLAB_BASE = _repository.colab_base(_repository.repository_url())

#: Where a run outside the report build writes (``runs/<stem>-<time>/``, relative to the repository root).
RUNS_DIR = "runs"
#: A notebook's ``lang``: one language, or both for the report build (which splits them per edition).
DISPLAY_LANGS = (*LANGS, "both")
# The language show()/figure()/table() display; set by setup() (module state: they take no session).
_DISPLAY_LANG = ["en"]


def colab_url(stem: str) -> str:
    """The Open-in-Colab address of ``notebooks/<stem>.ipynb``."""
    return f"{COLAB_BASE}{stem}.ipynb"


def chdir_repo_root() -> Path:
    """Move to the repository root when run from ``notebooks/`` (JupyterLab's default cwd)."""
    cwd = Path.cwd()
    if cwd.name == "notebooks" and (cwd.parent / "pyproject.toml").is_file():
        os.chdir(cwd.parent)
    return Path.cwd()


def run_folder(stem: str, when: float | None = None) -> Path:
    """A fresh ``runs/<stem>-<YYYYmmdd-HHMMSS>/`` for a run outside the report build (a suffix
    ``-2``, ``-3`` ... when one of that second exists already)."""
    base = Path(RUNS_DIR) / f"{stem}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(when))}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def display_lang() -> str:
    """The language this run shows: "en", "zh" or "both" (set by :func:`setup`)."""
    return _DISPLAY_LANG[0]


@dataclass
class Outputs:
    """Where one notebook's figures and results go."""

    stem: str
    root: Path = Path(".")

    def figure(self, name: str) -> Path:
        """``figures/<stem>/<name>.png`` under the output root."""
        return Path(self.root) / "figures" / self.stem / f"{name}.png"

    @property
    def results(self) -> Path:
        """``results/<stem>.json`` under the output root."""
        return Path(self.root) / "results" / f"{self.stem}.json"

    def write(self, record: Mapping[str, Any]) -> Path:
        """Validate the record against the notebook's schema, then write it atomically."""
        return write_results(self.results, self.stem, record)


@dataclass
class Session:
    """What a notebook's :func:`setup` resolved: profile, model, outputs, seed."""

    notebook: str
    profile: Any  # clip_course.data.profiles.Profile (.name .model .coarse .fine .reason)
    lm: Any  # clip_course.core.models.LoadedModel
    out: Outputs
    seed: int
    #: "en", "zh" or "both" (the report build): what captions, tables and generated text show
    lang: str = "en"
    #: The image-feature cache folder (the user cache unless the notebook names one)
    cache_dir: str | None = None

    @property
    def offline(self) -> bool:
        return self.profile.name == "offline"

    @property
    def datasets(self) -> dict[str, str]:
        """{"coarse": name, "fine": name} of the profile."""
        return {"coarse": self.profile.coarse, "fine": self.profile.fine}

    def model_record(self) -> dict[str, Any]:
        """The model's identity for results: name, full checkpoint sha256, what the file is
        (``origin``: openai's release or not, see :func:`clip_course.core.models.checkpoint_origin`),
        dtype, device."""
        return {"name": self.lm.name, "checkpoint_sha256": self.lm.checkpoint_sha256,
                "origin": checkpoint_origin(self.lm.name, self.lm.checkpoint, self.lm.checkpoint_sha256),
                "input_resolution": self.lm.input_resolution,
                "dtype": str(self.lm.dtype).replace("torch.", ""), "device": str(self.lm.device)}

    def earlier(self, stem: str) -> dict[str, Any]:
        """Notebook ``stem``'s results (same profile and checkpoint), read through the schema.

        A measurement is made once per build: a later notebook reads it instead of measuring again.
        Looked for in this run's ``output_dir`` first; a run outside the report build then reads
        (never writes) the newest ``runs/<stem>-*/`` and the report build's ``results/``, so
        notebook 06 opened on its own uses 03's and 04's numbers wherever they were made.
        """
        own = Path(self.out.root) / "results" / f"{stem}.json"
        candidates = [own]
        if os.environ.get("CLIP_COURSE_REPORT") != "1":  # a build reads only its own (see report.runner)
            runs = sorted(Path(RUNS_DIR).glob(f"{stem}-*/results/{stem}.json"), key=lambda p: p.stat().st_mtime)
            candidates += [*reversed(runs), Path("results") / f"{stem}.json"]
        mine = (self.profile.name, self.lm.checkpoint_sha256)
        found = []
        for path in dict.fromkeys(candidates):
            if not path.is_file():
                continue
            rec = read_results(path, stem)
            theirs = (rec["profile"], rec["model"]["checkpoint_sha256"])
            if theirs == mine:
                return rec
            found.append(f"{path} (profile {theirs[0]!r}, checkpoint {theirs[1][:12]})")
        if not found:
            raise NotebookError(f"{own} is missing: run notebook {stem} first with the same profile and "
                                f"output_dir (make report runs the notebooks in order).")
        raise NotebookError(f"{'; '.join(found)} made with another model: this notebook runs {mine[0]!r} with "
                            f"{mine[1][:12]}; rerun notebook {stem} first.")

    def record(self, **fields: Any) -> dict[str, Any]:
        """A results dict: notebook, profile, model, then ``fields``, then the environment."""
        rec: dict[str, Any] = {"notebook": self.notebook, "profile": self.profile.name,
                               "profile_reason": self.profile.reason, "model": self.model_record()}
        rec.update(fields)
        rec["environment"] = environment(self.lm.device)
        return rec


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (what the notebooks draw from)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def setup(
    notebook: str,
    profile: str = "auto",
    model: str | None = None,
    device: str | None = None,
    seed: int = 0,
    output_dir: str | None = None,
    params: dict | None = None,
    lang: str = "en",
    cache_dir: str | None = None,
) -> Session:
    """Resolve everything a notebook needs once; prints the profile, model and device.

    ``output_dir``: where ``results/`` and ``figures/`` go; None: a fresh :func:`run_folder`
    (the report build passes its own folders). ``lang``: "en" or "zh" shows that language only,
    "both" keeps both for the report build. ``cache_dir``: the image-feature cache; None: the
    user cache folder. ``params`` (default: the kernel's values of the notebook's parameters) are
    validated first by :func:`clip_course.notebook.params.validate_params`, so a bad one is named
    before any work.
    """
    from clip_course.notebook import params as nb_params

    nb_params.validate_params({"seed": seed, "lang": lang,
                               **(nb_params.ipython_params(notebook) if params is None else params)}, notebook)
    chdir_repo_root()
    _DISPLAY_LANG[0] = lang
    out_dir = Path(output_dir) if output_dir is not None else run_folder(notebook)
    cache = str(user_cache_dir() if cache_dir is None else cache_dir)
    style_figures.use_style()
    show_figures_inline()
    seed_everything(seed)
    threads = configure_threads()  # from the machine's cores (see core.device); recorded per notebook
    use_text_cache(cache)  # each prompt encoded once per cache, not once per notebook
    prof = profiles.resolve(profile, model=model)  # the weights checked are the ones loaded
    lm = core_models.load(model or prof.model, device=device)
    session = Session(notebook, prof, lm, Outputs(notebook, out_dir), seed, lang, cache)
    status(f"profile: {prof.name} ({prof.reason})")
    status(f"model:   {lm.name}  sha256 {lm.checkpoint_sha256[:16]}…  on {lm.device} ({lm.dtype})")
    status(f"data:    coarse = {prof.coarse}, fine = {prof.fine}")
    status(f"threads: {threads['torch']} torch, {threads['blas']} BLAS, of {threads['cpus']} CPUs")
    if output_dir is None:
        status(f"output:  {out_dir}/ (results/ and figures/; the report build's own are left alone)")
    return session


# ----------------------------------------------------------------------------- display


def show_figures_inline() -> bool:
    """Make a returned ``Figure`` display as PNG in IPython.

    :mod:`clip_course.figures.probe` builds figures without pyplot, so IPython's inline backend never
    registers its formatter by itself; without this a figure shows as ``<Figure size ...>``.
    Returns False outside IPython.
    """
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return False
    if get_ipython() is None:
        return False
    set_matplotlib_formats("png")
    return True


def in_display_lang(markdown: str, lang: str | None = None) -> str:
    """``markdown`` in ``lang`` (default :func:`display_lang`): one language's half of every pair;
    "both" leaves it as it is."""
    lang = lang or display_lang()
    return markdown if lang == "both" else select(markdown, lang)


def show(markdown: str) -> None:
    """Display generated markdown (numbers computed in code) in the run's language: a JupyterLab or
    Colab reader never sees the two glued together. A report build's run ("both") displays a text
    in both languages twice, each output marked with its language (``i18n.OUTPUT_METADATA``), and
    each PDF edition keeps its own."""
    from IPython.display import Markdown, display

    if display_lang() == "both" and has_pairs(markdown):
        for code in LANGS:
            display(Markdown(select(markdown, code)), metadata={OUTPUT_METADATA: {"lang": code}})
    else:
        display(Markdown(in_display_lang(markdown)))


def report_ends_here() -> None:
    """End this notebook's part of the printed report here: the cells below still run (their
    results are recorded, a reader of the notebook sees them), but the report leaves them out. For a
    chapter whose study only a missing checkpoint makes meaningful (notebook 05 without StyleGAN2)."""
    from IPython.display import display

    display({REPORT_CUT_MIME: {}, "text/plain": ""}, raw=True)


def caption_html(kind: str, label: str, caption: str, zh: str | None = None) -> str:
    """A caption the report numbers ("Figure 3."); the text cites it as ``[Figure](#fig-<label>)``.
    ``zh`` is its Chinese (the Chinese edition's caption; tests/test_i18n.py requires it)."""
    if kind not in ("figure", "table") or not label.replace("_", "").replace("-", "").isalnum():
        raise NotebookError("caption kind must be 'figure' or 'table' and label a plain name, "
                            f"got {kind!r}, {label!r}.")
    text = html.escape(caption) if zh is None else str(Bi(html.escape(caption), html.escape(normalize_zh(zh))))
    return f'<p class="caption" data-kind="{kind}" data-label="{label}">{text}</p>'


def figure(fig: Any, label: str, caption: str, zh: str | None = None) -> None:
    """Show a figure with its caption (what it shows and the takeaway), in English and ``zh``."""
    from IPython.display import display

    lang = display_lang()
    if lang == "both":  # the report build: the figure once per edition, each marked with its language
        display(fig, metadata={OUTPUT_METADATA: {"lang": "en"}})
        _translate(fig)
        display(fig, metadata={OUTPUT_METADATA: {"lang": "zh"}})
    else:
        if lang == "zh":
            _translate(fig)
        display(fig)
    show(caption_html("figure", label, caption, zh))


def _translate(fig: Any) -> None:
    """Rewrite ``fig``'s text in Chinese; with ``CLIP_COURSE_FIGURE_TEXT_LOG`` set, append the English
    texts left untranslated that read as prose (one per line) to that file, to extend the tables."""
    unknown = [t for t in translate_figure(fig, "zh") if needs_translation(t)]
    log = os.environ.get("CLIP_COURSE_FIGURE_TEXT_LOG")
    if log and unknown:
        with open(log, "a", encoding="utf-8") as f:
            f.writelines(repr(t) + "\n" for t in unknown)


def table(markdown: str, label: str, caption: str, zh: str | None = None) -> None:
    """Show a markdown table under its caption (English and ``zh``)."""
    show(caption_html("table", label, caption, zh) + "\n\n" + markdown)


# ----------------------------------------------------------------------------- 01 intro


def similarity_batch(session: Session, n: int = 8, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """A batch of N images and their captions, one per class so the diagonal is the only match.

    Offline: a ShapesWorld pretraining-style batch (N distinct shapes, captions drawn as in
    pretraining). Paper: N test images of the coarse set (distinct classes) with the
    caption "a photo of a {class}.".
    """

    rng = np.random.default_rng(seed)
    if session.offline:
        n = min(n, len(synthetic.SHAPES))
        scenes = synthetic.sample_scenes(n, rng, shape=rng.permutation(len(synthetic.SHAPES))[:n])
        images = synthetic.render_scenes(scenes, rng)
        return images, synthetic.make_captions(scenes, rng).text
    ds = catalog.load_dataset(session.profile.coarse, "test")
    n = min(n, len(ds.classes))
    classes = rng.permutation(len(ds.classes))[:n]
    idx = [int(rng.choice(np.flatnonzero(ds.labels == c))) for c in classes]
    return np.stack([np.asarray(ds.images[i]) for i in idx]), [f"a photo of a {ds.classes[c]}." for c in classes]


def similarity_stats(sim: Any) -> dict[str, float]:
    """Diagonal and off-diagonal means of an (N, N) similarity and the in-batch top-1 (%)
    in both directions (image -> text rows, text -> image columns)."""
    s = np.asarray(sim, dtype=float)
    n = s.shape[0]
    eye = np.eye(n, dtype=bool)
    return {
        "diagonal_mean": float(s[eye].mean()),
        "off_diagonal_mean": float(s[~eye].mean()) if n > 1 else float("nan"),
        "batch_top1": 100.0 * float((s.argmax(axis=1) == np.arange(n)).mean()),
        "batch_top1_text_to_image": 100.0 * float((s.argmax(axis=0) == np.arange(n)).mean()),
        "batch_size": n,
    }


def pretraining_summary(log: Mapping[str, Any]) -> dict[str, Any]:
    """Last-step loss, in-batch accuracy (%) and temperature of a pretraining log."""
    cols = log.get("log", log) if isinstance(log, Mapping) else log
    if not isinstance(cols, Mapping) or not cols.get("step"):
        return {}
    acc = float(cols["accuracy"][-1]) if cols.get("accuracy") else None
    if acc is not None and max(cols["accuracy"]) <= 1.0:
        acc *= 100.0
    out = {"steps": len(cols["step"]), "final_loss": float(cols["loss"][-1]) if cols.get("loss") else None,
           "final_accuracy": acc}
    if cols.get("temperature"):
        out["final_temperature"] = float(cols["temperature"][-1])
    if isinstance(log, Mapping) and "seconds" in log:
        out["seconds"] = float(log["seconds"])
    return out


# ----------------------------------------------------------------------------- 03 zero-shot


def reference_dataset(role: str) -> str:
    """The CIFAR set a role's references are for: coarse -> cifar10, fine -> cifar100."""
    return {"coarse": "cifar10", "fine": "cifar100"}[role]


def references(task: str, dataset: str, role: str, session: Session | None = None) -> dict[str, Any]:
    """The published figures to set beside ours for ``task`` ("zeroshot"/"probe").

    ``comparable`` is True only when our dataset is the CIFAR set they were measured on and the
    session's checkpoint is openai's released ViT-B/32 (its published sha256, or its hub copy
    converted here): a random or fine-tuned file at the same path is not what they measured.
    Without a session nothing is comparable.
    """
    ref = reference_dataset(role)
    origin = session.model_record()["origin"] if session is not None else {}
    same_model = is_openai_release(origin) and origin.get("model") == REFERENCE_MODEL
    return {"dataset": ref, "model": REFERENCE_MODEL, **REFERENCES[ref][task],
            "comparable": dataset == ref and same_model, "sources": REFERENCE_SOURCES}


def topk_predictions(scores: Any, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Top-k class indices and softmax probabilities (N, k) from zero-shot logits."""
    s = torch.as_tensor(np.asarray(scores), dtype=torch.float32)
    probs = s.softmax(dim=1)
    top = probs.topk(min(k, s.shape[1]), dim=1)
    return top.indices.numpy(), top.values.numpy()


def pick_examples(correct: Any, n_right: int = 4, n_wrong: int = 4, seed: int = 0) -> np.ndarray:
    """Indices of up to ``n_right`` correctly and ``n_wrong`` wrongly classified images (seeded).

    When one kind runs short the other fills in, so the grid keeps its size when possible.
    """
    ok = np.asarray(correct, dtype=bool)
    rng = np.random.default_rng(seed)
    right, wrong = np.flatnonzero(ok), np.flatnonzero(~ok)
    take_r = min(len(right), n_right + max(0, n_wrong - len(wrong)))
    take_w = min(len(wrong), n_wrong + max(0, n_right - len(right)))
    return np.concatenate([rng.choice(right, take_r, replace=False),
                           rng.choice(wrong, take_w, replace=False)]).astype(int)


def previous_sweep(session: Session) -> dict[str, Any] | None:
    """The model sweep of this notebook's last results file, if one is there and readable (else None)."""
    path = session.out.results
    try:
        return read_results(path, session.notebook).get("sweep") if path.is_file() else None
    except ClipCourseError:
        return None  # an unreadable or older file holds nothing to add up


def styleclip_setup(
    profile: str = "auto",
    model: str | None = None,
    device: str | None = None,
    seed: int = 0,
    output_dir: str | None = None,
    generator: str | None = None,
    lang: str = "en",
) -> tuple[Session, EditableGenerator, dict[str, Any]]:
    """Notebook 05's setup: (session, generator, choice), the choice saying which and why."""
    choice = styleclip_studies.resolve_setup(profile, generator, model)
    session = setup("05_styleclip", choice["profile"], model or choice["model"], device, seed, output_dir,
                    lang=lang)
    gen = load_editable(choice["generator"], device=session.lm.device)
    styleclip_studies.small_model_threads(gen)
    status(f"generator: {gen.name} from {getattr(gen, 'source', '?')}  ({choice['reason']})")
    # the default phrases follow the generator actually used, not the profile (paper + offline generator)
    return session, gen, {**choice, **styleclip_studies.default_phrases(gen)}
