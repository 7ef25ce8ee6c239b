"""The report PDF: executed notebooks -> one HTML document -> headless Chromium -> PDF.

Each executed notebook is converted by nbconvert with the package's own template
(``templates/clip_report``: outputs only, no code, no prompts) after its headings are
renumbered into the report's sections. The document around them (title page, abstract,
contents, conclusions, references, appendices) is ``templates/report/document.html.j2``;
the abstract and conclusions are filled from the run's results (:mod:`clip_course.report.facts`).
Chromium prints it twice: the first print's PDF outline gives each section's page, which the
second print writes into the table of contents.
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import nbformat

from clip_course import __version__
from clip_course.data.profiles import offline
from clip_course.errors import PdfPrintError, ReportError
from clip_course.io import atomic_path, atomic_write_bytes
from clip_course.report import facts as report_facts
from clip_course.report import lint, system
from clip_course.report.i18n import HTML_LANG, edition_html, output_language, select, tr, translator
from clip_course.report.outline import outline_pages, page_of, pdf_page_count
from clip_course.report.references import REFERENCES, references

__all__ = [
    "assemble_sections", "build_pdf", "CHROMIUM_ENV", "DEBIAN_PACKAGES", "ensure_chromium", "find_chromium",
    "MATHJAX_ENV", "mathjax_url", "number_floats", "Part", "prepare_notebook", "print_pdf", "refuse_broken_print",
    "renumber_markdown", "REPORT_CUT_MIME", "Section", "SECTIONS", "TEMPLATES",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
# where the system tools are found: clip_course.report.system (re-exported for callers of this module)
CHROMIUM_ENV, MATHJAX_ENV, DEBIAN_PACKAGES = system.CHROMIUM_ENV, system.MATHJAX_ENV, system.DEBIAN_PACKAGES
find_chromium = system.find_chromium
# The flags that make a headless print offline, quiet and repeatable.
_CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-pdf-header-footer", "--virtual-time-budget=10000", "--generate-pdf-document-outline",
)
#: Cells with one of these tags are left out of the report.
_HIDE_TAGS = {"remove-cell", "report-hide", "injected-parameters", "parameters"}
#: A markdown cell in one language is tagged ``lang-en`` or ``lang-zh`` (its twin follows it).
_LANG_TAGS = {"en": "lang-en", "zh": "lang-zh"}
#: A markdown cell that explains one profile only is tagged ``profile-offline`` or ``profile-paper``:
#: the report of the other profile leaves it out (Jupyter shows both).
PROFILE_TAGS = {"offline": "profile-offline", "paper": "profile-paper"}
#: An output of this type (``clip_course.notebook.report_ends_here``) ends the notebook's part of the
#: report: the cells after it ran (their results are recorded) but do not belong in this report.
REPORT_CUT_MIME = "application/vnd.clip-course.report-cut+json"


@dataclass(frozen=True)
class _SectionSpec:
    """A numbered report section and the notebooks (by number prefix) that fill it."""

    number: str
    title: str
    notebooks: tuple[str, ...]
    subtitles: tuple[str, ...] = ()


#: The original course report's structure; section 4 (analysis) is notebook 06, then notebook 07
#: measures the paper's Figure 5, which the original course report's analysis could only quote.
SECTIONS = (
    _SectionSpec("1", "CLIP introduction", ("01",)),
    _SectionSpec("2", "Single-image tests", ("02",)),
    _SectionSpec("3", "CIFAR: zero-shot and linear probe", ("03", "04"),
                ("Zero-shot classification", "Linear probe")),
    _SectionSpec("4", "Analysis", ("06",)),
    _SectionSpec("5", "Where zero-shot works and where it fails", ("07",)),
    _SectionSpec("6", "StyleCLIP", ("05",)),
)

# --------------------------------------------------------------------------- tools


def ensure_chromium() -> Path:
    """Chromium, after :func:`clip_course.report.system.ensure` checked it, MathJax and a CJK font
    one by one (installing the missing ones as root on Debian, else naming each)."""
    system.ensure()
    found = system.find_chromium()
    assert found is not None  # ensure() raised otherwise
    return found


def mathjax_url() -> str | None:
    """file:// URL of the local MathJax 2 (Debian libjs-mathjax), or None when there is none."""
    found = system.find_mathjax()
    return None if found is None else found.as_uri() + "?config=TeX-AMS_SVG"


