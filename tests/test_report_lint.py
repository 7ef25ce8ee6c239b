"""The report lint catches each defect it names (planted in small documents)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clip_course.report import lint
from clip_course.report.pdf import ensure_chromium, print_pdf


def test_text_rules_catch_debris_and_spare_parameters():
    pages = ["As the seed report found ...", "wrote results/03.json", "see /root/clip/x.png",
             "the class(es) and image(s)", "a gain of +0.0 points", "seed=0, seeded draws, seed 3"]
    found = lint.text_problems(pages)
    for page, what in ((1, "seed"), (2, "wrote results"), (3, "absolute path"), (4, "(s)"), (5, "signed zero")):
        assert any(p.startswith(f"page {page}:") and what in p for p in found), (page, what, found)
    assert not any(p.startswith("page 6:") for p in found)


def _doc(body: str) -> str:
    return f'<div class="notebook" data-notebook="x">{body}</div><p class="source-note">s</p>'


def test_float_rules_catch_uncaptioned_and_uncited():
    ok = _doc('<img src="a"><p class="caption figure-caption" id="fig-a">F</p><a class="xref" href="#fig-a">Figure 1</a>'
              '<p class="caption table-caption" id="tab-b">T</p><table></table><a class="xref" href="#tab-b">Table 1</a>')
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
