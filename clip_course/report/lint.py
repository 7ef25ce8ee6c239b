"""Report lint: what a careful reader would mark in red, checked on the built PDF and its HTML.

:func:`lint` returns one line per problem (empty: nothing to mark). It reads the PDF's text
(``pdftotext``, from poppler-utils) and renders pages at low resolution (``pdftoppm``) to see
how full each page is; the HTML says which figures and tables are captioned and cited.

Checked: the word "seed" where the original course report is meant, "wrote results" and other
notebook debris, an absolute path of the build machine, "(s)" plurals, a signed zero ("+0.0");
a figure or table without a numbered caption, one never cited in the text, a reference never
cited; a heading in the last 15% of a page; a page under half full that is not followed by a
chapter break.

And what a machine without the right tools prints (checked in the PDF itself, whatever the build
believed it had): TeX source where MathJax should have drawn math, U+FFFD replacement characters,
and empty boxes, the font's ``.notdef`` glyph drawn where a font had no glyph (Chinese without a
CJK font). The last is read from the page content: Chromium writes text in Identity-H (two-byte
glyph ids) fonts, and glyph id 0 is ``.notdef``, while ``pdftotext`` still reports the intended
character through the font's ToUnicode map.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from clip_course.data import corruptions, shapes_world
from clip_course.errors import ReportError
from clip_course.report.i18n import KEPT_NAMES
from clip_course.report.outline import outline_pages
from clip_course.tasks import single_image

__all__ = [
    "box_problems", "chinese_problems", "empty_boxes", "fill_problems", "float_problems", "heading_problems", "lint",
    "page_fill", "pdf_text", "render_problems", "text_problems",
]

_TEXT_RULES = {
    # "seed" as a name for the original report; parameters ("seed=0", "seed 0") and "seeded" are fine
    "the word 'seed' for the original course report": r"\bseed\b(?!\s*[=:]?\s*\d)(?!ed)",
    "notebook debris 'wrote results'": r"wrote results",
    "an absolute path of the build machine": r"(?<![\w.])/(?:tmp|root|work|home|usr|var)/",
    "a '(s)' plural": r"\w\(s\)",
    "a signed zero": r"[+\-−]0\.0(?!\d)",
}
#: What the printed text must never hold, whatever tools the renderer had.
RENDER_RULES = {
    # a TeX command, or $...$ holding a sub/superscript, brace or command: math MathJax never drew
    "TeX source (math not rendered: is MathJax installed?)":
        r"\\(?:[a-zA-Z]{2,}|[()\[\]])|\$[^$\n]{0,80}?[\\^_{][^$\n]{0,80}?\$",
    "a replacement character U+FFFD (text lost in encoding)": "\ufffd",
}
_FOOT = 0.85  # a heading below this fraction of the page height sits at its foot
_HALF = 0.5


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ReportError(f"report lint needs `{name}` (Debian: apt-get install poppler-utils).")
    return path


def pdf_text(pdf: Path) -> list[str]:
    """The text of each page."""
    out = subprocess.run([_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def text_problems(pages: list[str]) -> list[str]:
    """The text rules, page by page."""
    found = []
    for number, text in enumerate(pages, 1):
        flat = " ".join(text.split())
        for what, pattern in _TEXT_RULES.items():
            for m in re.finditer(pattern, flat, flags=re.I if "seed" in what else 0):
                context = flat[max(0, m.start() - 30):m.end() + 30]
                found.append(f"page {number}: {what}: …{context}…")
    return found


def render_problems(pages: list[str]) -> list[str]:
    """:data:`RENDER_RULES`, page by page (each rule once per page, with its first context)."""
    found = []
    for number, text in enumerate(pages, 1):
        flat = " ".join(text.split())
        for what, pattern in RENDER_RULES.items():
            m = re.search(pattern, flat)
            if m is not None:
                context = flat[max(0, m.start() - 30):m.end() + 30]
                found.append(f"page {number}: {what}: …{context}…")
    return found


_DICT = re.compile(rb"<<.*?>>", re.S)  # marked-content properties (ActualText) hold hex strings too
_TEXT = re.compile(rb"(/[^\s/\[\]<>()]+)\s+[-\d.]+\s+Tf|<([0-9A-Fa-f\s]*)>")


def _notdef_count(data: bytes, two_byte_fonts: set[str]) -> int:
    """Glyph id 0 shown in a two-byte (Identity-H) font, in one content stream."""
    font, count = None, 0
    for m in _TEXT.finditer(_DICT.sub(b" ", data)):
        if m.group(1) is not None:
            font = m.group(1).decode("latin-1")
        elif font in two_byte_fonts:
            digits = re.sub(rb"\s", b"", m.group(2))
            count += sum(digits[i:i + 4] == b"0000" for i in range(0, len(digits) - 3, 4))
    return count


def empty_boxes(pdf: Path) -> dict[int, int]:
    """{page: number of .notdef glyphs drawn} over the pages that have any (forms included)."""
    from pypdf import PdfReader

    def count(obj, seen: set) -> int:
        resources = obj.get("/Resources")
        resources = resources.get_object() if resources is not None else {}
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else {}
        two_byte = {str(k) for k, v in fonts.items()
                    if v.get_object().get("/Subtype") == "/Type0"
                    and str(v.get_object().get("/Encoding", "")).startswith("/Identity")}
        contents = obj.get_contents() if hasattr(obj, "get_contents") else obj
        n = _notdef_count(contents.get_data(), two_byte) if contents is not None else 0
        xobjects = resources.get("/XObject")
        for ref in (xobjects.get_object() if xobjects is not None else {}).values():
            form = ref.get_object()
            if form.get("/Subtype") == "/Form" and id(form) not in seen:
                seen.add(id(form))
                n += count(form, seen)
        return n

    reader = PdfReader(str(pdf))
    found = {}
    for number, page in enumerate(reader.pages, 1):
        if n := count(page, set()):
            found[number] = n
    return found


def box_problems(pdf: Path) -> list[str]:
    """A line per page that shows empty boxes."""
    return [f"page {p}: {n} empty box{'es' if n > 1 else ''} (a character no font could draw: is a CJK font "
            f"installed? Debian: fonts-noto-cjk)" for p, n in empty_boxes(pdf).items()]


def float_problems(html: str) -> list[str]:
    """Figures and tables of the chapters: numbered, captioned and cited; references cited."""
    found = []
    parts = re.findall(r'<div class="notebook"[^>]*>(.*?)<span class="notebook-end">', html, re.S)
    body = "".join(parts)
    tokens = re.finditer(r'<img(?![^>]*class="nb-gif")|<table|<p class="caption (figure|table)-caption" id="([\w-]+)"',
                         body)
    pending_img = pending_tab_caption = 0
    for t in tokens:
        if t.group(0) == "<img":
            if pending_img:
                found.append("a figure without a numbered caption")
            pending_img = 1
        elif t.group(0) == "<table":
            if not pending_tab_caption:
                found.append("a table without a numbered caption")
            pending_tab_caption = 0
        elif t.group(1) == "figure":
            pending_img = 0
        else:
            pending_tab_caption = 1
    if pending_img:
        found.append("a figure without a numbered caption")
    for kind, key in re.findall(r'<p class="caption (figure|table)-caption" id="([\w-]+)"', html):
        if f'class="xref" href="#{key}"' not in html:
            found.append(f"{kind} #{key} is never cited in the text")
    for key in re.findall(r'<li id="ref-([\w-]+)"', html):
        if f'class="cite" href="#ref-{key}"' not in html:
            found.append(f"reference ref-{key} is never cited")
    return found


#: English a Chinese page may print: names (models, data sets, methods, people, software), units and
#: the abbreviations of metrics, and data: ShapesWorld's vocabulary, the corruptions' and built-in
#: photos' names and the demo prompts (class names, prompts and captions are what the model read,
#: printed as it read them), with the four articles and prepositions of their grammar.
ZH_ALLOWED = frozenset(w.lower() for w in ((set(KEPT_NAMES) - {"notebook"}) | set("""
    px MB GB KB ms GMACs MACs FLOPs dpi pt fp32 fp16 top-1 top-5 k-shot cpu cuda mps UTF-8
    CLIP_benchmark ImageNet-Sketch ImageNet-R ImageNet-A ImageNet-V2 ImageNetV2 ObjectNet ViT-B ViT-L RN50
    ResNet-50 ResNet-101 Oxford-IIIT CIFAR-10 CIFAR-100 CIFAR-10-C VisionTransformer ModifiedResNet
    clip-course scikit-learn scikit-image torchvision open_clip Wilson SGD L-BFGS Contrastive Language
    Pre-training Colab Jupyter GitHub arXiv Debian papermill Frans Schaldenbrand Karras DALL-E GAN VAE
    make report download dirty a an the on of at background
    BiT EfficientNet ResNeXt SimCLR LAION-2B LAION-400M WIT-400M ViT-B-32 ViT-B-16 ViT-L-14 ViT-H-14 cars
    """.split()) | set(shapes_world.SHAPES) | set(shapes_world.COLOUR_NAMES) | set(corruptions.CORRUPTIONS)
    | {w for name in corruptions.CORRUPTIONS for w in name.split("_")}  # printed as words too
    | set(single_image.BUILTIN_PHOTOS)
    | {w for words in (shapes_world.SIZES, shapes_world.POSITIONS, shapes_world.BACKGROUNDS, shapes_world.STYLES,
                       *single_image.GALLERY_PROMPTS.values()) for phrase in words for w in phrase.split()}))
# the back matter: references, class names and templates, the run manifest (their English is data)
_BACK_MATTER = re.compile(r"^\s*参考文献\s*$", re.M)
_QUOTED = re.compile(r"“[^”]*”|‘[^’]*’|\"[^\"]*\"")
_WORD = re.compile(r"(?<![\w./@=_<>+-])[A-Za-z][A-Za-z']+(?:-[A-Za-z0-9]+)*(?![\w/@=_(<>-])")
_CODE_LINE = re.compile(r"[=@#\[\]_{}<>]|[A-Za-z0-9_]\(")  # a line of code or math: its English is identifiers
_HALF_AFTER_CJK = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])(?:[,:;?!()]|\.(?!\d))")


def chinese_problems(pages: list[str], references: int | None = None,
                     allowed: frozenset[str] = ZH_ALLOWED) -> list[str]:
    """The Chinese edition's text, page by page up to its references (page ``references``, where
    they start, is read up to their heading): an English word (two letters or more) that is not a
    name, unit or data word of :data:`ZH_ALLOWED` (case aside; text in quotation marks is data, a
    prompt or a caption; a line of code or math is skipped), and half-width punctuation right
    after a Chinese character ("四.1", a section number, is not). One line per page and rule."""
    found = []
    for number, text in enumerate(pages[:references], 1):
        if number == references and (back := _BACK_MATTER.search(text)) is not None:
            text = text[:back.start()]
        flat = " ".join(text.split())
        prose = " ".join(line for line in text.splitlines() if not _CODE_LINE.search(line))
        words = [w for w in _WORD.findall(_QUOTED.sub(" ", prose))
                 if w.lower() not in allowed and w.lower().removesuffix("'s") not in allowed]
        if words:
            found.append(f"page {number}: English in the Chinese text: {', '.join(sorted(set(words)))}")
        if m := _HALF_AFTER_CJK.search(flat):
            found.append(f"page {number}: half-width punctuation after Chinese: "
                         f"…{flat[max(0, m.start() - 12):m.end() + 12]}…")
    return found


def _lines(pdf: Path) -> list[tuple[int, float, float, str]]:
    """(page, top, page height, text) of every text line."""
    xml = subprocess.run([_tool("pdftotext"), "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", xml).replace(' xmlns="http://www.w3.org/1999/xhtml"', "")
    root = ElementTree.fromstring(xml)
    out = []
    for number, page in enumerate(root.iter("page"), 1):
        height = float(page.get("height", "nan"))
        for line in page.iter("line"):
            words = " ".join(w.text or "" for w in line.iter("word"))
            out.append((number, float(line.get("yMin", "nan")), height, words))
    return out


def heading_problems(pdf: Path, headings: list[str]) -> list[str]:
    """Headings (their numbered labels, e.g. "3.1.2 Title") in the last 15% of a page."""
    found = []
    labels = {h.split(" ", 1)[0]: h for h in headings if re.match(r"\d+(\.\d+)* ", h)}
    for page, top, height, text in _lines(pdf):
        first = text.split(" ", 1)[0]
        if first in labels and text.startswith(labels[first][:20]) and top > _FOOT * height:
            found.append(f"page {page}: heading '{labels[first]}' in the last 15% of the page")
    return found


def page_fill(pdf: Path) -> list[float]:
    """How far down each page the ink reaches, as a fraction of the text area (footer excluded)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([_tool("pdftoppm"), "-r", "20", "-gray", str(pdf), f"{tmp}/p"], check=True)
        fills = []
        for png in sorted(Path(tmp).glob("p-*.pgm")):
            from PIL import Image

            a = np.asarray(Image.open(png), dtype=np.uint8)
            top, bottom = int(0.06 * len(a)), int(0.92 * len(a))  # the page box without its footer
            rows = np.flatnonzero((a[top:bottom] < 200).any(axis=1))
            fills.append(0.0 if len(rows) == 0 else (rows[-1] + 1) / (bottom - top))
    return fills


def fill_problems(pdf: Path, chapter_pages: set[int]) -> list[str]:
    """Pages under half full that are not followed by a chapter break (title page and last page exempt)."""
    fills = page_fill(pdf)
    return [f"page {p}: only {100 * f:.0f}% full, and page {p + 1} starts no chapter"
            for p, f in enumerate(fills, 1) if 1 < p < len(fills) and f < _HALF and p + 1 not in chapter_pages]


def lint(pdf: Path, html: Path, lang: str = "en") -> list[str]:
    """Every problem of the built report, one line each (in Chinese, :func:`chinese_problems` too)."""
    text = html.read_text(encoding="utf-8")
    outline = outline_pages(pdf)
    chapters = {page for label, page in outline.items() if not re.match(r"\d+\.\d", label)}
    pages = pdf_text(pdf)
    return (render_problems(pages) + box_problems(pdf) + text_problems(pages) + float_problems(text)
            + heading_problems(pdf, list(outline)) + fill_problems(pdf, chapters)
            + (chinese_problems(pages, outline.get("参考文献")) if lang == "zh" else []))