# --------------------------------------------------------------------------- notebooks


@dataclass
class _Heading:
    """A numbered heading of the report, for the table of contents."""

    number: str
    title: str
    anchor: str
    page: int | None = None

    @property
    def depth(self) -> int:
        return self.number.count(".") + 1

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}".strip()


@dataclass
class Part:
    """One notebook's contribution: its HTML and the numbered headings inside it."""

    stem: str
    html: str
    headings: list[_Heading] = field(default_factory=list)
    title: str = ""


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
# Remote images cannot load offline (the Colab badge); drop them, links included.
_REMOTE_IMAGE = re.compile(r"\[?!\[[^\]]*\]\(https?://[^)]*\)(\]\([^)]*\))?")


def _anchor_for(number: str) -> str:
    """HTML id of a numbered heading."""
    return "sec-" + number.replace(".", "-")


def renumber_markdown(source: str, prefix: str, counters: list[int], first_h1: list[str]) -> tuple[str, list[_Heading]]:
    """Rewrite a markdown cell's headings as numbered report headings under ``prefix``.

    ``counters`` carries the numbering between the cells of one notebook; the notebook's
    first H1 (its title) is removed and stored in ``first_h1``: the report supplies its own.
    """
    out, headings, fenced = [], [], False
    base = prefix.count(".") + 1 if prefix else 0
    for line in source.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        m = None if fenced else _HEADING.match(line)
        if m is None:
            out.append(_REMOTE_IMAGE.sub("", line))
            continue
        level, text = len(m.group(1)), m.group(2)
        if level == 1 and not first_h1:
            first_h1.append(text)
            continue
        rel = max(level - 1, 1)  # notebook ## -> first level below the prefix
        if base + rel > 3:  # deeper than x.y.z: a plain, unnumbered heading
            out.append("#" * min(base + rel, 6) + " " + text)
            continue
        del counters[rel:]
        counters.extend([0] * (rel - len(counters)))
        counters[rel - 1] += 1
        number = ".".join([prefix] * bool(prefix) + [str(c) for c in counters[:rel]])
        heading = _Heading(number, text, _anchor_for(number))
        headings.append(heading)
        out += [f'<div id="{heading.anchor}"></div>', "", "#" * heading.depth + f" {number} {text}"]
    return "\n".join(out), headings


def prepare_notebook(nb: nbformat.NotebookNode, prefix: str, lang: str = "en",
                     profile: str | None = None) -> tuple[list[_Heading], str]:
    """Drop hidden cells, the other language's markdown cells and outputs, the other profile's cells
    (:data:`PROFILE_TAGS`) and stderr, renumber headings in place; (headings, notebook title)."""
    cells: list[nbformat.NotebookNode] = []
    headings: list[_Heading] = []
    counters: list[int] = []
    first_h1: list[str] = []
    hide = _HIDE_TAGS | {t for k, t in _LANG_TAGS.items() if k != lang}
    hide |= {t for k, t in PROFILE_TAGS.items() if profile is not None and k != profile}
    for cell in nb.cells:
        if hide & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "markdown":
            cell.source, found = renumber_markdown(cell.source, prefix, counters, first_h1)
            headings += found
        elif cell.cell_type == "code":
            outputs = cell.get("outputs", [])
            cut = any(REPORT_CUT_MIME in o.get("data", {}) for o in outputs)
            cell.outputs = [_in_language(_gif_as_html(o), lang) for o in outputs
                            if _keep_output(o) and output_language(o) in (None, lang)
                            and REPORT_CUT_MIME not in o.get("data", {})]
            if cell.outputs:
                cells.append(cell)
            if cut:
                break
            continue
        cells.append(cell)
    nb.cells = cells
    return headings, (first_h1[0] if first_h1 else "")


