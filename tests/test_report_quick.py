"""A quick build writes beside a full one (its own PDF, results, figures and stamps), never over it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from clip_course.io import read_json
from clip_course.report import pdf as report_pdf
from clip_course.report import runner


def _notebook(root: Path) -> None:
    """A one-cell notebook with the real notebooks' ``output_dir`` convention (None: its own run folder)
    and quick parameters."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile: str = "auto"  # profile\nn: int = 50  # points\n'
                                       'lang: str = "en"  # language\noutput_dir: "Optional[str]" = None  # outputs')
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "from pathlib import Path\nfrom clip_course.report import schema\noutput_root = output_dir or 'runs/01_intro'\n"
        "fig = Path(output_root) / 'figures' / '01_intro' / 'curve.png'\n"
        "fig.parent.mkdir(parents=True, exist_ok=True)\n"
        "fig.write_bytes(b'png %d' % n)\n"
        "model = {'name': 'fixture-clip', 'parameters': 1, 'checkpoint_sha256': 'ab' * 32}\n"
        "schema.write_results(str(Path(output_root) / 'results' / '01_intro.json'), '01_intro',\n"
        "                     schema.example_record('01_intro', profile=profile, model=model, n=n))")
    nb.cells = [params, body]
    nb.metadata["clip_course"] = {"quick_parameters": {"n": 5}}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "notebooks").mkdir()
    nbformat.write(nb, root / "notebooks" / "01_intro.ipynb")


@pytest.fixture
def fake_pdf(monkeypatch):
    """The PDF step, stubbed: it records which results file fed it (printing is tested elsewhere)."""
    def build_pdf(runs, profile, root, build_dir, out, quick=False, lang="en"):
        html = build_dir / "report" / "report.html"
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text("<html></html>")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"%PDF " + runs[0].results(root).read_bytes())
        return html, 1

    monkeypatch.setattr(report_pdf, "build_pdf", build_pdf)


def test_quick_build_leaves_the_full_build_untouched(tmp_path, fake_pdf):
    _notebook(tmp_path)
    full = runner.build_report(profile="offline", root=tmp_path, progress=False)
    assert full.pdf == tmp_path / "report" / "clip_course_report.pdf"
    kept = {p: p.read_bytes() for p in (full.pdf, tmp_path / "results" / "01_intro.json",
                                        tmp_path / "figures" / "01_intro" / "curve.png")}
    assert read_json(tmp_path / "results" / "01_intro.json")["n"] == 50
    assert full.runs[0].params["output_dir"] == "." and full.runs[0].params["lang"] == "both"  # the build's own

    quick = runner.build_report(profile="offline", root=tmp_path, quick=True, progress=False)
    assert quick.pdf == tmp_path / "report" / "clip_course_report_quick.pdf"
    assert quick.runs[0].params["output_dir"] == "build/quick" and quick.runs[0].params["n"] == 5
    assert read_json(tmp_path / "build" / "quick" / "results" / "01_intro.json")["n"] == 5
    assert (tmp_path / "build" / "quick" / "figures" / "01_intro" / "curve.png").read_bytes() == b"png 5"
    assert b'"n": 5' in quick.pdf.read_bytes()  # the quick PDF reads the quick results
    assert {p: p.read_bytes() for p in kept} == kept  # the full PDF, results and figures as they were

    again = runner.build_report(profile="offline", root=tmp_path, progress=False)
    assert again.runs[0].reused  # the quick build's stamps did not replace the full build's
