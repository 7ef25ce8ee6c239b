"""The finish of the offline English report (issue 25): one value per measurement in a quick build,
the abstract one paragraph, the conclusions answering the original's closing points one by one, the
original's 18 CIFAR templates in Appendix A, no API names in the prose, contents entries matched to
their pages, and demos whose paragraph says why they fail."""

from __future__ import annotations

import json
import re
from pathlib import Path

from clip_course.core.prompts import CIFAR_TEMPLATES
from clip_course.report import facts as report_facts
from clip_course.report import pdf as report_pdf
from clip_course.report import prose, prose_report
from clip_course.report.outline import _norm

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0*.ipynb"))


def quick(stem: str) -> dict:
    """A notebook's quick parameters (the offline profile's)."""
    meta = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))["metadata"]["clip_course"]
    return meta["quick_parameters"]


def test_a_quick_build_measures_the_coarse_set_on_one_subset():
    """The clean coarse set is measured by 03 (zero-shot), 04 (probe and zero-shot), 06 (the style
    shift's clean row) and 07 (its table): in a quick build they must see the same test images and
    the same training images, or one measurement prints as several values (75.3 / 76.5 / 75.0)."""
    limit = quick("03_cifar_zero_shot")["limit"]
    assert quick("04_linear_probe")["limit"] == limit
    assert quick("06_analysis")["robustness_limit"] == limit
    assert quick("07_zero_shot_across_datasets")["limit"] == limit
    assert quick("07_zero_shot_across_datasets")["limit_train"] == quick("04_linear_probe")["limit_train"]


def test_appendix_a_prints_the_original_cifar_templates_once():
    offline = report_facts.original_templates({})
    assert len(offline) == 1 and list(offline[0]["templates"].values()) == [CIFAR_TEMPLATES]
    assert len(CIFAR_TEMPLATES) == 18 and offline[0]["classes"][0] == "airplane"
    recorded = {"03": {"datasets": {"cifar10": {"classes": ["airplane"], "templates": {"ensemble": CIFAR_TEMPLATES}}}}}
    assert report_facts.original_templates(recorded) == []  # the paper profile records them itself
    assert "原课程报告附录 1" in report_facts.original_templates({}, "zh")[0]["dataset"]


def test_the_abstract_is_one_paragraph(tmp_path):
    ctx = report_facts.document_context({}, [], "offline", tmp_path, quick=True)
    for lang in ("en", "zh"):
        html = report_pdf._jinja().get_template("abstract.html.j2").render(**{**ctx, "lang": lang})
        paragraphs = re.findall(r"<p(?: class=\"([\w-]+)\")?>", html)
        assert paragraphs.count("") == 1, html  # the findings; the rest are labelled notes
        assert set(paragraphs) - {""} <= {"profile-note", "quick-note", "not-run"}
        assert "make " not in html and "PROFILE=" not in html


def style_study(kept: dict[str, tuple[float, float]]) -> dict:
    clean = {"zeroshot": 60.0, "probe": 70.0}
    return {"clean": clean, "n_clean": 1000, "sets": {
        name: {"top1": {"zeroshot": 60.0 * zs, "probe": 70.0 * pr}, "n_images": 1000,
               "kept": {"zeroshot": zs, "probe": pr},
               "kept_gap": {"diff": zs - pr, "lo": zs - pr - 0.1, "hi": zs - pr + 0.1}}
        for name, (zs, pr) in kept.items()}}


def test_the_style_shift_sentence_names_the_one_set_it_rests_on():
    one = style_study({"s10_outline": (0.7, 0.3), "s10_sketch": (1.2, 1.1), "s10_photo": (1.1, 1.05),
                       "s10_cartoon": (1.3, 1.2)})
    text = re.sub(r"<[^>]+>", "", prose_report._style_shift_abstract(one).en)
    assert "only the outline style lowers the probe's clean accuracy and so counts as a distribution shift" in text
    assert "the outline style +40.0 points (95% CI +30.0 to +50.0)" in text  # the share kept, per shift
    assert "sketch" not in text and not re.search(r"\b1 lower\b", text) and "as the paper found" in text
    two = style_study({"s10_outline": (0.7, 0.3), "s10_sketch": (0.5, 0.9), "s10_photo": (0.5, 1.1)})
    text = re.sub(r"<[^>]+>", "", prose_report._style_shift_abstract(two).en)
    assert "2 lower the probe's clean accuracy" in text and "photo" not in text  # the probe's drop is the rule
    assert "on 1 of them and the probe on 1" in text and "as the paper found" not in text


