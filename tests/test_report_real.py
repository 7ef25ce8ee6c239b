"""`make report` over the real notebooks: a quick offline build, checked through the PDF.

The fixture-based tests in test_report.py cover the runner's mechanics; this one proves the
six real notebooks run headlessly together and that the report's abstract carries their
numbers, not typed ones.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_report import HEADINGS, build_into, check_tagged_numbers, norm, page_of

from clip_course.io import read_json
from clip_course.report.schema import lookup
from clip_course.report.schema import read_results as read_schema

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STEMS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def real_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("real_report")
    result = build_into(root, notebooks_dir=NOTEBOOKS)
    pages = [norm(p.extract_text()) for p in PdfReader(str(result.pdf)).pages]
    return root / "build" / "quick", result, pages  # a quick build's results and figures live there


def test_all_six_notebooks_ran_offline(real_build):
    root, result, _ = real_build
    assert STEMS == ["01_intro", "02_single_image", "03_cifar_zero_shot", "04_linear_probe",
                     "05_styleclip", "06_analysis"]
    assert result.profile == "offline"
    for stem in STEMS:
        rec = read_json(root / "results" / f"{stem}.json")
        assert rec["profile"] == "offline", stem
        pngs = list((root / "figures" / stem).glob("*.png"))
        assert pngs and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs), stem


def test_pdf_sections_figures_and_no_code(real_build):
    root, result, pages = real_build
    text = " ".join(pages)
    for heading in (h for h in HEADINGS if not h.startswith("1.1")):  # 1.1 is the fixture's own
        assert heading in text, heading
    assert "not run" not in text.lower().replace("not run in this build", "")
    images = sum(len(p.images) for p in PdfReader(str(result.pdf)).pages)
    assert images >= len(STEMS) * 2
    for code in ("import ", "nb.setup(", "write_json("):
        assert code not in text, code


def test_abstract_numbers_come_from_the_results(real_build):
    """One source per number: every number of the abstract's results and the conclusions is tagged
    with the results path it came from and prints exactly that value (the schema's paths are
    walked, nothing is listed by hand), and no untagged number slips in."""
    root, _, pages = real_build
    abstract = " ".join(pages[page_of(pages, "Abstract"):page_of(pages, "Contents", 2)])
    results = {stem: read_schema(root / "results" / f"{stem}.json", stem) for stem in STEMS}
    for name, entry in results["03_cifar_zero_shot"]["datasets"].items():
        assert f"Zero-shot on {name}" in abstract and f"{entry['ensemble']['top1']:.1f}% top-1 with the template ensemble" in abstract
    html = (root / "report" / "report.html").read_text()
    sources = {src.split(":")[0] for src in re.findall(r'data-src="([^"]+)"', html)}
    assert sources >= {"03_cifar_zero_shot", "04_linear_probe", "06_analysis", "05_styleclip"}
    assert check_tagged_numbers(html, results) >= 30


def test_comparison_table_reads_the_sections_results(real_build):
    """The analysis chapter's table of our numbers beside the published ones holds 03's zero-shot and
    04's probe values, not numbers of its own."""
    root, _, _ = real_build
    results = {stem: read_schema(root / "results" / f"{stem}.json", stem) for stem in STEMS}
    table = results["06_analysis"]["comparison_table"]
    assert {r["quantity"] for r in table} == {"zero-shot top-1", "zero-shot top-5", "linear probe top-1"}
    for row in table:
        assert row["ours"] == lookup(results, row["source"])
        assert row["n_way"] == lookup(results, row["source"].rsplit(".", 2)[0])["n_way"]
    # The same quantity is never measured twice: 06's prompt study scores the ensemble on 03's images.
    for name, p in results["06_analysis"]["prompts"].items():
        assert p["ensemble"] == pytest.approx(results["03_cifar_zero_shot"]["datasets"][name]["ensemble"]["top1"], abs=1e-6)


def test_the_report_passes_its_lint(real_build):
    """What a grader would mark: debris, paths, uncaptioned or uncited floats, uncited references,
    headings at a page foot, half-empty pages (report/lint.py, each rule tested on planted defects)."""
    root, result, _ = real_build
    from clip_course.report.lint import lint

    assert lint(result.pdf, root / "report" / "report.html") == []


def test_every_comparison_sentence_carries_an_interval(real_build):
    """A verdict ("above", "below", "drops", "rises", "faster", "no detectable difference") is
    stated with its 95% interval in the same sentence, everywhere in the report."""
    _, _, pages = real_build
    text = " ".join(pages)
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)
    verdicts = re.compile(r"\b(is [\d.]+ points (above|below)|drops by|rises by|degrades faster|"
                          r"no detectable difference)\b")
    quoted = re.compile(r"In the paper \(ViT-B/32, Tables")  # published figures are quoted as given
    claims = [s for s in sentences if verdicts.search(s) and not quoted.search(s)]
    assert len(claims) >= 6
    assert all("95% CI" in s for s in claims), [s for s in claims if "95% CI" not in s]
