"""Two editions from one run: every generated text in English and Chinese, one kept per PDF.

Why this design: the notebooks run once and serve both editions (the language changes only
text, never a number, and is not part of any stamp). So each generated sentence is produced in
*both* languages when the notebook runs, as ``<lang-en>…</lang-en><lang-zh>…</lang-zh>``:
custom inline elements, valid inline HTML inside Markdown and never nested, so
:func:`select` keeps one language with a regular expression, exactly. A notebook shows one
language (its ``lang`` parameter); the report build's runs (``lang="both"``) show each text
twice, once per language, as outputs marked with :data:`OUTPUT_METADATA`, so a reader of the
executed copy sees an English and a Chinese version one after the other, never glued.

The Chinese text lives in :mod:`clip_course.report.catalogue_zh`, keyed by the English text
(gettext's msgid convention). A plain dict needs no compile step and no new dependency (Babel
would add both and buy nothing for one language written by hand); ``tests/test_i18n.py`` reads
every ``tr(...)``/``tr_html(...)`` call of the package and every ``t(...)`` of the templates
and fails on a msgid without its Chinese, or with other placeholders. At run time a missing
msgid raises :class:`MissingTranslationError` naming it.

Convention for a new sentence (see ``report/README.md``): write ``tr("English {x}.", x=...)``
(``tr_html`` when the text is HTML, e.g. the abstract), add ``"English {x}.": "中文{x}。"`` to
the catalogue, format every number with :mod:`clip_course.report.numbers` before passing it.
"""

from __future__ import annotations

import re
import string
from typing import Any

from markupsafe import Markup, escape

from clip_course.errors import ReportError
from clip_course.report.catalogue_zh import CATALOGUE
from clip_course.report.typography_zh import normalize, tidy_html

__all__ = [
    "Any", "Bi", "chinese", "chinese_share", "cjk_share", "edition_html", "editions", "fields_of", "has_pairs",
    "HTML_LANG", "KEPT_NAMES", "LANGS", "maybe_tr", "MissingTranslationError", "normalize", "output_language",
    "OUTPUT_METADATA", "part", "ReportError", "select", "tr", "tr_html", "translator", "twin_problems",
]

LANGS = ("en", "zh")
#: Output metadata naming the language of a notebook output shown once per language (the report
#: build's runs): ``{"clip_course": {"lang": "zh"}}``; the PDF keeps the edition's, JupyterLab shows both.
OUTPUT_METADATA = "clip_course"
#: ``--lang`` choices: one edition or both.
EDITIONS = ("en", "zh", "both")
#: The html ``lang`` attribute of each edition.
HTML_LANG = {"en": "en", "zh": "zh-CN"}

_BLOCK = re.compile(r"<lang-(en|zh)>(.*?)</lang-\1>", re.S)
# CJK ideographs; PDF text extraction maps some Noto CJK glyphs to Kangxi radicals (U+2E80-U+2FDF)
_CJK = "\u2e80-\u2fdf\u3400-\u9fff\uf900-\ufaff"
# a space between a number (or a tagged number's end) and a CJK character, either way round
_NUM_CJK = re.compile(rf"([\d%](?:</span>)?) (?=[{_CJK}])|(?<=[{_CJK}]) (?=(?:<span[^>]*>)?[\d−+])")


class MissingTranslationError(ReportError):
    """A generated English text has no Chinese counterpart in the catalogue."""


def editions(lang: str) -> tuple[str, ...]:
    """The languages ``--lang`` asks for, in build order."""
    if lang not in EDITIONS:
        raise ReportError(f"--lang {lang!r}: use one of {', '.join(EDITIONS)}.")
    return LANGS if lang == "both" else (lang,)


class Bi(str):
    """A text in both languages; as a ``str`` it is the marked-up pair, so concatenation, joins,
    f-strings and JSON keep both. ``.en`` / ``.zh`` are the plain texts."""

    en: str
    zh: str

    def __new__(cls, en: str, zh: str) -> Bi:
        obj = super().__new__(cls, f"<lang-en>{en}</lang-en><lang-zh>{zh}</lang-zh>")
        obj.en, obj.zh = str(en), str(zh)
        return obj

    def __add__(self, other: Any) -> Bi:
        return Bi(self.en + part(other, "en"), self.zh + part(other, "zh"))

    def __radd__(self, other: Any) -> Bi:
        return Bi(part(other, "en") + self.en, part(other, "zh") + self.zh)

    def __html__(self) -> str:  # already markup when built by tr_html (Jinja inserts it as is)
        return str(self)

    def get(self, lang: str) -> str:
        """The text in ``lang``."""
        return self.zh if lang == "zh" else self.en


def part(text: Any, lang: str) -> str:
    """``text`` in ``lang``: a :class:`Bi`'s half, or a plain string with its markers resolved."""
    if isinstance(text, Bi):
        return text.get(lang)
    return select(str(text), lang)


def select(text: str, lang: str) -> str:
    """Keep the ``lang`` half of every marked pair in ``text`` (plain text passes unchanged)."""
    return _BLOCK.sub(lambda m: m.group(2) if m.group(1) == lang else "", text)


def output_language(output: dict) -> str | None:
    """The language a notebook output is marked with (see :data:`OUTPUT_METADATA`), else None."""
    meta = (output.get("metadata") or {}).get(OUTPUT_METADATA) or {}
    return meta.get("lang") if isinstance(meta, dict) else None