def _in_language(output: dict, lang: str) -> dict:
    """Keep ``lang``'s half of generated texts before nbconvert: with embedded images it parses each
    inline tag of a markdown output alone, which would empty the language pairs."""
    data = output.get("data", {})
    for mime in ("text/markdown", "text/html"):
        if mime in data:
            data[mime] = select("".join(data[mime]), lang)
    return output


def _gif_as_html(output: dict) -> dict:
    """nbconvert's HTML has no slot for image/gif (it would print the text/plain repr): embed
    the GIF as an <img>, which prints its first frame."""
    data = output.get("data", {})
    if "image/gif" in data and "text/html" not in data:
        b64 = "".join(data["image/gif"]).replace("\n", "")
        data["text/html"] = f'<img class="nb-gif" alt="animation" src="data:image/gif;base64,{b64}">'
        data.pop("text/plain", None)
    return output


def _keep_output(output: dict) -> bool:
    if output.get("output_type") == "stream":
        return output.get("name") == "stdout" and bool("".join(output.get("text", "")).strip())
    if output.get("output_type") in ("display_data", "execute_result"):
        data = output.get("data", {})
        return bool(set(data) - {"application/vnd.jupyter.widget-view+json"})
    return output.get("output_type") != "error"


def _notebook_part(executed: Path, prefix: str, notebooks_dir: Path, heading: _Heading | None = None,
                  lang: str = "en", profile: str | None = None) -> Part:
    """The HTML of one executed notebook in ``lang`` for ``profile``, headings numbered under ``prefix``."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    headings, title = prepare_notebook(nb, prefix, lang, profile)
    exporter = HTMLExporter(
        template_name="clip_report", extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        embed_images=True, anchor_link_text="",
    )
    exporter.log.setLevel(logging.ERROR)  # per-image alt-text warnings are noise here
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"path": str(notebooks_dir)}})
    if heading is not None:  # a sub-section's heading opens the part, so it keeps with its first cell
        body = (f'<div class="nb-cell nb-markdown"><h2 id="{heading.anchor}"><span class="secnum">{heading.number}'
                f'</span> {html.escape(heading.title)}</h2></div>') + body
    body = _keep_headings_with_content(body)
    return Part(executed.stem, body, headings, title)


def _keep_headings_with_content(body: str) -> str:
    """Wrap each markdown cell that holds a heading together with the cell after it in a block
    that does not split, so no heading is left alone at a page foot. (CSS ``break-after: avoid``
    on the heading cannot reach across nbconvert's cell blocks in Chromium.)"""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    for cell in soup.select("div.nb-markdown"):
        nxt = cell.find_next_sibling("div")
        if cell.find(["h2", "h3", "h4"]) and nxt is not None and "nb-cell" in (nxt.get("class") or []):
            keep = soup.new_tag("div", attrs={"class": "keep-together"})
            cell.insert_before(keep)
            keep.append(cell.extract())
            keep.append(nxt.extract())
    return str(soup)


# --------------------------------------------------------------------------- document


@dataclass
class Section:
    """A numbered section of the document as the template renders it."""

    heading: _Heading
    parts: list[tuple[_Heading | None, Part | None, str]]  # (subheading, part, stem when not run)


def _section_title(spec: _SectionSpec, profile: str, lang: str = "en") -> str:
    """A chapter's title names what was measured: offline, chapter 3 is not CIFAR."""
    if spec.number == "3" and profile == "offline":
        p = offline("")
        return tr("Zero-shot and linear probe on {coarse} and {fine} (CIFAR stand-ins)", coarse=p.coarse,
                  fine=p.fine).get(lang)
    return tr(spec.title).get(lang) if spec.title else ""


def assemble_sections(runs: list[Any], profile: str = "paper", lang: str = "en") -> list[Section]:
    """The numbered sections: the original course report's five, then any notebook the original course report has no
    place for."""
    by_prefix = {run.stem[:2]: run for run in runs}
    sections, used = [], set()
    specs = list(SECTIONS)
    for run in runs:
        if not any(run.stem[:2] in s.notebooks for s in SECTIONS):
            specs.append(_SectionSpec(str(len(specs) + 1), "", (run.stem[:2],)))
    for spec in specs:
        parts: list[tuple[_Heading | None, Part | None, str]] = []
        for i, prefix in enumerate(spec.notebooks):
            sub = None
            if spec.subtitles:
                number = f"{spec.number}.{i + 1}"
                sub = _Heading(number, tr(spec.subtitles[i]).get(lang), _anchor_for(number))
            run = by_prefix.get(prefix)
            if run is None:
                parts.append((sub, None, prefix))
                continue
            used.add(prefix)
            # Markdown images resolve against the source notebook's folder, as in Jupyter.
            part = _notebook_part(run.executed, sub.number if sub else spec.number, run.source.parent, sub, lang,
                                 profile)
            parts.append((sub, part, run.stem))
        title = (_section_title(spec, profile, lang) or next((p.title for _, p, _ in parts if p and p.title), "")
                 or parts[0][2])
        sections.append(Section(_Heading(spec.number, title, _anchor_for(spec.number)), parts))
    return sections


def _toc_entries(sections: list[Section], extra: list[_Heading]) -> list[_Heading]:
    """Contents: sections and their first-level subsections, then unnumbered back matter."""
    entries = []
    for section in sections:
        entries.append(section.heading)
        for sub, part, _ in section.parts:
            if sub is not None:
                entries.append(sub)
            if part is not None:
                entries += [h for h in part.headings if h.depth <= 2]
    return entries + extra


def _jinja() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES / "report")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )


