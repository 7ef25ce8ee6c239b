"""The report lint catches each defect it names (planted in small documents)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clip_course import errors
from clip_course.report import lint
from clip_course.report import pdf as report_pdf
from clip_course.report.pdf import ensure_chromium, print_pdf


def test_text_rules_catch_debris_and_spare_parameters():
    pages = ["As the seed report found ...", "wrote results/03.json", "see /root/clip/x.png",
             "the class(es) and image(s)", "a gain of +0.0 points", "seed=0, seeded draws, seed 3"]
    found = lint.text_problems(pages)
    for page, what in ((1, "seed"), (2, "wrote results"), (3, "absolute path"), (4, "(s)"), (5, "signed zero")):
        assert any(p.startswith(f"page {page}:") and what in p for p in found), (page, what, found)
    assert not any(p.startswith("page 6:") for p in found)


def _doc(body: str) -> str:
    return f'<div class="notebook" data-notebook="x">{body}</div><span class="notebook-end"></span>'


def test_float_rules_catch_uncaptioned_and_uncited():
    ok = _doc('<img src="a"><p class="caption figure-caption" id="fig-a">F</p>'
              '<a class="xref" href="#fig-a">Figure 1</a>'
              '<p class="caption table-caption" id="tab-b">T</p><table></table>'
              '<a class="xref" href="#tab-b">Table 1</a>')
    assert lint.float_problems(ok + '<li id="ref-k">R</li><a class="cite" href="#ref-k">[1]</a>') == []
    assert "a figure without a numbered caption" in lint.float_problems(_doc('<img src="a">'))
    assert "a table without a numbered caption" in lint.float_problems(_doc("<table></table>"))
    uncited = _doc('<img src="a"><p class="caption figure-caption" id="fig-a">F</p>')
    assert "figure #fig-a is never cited in the text" in lint.float_problems(uncited)
    assert "reference ref-k is never cited" in lint.float_problems(ok + '<li id="ref-k">R</li>')
    assert lint.float_problems(_doc('<img class="nb-gif" src="a">')) == []  # the animation is not printed


@pytest.fixture(scope="module")
def planted_pdf(tmp_path_factory) -> Path:
    """Three A4 pages: a heading pushed to the foot of page 1, a nearly empty page 2, page 3."""
    tmp = tmp_path_factory.mktemp("lint")
    html = tmp / "doc.html"
    html.write_text("""<html><head><style>@page { size: A4; margin: 18mm; } body { font: 11pt serif; }
      .spacer { height: 232mm; } .page { break-before: page; }</style></head><body>
      <div class="spacer"></div><h2>3.2 A heading at the foot</h2>
      <p class="page">One line on a page that is otherwise empty.</p>
      <h1 class="page">4 Next chapter</h1><p>Text.</p></body></html>""")
    pdf = tmp / "doc.pdf"
    print_pdf(ensure_chromium(), html, pdf)
    return pdf


def test_heading_at_the_foot_is_found(planted_pdf):
    found = lint.heading_problems(planted_pdf, ["3.2 A heading at the foot", "4 Next chapter"])
    assert found == ["page 1: heading '3.2 A heading at the foot' in the last 15% of the page"]


def test_half_empty_page_is_found_unless_a_chapter_follows(planted_pdf):
    fills = lint.page_fill(planted_pdf)
    assert len(fills) == 3 and fills[0] > 0.8 and fills[1] < 0.2
    (problem,) = lint.fill_problems(planted_pdf, chapter_pages=set())
    assert problem.startswith("page 2: only ") and problem.endswith("% full, and page 3 starts no chapter")
    assert lint.fill_problems(planted_pdf, chapter_pages={3}) == []


# ------------------------------------------------------------------ what a machine without the tools prints


def test_render_rules_catch_tex_source_and_replacement_characters():
    pages = ["logits $z = \\tau^{-1} f^\\top W$ here", "the \\frac{a}{b} ratio", "a lost \ufffd glyph",
             "prices of $5 and $6, recall@1 = 90%, softmax(100 f W), snake_case names"]
    found = lint.render_problems(pages)
    assert [p.split(":")[0] for p in found] == ["page 1", "page 2", "page 3"]
    assert "TeX source" in found[0] and "TeX source" in found[1] and "U+FFFD" in found[2]


def test_notdef_glyphs_are_counted_only_in_two_byte_fonts():
    stream = (b"BT /F4 16 Tf <00280000> Tj /Span<</ActualText <FEFF0000> >> BDC [<0000> 120 <0051>] TJ EMC "
              b"/F5 16 Tf <0000> Tj ET")
    # two in /F4 (the Identity-H font); ActualText is not a glyph; /F5 is a one-byte font
    assert lint._notdef_count(stream, {"/F4"}) == 2
    assert lint._notdef_count(stream, set()) == 0


@pytest.fixture(scope="module")
def latin_only_fonts(tmp_path_factory) -> Path:
    """A fontconfig file that offers Chromium one Latin font (matplotlib's DejaVu Sans) and nothing else."""
    import matplotlib

    tmp = tmp_path_factory.mktemp("fonts")
    (tmp / "fonts").mkdir()
    (tmp / "fonts" / "DejaVuSans.ttf").write_bytes(
        (Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf").read_bytes())
    conf = tmp / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f'<dir>{tmp / "fonts"}</dir><cachedir>{tmp / "cache"}</cachedir></fontconfig>')
    return conf


def test_chinese_printed_without_a_cjk_font_is_refused(tmp_path, latin_only_fonts, monkeypatch):
    chromium = ensure_chromium()
    html = tmp_path / "zh.html"
    html.write_text('<html><head><meta charset="utf-8"></head><body><p>Text and 参考文献 (four characters).</p>'
                    "</body></html>", encoding="utf-8")
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    print_pdf(chromium, html, good)  # with the machine's fonts (ensure_chromium checked a CJK font is there)
    monkeypatch.setenv("FONTCONFIG_FILE", str(latin_only_fonts))
    from clip_course.report import system

    assert system.cjk_fonts() == []  # fontconfig itself now finds no CJK font
    print_pdf(chromium, html, bad)
    assert lint.empty_boxes(good) == {}
    assert lint.empty_boxes(bad) == {1: 4}  # one box per Chinese character
    (problem,) = lint.box_problems(bad)
    assert problem.startswith("page 1: 4 empty boxes") and "fonts-noto-cjk" in problem
    # why the text alone cannot tell: ToUnicode still maps most boxes to the characters meant
    assert "考文献" in lint.pdf_text(bad)[0]
    # the build itself refuses to give such a PDF the report's name
    report_pdf.refuse_broken_print(good)
    with pytest.raises(errors.PdfPrintError, match="4 empty boxes on pages 1 .*fonts-noto-cjk"):
        report_pdf.refuse_broken_print(bad)


def test_math_printed_without_mathjax_is_refused(tmp_path):
    html = tmp_path / "math.html"
    html.write_text("<html><body><p>The logits are $s = e^{t} \\, x^\\top W$.</p></body></html>")
    pdf = tmp_path / "math.pdf"
    print_pdf(ensure_chromium(), html, pdf)  # no MathJax script in the page: the TeX is printed as is
    (problem,) = lint.render_problems(lint.pdf_text(pdf))
    assert problem.startswith("page 1: TeX source")
    with pytest.raises(errors.PdfPrintError, match="TeX source"):
        report_pdf.refuse_broken_print(pdf)