def test_the_conclusions_answer_the_original_points_one_by_one():
    facts = {"zero_shot": [], "probe": [], "granularity": None, "analysis": None, "across": None, "styleclip": None}
    for offline in (True, False):
        items = [i.en for i in prose_report.conclusions(facts, offline)]
        assert [n for n in range(1, 6) if f"point {n}:" in " ".join(items).lower()] == [1, 2, 3, 4, 5]
        assert ("MiniCLIP's numbers on ShapesWorld" in items[-1]) == offline
        assert "toy scale" in items[2] if offline else "released weights" in items[2]


def test_a_prompt_of_untrained_words_that_wins_is_explained():
    rankings = {"big green triangle": [("a rocket", 0.889), ("a green triangle", 0.083)],
                "small yellow heart": [("a yellow heart", 0.567), ("a rocket", 0.397)]}
    text = prose.photos_sentence(rankings, offline=True).en
    assert "never occur in MiniCLIP's captions (“rocket”)" in text and "wins on 1 of the 2 images" in text
    known = {"small yellow heart": [("a yellow heart", 0.567), ("a rocket", 0.397)]}
    assert prose.unseen_words_sentence(known) == ""
    assert "never occur" not in prose.photos_sentence(rankings, offline=False).en


def test_contents_entries_find_their_page_when_the_outline_wraps_or_drops_math():
    assert _norm("3 Zero-shot on shapes10 and shapes100 (CIFAR stand-ins)") == \
        _norm("3 Zero-shot on shapes10 and shapes100(CIFAR stand-ins)")
    assert _norm(r"6.4 Edit strength against faithfulness: the $\lambda_{L2}$ sweep") == \
        _norm("6.4 Edit strength against faithfulness: the sweep")
    assert _norm("6.4 Edit strength") != _norm("6.5 Edit strength")


#: An API name or a command in the printed prose: a dotted call, a keyword argument, a make target, a path.
API = re.compile(r"`[^`\n]*(?:\w\.\w+\(|\w=|\bmake\b|\w/\w+/|\.pt\b|\.py\b|\.gif\b)[^`\n]*`")


def test_no_api_names_in_the_printed_notebook_prose():
    found = []
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            tags = cell.get("metadata", {}).get("tags", [])
            if cell["cell_type"] != "markdown" or "report-hide" in tags:
                continue
            prose_text = re.sub(r"```.*?```", "", "".join(cell["source"]), flags=re.S)  # code listings are code
            found += [(path.stem, m) for m in API.findall(prose_text)]
    assert found == []


def test_the_counting_finding_prints_one_measurement():
    """06 and 07 both measure counting on the same images; the abstract prints 07's entry (paired
    interval) where 07 ran, and 06's only without it."""
    c06 = {"zeroshot": 29.7, "probe": 62.3, "chance": 25.0, "n_images": 300,
           "probe_minus_zeroshot": {"diff": 32.7, "lo": 24.9, "hi": 39.9}}
    e07 = {"n_way": 4, "zeroshot": {"top1": 29.7}, "probe": {"top1": 62.3},
           "zeroshot_minus_probe": {"diff": -32.7, "lo": -39.7, "hi": -25.7}}
    zs, pr = prose_report.tr_html("zero-shot"), prose_report.tr_html("the probe")
    both = prose_report._counting_sentence(c06, {"datasets": {"shapes_count": e07}}, pr, zs)
    assert 'data-src="07_zero_shot_across_datasets:datasets.shapes_count' in both and "06_analysis" not in both
    plain = re.sub(r"<[^>]+>", "", both.en)
    assert "chance 25.0%" in plain and "zero-shot is 32.7 points below the probe (95% CI −39.7 to −25.7)" in plain
    alone = prose_report._counting_sentence(c06, None, pr, zs)
    # one sign everywhere (zero-shot minus the probe): 06's probe-minus-zero-shot interval printed flipped
    assert 'data-src="06_analysis:counting' in alone and "CI −39.9 to −24.9" in re.sub(r"<[^>]+>", "", alone.en)