_CAPTION = re.compile(r'<p class="caption" data-kind="(figure|table)" data-label="([\w-]+)">(.*?)</p>', re.S)
_XREF = re.compile(r'<a href="#((?:fig|tab)-[\w-]+)">(?:Figure|Table|图|表)</a>')
#: How a caption and a cross-reference name a float, per language.
FLOAT_NAMES = {"en": {"figure": "Figure", "table": "Table"}, "zh": {"figure": "图", "table": "表"}}
_CITE = re.compile(r'<a href="#ref-([\w-]+)">ref</a>')


def number_floats(html: str, lang: str = "en") -> str:
    """Number every captioned figure and table in document order and resolve the text's
    ``[Figure](#fig-label)`` citations to "Figure N" links and ``[ref](#ref-key)`` to "[n]"; a
    duplicate label or a citation of a label or reference that does not exist stops the build."""
    numbers: dict[str, str] = {}
    counts = {"figure": 0, "table": 0}

    def caption(m: re.Match) -> str:
        kind, label, text = m.groups()
        key = f"{'fig' if kind == 'figure' else 'tab'}-{label}"
        if key in numbers:
            raise ReportError(f"Two {kind}s are labelled {label!r}: give each caption its own label.")
        counts[kind] += 1
        numbers[key] = f"{FLOAT_NAMES[lang][kind]} {counts[kind]}"
        dot = "" if lang == "zh" else "."
        return f'<p class="caption {kind}-caption" id="{key}"><strong>{numbers[key]}{dot}</strong> {text}</p>'

    def xref(m: re.Match) -> str:
        if m.group(1) not in numbers:
            raise ReportError(f"The text cites #{m.group(1)}, but no figure or table has that label.")
        return f'<a class="xref" href="#{m.group(1)}">{numbers[m.group(1)]}</a>'

    def cite(m: re.Match) -> str:
        if m.group(1) not in REFERENCES:
            raise ReportError(f"The text cites ref-{m.group(1)}, which is not in the references.")
        return f'<a class="cite" href="#ref-{m.group(1)}">[{list(REFERENCES).index(m.group(1)) + 1}]</a>'

    return _CITE.sub(cite, _XREF.sub(xref, _CAPTION.sub(caption, html)))


def _render_document(context: dict[str, Any]) -> str:
    """The whole report as one HTML page, in ``context["lang"]`` (default English)."""
    env = _jinja()
    lang = context.get("lang", "en")
    context = dict(context, css=(TEMPLATES / "report" / "report.css").read_text(encoding="utf-8"), lang=lang,
                   html_lang=HTML_LANG[lang], t=translator(lang))
    context["abstract_html"] = jinja2.utils.markupsafe.Markup(env.get_template("abstract.html.j2").render(**context))
    context["conclusions_html"] = jinja2.utils.markupsafe.Markup(
        env.get_template("conclusions.html.j2").render(**context))
    return number_floats(edition_html(env.get_template("document.html.j2").render(**context), lang), lang)


