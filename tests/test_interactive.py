"""Notebook 02's interactive cell: its logic without a front-end, and headless it only says so."""

from __future__ import annotations

import io

import nbformat
import numpy as np
import pytest
from PIL import Image

from clip_course.errors import NotebookError
from clip_course.notebook import widget


def test_prompts_are_one_per_line_without_blanks_or_repeats():
    assert widget.parse_prompts(" a cat \n\na dog\na cat\n") == ["a cat", "a dog"]
    with pytest.raises(NotebookError, match="at least two prompts"):
        widget.parse_prompts("a cat\n\n")


def test_an_upload_is_read_as_rgb_and_a_non_image_is_named(tmp_path):
    png = io.BytesIO()
    Image.fromarray(np.full((5, 7, 3), 200, np.uint8)).save(png, format="PNG")
    value = ({"name": "mine.png", "content": memoryview(png.getvalue())},)  # ipywidgets 8's value
    image = widget.uploaded_image(value)
    assert image.shape == (5, 7, 3) and image.dtype == np.uint8 and int(image[0, 0, 0]) == 200
    assert widget.uploaded_image(()) is None
    with pytest.raises(Exception, match="notes.txt"):
        widget.uploaded_image(({"name": "notes.txt", "content": b"not an image"},))


def test_rank_is_the_batch_cells_ranking(monkeypatch):
    from clip_course.tasks import single_image

    seen = []
    monkeypatch.setattr(single_image, "rank_prompts", lambda lm, image, prompts: seen.append(prompts) or
                        [(p, 1 / len(prompts)) for p in prompts])
    image = np.zeros((4, 4, 3), np.uint8)
    assert widget.rank("lm", image, "a cat\na dog") == [("a cat", 0.5), ("a dog", 0.5)]
    assert seen == [["a cat", "a dog"]]


def test_headless_it_does_nothing_and_says_so_in_one_line(capsys, monkeypatch):
    monkeypatch.delenv("CLIP_COURSE_REPORT", raising=False)
    assert widget.headless()  # no notebook front-end in a test process
    assert widget.prompt_explorer(None, {}, ["a", "b"]) is None
    assert capsys.readouterr().out == widget.HEADLESS_LINE + "\n"


def test_under_papermill_the_cell_prints_the_line(tmp_path):
    """A real kernel run by papermill (nbclient sends allow_stdin=False): the one line, no widget."""
    import papermill

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from clip_course.notebook import widget\n"
                                          "widget.prompt_explorer(None, {}, ['a', 'b'])")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "in.ipynb")
    papermill.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), progress_bar=False)
    outputs = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[0].outputs
    assert [o.get("text") for o in outputs] == [widget.HEADLESS_LINE + "\n"]


def test_with_a_front_end_it_builds_the_widget(monkeypatch):
    """A kernel whose front-end answers input() (JupyterLab, Colab): the controls, nothing ranked yet."""
    import types

    import IPython

    shell = types.SimpleNamespace(kernel=types.SimpleNamespace(_allow_stdin=True))
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.delenv("CLIP_COURSE_REPORT", raising=False)
    assert not widget.headless()
    box = widget.prompt_explorer(None, {"cat": np.zeros((4, 4, 3), np.uint8)}, ["a cat", "a dog"])
    row, text, button, _ = box.children
    assert row.children[0].options == ("cat",) and text.value == "a cat\na dog" and button.description == "Rank"
    monkeypatch.setenv("CLIP_COURSE_REPORT", "1")
    assert widget.headless()  # a report build never shows it