def has_pairs(text: str) -> bool:
    """Whether ``text`` holds marked language pairs."""
    return _BLOCK.search(str(text)) is not None


def chinese(msgid: str) -> str:
    """The catalogue's Chinese for ``msgid``."""
    try:
        return CATALOGUE[msgid]
    except KeyError:
        raise MissingTranslationError(
            f"no Chinese for {msgid!r}: add it to clip_course/report/catalogue_zh.py.") from None


def tr(msgid: str, /, **fields: Any) -> Bi:
    """``msgid`` (English, ``{name}`` placeholders) and its Chinese, both filled with ``fields``;
    a field that is itself a :class:`Bi` gives each language its own half. The Chinese, filled, passes
    :func:`clip_course.report.typography_zh.normalize` (full-width punctuation, no stray spaces)."""
    zh = chinese(msgid)
    return Bi(msgid.format(**{k: part(v, "en") for k, v in fields.items()}),
              normalize(zh.format(**{k: part(v, "zh") for k, v in fields.items()})))


def tr_html(msgid: str, /, **fields: Any) -> Bi:
    """:func:`tr` for HTML: plain-string fields are escaped; Markup and Bi fields are kept."""
    safe = {k: v if isinstance(v, Bi | Markup) else escape(v) for k, v in fields.items()}
    return tr(msgid, **safe)


def maybe_tr(text: str) -> str:
    """``text`` in both languages when the catalogue has it (data such as a question), else as is."""
    return tr(text) if text in CATALOGUE else text


def translator(lang: str):
    """``t(msgid, **fields)`` for the templates: the msgid in ``lang``, as markup."""
    def t(msgid: str, **fields: Any) -> Markup:
        return Markup(tr_html(msgid, **fields).get(lang))
    return t


def fields_of(text: str) -> set[str]:
    """The placeholder names of a msgid or its translation."""
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


def edition_html(html: str, lang: str) -> str:
    """The document in one language: the other half of every pair removed, paragraphs emptied
    by that removed, and in Chinese a no-break space between a number and the word after it."""
    out = select(html, lang)
    out = re.sub(r"<p>\s*</p>", "", out)
    if lang == "zh":
        out = tidy_html(_NUM_CJK.sub(lambda m: (m.group(1) or "") + "\u00a0", out))
    return out


#: Latin words a Chinese text keeps: names of models, datasets, methods and metrics.
KEPT_NAMES = frozenset("""CLIP MiniCLIP ShapesWorld StyleCLIP StyleGAN StyleGAN2 CIFAR OpenAI ViT ResNet Transformer
    CLIP_benchmark LAION ImageNet EuroSAT MNIST CLEVR DTD Food StanfordCars Flowers ObjectNet Pets Oxford IIIT
    Sketch Adam AdamW VAE CNN GPU CPU JPEG BPE UTF InfoNCE PyTorch Colab Jupyter notebook top k shot recall
    precision paper offline auto logit softmax sha sha256 Git Chromium nbconvert MathJax TeX HTML PDF FFHQ Radford
    Patashnik Hendrycks Dietterich WIT V100 CLIPDraw StyleCLIPDraw Vision Image Text Encoder""".split())
_CODE_LIKE = re.compile(r"\S*[_/@=<>{}\\|#\d.]\S*|[A-Za-z]+(?:-[A-Za-z]+)+")


def cjk_share(text: str) -> float:
    """Share of CJK characters among the letters of ``text`` (0 when it has no letters)."""
    cjk = len(re.findall(f"[{_CJK}]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return cjk / (cjk + latin) if cjk + latin else 0.0


def chinese_share(text: str) -> float:
    """How Chinese a text is, outside numbers, code and names: :func:`cjk_share` after removing
    tokens that look like code, paths, numbers or hyphenated identifiers (a ``_ / @ = . # digit``
    in them, ``ViT-B``) and the names of :data:`KEPT_NAMES`."""
    words = [w for w in re.split(rf"([{_CJK}]+|\s+)", _CODE_LIKE.sub(" ", text))
             if w.strip(" ()（），,:;") not in KEPT_NAMES]
    return cjk_share("".join(words))


_HEADINGS = re.compile(r"^(#{1,6})\s", re.M)
_FENCED = re.compile(r"^```.*?^```", re.M | re.S)


def twin_problems(cells: list[Any], where: str = "") -> list[str]:
    """Markdown cells without their other-language twin: each ``lang-en`` cell must be followed by a
    ``lang-zh`` cell with the same heading levels, and no markdown cell may be untagged."""
    problems, md = [], [c for c in cells if c.get("cell_type") == "markdown"]
    tags = [set(c.get("metadata", {}).get("tags", [])) & {"lang-en", "lang-zh"} for c in md]
    i = 0
    while i < len(md):
        first = (md[i]["source"] or "").strip().splitlines()[:1]
        if tags[i] != {"lang-en"}:
            problems.append(f"{where} markdown cell {first}: tag it lang-en and add its lang-zh twin after it")
            i += 1
            continue
        if i + 1 >= len(md) or tags[i + 1] != {"lang-zh"}:
            problems.append(f"{where} markdown cell {first} has no lang-zh twin after it")
            i += 1
            continue
        levels = [_HEADINGS.findall(_FENCED.sub("", md[j]["source"] or "")) for j in (i, i + 1)]
        if levels[0] != levels[1]:
            problems.append(f"{where} markdown cell {first}: headings {levels[0]} in English, {levels[1]} in Chinese")
        i += 2
    return problems