def test_each_finding_answers_one_point_only():
    """The conclusions regroup the abstract's findings under the original's points, each once."""
    entry = {"n_way": 10, "n_images": 300, "ensemble": {"top1": 80.0}, "single": {"top1": 78.0},
             "templates": {"ensemble": ["a {}.", "the {}."], "single": ["a {}."]},
             "ensemble_gain": {"diff": 2.0, "lo": 0.5, "hi": 3.5}}
    fine = {**entry, "n_way": 100, "ensemble": {"top1": 50.0}}
    facts = {"zero_shot": [{"dataset": "c10", "entry": entry, "src": "03_cifar_zero_shot:datasets.c10"},
                           {"dataset": "c100", "entry": fine, "src": "03_cifar_zero_shot:datasets.c100"}],
             "granularity": {"diff": -30.0, "lo": -35.0, "hi": -25.0, "verdict": "drop"},
             "probe": [], "analysis": None, "across": None, "styleclip": None}
    items = [i.en for i in prose_report.conclusions(facts, offline=True)]
    assert sum("Finer classes" in i for i in items) == 1 and "Finer classes" in items[3]  # point 4: fine-grained


def test_one_measurement_holds_one_value_across_the_results(quick_report):
    """The identity test on a real quick build: where two notebooks' results hold the same
    measurement (same model, test images, classes, templates and probe protocol), they hold one value.
    The clean coarse set: 03's zero-shot, 04's zero-shot, 06's style-shift clean row and 07's row;
    04's probe and 06's clean probe; 06's counting and 07's shapes_count."""
    out, _ = quick_report
    res = {stem: json.loads((out / "results" / f"{stem}.json").read_text()) for stem in
           ("03_cifar_zero_shot", "04_linear_probe", "06_analysis", "07_zero_shot_across_datasets")}
    z03, p04 = res["03_cifar_zero_shot"]["datasets"]["shapes10"], res["04_linear_probe"]["datasets"]["shapes10"]
    a06, x07 = res["06_analysis"], res["07_zero_shot_across_datasets"]["datasets"]
    assert z03["n_images"] == p04["n_test"] == a06["style_shift"]["n_clean"] == x07["shapes10"]["n_test"]
    values = {z03["ensemble"]["top1"], p04["zeroshot"]["top1"], a06["style_shift"]["clean"]["zeroshot"],
              x07["shapes10"]["zeroshot"]["top1"]}
    assert max(values) - min(values) < 1e-4, values  # float32 and float64 of one count
    assert abs(p04["probe"]["top1"] - a06["style_shift"]["clean"]["probe"]) < 1e-4
    count = a06["counting"]
    assert count["n_images"] == x07["shapes_count"]["n_test"]
    assert abs(count["zeroshot"] - x07["shapes_count"]["zeroshot"]["top1"]) < 1e-4
    assert abs(count["probe"] - x07["shapes_count"]["probe"]["top1"]) < 1e-4


def test_the_probe_table_gets_its_own_caveat():
    probe = prose.published_figures_note(False, True, "miniclip", "probe figures of the last column").en
    zs = prose.published_figures_note(False, True, "miniclip").en
    assert "(the probe against zero-shot, coarse against fine)" in probe and "ensemble" not in probe
    assert "(coarse against fine, ensemble against single)" in zs


def test_the_kshot_caption_names_a_crossing_only_inside_the_tested_range():
    below = {"s10": {"1": {"mean": 30.0}, "2": {"mean": 40.0}}}
    text = prose.kshot_caption(below, {"s10": 75.0}).en
    assert "k = 1 to 2" in text and "no curve crosses" in text
    inside = {"s10": {"1": {"mean": 20.0}, "4": {"mean": 60.0}}}
    assert "s10 at about k = 2.0" in prose.kshot_caption(inside, {"s10": 40.0}).en
    above = {"s10": {"1": {"mean": 80.0}, "2": {"mean": 90.0}}}
    assert "no curve crosses" in prose.kshot_caption(above, {"s10": 40.0}).en  # any crossing lies below k = 1
    # the caption says what ran: one draw has no spread
    assert "one draw of the training images per k" in prose.kshot_caption(below, {"s10": 75.0}, draws=1).en
    assert "mean ± spread over 3 draws" in prose.kshot_caption(below, {"s10": 75.0}, draws=3).en


def test_the_abstract_leaves_the_detail_findings_to_the_conclusions():
    facts = {"zero_shot": [], "probe": [], "granularity": None, "analysis": None, "styleclip": None,
             "across": {"datasets": {"a": {}}, "verdict_counts": {"ahead": 0, "behind": 1, "tied": 0},
                        "paper_contrast": None}}
    assert any(x.en.startswith("Across ") for x in prose_report.abstract_results(facts))
    assert prose_report.abstract_summary(facts) == []
    assert any("Across " in x.en for x in prose_report.conclusions(facts, offline=True))
