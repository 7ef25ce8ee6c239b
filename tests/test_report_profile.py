"""The printed report keeps what belongs to the profile that ran: cells tagged for the other
profile are left out, and a chapter can end its printed part early (notebook 05 without StyleGAN2)."""

from __future__ import annotations

import nbformat

from clip_course.report import pdf as report_pdf


def _md(text: str, *tags: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": ["lang-en", *tags]})


def _code(*outputs: dict) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data=d) for d in outputs]
    return cell


def _texts(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source if c.cell_type == "markdown" else c.outputs[0]["data"]["text/markdown"] for c in nb.cells]


def test_cells_of_the_other_profile_are_left_out():
    def notebook() -> nbformat.NotebookNode:
        return nbformat.v4.new_notebook(cells=[_md("# 01 · Title"), _md("both"), _md("offline only", "profile-offline"),
                                               _md("paper only", "profile-paper")])

    paper, offline, jupyter = notebook(), notebook(), notebook()
    report_pdf.prepare_notebook(paper, "1", "en", "paper")
    report_pdf.prepare_notebook(offline, "1", "en", "offline")
    report_pdf.prepare_notebook(jupyter, "1", "en")
    assert [t for t in _texts(paper) if t and "#" not in t] == ["both", "paper only"]
    assert [t for t in _texts(offline) if t and "#" not in t] == ["both", "offline only"]
    assert len(jupyter.cells) == 4  # no profile given: nothing is dropped for it


def test_a_report_cut_ends_the_notebooks_printed_part():
    cut = {report_pdf.REPORT_CUT_MIME: {}, "text/plain": ""}
    nb = nbformat.v4.new_notebook(cells=[
        _md("# 05 · Title"), _code({"text/markdown": "the note"}, cut), _md("## The study"),
        _code({"text/markdown": "a figure of the study"})])
    report_pdf.prepare_notebook(nb, "6", "en", "paper")
    assert [t for t in _texts(nb) if t] == ["the note"]
    assert all(report_pdf.REPORT_CUT_MIME not in o["data"] for c in nb.cells if c.cell_type == "code"
               for o in c.outputs)
