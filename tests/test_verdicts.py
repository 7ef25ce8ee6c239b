"""The verdict gate: a claim word only where its interval carries it, after the sanity gates
(chance, self-comparison, fewer than 3 units, crossovers inside the tested range, the paper
decided by the interval for every row alike, a shift only when it lowers clean accuracy).

Expectations are hand-computed (Wilson bounds, log2 interpolation) or properties of the inputs.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from clip_course.report import captions, prose, prose_report, verdicts
from clip_course.report.numbers import FORMATS
from clip_course.tasks.stats import wilson

CLAIMS = re.compile(r"\b(above|below|drops|rises|faster|robust|entangle|stand out|helps|as the paper found|"
                    r"disagrees with the paper|at or above)\b")


def plain(sentences) -> str:
    """The English of generated sentences with their number tags removed."""
    items = sentences if isinstance(sentences, list) else [sentences]
    return " ".join(re.sub(r"<[^>]+>", "", s.en) for s in items)


def d(diff: float, lo: float, hi: float) -> dict[str, float]:
    return {"diff": diff, "lo": lo, "hi": hi}


# ------------------------------------------------------------------------------ the gate


def test_gate_follows_the_interval_and_refuses_what_no_interval_can_decide():
    assert verdicts.gate(d(3, 1, 5)).sign == 1 and verdicts.gate(d(-3, -5, -1)).sign == -1
    assert verdicts.gate(d(0.4, -1, 1.8)) == verdicts.Verdict(0)
    assert verdicts.gate(d(3, 1, 5), same=True) == verdicts.Verdict(0, "same")
    assert verdicts.gate(d(8.3, 8.3, 8.3), units=2) == verdicts.Verdict(0, "units")
    assert verdicts.gate(d(8.3, 1, 9), units=3).sign == 1
    assert verdicts.gate(d(1.0, math.nan, math.nan)) == verdicts.Verdict(0, "single")


@pytest.mark.parametrize("lo,hi", [(1.0, 5.0), (-5.0, -1.0), (-1.0, 1.8), (-0.1, 0.0), (0.0, 0.0)])
def test_a_difference_claims_a_direction_exactly_when_the_interval_excludes_zero(lo, hi):
    text = prose.difference("x", "y", (lo + hi) / 2, lo, hi).en
    claims = bool(re.search(r"\b(above|below)\b", text))
    assert claims == (lo > 0 or hi < 0), text
    assert ("no detectable difference" in text) == (not claims)


def test_self_comparison_and_too_few_units_are_not_verdicts():
    same = prose.difference("the ensemble", "the single template", 0.0, 0.0, 0.0, same=True).en
    assert "same configuration" in same and not CLAIMS.search(same) and "CI" not in same
    few = prose.difference("zero-shot's loss", "the probe's", 8.3, 8.3, 8.3, units=2).en
    assert "over 2 units, too few for an interval (at least 3)" in few and not CLAIMS.search(few) and "CI" not in few


def test_tagged_difference_prints_each_number_as_its_tag_says():
    html = verdicts.difference("a", "b", d(-3.04, -5.0, -1.2), src="03_x:datasets.s.gain").en
    tags = re.findall(r'data-src="([^"]+)" data-fmt="(\w+)">([^<]*)<', html)
    values = {"03_x:datasets.s.gain.diff": -3.04, "03_x:datasets.s.gain.lo": -5.0, "03_x:datasets.s.gain.hi": -1.2}
    assert len(tags) == 3 and all(FORMATS[fmt](values[src]) == text for src, fmt, text in tags)
    assert "a is" in html and "below b" in html


# ------------------------------------------------------------------------------ chance


def test_chance_is_decided_by_the_wilson_interval():
    # 10-way, 1000 images: 10.5% has Wilson lower bound 8.7 (< 10, chance); 15% has 12.9 (> 10)
    assert wilson(10.5, 1000)[0] < 10 < wilson(15.0, 1000)[0]
    assert not verdicts.above_chance(10.5, 1000, 10.0) and verdicts.above_chance(15.0, 1000, 10.0)
    assert not verdicts.above_chance(3.0, 1000, 10.0)  # below chance is no trained model either


def zs_entry(top1: float, single: float | None = None, n_way: int = 10, n: int = 1000, templates: int = 3) -> dict:
    ens = [f"a photo of a {{}} {i}." for i in range(templates)]
    return {"n_way": n_way, "n_images": n, "ensemble": {"top1": top1}, "single": {"top1": single or top1},
            "templates": {"ensemble": ens, "single": ens[:1]},
            "per_class_accuracy": {f"c{i}": top1 for i in range(n_way)},
            "ensemble_gain": d((top1 - (single or top1)), -1.0, 1.0)}


def facts(coarse: dict, fine: dict, gran: dict) -> dict:
    return {"zero_shot": [{"dataset": "c10", "entry": coarse, "src": "03_cifar_zero_shot:datasets.c10"},
                          {"dataset": "c100", "entry": fine, "src": "03_cifar_zero_shot:datasets.c100"}],
            "granularity": gran, "probe": [], "analysis": None, "across": None, "styleclip": None}


def test_at_chance_the_abstract_says_so_once_and_withholds_the_claims():
    coarse, fine = zs_entry(10.4, 9.8), zs_entry(1.1, 0.9, n_way=100)
    gran = {**d(-9.3, -11.0, -7.6), "verdict": "drop"}
    text = plain(prose_report.abstract_results(facts(coarse, fine, gran)))
    assert text.count("at chance level") == 1 and "Zero-shot on c10 is at chance level (10.4%" in text
    assert "Finer classes" not in text and "ensemble is" not in text
    trained = plain(prose_report.abstract_results(facts(zs_entry(80.0, 78.0), zs_entry(50.0, 48.0, 100), gran)))
    assert "chance" not in trained and "Finer classes, c100 against c10: c100 is 9.3 points below c10" in trained


def test_granularity_at_chance_gives_the_chance_sentence_not_a_drop():
    g = prose.granularity(zs_entry(10.4), zs_entry(1.0, n_way=100))
    assert g["verdict"] == "chance"
    text = prose.granularity_sentence(("c10", "c100"), {"c10": zs_entry(10.4), "c100": zs_entry(1.0, n_way=100)}).en
    assert "at chance level" in text and not re.search(r"\b(drops|rises)\b", text)


def test_an_ensemble_of_one_template_is_not_compared_with_itself():
    one = zs_entry(80.0, templates=1)
    assert verdicts.same_configuration(one) and not verdicts.same_configuration(zs_entry(80.0))
    text = prose.ensemble_gain_sentence({"c10": one}).en
    assert "This build used one template" in text and "no ensemble gain is measured" in text
    assert "95% CI" not in text and not CLAIMS.search(text)
    abstract = plain(prose_report.abstract_results(facts(one, zs_entry(50.0, n_way=100), None)))
    assert "top-1 with the one template this build used" in abstract and "same configuration" not in abstract


# ------------------------------------------------------------------------------ units, crossovers


def test_a_degradation_over_fewer_than_three_sets_names_no_faster_classifier():
    summary = {"mean_drop_points": {"zeroshot": 20.0, "probe": 11.7},
               "degradation": {**d(8.3, 8.3, 8.3), "cells": 2}}
    text = prose.shift_sentence(summary, 100, "cifar10").en
    assert "too few for an interval" in text and "faster" not in text
    summary["degradation"]["cells"] = 3
    assert "zero-shot degrades faster by 8.3" in prose.shift_sentence(summary, 100, "cifar10").en
    assert "robustness" in prose.shift_sentence(summary, 100, "cifar10", chance=True).en
    assert "faster" not in prose.shift_sentence(summary, 100, "cifar10", chance=True).en
    summary["mean_drop_points"] = {"zeroshot": -2.0, "probe": -1.0}  # easier, not shifted
    assert "no shift" in prose.shift_sentence(summary, 100, "cifar10").en


def test_crossovers_only_inside_the_tested_range():
    assert verdicts.crossover([1], [40.0], 30.0)["kind"] == "one_k"
    one = prose.crossover_sentence("c10", {"1": {"mean": 40.0, "std": 0.0}}, 30.0).en
    assert "k = 1 only" in one and "matches" not in one and "at or above" not in one
    inside = verdicts.crossover([1, 4], [20.0, 60.0], 40.0)
    assert inside == {"kind": "inside", "k": pytest.approx(2.0)}  # halfway in log2(k)
    assert verdicts.crossover([1, 4], [50.0, 60.0], 40.0)["kind"] == "from_start"
    assert verdicts.crossover([1, 4], [20.0, 30.0], 40.0) == {"kind": "never", "k": None}
    rng = np.random.default_rng(0)
    for _ in range(200):  # property: a reported crossing lies within the tested k
        ks = sorted(rng.choice([1, 2, 4, 8, 16, 32], size=int(rng.integers(2, 6)), replace=False).tolist())
        c = verdicts.crossover(ks, np.sort(rng.uniform(0, 100, len(ks))).tolist(), float(rng.uniform(0, 100)))
        if c["kind"] == "inside":
            assert ks[0] < c["k"] <= ks[-1]


def test_the_abstract_reports_a_crossing_only_inside_the_range():
    entry = {"n_way": 10, "probe": {"top1": 50.0}, "zeroshot": {"top1": 30.0},
             "probe_minus_zeroshot": d(20.0, 15.0, 25.0), "kshot": {"1": {"mean": 40.0, "std": 1.0}},
             "crossover_k": 1.0}
    f = {"zero_shot": [], "granularity": None, "analysis": None, "across": None, "styleclip": None,
         "probe": [{"dataset": "c10", "entry": entry, "src": "04_linear_probe:datasets.c10", "k_match": 1.0}]}
    assert "matches zero-shot" not in plain(prose_report.abstract_results(f))
    entry["kshot"] = {"1": {"mean": 20.0, "std": 1.0}, "4": {"mean": 40.0, "std": 1.0}}
    f["probe"][0]["k_match"] = entry["crossover_k"] = 2.0
    assert "matches zero-shot at about" in plain(prose_report.abstract_results(f))


# ------------------------------------------------------------------------------ the paper


def test_agreement_with_the_paper_is_decided_by_the_interval_for_every_row():
    # same model and data: the interval must hold the paper's value
    assert verdicts.against_paper(d(4.0, 2.0, 6.0), 3.8, comparable=True) == 1
    assert verdicts.against_paper(d(30.0, 26.0, 34.0), 3.8, comparable=True) == -1
    # another model: only the direction; an interval holding zero cannot tell
    assert verdicts.against_paper(d(30.0, 26.0, 34.0), 3.8, comparable=False) == 1
    assert verdicts.against_paper(d(-5.0, -8.0, -2.0), 3.8, comparable=False) == -1
    assert verdicts.against_paper(d(0.0, 0.0, 0.0), 3.8, comparable=False) == 0
    rows = {"c10": {"role": "coarse", "probe_minus_zeroshot": d(0.0, 0.0, 0.0),
                    "reference": {"dataset": "cifar10", "comparable": False}},
            "c100": {"role": "fine", "probe_minus_zeroshot": d(30.0, 26.0, 34.0),
                     "reference": {"dataset": "cifar100", "comparable": True}}}
    text = prose.probe_against_paper(rows, offline=False).en
    c10, c100 = text.split("; ")[0], text.split("; ")[1]
    assert "cannot tell" in c10 and "disagrees" not in c10
    assert "this disagrees with the paper" in c100  # +30 excludes the paper's +15.4
    assert "the training set is the likely reason" not in text  # the sizes were not recorded
    sized = {name: {**e, "n_train": 1000} for name, e in rows.items()}
    assert "these from 1,000 labelled images" in prose.probe_against_paper(sized, offline=False).en
    agree = {"c10": {**sized["c10"], "probe_minus_zeroshot": d(4.0, 2.0, 6.0),
                     "reference": {"dataset": "cifar10", "comparable": True}}}
    assert "likely reason" not in prose.probe_against_paper(agree, offline=False).en  # reproduced: no excuse
    rows["c100"].update(zeroshot={"top1": 1.2}, n_test=1000, n_way=100)  # zero-shot at chance: no paper verdict
    at_chance = prose.probe_against_paper(rows, offline=False).en
    assert "does not apply" in at_chance and "disagrees" not in at_chance and "as the paper found" not in at_chance


def style_study(kept_zs: float, kept_pr: float, gap: dict) -> dict:
    return {"clean": {"zeroshot": 60.0, "probe": 70.0}, "n_clean": 1000,
            "sets": {"sketch": {"top1": {"zeroshot": 60.0 * kept_zs, "probe": 70.0 * kept_pr}, "n_images": 1000,
                                "kept": {"zeroshot": kept_zs, "probe": kept_pr}, "kept_gap": gap}},
            "zeroshot_more_robust": 1}


def test_a_set_is_a_shift_only_when_it_lowers_the_probes_clean_accuracy():
    easier = style_study(0.8, 1.05, d(-0.25, -0.3, -0.2))  # the probe scores higher than on the clean set
    v = verdicts.style_shift_verdict(easier)
    assert v["shifts"] == [] and v["not_shifts"] == ["sketch"] and v["paper"] == 0
    text = prose.style_shift_sentence("s10", easier).en
    assert "not a shift" in text and "as the paper found" not in text and "more robust" not in text
    harder = style_study(0.8, 0.5, d(0.3, 0.2, 0.4))
    assert verdicts.style_shift_verdict(harder)["paper"] == 1
    assert "as the paper found" in prose.style_shift_sentence("s10", harder).en
    abstract = plain(prose_report._style_shift_abstract(easier))
    assert "not distribution shifts" in abstract and "as the paper found" not in abstract


# ------------------------------------------------------------------------------ counts and captions


def entanglement(changed: float, n: int = 8) -> dict:
    return {"styleclip": {"edits": [], "entanglement": {
        "n": n, "requested": {"colour": "blue"}, "requested_reached": {"colour": 0.25},
        "unrequested_changed": {"shape": changed, "size": 0.0}}}}


def test_entangle_only_when_unrequested_changes_are_a_detected_share():
    none = plain(prose_report._readout_sentences(entanglement(0.0)["styleclip"]))
    assert "the edits entangle" not in none and "no entanglement is claimed: no unrequested attribute changed" in none
    some = plain(prose_report._readout_sentences(entanglement(3 / 8)["styleclip"]))
    assert "the edits entangle" in some
    missed = entanglement(1 / 3, n=3)
    missed["styleclip"]["entanglement"]["requested_reached"] = {"colour": 0.0}  # the edit never turned blue
    text = plain(prose_report._readout_sentences(missed["styleclip"]))
    assert "the edits entangle" not in text and "the requested value was not reached" in text
    two = plain(prose_report._readout_sentences(entanglement(0.5, n=2)["styleclip"]))
    assert "fewer than 3 starts" in two and "the edits entangle" not in two


def test_matching_pairs_stand_out_only_when_the_diagonal_interval_says_so():
    trained = np.full((8, 8), 0.1) + np.eye(8) * 0.3
    assert verdicts.diagonal_stands_out(np.diag(trained), [0.1] * 8)
    assert "stand out, which" in captions.similarity_caption(trained).en
    rng = np.random.default_rng(0)
    flat = rng.normal(-0.02, 0.003, (8, 8))
    flat[np.diag_indices(8)] = flat.mean(axis=1)  # diagonal like the rest: -0.025 against -0.022
    assert "do not stand out" in captions.similarity_caption(flat).en
    assert not verdicts.diagonal_stands_out([0.9, 0.9], [0.1, 0.1])  # two images: no interval
    # higher on average, but the right caption wins for only 3 of 8 images: not "stand out"
    mixed = np.full((8, 8), 0.1) + np.eye(8) * 0.05
    mixed[np.arange(5), (np.arange(5) + 1) % 8] = 0.2
    text = captions.similarity_caption(mixed).en
    assert "more similar on average, yet the right caption is the most similar one for only 3 of the 8" in text


def test_per_class_and_example_captions_come_from_their_numbers():
    zeros = captions.per_class_caption("c10", {f"c{i}": 0.0 for i in range(10)}, 1000).en
    assert "Every class scores 0.0%" in zeros and "far from uniform" not in zeros
    assert "best class at the top and worst at the bottom" in zeros  # barh draws the sorted list bottom-up
    spread = captions.per_class_caption("c10", {"cat": 20.0, "dog": 50.0, "car": 90.0}, 300).en
    assert "from 20.0% (cat) to 90.0% (car): accuracy is far from uniform" in spread
    close = captions.per_class_caption("c10", {"cat": 48.0, "car": 52.0}, 20).en
    assert "far from uniform" not in close and "intervals overlap" in close
    assert captions.predictions_caption("c10", 0, 8).en.startswith("0 correctly and 8 wrongly classified c10")
    assert "hatched" in captions.accuracy_caption(True).en and "hatched" not in captions.accuracy_caption(False).en


def test_the_published_figures_note_points_at_hatched_bars_only_where_they_are_drawn():
    drawn = prose.published_figures_note(True, False, {"name": "x", "checkpoint_sha256": "ab" * 32}).en
    assert "hatched bars are directly comparable" in drawn
    for offline in (True, False):
        note = prose.published_figures_note(False, offline, {"name": "miniclip", "checkpoint_sha256": "ab" * 32}).en
        assert "hatched" not in note and "the table's last column" in note


def test_the_pretraining_caption_reads_each_direction_off_the_log():
    steps = list(range(100))
    log = {"step": steps, "loss": [6.0 - 0.03 * s for s in steps], "accuracy": [0.01 * s for s in steps],
           "temperature": [0.07] * 100}
    text = captions.pretraining_caption({"log": log}).en
    assert ("loss falls, the in-batch accuracy rises and the learned temperature (started at 0.07) ends where it began"
            in text)


def test_a_prompt_language_at_chance_is_said_to_be_at_chance_with_its_interval():
    entry = {"n_images": 300, "chance": 10.0, "zh": {"top1": 7.7}, "en": {"top1": 75.0},
             "zh_minus_en": d(-67.3, -72.0, -62.0)}
    text = prose.language_sentence("s10", entry).en
    assert "at or below chance (95% CI 5.2 to 11.3%, chance 10.0%)" in text
    above = {**entry, "zh": {"top1": 60.0}, "zh_minus_en": d(-15.0, -22.0, -8.0)}
    assert "at or below chance" not in prose.language_sentence("s10", above).en
