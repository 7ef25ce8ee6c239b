"""The Chinese edition's text: no English msgid without its Chinese, no markdown cell without its twin.

The catalogue check reads the package's source (every ``tr(...)`` / ``tr_html(...)`` with a literal
msgid), the templates (every ``t("...")``) and the report's fixed titles, so a sentence added in
English alone fails here, not in a reader's PDF.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
import pytest

from clip_course.report import facts, i18n, pdf, prose
from clip_course.report.catalogue_zh import CATALOGUE, GLOSSARY

PACKAGE = Path(prose.__file__).resolve().parents[1]
NOTEBOOKS = PACKAGE.parent / "notebooks"
TEMPLATES = PACKAGE / "report" / "templates" / "report"


def _literals(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def _code_cells(nb: Path) -> str:
    cells = [c.source for c in nbformat.read(nb, 4).cells if c.cell_type == "code"]
    return "\n".join(line for cell in cells for line in cell.splitlines() if not line.lstrip().startswith(("%", "!")))


def package_msgids() -> dict[str, str]:
    """{msgid: where} for every tr/tr_html call (``prose.tr`` too) with a literal first argument in the
    package and in the notebooks' code cells."""
    found = {}
    sources = [(p.name, p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")]
    sources += [(nb.name, _code_cells(nb)) for nb in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))]
    for name, source in sources:
        for node in ast.walk(ast.parse(source)):
            func = getattr(node, "func", None)
            if isinstance(node, ast.Call) \
                    and (getattr(func, "id", None) or getattr(func, "attr", None)) in ("tr", "tr_html") \
                    and node.args:
                for msgid in _literals(node.args[0]):
                    found[msgid] = f"{name}:{node.lineno}"
    return found


def template_msgids() -> dict[str, str]:
    """{msgid: template} for every ``t("...")`` in the report templates."""
    found = {}
    for path in TEMPLATES.glob("*.j2"):
        for m in re.finditer(r'\bt\("((?:[^"\\]|\\.)*)"', path.read_text(encoding="utf-8")):
            found[m.group(1).replace('\\"', '"')] = path.name
    return found


def fixed_titles() -> list[str]:
    """The report's own titles and labels that pass through the catalogue."""
    titles = [s.title for s in pdf.SECTIONS if s.title] + [t for s in pdf.SECTIONS for t in s.subtitles]
    titles += [t for t, _ in facts.back_matter("zh")] + list(facts.NOTEBOOK_ROLES.values())
    return titles + ["Conclusions", "reused (up to date)", "executed", "written", "none"]


def test_every_english_msgid_has_its_chinese_with_the_same_placeholders():
    msgids = {**package_msgids(), **template_msgids(), **{t: "fixed title" for t in fixed_titles()}}
    assert len(msgids) > 120  # the scan found the real calls, not nothing
    missing = [f"{where}: {m!r}" for m, where in msgids.items() if m not in CATALOGUE]
    assert not missing, "\n".join(missing)
    wrong = [m for m in msgids if i18n.fields_of(m) != i18n.fields_of(CATALOGUE[m])]
    assert not wrong, wrong
    # a name (StyleCLIP) may stay as it is; anything else must be Chinese
    not_chinese = [m for m in msgids if i18n.cjk_share(CATALOGUE[m]) == 0 and CATALOGUE[m] != m
                   and re.search("[A-Za-z]", re.sub(r"\{\w*\}", "", CATALOGUE[m]))]
    assert not not_chinese, not_chinese


def test_a_missing_translation_is_an_error_naming_the_msgid():
    with pytest.raises(i18n.MissingTranslationError, match="no Chinese for 'An English sentence only'"):
        i18n.tr("An English sentence only")


def test_both_languages_travel_through_concatenation_joins_and_selection():
    a = prose.difference(i18n.tr("the probe"), i18n.tr("zero-shot"), 3.0, 1.0, 5.0)
    assert a.en == "the probe is 3.0 points above zero-shot (95% CI +1.0 to +5.0)"
    assert a.zh == "线性探测比零样本高 3.0 个百分点（95% 置信区间 +1.0 至 +5.0）"
    joined = "Lead: " + a + " " + i18n.tr("zero-shot")
    assert i18n.select(" | ".join([joined, "x"]), "zh") == "Lead: " + a.zh + " 零样本 | x"
    assert i18n.select(joined, "en") == "Lead: " + a.en + " zero-shot"


def test_the_chinese_edition_keeps_numbers_on_the_line_of_their_unit():
    html = ('<p><lang-en>up 3.1 points</lang-en>'
            '<lang-zh>高 <span class="q">3.1</span> 个百分点，共 300 张</lang-zh></p><p><lang-en>x</lang-en></p>')
    assert (i18n.edition_html(html, "zh")
            == '<p>高\u00a0<span class="q">3.1</span>\u00a0个百分点，共\u00a0300\u00a0张</p>')
    assert i18n.edition_html(html, "en") == "<p>up 3.1 points</p><p>x</p>"


def test_every_notebook_markdown_cell_has_its_chinese_twin():
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert len(notebooks) >= 6
    problems = [p for nb in notebooks for p in i18n.twin_problems(nbformat.read(nb, 4).cells, nb.name)]
    assert problems == []


