"""A notebook's set-up cell, run in a real kernel as papermill runs it, shows no TqdmWarning.

tqdm.auto picks its notebook bars inside a kernel and warns "IProgress not found" when
ipywidgets is missing; ipywidgets is a dependency, so the bars are widgets and nothing warns.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

SETUP = """\
import warnings
warnings.simplefilter("always")
from clip_course import notebook as nb
from clip_course.core import encode
from clip_course.tasks import probe
import tqdm.auto, tqdm.notebook
print("notebook bars:", issubclass(tqdm.auto.tqdm, tqdm.notebook.tqdm))
"""


def test_notebook_setup_imports_without_tqdm_warning(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SETUP)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = nb.cells[0].outputs
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert [o.output_type for o in outputs if o.output_type == "error"] == []
    assert "TqdmWarning" not in text and "IProgress" not in text, text
    assert "notebook bars: True" in text, text  # the kernel really took tqdm.auto's notebook branch