# --------------------------------------------------------------------------- printing


def print_pdf(chromium: Path, html: Path, pdf: Path, timeout: float = 300) -> None:
    """Print ``html`` to ``pdf`` with headless Chromium and a fresh profile."""
    with tempfile.TemporaryDirectory(prefix="clip-course-chromium-") as profile:
        cmd = [str(chromium), *_CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={pdf}", html.resolve().as_uri()]
        proc = _run_in_own_group(cmd, timeout)
    if proc.returncode != 0 or not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
        tail = "\n".join((proc.stderr or "").strip().splitlines()[-8:])
        raise PdfPrintError(f"Chromium did not print {html} (exit {proc.returncode}):\n{tail}")


def _run_in_own_group(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run Chromium in a process group of its own and end the whole group on any exit (a signal,
    a timeout, an error): its zygote and renderer helpers must not outlive the build."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    except subprocess.TimeoutExpired as exc:
        raise PdfPrintError(f"Chromium did not finish printing within {timeout:.0f} s.") from exc
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def refuse_broken_print(pdf: Path) -> None:
    """Raise :class:`PdfPrintError` when the printed PDF holds empty boxes (characters no font
    could draw), TeX source (math MathJax did not draw) or U+FFFD, whatever the checks before
    printing believed; the TeX and U+FFFD check reads the text with pdftotext when present."""
    boxes = lint.empty_boxes(pdf)
    problems = [f"{sum(boxes.values())} empty boxes on pages {', '.join(map(str, boxes))} (characters no font "
                f"could draw: install a CJK font, Debian fonts-noto-cjk)"] if boxes else []
    if shutil.which("pdftotext"):
        problems += lint.render_problems(lint.pdf_text(pdf))[:3]
    if problems:
        raise PdfPrintError("Chromium printed a broken PDF, not given the report's name: " + "; ".join(problems))


def _chromium_version(chromium: Path) -> str:
    """``Chromium 1xx...`` for the manifest, or the path when it does not say."""
    try:
        out = subprocess.run([str(chromium), "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else str(chromium)
    except (OSError, subprocess.SubprocessError):
        return str(chromium)


def build_pdf(runs: list[Any], profile: str, root: Path, build_dir: Path, out: Path, quick: bool = False,
              lang: str = "en") -> tuple[Path, int]:
    """Assemble the HTML of ``runs`` in ``lang`` and print it to ``out`` atomically; (html path, pages)."""
    chromium = ensure_chromium()
    start = time.perf_counter()
    results = report_facts.load_results(root, runs)
    sections = assemble_sections(runs, profile, lang)
    context = report_facts.document_context(results, runs, profile, root, quick, lang)
    context.update(sections=sections, references=references(lang), mathjax_url=mathjax_url(),
                   version=__version__, engine=_chromium_version(chromium))
    back = [_Heading("", tr(t).get(lang), a) for t, a in report_facts.back_matter(lang)]
    conclusions = _Heading(str(len(sections) + 1), tr("Conclusions").get(lang), "sec-conclusions")
    toc = _toc_entries(sections, [conclusions, *back])
    html_path = build_dir / "report" / ("report.html" if lang == "en" else f"report_{lang}.html")
    pdf_pages = 0
    with atomic_path(out) as tmp:
        for _ in range(3):  # until the contents' page numbers stop moving (twice in practice)
            html = _render_document(dict(context, toc=toc, conclusions_heading=conclusions))
            atomic_write_bytes(html_path, html.encode("utf-8"))
            print_pdf(chromium, html_path, tmp)
            pages = outline_pages(tmp)
            new = [page_of(pages, h.label, h.number) for h in toc]
            if new == [h.page for h in toc]:
                break
            for h, page in zip(toc, new, strict=True):
                h.page = page
        refuse_broken_print(tmp)  # before the PDF takes the report's name
        pdf_pages = pdf_page_count(tmp)
    print(f"pdf: {pdf_pages} pages in {time.perf_counter() - start:.1f} s ({html_path})", flush=True)
    return html_path, pdf_pages
