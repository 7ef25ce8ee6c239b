"""`make report` end to end on fixture notebooks, plus the runner's and the PDF's parts.

The fixture notebooks (tests/fixtures/notebooks) are tiny stand-ins for the real ones: they
take parameters, write ``results/<stem>.json`` in the shapes report.py documents and one PNG
figure each. The PDF is checked as a reader sees it: text extracted with pypdf.
An end-to-end test over the real notebooks reuses :func:`build_into` with ``notebooks_dir``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from clip_course import errors
from clip_course.io import read_json
from clip_course.report import facts as report_facts
from clip_course.report import notebook_params, stamps, system
from clip_course.report import pdf as report_pdf
from clip_course.report import runner as report

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
#: The real function: the module fixture below pins it for the build tests.
REAL_PACKAGE_FINGERPRINT = stamps.package_fingerprint

HEADINGS = [
    "Abstract", "Contents", "1 CLIP introduction", "1.1 The contrastive objective",
    "2 Single-image tests", "3 Zero-shot and linear probe on shapes10 and shapes100 (CIFAR stand-ins)",
    "3.1 Zero-shot classification",
    "3.2 Linear probe", "4 Analysis", "5 Where zero-shot works and where it fails", "6 StyleCLIP", "7 Conclusions",
    "References",
    "Appendix A: Class names and templates", "Appendix B: Run manifest",
]


def norm(text: str) -> str:
    return " ".join(text.split())


def build_into(root: Path, notebooks_dir: Path = FIXTURES, **kwargs) -> report.BuildResult:
    """Copy ``notebooks_dir`` into ``root/notebooks`` (once) and build a quick offline report."""
    if not (root / "notebooks").exists():
        shutil.copytree(notebooks_dir, root / "notebooks")
    kwargs = {"profile": "offline", "quick": True, "progress": False, **kwargs}
    return report.build_report(root=root, **kwargs)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    # Pin the package's fingerprint: in a working tree others edit, it would change between
    # builds and (rightly) re-run everything. test_stamp_key_* covers its part of the key.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stamps, "package_fingerprint", lambda: "pinned")
        root = tmp_path_factory.mktemp("report")
        result = build_into(root)
        pages = [norm(p.extract_text()) for p in PdfReader(str(result.pdf)).pages]
        yield root, result, pages


def page_of(pages: list[str], heading: str, after: int = 0) -> int:
    """0-based index of the first page from ``after`` whose text starts a section ``heading``."""
    for i in range(after, len(pages)):
        if heading in pages[i]:
            return i
    raise AssertionError(f"{heading!r} on no page")


# --------------------------------------------------------------------------- the PDF


def test_pdf_has_every_section_and_a_page_each(built):
    root, result, pages = built
    text = " ".join(pages)
    for heading in HEADINGS:
        assert heading in text, heading
    # title, abstract, contents, five sections, conclusions, references, two appendices
    assert len(pages) == result.pages >= 12
    assert "offline profile" in pages[-1]  # the footer names the profile on every page
    assert all("offline profile" in p for p in pages[1:])


def test_contents_page_numbers_point_at_the_sections(built):
    _, _, pages = built
    # a long title wraps in the contents at its hyphen ("stand-" / "ins"), which text extraction
    # reads as "stand- ins": rejoin it before matching
    toc = re.sub(r"(?<=\w)- (?=\w)", "-", pages[page_of(pages, "Contents")])
    for heading in HEADINGS[2:]:
        m = re.search(re.escape(heading) + r" (\d+)", toc)
        assert m, f"{heading} not in the contents"
        assert heading in pages[int(m.group(1)) - 1], heading


def test_figures_embedded_and_no_code_shown(built):
    root, result, pages = built
    reader = PdfReader(str(result.pdf))
    images = sum(len(p.images) for p in reader.pages)
    figures = list((root / "figures").rglob("*.png"))
    assert len(figures) == 2 and images == len(figures)
    text = " ".join(pages)
    for code in ("write_json(", "import matplotlib", "n_points = 50", "def topk"):
        assert code not in text
    assert "a warning nobody should read" not in text  # stderr is not report content
    assert "Open In Colab" not in text  # remote badge dropped: the build is offline
    assert "20 points plotted" in text  # stdout is (quick parameters: n_points = 20)


def _numbers(text: str) -> list[str]:
    # Names are not measurements: citation marks, dataset/model/metric names with digits.
    text = re.sub(r"\[\d+\]|CIFAR-\d+|ViT-[BL]/\d+|top-\d+", " ", text)
    return re.findall(r"(?<![\w.@/])[-+]?\d+(?:\.\d+)?", text)


def _leaves(obj, out: set[str]) -> set[str]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(re.findall(r"\d+", str(k)))
            _leaves(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _leaves(v, out)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        out.update({str(int(obj)) if float(obj).is_integer() else "", f"{obj:.1f}", f"{obj:+.1f}"})
    return out


def check_tagged_numbers(html: str, results: dict) -> int:
    """Every number of the abstract's results and the conclusions is tagged with its results path,
    and prints exactly that value; returns how many were checked."""
    from clip_course.report.prose import FORMATS
    from clip_course.report.schema import lookup

    tags = re.findall(r'<span class="q" data-src="([^"]+)" data-fmt="(\w+)">([^<]*)</span>', html)
    for src, fmt, text in tags:
        assert FORMATS[fmt](lookup(results, src)) == text, (src, text)
    blocks = re.findall(r"<strong>Findings.</strong>(.*?)</p>", html, re.S)
    blocks += re.findall(r'<ol class="conclusions">(.*?)</ol>', html, re.S)
    assert blocks
    for block in blocks:
        bare = re.sub(r'<span class="q"[^>]*>[^<]*</span>', " ", block)
        bare = re.sub(r"<[^>]+>|top-\d|recall@[\d/]+|95% CI|\b[a-z_]*\d+[a-z_]*\b|CIFAR-\d+|ViT-\w/\d+", " ", bare)
        assert not re.findall(r"\d", bare), bare
    return len(tags)


def test_abstract_numbers_are_the_results(built):
    root, result, pages = built
    abstract = " ".join(pages[page_of(pages, "Abstract"):page_of(pages, "Contents", 2)])
    zs = read_json(root / "results" / "03_cifar_zero_shot.json")["datasets"]
    for name, e in zs.items():
        assert f"Zero-shot on {name} ({e['n_way']}-way" in abstract
        assert f"{e['ensemble']['top1']:.1f}% top-1 with the template ensemble" in abstract
    html = result.html.read_text()
    results = {s: read_json(root / "results" / f"{s}.json") for s in ("01_intro", "03_cifar_zero_shot")}
    assert check_tagged_numbers(html, results) >= 8
    # Notebooks outside this build are named, not silently dropped.
    assert ("Not run in this build: single-image tests, linear probe, StyleCLIP, analysis, zero-shot across "
            "datasets.") in abstract


def test_manifest_traces_models_params_and_times(built):
    root, result, pages = built
    manifest = " ".join(pages[page_of(pages, "Appendix B: Run manifest", 4):])
    assert ("ab12cd34" * 8) in manifest.replace(" ", "")  # checkpoint hash, maybe wrapped
    assert "n_points=20" in manifest and "n_images=60" in manifest  # quick parameters
    assert "seed=0" in manifest  # defaults too
    for run in result.runs:
        assert run.stem in manifest and f"{run.seconds:.1f}" in manifest
    assert "fpshapes1060" in manifest.replace(" ", "")  # dataset fingerprint
    appendix = " ".join(pages[page_of(pages, "Appendix A: Class names", 4):])
    assert "a drawing of a {}." in appendix and "class99" in appendix


def test_second_build_reuses_every_notebook(built, monkeypatch):
    monkeypatch.setattr(stamps, "package_fingerprint", lambda: "pinned")
    root, first, _ = built
    mtimes = [r.executed.stat().st_mtime_ns for r in first.runs]
    again = build_into(root)
    assert [r.reused for r in again.runs] == [True, True]
    assert [r.executed.stat().st_mtime_ns for r in again.runs] == mtimes
    assert [r.seconds for r in again.runs] == pytest.approx([r.seconds for r in first.runs], abs=1e-3)
    pdf_bytes = first.pdf.read_bytes()
    assert again.pages == first.pages and again.pdf.read_bytes() == pdf_bytes  # not reprinted
    first.pdf.write_bytes(b"%PDF-1.4 edited by hand")  # a PDF the build did not print
    third = build_into(root)
    assert third.pages == first.pages and PdfReader(str(third.pdf)).pages


def test_changed_parameter_reruns_only_that_notebook(built, tmp_path, monkeypatch):
    monkeypatch.setattr(stamps, "package_fingerprint", lambda: "pinned")
    root, _, _ = built
    params = notebook_params.load_params_file(_yaml(tmp_path, {"01_intro": {"n_points": 31}}))
    notebooks = notebook_params.find_notebooks(root / "notebooks")
    # the quick build's stamps
    runs = report.run_notebooks(notebooks, "offline", params, True, root, root / "build" / "quick", progress=False)
    assert [r.reused for r in runs] == [False, True]
    assert read_json(root / "results" / "01_intro.json")["n_points"] == 31


def test_a_parameter_passed_equal_to_its_default_reuses_the_run(built, tmp_path, monkeypatch):
    monkeypatch.setattr(stamps, "package_fingerprint", lambda: "pinned")
    root, _, _ = built
    notebooks = notebook_params.find_notebooks(root / "notebooks")
    first = report.run_notebooks(notebooks, "offline", {}, False, root, root / "build", progress=False)
    assert first[0].defaults["n_points"] == 50
    same = notebook_params.load_params_file(_yaml(tmp_path, {"01_intro": {"n_points": 50}}))
    again = report.run_notebooks(notebooks, "offline", same, False, root, root / "build", progress=False)
    assert [r.reused for r in again] == [True, True]


def test_failing_notebook_stops_the_build_and_retires_the_old_pdf(tmp_path):
    out = tmp_path / "report" / "clip_course_report_quick.pdf"  # build_into builds quick
    out.parent.mkdir()
    out.write_bytes(b"%PDF-1.4 previous build")
    params = _yaml(tmp_path, {"03": {"n_images": 0}})
    with pytest.raises(errors.NotebookFailedError) as err:
        build_into(tmp_path, params=params, notebooks=["03"])
    msg = str(err.value)
    assert "notebook 03_cifar_zero_shot failed in cell" in msg
    assert "raise ValueError" in msg and "ValueError: n_images must be positive, got 0" in msg
    assert not out.exists()
    assert out.with_name("clip_course_report_quick.stale.pdf").read_bytes() == b"%PDF-1.4 previous build"
    assert [p.name for p in out.parent.iterdir()] == ["clip_course_report_quick.stale.pdf"]
    assert not (tmp_path / "build" / "quick" / "stamps" / "03_cifar_zero_shot.json").exists()


# --------------------------------------------------------------------------- parts


def _yaml(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "params.yml"
    path.write_text(json.dumps(data))  # JSON is YAML
    return path


def test_params_are_checked_against_the_notebooks(tmp_path):
    nb01, nb03 = sorted(FIXTURES.glob("*.ipynb"))
    file = {"global": {"seed": 5}, "03": {"n_images": 7}}
    assert notebook_params.notebook_params(nb03, "offline", file, quick=True) == {"profile": "offline", "n_images": 7,
                                                                                  "seed": 5}
    assert notebook_params.notebook_params(nb01, "offline", file, quick=True) == {"profile": "offline", "n_points": 20}
    with pytest.raises(errors.ParamsError, match="has no parameter 'n_imgs'.*n_images"):
        notebook_params.notebook_params(nb03, "offline", {"03": {"n_imgs": 1}}, quick=False)
    with pytest.raises(errors.ParamsError, match="names no notebook"):
        notebook_params.check_params_file({"07_missing": {"x": 1}}, [nb01, nb03])
    with pytest.raises(errors.ParamsError, match="global lr is a parameter of no notebook"):
        notebook_params.check_params_file({"global": {"lr": 1}}, [nb01, nb03])
    with pytest.raises(errors.ParamsError, match="no notebook '9'"):
        notebook_params.find_notebooks(FIXTURES, ["9"])
    bad = tmp_path / "bad.yml"
    bad.write_text("- a list\n")
    with pytest.raises(errors.ParamsError, match="expected a mapping"):
        notebook_params.load_params_file(bad)


def test_package_fingerprint_covers_every_subpackage_but_not_templates(tmp_path):
    assert stamps.PACKAGE_DIR.name == "clip_course" and (stamps.PACKAGE_DIR / "tasks").is_dir()
    pkg = tmp_path / "clip_course"
    for rel in ("tasks/probe.py", "core/models.py", "report/templates/report/report.css"):
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text("x = 1\n")
    fingerprint = REAL_PACKAGE_FINGERPRINT
    base = fingerprint(pkg)
    (pkg / "tasks/probe.py").write_text("x = 2\n")
    assert fingerprint(pkg) != base  # any module's change re-runs the notebooks
    changed = fingerprint(pkg)
    (pkg / "report/templates/report/report.css").write_text("body {}\n")
    assert fingerprint(pkg) == changed  # styles change the PDF only


def test_stamp_key_ignores_outputs_but_not_sources(tmp_path):
    src = FIXTURES / "01_intro.ipynb"
    key = stamps.stamp_key(src, {"profile": "offline"}, "offline", "python3", "pkg")
    nb = nbformat.read(src, as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    nbformat.write(nb, tmp_path / "with_outputs.ipynb")
    assert stamps.stamp_key(tmp_path / "with_outputs.ipynb", {"profile": "offline"}, "offline", "python3", "pkg") == key
    nb.cells[2].source += "\nx = 1"
    nbformat.write(nb, tmp_path / "edited.ipynb")
    others = {
        stamps.stamp_key(tmp_path / "edited.ipynb", {"profile": "offline"}, "offline", "python3", "pkg"),
        stamps.stamp_key(src, {"profile": "offline", "n_points": 3}, "offline", "python3", "pkg"),
        stamps.stamp_key(src, {"profile": "offline"}, "paper", "python3", "pkg"),
        stamps.stamp_key(src, {"profile": "offline"}, "offline", "python3", "pkg2"),
    }
    assert key not in others and len(others) == 4


def test_headings_are_renumbered_under_their_section():
    src = (
        "# Notebook title\n[![Open In Colab](https://colab.research.google.com/x.svg)](https://x)\n"
        "## First\n```\n## not a heading\n```\n### Inner\n#### Deep\n## Second"
    )
    text, headings = report_pdf.renumber_markdown(src, "3.1", [], title := [])
    assert title == ["Notebook title"]
    assert [h.label for h in headings] == ["3.1.1 First", "3.1.2 Second"]
    assert "## not a heading" in text and "colab" not in text
    assert "#### Inner" in text and "#### Deep" in text  # below x.y.z: kept, unnumbered
    _, top = report_pdf.renumber_markdown("## A\n### B\n## C", "2", [], [])
    assert [h.label for h in top] == ["2.1 A", "2.1.1 B", "2.2 C"]
    assert [h.anchor for h in top] == ["sec-2-1", "sec-2-1-1", "sec-2-2"]


def test_facts_tolerate_missing_results(tmp_path):
    ctx = report_facts.document_context({}, [], "offline", tmp_path, quick=False)
    assert ctx["abstract_results"] == [] and ctx["model"] is None
    abstract = report_pdf._jinja().get_template("abstract.html.j2").render(**ctx)
    assert "No measurement was run in this build." in abstract
    assert "MiniCLIP" in abstract and "ShapesWorld" in abstract  # offline says what it is


def test_results_that_break_the_schema_are_refused(tmp_path):
    from clip_course.report import schema

    good = schema.example_record("04_linear_probe")
    path = tmp_path / "results" / "04_linear_probe.json"
    schema.write_results(path, "04_linear_probe", good)
    assert schema.read_results(path, "04_linear_probe") == json.loads(path.read_text())
    bad = json.loads(json.dumps(good))
    bad["datasets"] = {"shapes10": schema.example(schema.PROBE_ENTRY)}
    del bad["datasets"]["shapes10"]["probe"]["top1"]
    with pytest.raises(errors.ClipCourseError,
                       match=r"04_linear_probe.json: missing key 'datasets.shapes10.probe.top1'"):
        schema.write_results(path, "04_linear_probe", bad)
    assert schema.read_results(path, "04_linear_probe") == good  # the refused write left the file alone
    bad["datasets"]["shapes10"]["probe"]["top1"] = 0.943  # a fraction where a percentage belongs is fine...
    bad["datasets"]["shapes10"]["probe"]["top5"] = 150.0  # ...but not a percentage over 100
    path.write_text(json.dumps(bad))
    with pytest.raises(errors.ClipCourseError, match=r"key 'datasets.shapes10.probe.top5' must be a percentage"):
        schema.read_results(path, "04_linear_probe")


def test_missing_chromium_gives_the_commands(monkeypatch, tmp_path):
    fake = tmp_path / "chrome"
    fake.write_text("#!/bin/sh\n")
    monkeypatch.setenv(report_pdf.CHROMIUM_ENV, str(fake))
    with pytest.raises(errors.ChromiumNotFoundError, match="not an executable"):
        report_pdf.find_chromium()
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    assert report_pdf.find_chromium() == fake
    monkeypatch.setattr(system, "find_chromium", lambda: None)
    monkeypatch.setattr(system, "find_mathjax", lambda: None)
    monkeypatch.setattr(system, "cjk_fonts", lambda: [])
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(errors.ChromiumNotFoundError, match="apt-get install -y chromium libjs-mathjax fonts-noto-cjk"):
        report_pdf.ensure_chromium()


def test_cli_registers_report():
    from clip_course.cli import build_parser, run_report

    args = build_parser().parse_args(["report", "--profile", "offline", "--quick", "--notebooks", "01,03"])
    assert args.func is run_report and args.quick and args.notebooks == "01,03"


def test_gif_outputs_are_embedded_as_images():
    nb = nbformat.v4.new_notebook()
    out = nbformat.v4.new_output("display_data", data={"image/gif": "R0lGODlhAQABAAAAACw=\n",
                                                       "text/plain": "<IPython.core.display.Image object>"})
    nb.cells = [nbformat.v4.new_code_cell("show()", outputs=[out])]
    report_pdf.prepare_notebook(nb, "5")
    data = nb.cells[0].outputs[0]["data"]
    assert "text/plain" not in data and data["text/html"].startswith('<img class="nb-gif"')
    assert "base64,R0lGODlhAQABAAAAACw=" in data["text/html"]
