"""Notebook 02's interactive cell: pick or upload an image, type prompts, see them ranked.

The ranking is :func:`clip_course.tasks.single_image.rank_prompts`, the one the batch cells use,
drawn by :func:`clip_course.figures.single_image.prompt_bars`. ipywidgets draws the controls (both
JupyterLab and Colab render them). Headless (papermill, ``make report``) there is nobody to click:
the cell says so in one line and does nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from clip_course.data.folders import load_image
from clip_course.errors import NotebookError
from clip_course.figures.single_image import prompt_bars

__all__ = ["headless", "HEADLESS_LINE", "parse_prompts", "prompt_explorer", "rank", "uploaded_image"]

HEADLESS_LINE = ("Interactive cell: nothing to do in a headless run (papermill, make report); open the notebook "
                 "in JupyterLab or Colab to upload an image and rank your own prompts.")


def headless() -> bool:
    """True outside a live notebook front-end.

    A report build says so (``CLIP_COURSE_REPORT``); otherwise the kernel knows whether its
    front-end can answer ``input()``: JupyterLab, Notebook and Colab send ``allow_stdin=True`` with
    every cell, while papermill (nbclient) sends False. Outside IPython there is no front-end at all.
    """
    if os.environ.get("CLIP_COURSE_REPORT") == "1":
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    return kernel is None or not bool(getattr(kernel, "_allow_stdin", False))


def parse_prompts(text: str) -> list[str]:
    """One prompt per line (blank lines and repeats dropped); at least two, so the softmax compares."""
    prompts = list(dict.fromkeys(line.strip() for line in str(text).splitlines() if line.strip()))
    if len(prompts) < 2:
        raise NotebookError(f"Type at least two prompts, one per line (got {len(prompts)}): the probabilities "
                            f"compare the prompts with each other.")
    return prompts


def uploaded_image(upload_value: Any) -> np.ndarray | None:
    """The image of an ipywidgets ``FileUpload`` value (its last file) as RGB uint8, or None.

    Read through :func:`clip_course.data.folders.load_image`, so a 16-bit or float file is scaled
    as everywhere else, and a file that is not an image is named.
    """
    files = list(upload_value.values()) if isinstance(upload_value, Mapping) else list(upload_value or ())
    if not files:
        return None
    item = files[-1]
    name = Path(str(item.get("name", "upload"))).name
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(bytes(item["content"]))
        return load_image(path)


def rank(lm: Any, image: np.ndarray, prompts_text: str) -> list[tuple[str, float]]:
    """The prompts typed (one per line) ranked for ``image``, as the batch cells rank them."""
    # lazy: tests replace clip_course.tasks.single_image.rank_prompts (monkeypatch), which a module-top binding would
    # not see
    from clip_course.tasks.single_image import rank_prompts

    return list(rank_prompts(lm, image, parse_prompts(prompts_text)))


def prompt_explorer(lm: Any, photos: Mapping[str, np.ndarray], prompts: Sequence[str]) -> Any:
    """The widget (an ``ipywidgets.VBox``), or None after printing :data:`HEADLESS_LINE` when headless."""
    if headless():
        print(HEADLESS_LINE)
        return None
    import ipywidgets as w
    from IPython.display import display

    pick = w.Dropdown(options=list(photos), description="image")
    upload = w.FileUpload(accept="image/*", multiple=False, description="or upload")
    text = w.Textarea(value="\n".join(prompts), rows=max(4, len(prompts)), description="prompts")
    button, out = w.Button(description="Rank", button_style="primary"), w.Output()

    def on_click(_: Any) -> None:
        out.clear_output()
        with out:
            try:
                image = uploaded_image(upload.value)
                image = photos[pick.value] if image is None else image
                display(prompt_bars(rank(lm, image, text.value), image=image, title="Your prompts"))
            except NotebookError as err:  # a user's input: one line, no traceback
                print(err)

    button.on_click(on_click)
    return w.VBox([w.HBox([pick, upload]), text, button, out])
