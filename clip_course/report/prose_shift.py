"""Chapter 4's distribution-shift and retrieval sentences (split from :mod:`clip_course.report.prose`,
which re-exports them): seeded corruptions, the style-shifted sets (the one shift rule stated once),
concept and retrieval with chance levels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clip_course.report import verdicts as V
from clip_course.report.i18n import Bi, tr
from clip_course.report.numbers import pct, points
from clip_course.report.prose_report import style_name
from clip_course.report.verdicts import interval

__all__ = ["concept_sentence", "retrieval_sentence", "shift_sentence", "style_shift_sentence"]


def shift_sentence(summary: Mapping[str, Any], n_images: int, dataset: str, chance: bool = False) -> Bi:
    """The robustness finding: which classifier loses more accuracy under the corruptions, if either.

    Gated (:mod:`clip_course.report.verdicts`): the corruptions must lower accuracy to be a shift, the
    interval needs at least 3 corruption-severity sets, and a model at chance (``chance``) gets none."""
    pts, deg = summary["mean_drop_points"], summary["degradation"]
    text = tr("Averaged over {cells} corruption-severity sets of {n} {dataset} test images, zero-shot loses {zs} "
              "points and the linear probe {probe}: ", cells=deg["cells"], n=n_images, dataset=dataset,
              zs=points(pts["zeroshot"], signed=pts["zeroshot"] < 0),
              probe=points(pts["probe"], signed=pts["probe"] < 0))
    if chance:
        return text + tr("the model is at chance level on the clean images, so there is no robustness to read.")
    if pts["zeroshot"] <= 0 and pts["probe"] <= 0:
        return text + tr("the corruptions do not lower accuracy, so they are no shift for this model and carry no "
                         "robustness verdict.")
    v, ci = V.gate(deg, units=deg["cells"]), interval(deg["lo"], deg["hi"])
    if v.reason == "units":
        return text + tr("{n} sets are too few for an interval (at least {m}), so no verdict on which degrades more.",
                         n=deg["cells"], m=V.MIN_UNITS)
    if v.sign == 0:
        return text + tr("no detectable difference in degradation ({d} points, {ci}, over the sets).",
                         d=points(deg["diff"]), ci=ci)
    if v.sign > 0:
        return text + tr("zero-shot degrades faster by {d} points ({ci}, over the sets).",
                         d=points(deg["diff"], signed=False), ci=ci)
    return text + tr("the linear probe degrades faster by {d} points (95% CI {lo} to {hi}, over the sets).",
                     d=points(-deg["diff"], signed=False), lo=points(-deg["hi"], False), hi=points(-deg["lo"], False))


def retrieval_sentence(name: str, r: Mapping[str, Any]) -> Bi:
    """Class-prompt retrieval on one dataset."""
    if "chance_recall@10" not in r:
        return tr("On {name}, the class prompt finds an image of its class first for {r1} of the {n} classes and "
                  "within the top 10 for {r10}; on average {p10} of the top 10 images are of the queried class.",
                  name=name, r1=pct(r["recall@1"]), n=r["n_queries"], r10=pct(r["recall@10"]),
                  p10=pct(r["precision@10"]))
    return tr("On {name}, the class prompt finds an image of its class first for {r1} of the {n} classes (a random "
              "ranking: {c1}) and within the top 10 for {r10} (random: {c10}); on average {p10} of the top 10 images "
              "are of the queried class (random: {cp10}), since each class holds only a few of the {images} images.",
              name=name, r1=pct(r["recall@1"]), n=r["n_queries"], r10=pct(r["recall@10"]), p10=pct(r["precision@10"]),
              c1=pct(r["chance_recall@1"]), c10=pct(r["chance_recall@10"]), cp10=pct(r["chance_precision@10"]),
              images=r["n_images"])


def _upper_first(text: str) -> str:
    """``text`` with its first letter upper-case (a sentence that starts with a generated part)."""
    return text[:1].upper() + text[1:]


def style_shift_sentence(dataset: str, study: Mapping[str, Any]) -> Bi:
    """Effective robustness on the style-shifted sets, set by set, each share-kept gap with its
    interval; a set counts as a shift only when it lowers the probe's clean accuracy
    (:func:`clip_course.report.verdicts.style_shift_verdict`, the rule stated once here)."""
    verdicts = {1: tr("zero-shot keeps more"), -1: tr("the probe keeps more"), 0: tr("no detectable difference")}
    v = V.style_shift_verdict(study)
    parts = []
    for name, s in study["sets"].items():
        g = s["kept_gap"]
        if name in v["not_shifts"]:
            parts.append(tr("{name}: the probe scores {probe} (clean {cprobe}), not detectably lower, so not a shift",
                            name=style_name(name), probe=pct(s["top1"]["probe"]), cprobe=pct(study["clean"]["probe"])))
            continue
        parts.append(tr("{name}: the probe falls from {cprobe} to {probe} and zero-shot from {czs} to {zs}; zero-shot "
                        "keeps {kzs} of its clean accuracy and the probe {kprobe}, a difference of {d} points of "
                        "share ({ci}): {verdict}", name=style_name(name), cprobe=pct(study["clean"]["probe"]),
                        probe=pct(s["top1"]["probe"]), czs=pct(study["clean"]["zeroshot"]),
                        zs=pct(s["top1"]["zeroshot"]), kzs=f"{100 * s['kept']['zeroshot']:.0f}%",
                        kprobe=f"{100 * s['kept']['probe']:.0f}%", verdict=verdicts[V.gate(g).sign],
                        d=points(100 * g["diff"]), ci=interval(100 * g["lo"], 100 * g["hi"])))
    text = tr("Trained and tested on flat {dataset} images, then tested on the same scenes in other styles. A style "
              "counts as a distribution shift when the probe, trained on the flat style, scores detectably below its "
              "clean accuracy on it (the 95% interval of the difference excludes zero). {parts}.",
              dataset=dataset, parts=Bi(_upper_first("; ".join(p.en for p in parts)), "；".join(p.zh for p in parts)))
    if not v["shifts"]:
        return text + " " + tr("No style lowers the probe's clean accuracy: these sets are not distribution shifts for "
                               "this model, so no robustness verdict is drawn.")
    if len(v["shifts"]) == 1:
        return text + " " + tr("On the one style that is a shift, {who}: {paper} for natural shifts (its Figures "
                               "13 and 14).", who=verdicts[1 if v["zeroshot_more"] else (-1 if v["probe_more"] else 0)],
                               paper=V.paper_words(v["paper"]))
    return text + " " + tr("Of the {n} styles that are shifts, zero-shot keeps the larger share on {k} and the "
                           "probe on {p}: {paper} for natural shifts (its Figures 13 and 14).", n=len(v["shifts"]),
                           k=v["zeroshot_more"], p=v["probe_more"], paper=V.paper_words(v["paper"]))


def concept_sentence(dataset: str, c: Mapping[str, Any]) -> Bi:
    """Zero-shot against the probe on a concept the captions never state."""
    zs_lo, zs_hi = c["zeroshot_ci"]
    d = c["probe_minus_zeroshot"]
    near = tr("at chance level") if zs_lo <= c["chance"] else tr("above chance")
    # the paper's pattern: zero-shot near chance and a probe detectably above it
    same = zs_lo <= c["chance"] and V.gate(d).sign > 0
    paper = (tr("The paper's Figure 5 shows the same for CLEVR counting, MNIST and EuroSAT.") if same else
             tr("The paper's Figure 5 finds zero-shot weak and a probe stronger on CLEVR counting, MNIST and EuroSAT; "
                "this run does not show that pattern."))
    return tr("On {dataset} ({n} test images, chance {chance}), zero-shot scores {zs} (95% CI {lo} to {hi}), {near}: "
              "no caption ever states how many shapes an image holds. A linear probe on the same features scores "
              "{probe}: {diff}, an interval that treats the two accuracies as independent (the chapter on zero-shot "
              "across datasets pairs them image by image). {paper}",
              dataset=dataset, n=c["n_images"], chance=pct(c["chance"]), zs=pct(c["zeroshot"]),
              lo=f"{zs_lo:.1f}", hi=f"{zs_hi:.1f}",
              near=near, probe=pct(c["probe"]),
              diff=V.difference(tr("zero-shot"), tr("the probe"), d, flipped=True), paper=paper)
