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


def test_single_image_findings_only_from_rankings_above_chance():
    from clip_course.report import prose

    roles = {"map": "a map", "emblem": "an emblem", "diagram": "nlp", "drawn": "anime", "dog": "a dog",
             "sky": "sky"}
    prompts = list(roles.values())

    def ranking(first: str) -> list[tuple[str, float]]:
        return [(first, 0.5)] + [(p, 0.1) for p in prompts if p != first]

    reads = {name: ranking(own) for name, own in roles.items()}  # 6 of 6 own descriptions first
    trained, sentence = prose.gallery_sanity(reads, roles)
    assert trained and "6 of the 6 pictures, above chance" in sentence
    one = {name: ranking("an emblem") for name in roles}  # 1 of 6: chance is 1 in 6
    trained, sentence = prose.gallery_sanity(one, roles)
    assert not trained and "only 1 of the 6 pictures" in sentence and "at chance level" in sentence
    style = [("anime", 0.4), ("a person with a dog", 0.3), ("blue", 0.3)]
    assert "reproduces" in prose.style_word_sentence(style, "anime")
    quiet = prose.style_word_sentence(style, "anime", trained=False)
    assert "reproduce" not in quiet and "says nothing about the finding" in quiet
    assert prose.gallery_sanity(reads, None) == (True, "")


def test_a_paper_build_without_stylegan2_claims_no_styleclip_result():
    from clip_course.report.prose_report import substituted_generator

    assert substituted_generator({"profile": "paper", "generator": "shapes-vae"})
    assert not substituted_generator({"profile": "offline", "generator": "shapes-vae"})
    assert not substituted_generator({"profile": "paper", "generator": "stylegan2-ffhq"})
