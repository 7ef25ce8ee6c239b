"""`make report` over the real notebooks: a quick offline build, checked through the PDF.

The fixture-based tests in test_report.py cover the runner's mechanics; this one proves the
six real notebooks run headlessly together and that the report's abstract carries their
numbers, not typed ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from test_report import HEADINGS, _leaves, _numbers, build_into, norm, page_of

from clip_course.io import read_json
from clip_course.report import facts as report_facts

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STEMS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _leaves_3f(obj, out: set[str]) -> None:
    if isinstance(obj, dict | list):
        for v in obj.values() if isinstance(obj, dict) else obj:
            _leaves_3f(v, out)
    elif isinstance(obj, float):
        out.add(f"{obj:.3f}")


@pytest.fixture(scope="module")
def real_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("real_report")
    result = build_into(root, notebooks_dir=NOTEBOOKS)
    pages = [norm(p.extract_text()) for p in PdfReader(str(result.pdf)).pages]
    return root, result, pages


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
    root, _, pages = real_build
    abstract = " ".join(pages[page_of(pages, "Abstract"):page_of(pages, "Contents", 2)])
    results = {stem: read_json(root / "results" / f"{stem}.json") for stem in STEMS}
    zs = results["03_cifar_zero_shot"]["datasets"]
    for name, entry in zs.items():
        assert f"{entry['ensemble']['top1']:.1f}% top-1 on {name}" in abstract
    allowed: set[str] = set()
    for rec in results.values():
        _leaves(rec, allowed)
        _leaves_3f(rec, allowed)  # CLIP similarities are printed with three decimals
    gran = report_facts.granularity_fact(report_facts.zero_shot_facts({"03": results["03_cifar_zero_shot"]}))
    allowed |= {gran["drop"], gran["two_se"] or ""}
    found = _numbers(abstract.split("Abstract", 1)[1])
    assert found and set(found) <= allowed, set(found) - allowed