def test_a_missing_or_mismatched_twin_is_caught():
    cells = nbformat.read(NOTEBOOKS / "03_cifar_zero_shot.ipynb", 4).cells
    zh = [i for i, c in enumerate(cells) if "lang-zh" in c.metadata.get("tags", [])]
    dropped = [c for i, c in enumerate(cells) if i != zh[2]]
    assert any("has no lang-zh twin" in p for p in i18n.twin_problems(dropped, "03"))
    retitled = copy.deepcopy(cells)
    titled = [i for i in zh if "## " in cells[i].source]  # a twin with a heading to change
    retitled[titled[1]].source = retitled[titled[1]].source.replace("## ", "### ", 1)
    assert any("headings" in p for p in i18n.twin_problems(retitled, "03"))
    untagged = copy.deepcopy(cells)
    untagged.append(nbformat.v4.new_markdown_cell("## A new section in English only"))
    assert any("tag it lang-en" in p for p in i18n.twin_problems(untagged, "03"))


def test_the_glossary_defines_the_course_terms():
    terms = {t for t, _, _ in GLOSSARY}
    assert {"零样本", "线性探测", "提示集成", "对比学习", "分布偏移", "特征纠缠", "置信区间"} <= terms
    assert all(i18n.cjk_share(d) > 0.3 and e.isascii() for _, e, d in GLOSSARY)


def test_editions_and_their_paths():
    from clip_course.report.runner import edition_path

    assert i18n.editions("both") == ("en", "zh") and i18n.editions("zh") == ("zh",)
    with pytest.raises(i18n.ReportError, match="--lang 'fr'"):
        i18n.editions("fr")
    assert edition_path(Path("report/clip_course_report.pdf"), "zh") == Path("report/clip_course_report_zh.pdf")


def _notebook_calls(name: str):
    for nb in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(nb, 4).cells:
            if cell.cell_type == "code" and name in cell.source and not cell.source.lstrip().startswith("#"):
                for node in ast.walk(ast.parse(cell.source)):
                    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == name:
                        yield nb.name, node


def test_every_caption_and_literal_table_header_of_the_notebooks_has_its_chinese():
    captions = [(nb, n.lineno) for kind in ("figure", "table") for nb, n in _notebook_calls(kind)
                if getattr(n.func.value, "id", "") == "nb"]
    assert len(captions) >= 30
    without = [(nb, n.lineno) for kind in ("figure", "table") for nb, n in _notebook_calls(kind)
               if getattr(n.func.value, "id", "") == "nb" and not any(k.arg == "zh" for k in n.keywords)]
    assert without == []
    headers = [e.value for _, n in _notebook_calls("markdown_table") for e in getattr(n.args[0], "elts", [])
               if isinstance(e, ast.Constant)]
    assert len(headers) > 30 and [h for h in headers if h not in CATALOGUE] == []


def test_the_chinese_manifest_names_the_profile_and_the_threads_in_chinese():
    line = "CPU (x86_64, 1 torch, 2 BLAS threads of 16 CPUs)"
    assert facts.device_label(line, "en") == line
    assert facts.device_label(line, "zh") == "CPU（x86_64；torch 1 个线程，BLAS 2 个线程，共 16 个 CPU）"
    assert (facts.device_label("CPU (arm64, 4 torch threads of 8 CPUs)", "zh")
            == "CPU（arm64；torch 4 个线程，共 8 个 CPU）")
    assert facts.device_label("NVIDIA H100 80GB HBM3", "zh") == "NVIDIA H100 80GB HBM3"  # a GPU's name is a name
    m = {"profile": "offline", "device": line,
         "notebooks": [{"stem": "01_intro", "device": line, "finished": "2026-12-08 02:44:39"}]}
    zh = facts.manifest_in(m, "zh")
    assert zh["profile"] == "离线" and zh["notebooks"][0]["device"].startswith("CPU（x86_64；")
    assert zh["notebooks"][0]["finished"] == "2026\u201112\u201108 02:44:39"
    assert facts.manifest_in(m, "en") == m and m["profile"] == "offline"


def test_appendix_a_lists_the_chinese_prompts_and_names_the_template_sets_in_the_edition():
    results = {"03": {
        "datasets": {"shapes10": {"classes": ["circle", "square"], "templates": {"single": ["a photo of a {}."],
                                                                                 "ensemble": ["a {} shape."]}}},
        "chinese_prompts": {"shapes10": {"classes_zh": ["圆形", "正方形"], "templates_zh": ["{}的照片。"]}},
    }}
    zh = facts.appendix(results, "zh")[0]
    assert zh["classes_zh"] == ["圆形", "正方形"]
    assert zh["templates"] == {"单一模板": ["a photo of a {}."], "提示集成": ["a {} shape."],
                               "中文模板": ["{}的照片。"]}
    en = facts.appendix(results, "en")[0]
    assert list(en["templates"]) == ["single", "ensemble", "Chinese templates"]
    # the original report's Appendix 1 follows, since no notebook recorded the 18 CIFAR templates
    assert len(facts.appendix(results, "en")) == 2
