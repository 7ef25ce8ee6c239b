"""The Chinese edition's typography and terms: the rules, the catalogue and notebook cells that follow
them, and the lint that reads them back from the printed PDF's text."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from clip_course.report import lint, typography_zh
from clip_course.report.catalogue_zh import CATALOGUE, GLOSSARY
from clip_course.report.outline import page_of, undouble

NOTEBOOKS = Path(typography_zh.__file__).resolve().parents[2] / "notebooks"


@pytest.mark.parametrize(("raw", "fixed"), [
    ("见(图 10).", "见（图 10）。"),
    ("中文 中文 ,好", "中文中文，好"),
    ("top-1准确率为75%", "top-1 准确率为 75%"),
    ("原课程报告「二、单图测试」", "原课程报告“二、单图测试”"),
    ('朝 "a blue circle" 编辑', "朝“a blue circle”编辑"),
    ("**离线配置：**斜线填充", "**离线配置**：斜线填充"),
    ("配置：**paper** = ViT；**offline** = MiniCLIP", "配置：**paper** = ViT；**offline** = MiniCLIP"),
    ("`a photo of a {}.` 与 {a}与{b}", "`a photo of a {}.` 与 {a}与{b}"),  # code and placeholders untouched
])
def test_normalize_applies_the_rules_and_is_idempotent(raw, fixed):
    assert typography_zh.normalize(raw) == fixed
    assert typography_zh.normalize(fixed) == fixed
    assert typography_zh.problems(fixed) == []


def test_problems_name_each_broken_rule():
    found = " ".join(typography_zh.problems("见(图 10)。中文 中文「引号」**粗体：**后文，稳健性与 notebook"))
    for what in ("half-width parentheses", "a space between Chinese", "「」", "bold closing", "'稳健性'", "'notebook'"):
        assert what in found


def test_the_catalogue_follows_the_rules():
    bad = [p for msgid, zh in CATALOGUE.items() for p in typography_zh.problems(zh, msgid[:40])]
    assert bad == []


def test_the_chinese_notebook_cells_follow_the_rules():
    cells = [(nb.name, c.source) for nb in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
             for c in nbformat.read(nb, 4).cells if "lang-zh" in c.metadata.get("tags", [])]
    assert len(cells) >= 50
    bad = [p for name, source in cells for p in typography_zh.problems(source, name)]
    assert bad == []


def test_the_chinese_captions_in_the_notebooks_code_follow_the_rules():
    import ast

    found = []
    for nb in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(nb, 4).cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(source)):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                        and typography_zh.CJK_RE.search(node.value)):
                    found += typography_zh.problems(node.value, nb.name)
    assert found == []


def test_every_chosen_term_is_in_the_printed_terminology_table():
    terms = " ".join(t for t, _, _ in GLOSSARY)
    for chosen in set(typography_zh.SYNONYMS.values()):
        assert chosen in terms, chosen
    for banned in typography_zh.SYNONYMS:
        assert banned not in terms


def test_the_lint_flags_english_and_half_width_punctuation_in_chinese_pages():
    pages = [
        "CLIP 在 CIFAR-10 上的零样本 top-1 为 75.3%，提示“a photo of a cat”胜出；MiniCLIP 在 ShapesWorld 上。",
        "线性探测 probe sev. 5 的结果如下(表 3).",
        "参考文献\n[1] Alec Radford et al. Learning Transferable Visual Models.",
    ]
    found = lint.chinese_problems(pages, references=3)
    assert found[0].startswith("page 2: English in the Chinese text: probe, sev")
    assert any(f.startswith("page 2: half-width punctuation") for f in found)
    assert not any(f.startswith(("page 1", "page 3")) for f in found)  # names, data in quotes, references


def test_outline_titles_written_twice_are_read_once():
    assert undouble("摘要摘要") == "摘要"
    assert undouble("11 CLIP 介绍 CLIP 介绍") == "1 CLIP 介绍"
    assert undouble("1.2 目标1.2 目标") == "1.2 目标"
    assert undouble("1.1 The model") == "1.1 The model"


def test_a_heading_is_found_by_its_number_when_its_math_has_no_outline_text():
    pages = {"6.3 曲线": 29, "6.4 编辑强度与保真度： 扫描": 30, "6.4.1 子节": 31}
    assert page_of(pages, "6.3 曲线", "6.3") == 29
    assert page_of(pages, "6.4 编辑强度与保真度：$\\lambda$ 扫描", "6.4") == 30
    assert page_of(pages, "参考文献") is None
