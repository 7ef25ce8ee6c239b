"""Every sentence the notebooks and the report generate from numbers, in one place.

Each verdict (a drop, a rise, no detectable difference, which classifier degrades faster, how
many shots match zero-shot) is one function here, used by every notebook and by the report's
abstract and conclusions, so the same numbers always read the same way. A verdict word appears
only when the 95% interval (:mod:`clip_course.tasks.stats`) excludes zero; otherwise the
sentence says "no detectable difference" and gives the difference with its interval. The
Jinja templates only insert what these functions return.

Numbers are formatted by :func:`pct`, :func:`points` and :func:`interval`: one decimal, and never
"+0.0" or "-0.0".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from clip_course.tasks.stats import crossover_k, independent_difference, sign

ORIGINAL = "the original course report"
#: A prompt ranking: (prompt, probability) pairs, most probable first.
Ranking = Sequence[tuple[str, float]]


# ----------------------------------------------------------------------------- numbers


def _zero(x: float) -> float:
    return 0.0 if abs(x) < 0.05 else x


def pct(x: float) -> str:
    """An accuracy: ``94.3%``."""
    return f"{_zero(float(x)):.1f}%"


def points(d: float, signed: bool = True) -> str:
    """A difference in points: ``+3.1`` / ``−2.0`` / ``0.0``."""
    d = _zero(float(d))
    if not signed or d == 0:
        return f"{abs(d) if not signed else d:.1f}"
    return f"{d:+.1f}".replace("-", "−")


def interval(lo: float, hi: float) -> str:
    """``95% CI 1.2 to 5.0`` (signed bounds)."""
    if math.isnan(lo) or math.isnan(hi):
        return "no interval: a single measurement"
    return f"95% CI {points(lo)} to {points(hi)}"


def difference(a: str, b: str, d: float, lo: float, hi: float, unit: str = "points") -> str:
    """``a`` against ``b``: "a is 3.1 points above b (95% CI ...)", or no detectable difference."""
    s = sign(lo, hi)
    if s == 0:
        return f"no detectable difference between {a} and {b} ({points(d)} {unit}, {interval(lo, hi)})"
    if s > 0:
        return f"{a} is {points(d, signed=False)} {unit} above {b} ({interval(lo, hi)})"
    return f"{a} is {points(-d, signed=False)} {unit} below {b} (95% CI {points(-hi, False)} to {points(-lo, False)})"


# ----------------------------------------------------------------------------- 02 single images


def refinement_sentence(series: Sequence[Ranking]) -> str:
    """What a refinement series shows, in words: winners per step and how often the newest prompt won."""
    rows = _series_rows(series)
    newest_won = sum(1 for r in rows[1:] if r["winner"] == r["added"])
    winners = " → ".join(f"“{r['winner']}” ({100 * r['probability']:.0f}%)" for r in rows)
    changes = sum(1 for a, b in zip(rows, rows[1:], strict=False) if a["winner"] != b["winner"])
    return (f"Winners step by step: {winners}. The newly added prompt won {newest_won} of "
            f"{len(rows) - 1} refinements; the winner changed {changes} {'time' if changes == 1 else 'times'}.")


def winner_sentence(ranking: Ranking, question: str = "") -> str:
    """The winner of one ranking and its margin over the runner-up, after the question asked."""
    (top, p), rest = ranking[0], ranking[1:]
    tail = f", ahead of “{rest[0][0]}” ({100 * rest[0][1]:.1f}%)" if rest else ""
    last = f"; last: “{ranking[-1][0]}” ({100 * ranking[-1][1]:.1f}%)" if len(ranking) > 2 else ""
    return f"{question} Here **“{top}”** wins with {100 * p:.1f}%{tail}{last}.".strip()


def _series_rows(series: Sequence[Sequence[tuple[str, float]]]) -> list[dict[str, Any]]:
    from clip_course.tasks.single_image import series_json

    return series_json(series)


def photos_sentence(rankings: Mapping[str, Sequence[tuple[str, float]]], offline: bool) -> str:
    """What the gallery's rankings say as a whole: how many images share one top prompt."""
    tops = [r[0][0] for r in rankings.values()]
    common = max(set(tops), key=tops.count)
    n, total = tops.count(common), len(tops)
    if n < 2:
        return f"The {total} images get {len(set(tops))} different top prompts."
    text = f"{n} of the {total} images get the same top prompt, “{common}”."
    if offline:
        text += (" MiniCLIP has only ever seen ShapesWorld renders: a photo gives it nothing it has learned to "
                 "read, so its ranking of photos says nothing about the photos.")
    return text


# ----------------------------------------------------------------------------- 03 zero-shot


def granularity(coarse: Mapping[str, Any], fine: Mapping[str, Any], template: str = "ensemble") -> dict[str, Any]:
    """The coarse-to-fine comparison of two 03 entries: fine minus coarse top-1, its interval, verdict."""
    d, lo, hi = independent_difference(fine[template]["top1"], fine["n_images"],
                                       coarse[template]["top1"], coarse["n_images"])
    return {"diff": d, "lo": lo, "hi": hi, "verdict": {1: "rise", -1: "drop", 0: "none"}[sign(lo, hi)]}


def granularity_sentence(names: tuple[str, str], entries: Mapping[str, Mapping[str, Any]],
                         template: str = "ensemble") -> str:
    """The original course report's conclusion (accuracy drops as classes get closer), with our numbers."""
    cn, fn = names
    c, f = entries[cn], entries[fn]
    g = granularity(c, f, template)
    if g["verdict"] == "drop":
        verdict = (f"top-1 drops by {points(-g['diff'], signed=False)} points (95% CI {points(-g['hi'], False)} to "
                   f"{points(-g['lo'], False)}), as {ORIGINAL} found on CIFAR")
    elif g["verdict"] == "rise":
        verdict = (f"top-1 rises by {points(g['diff'], signed=False)} points ({interval(g['lo'], g['hi'])}), "
                   f"the opposite of {ORIGINAL}'s CIFAR finding")
    else:
        verdict = (f"there is no detectable difference ({points(g['diff'])} points, {interval(g['lo'], g['hi'])}), "
                   f"unlike CIFAR in {ORIGINAL}")
    return (f"With the {template} prompts, {cn} ({_task(c)}) scores {pct(c[template]['top1'])} top-1; {fn} "
            f"({_task(f)}, finer classes) scores {pct(f[template]['top1'])} top-1: {verdict}.")


def _task(e: Mapping[str, Any]) -> str:
    """E.g. "100-way, test images of 90 classes, chance 1%, 1800 images" for a 03 entry."""
    tested = sum(v is not None for v in e["per_class_accuracy"].values())
    of = f", test images of {tested} classes" if tested < e["n_way"] else ""
    return f"{e['n_way']}-way{of}, chance {100 / e['n_way']:.0f}%, {e['n_images']} images"


def ensemble_gain_sentence(entries: Mapping[str, Mapping[str, Any]]) -> str:
    """Template ensemble against the single template, per dataset (paired, same images)."""
    parts = []
    for name, e in entries.items():
        g = e["ensemble_gain"]
        parts.append(f"on {name} ({len(e['templates']['ensemble'])} templates) "
                     + difference("the ensemble", "the single template", g["diff"], g["lo"], g["hi"]))
    return "Ensemble against single template, top-1: " + "; ".join(parts) + "."


# ----------------------------------------------------------------------------- 04 probe


def shots_to_match(curve: Mapping[str, Mapping[str, float]], zeroshot_top1: float) -> float | None:
    """Labelled examples per class at which the k-shot mean reaches zero-shot (log-k interpolation)."""
    ks = sorted(curve, key=float)
    return crossover_k([float(k) for k in ks], [curve[k]["mean"] for k in ks], zeroshot_top1)


def crossover_sentence(name: str, curve: Mapping[str, Mapping[str, float]], zeroshot_top1: float) -> str:
    """Where the k-shot probe catches up with zero-shot on ``name``, in words."""
    ks = sorted(float(k) for k in curve)
    means = [curve[k]["mean"] for k in sorted(curve, key=float)]
    k_star = shots_to_match(curve, zeroshot_top1)
    if k_star is None:
        return (f"On {name} the k-shot probe stays below zero-shot ({pct(zeroshot_top1)}) up to {ks[-1]:g} "
                f"examples per class (best {pct(max(means))}).")
    if k_star <= ks[0]:
        return (f"On {name} {ks[0]:g} labelled example per class already gives {pct(means[0])}, at or above "
                f"zero-shot ({pct(zeroshot_top1)}).")
    return (f"On {name} the k-shot probe matches zero-shot ({pct(zeroshot_top1)}) at about {k_star:.1f} "
            f"labelled examples per class (interpolated in log k between the measured k).")


def probe_vs_zeroshot_sentence(name: str, e: Mapping[str, Any]) -> str:
    """Full-data probe against zero-shot on the same ``n_way``-way task and images (paired interval)."""
    g = e["probe_minus_zeroshot"]
    return (f"On {name} ({e['n_way']}-way, {e['n_test']} test images): "
            + difference("the linear probe", "zero-shot", g["diff"], g["lo"], g["hi"]) + ".")


def left_out_sentence(name: str, left_out: Sequence[str], n_way: int) -> str:
    """Why some classes are missing from the probe's task."""
    more = "…" if len(left_out) > 5 else ""
    return (f"**{name}:** {len(left_out)} classes have no training images ({', '.join(left_out[:5])}{more}: "
            f"pairs held out of training), so no probe can learn them. They and their test images are left "
            f"out of the probe, zero-shot and k-shot numbers here, which are all on the same {n_way}-way task.")


# ----------------------------------------------------------------------------- 06 analysis


def prompt_sentence(name: str, p: Mapping[str, Any]) -> str:
    """One dataset's prompt study: bare name, single template, ensemble, template range."""
    return (f"On **{name}**, the bare class name scores {pct(p['bare'])}, the single template {pct(p['single'])} "
            f"and the ensemble of {len(p['templates'])} templates {pct(p['ensemble'])}. Single templates range "
            f"from {pct(p['worst_template'][1])} (\"{p['worst_template'][0]}\") to {pct(p['best_template'][1])} "
            f"(\"{p['best_template'][0]}\") on {p['n_images']} images, where one image is "
            f"{100 / p['n_images']:.2f} points.")


def shift_sentence(summary: Mapping[str, Any], n_images: int, dataset: str) -> str:
    """The robustness finding: which classifier loses more accuracy under the corruptions, if either."""
    pts = summary["mean_drop_points"]
    deg = summary["degradation"]
    text = (f"Averaged over {deg['cells']} corruption-severity sets of {n_images} {dataset} test images, "
            f"zero-shot loses {points(pts['zeroshot'], signed=False)} points and the linear probe "
            f"{points(pts['probe'], signed=False)}: ")
    s = sign(deg["lo"], deg["hi"])
    if s == 0:
        return text + (f"no detectable difference in degradation ({points(deg['diff'])} points, "
                       f"{interval(deg['lo'], deg['hi'])}, over the sets).")
    if s > 0:
        return text + (f"zero-shot degrades faster by {points(deg['diff'], signed=False)} points "
                       f"({interval(deg['lo'], deg['hi'])}, over the sets).")
    return text + (f"the linear probe degrades faster by {points(-deg['diff'], signed=False)} points "
                   f"(95% CI {points(-deg['hi'], False)} to {points(-deg['lo'], False)}, over the sets).")


def retrieval_sentence(name: str, r: Mapping[str, Any]) -> str:
    """Class-prompt retrieval on one dataset."""
    return (f"On {name}, the class prompt finds an image of its class first for {pct(r['recall@1'])} of the "
            f"{r['n_queries']} classes and within the top 10 for {pct(r['recall@10'])}; on average "
            f"{pct(r['precision@10'])} of the top 10 images are of the queried class.")


def hardest_classes_sentence(cvf: Mapping[str, Any]) -> str:
    """The fine classes that suffer most, and the coarse group that loses most."""
    worst = ", ".join(f"{w['class']} ({w['top1']:.0f}%" + (f", mostly taken for {w['confused_with']})"
                      if w["confused_with"] else ")") for w in cvf["worst_classes"][:5])
    text = f"The hardest fine classes: {worst}."
    if cvf["per_coarse_class"]:
        top = cvf["per_coarse_class"][0]
        text += (f" Grouped by coarse class, \"{top['class']}\" suffers most: {top['coarse_top1']:.0f}% as a "
                 f"coarse class, {top['fine_top1']:.0f}% on average over its fine classes.")
    return text


# ----------------------------------------------------------------------------- 05 StyleCLIP


def sweep_sentence(rows: Sequence[Mapping[str, Any]], l2_lambda: float) -> str:
    """What the l2_lambda sweep shows: higher similarity is not a better edit."""
    best = max(rows, key=lambda r: r["similarity_after"])
    faithful = min(rows, key=lambda r: r["pixel_change"])
    text = (f"From a start similarity of {rows[0]['similarity_before']:.3f}, the highest similarity came at "
            f"λ = {best['l2_lambda']:g} ({best['similarity_after']:.3f}, mean pixel change "
            f"{best['pixel_change']:.3f}); the smallest change at λ = {faithful['l2_lambda']:g} (similarity "
            f"{faithful['similarity_after']:.3f}, pixel change {faithful['pixel_change']:.3f}). A higher "
            f"similarity is not a better edit: look at the frames.")
    used = [r for r in rows if r["l2_lambda"] == l2_lambda]
    if used:
        r = used[0]
        text += (f" The run above used λ = {l2_lambda:g}: similarity {r['similarity_after']:.3f}, "
                 f"pixel change {r['pixel_change']:.3f}.")
    return text


def entanglement_sentence(summary: Mapping[str, Any]) -> str:
    """The entanglement study in words: similarity, pixel change, what the readout saw change."""
    n = summary["n"]
    text = (f"Toward “{summary['text']}”, CLIP similarity rose in {summary['similarity_rose'] * n:.0f} of {n} "
            f"edits (mean {summary['similarity_before_mean']:.3f} → {summary['similarity_after_mean']:.3f}). "
            f"Mean pixel change {summary['pixel_change_mean']:.3f} (0–1 scale); on the image border, "
            f"mostly background, {summary['border_change_mean']:.3f}.")
    if "requested_reached" in summary:
        got = ", ".join(f"{a} = {summary['requested'][a]} in {f * n:.0f}/{n}"
                        for a, f in summary["requested_reached"].items()) or "nothing new"
        leak = ", ".join(f"{a} {f * n:.0f}/{n}" for a, f in summary["unrequested_changed"].items())
        text += (f" The attribute readout (a separate CNN, not the CLIP that guided the edit) sees the "
                 f"request met: {got}; unrequested attributes changed too: {leak}.")
    return text


# ----------------------------------------------------------------------------- the report

#: How a tagged number is formatted: the name is written into the HTML so a test can re-check it.
FORMATS = {"pct": pct, "pts": lambda x: points(x, signed=False), "signed": points,
           "f3": lambda x: f"{float(x):.3f}", "share": lambda x: f"{100 * float(x):.0f}%",
           "negpts": lambda x: points(-float(x), signed=False), "k": lambda x: f"{float(x):.1f}", "int": lambda x: f"{int(x)}", "len": lambda x: f"{len(x)}"}


def q(value: Any, source: str, fmt: str = "pct") -> Markup:
    """A number as the report prints it, tagged with the results path it came from."""
    return Markup('<span class="q" data-src="{}" data-fmt="{}">{}</span>').format(source, fmt, FORMATS[fmt](value))


def _ci(src: str, d: Mapping[str, float]) -> Markup:
    """``95% CI lo to hi`` with both bounds tagged (``src`` names the object holding lo/hi)."""
    return Markup("95% CI {} to {}").format(q(d["lo"], f"{src}.lo", "signed"), q(d["hi"], f"{src}.hi", "signed"))


def _diff_words(src: str, d: Mapping[str, float], a: str, b: str) -> Markup:
    """"a is X points above b (95% CI ...)" or "no detectable difference ..." with tagged numbers."""
    s = sign(d["lo"], d["hi"])
    if s == 0:
        return Markup("no detectable difference between {} and {} ({} points, {})").format(
            a, b, q(d["diff"], f"{src}.diff", "signed"), _ci(src, d))
    if s > 0:
        return Markup("{} is {} points above {} ({})").format(a, q(d["diff"], f"{src}.diff", "pts"), b, _ci(src, d))
    below = Markup("95% CI {} to {}").format(q(d["hi"], f"{src}.hi", "negpts"), q(d["lo"], f"{src}.lo", "negpts"))
    return Markup("{} is {} points below {} ({})").format(a, q(d["diff"], f"{src}.diff", "negpts"), b, below)


def abstract_results(facts: Mapping[str, Any]) -> list[Markup]:
    """The abstract's result sentences, one per measurement this build made."""
    out: list[Markup] = []
    for r in facts["zero_shot"]:
        e, src = r["entry"], r["src"]
        out.append(Markup("Zero-shot on {} ({}-way, {} test images): {} top-1 with the template ensemble, {} "
                          "with a single template; {}.").format(
            r["dataset"], q(e["n_way"], f"{src}.n_way", "int"), q(e["n_images"], f"{src}.n_images", "int"),
            q(e["ensemble"]["top1"], f"{src}.ensemble.top1"),
            q(e["single"]["top1"], f"{src}.single.top1"),
            _diff_words(f"{src}.ensemble_gain", e["ensemble_gain"], "the ensemble", "the single template")))
    if facts["granularity"] is not None and len(facts["zero_shot"]) >= 2:
        g = facts["granularity"]
        coarse, fine = facts["zero_shot"][0]["dataset"], facts["zero_shot"][-1]["dataset"]
        out.append(Markup("Finer classes, {} against {}: {}.").format(
            fine, coarse, _diff_words("03_cifar_zero_shot:granularity", g, fine, coarse)))
    for r in facts["probe"]:
        e, src = r["entry"], r["src"]
        text = Markup("A linear probe on {} ({}-way, the classes with training images) reaches {} top-1 against "
                      "{} zero-shot: {}.").format(
            r["dataset"], q(e["n_way"], f"{src}.n_way", "int"), q(e["probe"]["top1"], f"{src}.probe.top1"),
            q(e["zeroshot"]["top1"], f"{src}.zeroshot.top1"),
            _diff_words(f"{src}.probe_minus_zeroshot", e["probe_minus_zeroshot"], "the probe", "zero-shot"))
        if r["k_match"] is not None:
            text += Markup(" It matches zero-shot at about {} labelled examples per class.").format(
                q(r["k_match"], f"{src}.crossover_k", "k"))
        out.append(text)
    a = facts["analysis"]
    if a is not None:
        s = a["robustness_summary"]
        src = "06_analysis:robustness_summary"
        out.append(Markup("Under seeded corruptions of {} ({} images), zero-shot loses {} points and the probe {}; "
                          "zero-shot minus probe loss: {} points ({}).").format(
            s["dataset"], q(s["n_images"], f"{src}.n_images", "int"), q(s["mean_drop_points"]["zeroshot"], f"{src}.mean_drop_points.zeroshot", "pts"),
            q(s["mean_drop_points"]["probe"], f"{src}.mean_drop_points.probe", "pts"),
            q(s["degradation"]["diff"], f"{src}.degradation.diff", "signed"), _ci(f"{src}.degradation", s["degradation"])))
        out += _offline_world_sentences(a)
        for name, r in a["retrieval"]["by_dataset"].items():
            rs = f"06_analysis:retrieval.by_dataset.{name}"
            out.append(Markup("Text-to-image retrieval on {}: recall@1/5/10 {} / {} / {}.").format(
                name, q(r["recall@1"], f"{rs}.recall@1"), q(r["recall@5"], f"{rs}.recall@5"),
                q(r["recall@10"], f"{rs}.recall@10")))
    st = facts["styleclip"]
    if st is not None:
        for i, ed in enumerate(st["edits"]):
            es = f"05_styleclip:edits.{i}"
            out.append(Markup("StyleCLIP towards “{}” raised CLIP similarity from {} to {} in {} steps.").format(
                ed["prompt"], q(ed["similarity_before"], f"{es}.similarity_before", "f3"),
                q(ed["similarity_after"], f"{es}.similarity_after", "f3"), q(ed["steps"], f"{es}.steps", "int")))
        out += _readout_sentences(st)
    return out


def _offline_world_sentences(a: Mapping[str, Any]) -> list[Markup]:
    """The offline world's effective robustness and counting results, when notebook 06 measured them."""
    out = []
    if a.get("style_shift"):
        st, src = a["style_shift"], "06_analysis:style_shift"
        out.append(Markup("On the same scenes drawn in {} other styles, zero-shot keeps a larger share of its clean "
                          "accuracy than the probe fitted on flat images on {} of them (each with its 95% interval in "
                          "the analysis chapter), as the paper found for natural shifts.").format(
            q(st["sets"], f"{src}.sets", "len"), q(st["zeroshot_more_robust"], f"{src}.zeroshot_more_robust", "int")))
    if a.get("counting"):
        c, src = a["counting"], "06_analysis:counting"
        out.append(Markup("Counting shapes, which no caption states: zero-shot {} (chance {}), a linear probe {}; {}.").format(
            q(c["zeroshot"], f"{src}.zeroshot"), q(c["chance"], f"{src}.chance"), q(c["probe"], f"{src}.probe"),
            _diff_words(f"{src}.probe_minus_zeroshot", c["probe_minus_zeroshot"], "the probe", "zero-shot")))
    return out


def _readout_sentences(st: Mapping[str, Any]) -> list[Markup]:
    """What the attribute readout saw in the entanglement study: a higher similarity is not the edit asked for."""
    e = st.get("entanglement") or {}
    if "requested_reached" not in e:
        return []
    src = "05_styleclip:entanglement"
    got = Markup(", ").join(Markup("{} = {} in {}").format(a, e["requested"][a], q(f, f"{src}.requested_reached.{a}", "share"))
                            for a, f in e["requested_reached"].items())
    leak = Markup(", ").join(Markup("{} in {}").format(a, q(f, f"{src}.unrequested_changed.{a}", "share"))
                             for a, f in e["unrequested_changed"].items())
    return [Markup("Over {} related starts, the attribute readout (a separate CNN) saw the request met ({}) and "
                   "unrequested attributes change too ({}): the edits entangle, as the original course report "
                   "saw on faces.").format(q(e["n"], f"{src}.n", "int"), got or "nothing new", leak or "none")]


def conclusions(facts: Mapping[str, Any], offline: bool) -> list[Markup]:
    """The conclusions: the abstract's findings as verdicts, then what they are and are not."""
    items = abstract_results(facts)
    if offline:
        items.append(Markup("All of the above are MiniCLIP's numbers on ShapesWorld: they show how the methods "
                            "behave, not how well CLIP performs; the paper profile measures that."))
    items.append(Markup("The original course report's closing remarks, that CLIP's training data carries bias "
                        "and that models of this scale concentrate computing resources, are arguments rather "
                        "than measurements; this build measures neither."))
    return items


def probe_against_paper(entries: Mapping[str, Mapping[str, Any]], offline: bool) -> str:
    """Whether the probe-over-zero-shot gap has the paper's sign, and why not where it has not."""
    from clip_course.published import REFERENCES

    gap = {ref: REFERENCES[ref]["probe"]["paper"]["top1"] - REFERENCES[ref]["zeroshot"]["paper"]["top1"]
           for ref in ("cifar10", "cifar100")}
    paper = (f"In the paper (ViT-B/32, Tables 10 and 11) the probe is {gap['cifar10']:.1f} points above zero-shot "
             f"on CIFAR-10 and {gap['cifar100']:.1f} on CIFAR-100.")
    below = [n for n, e in entries.items() if sign(e["probe_minus_zeroshot"]["lo"], e["probe_minus_zeroshot"]["hi"]) <= 0]
    if not below:
        return paper + " Here too the probe is above zero-shot on every dataset."
    why = (" The labels of a probe help where images carry what the class names do not say; where the "
           "evaluation prompts read like the pretraining captions, zero-shot is already in-distribution "
           "matching and the labels add little.") if offline else ""
    return paper + f" Here it is not above zero-shot on {', '.join(below)}: this disagrees with the paper." + why


def style_shift_sentence(dataset: str, study: Mapping[str, Any]) -> str:
    """Effective robustness on the style-shifted sets, set by set, each gap with its interval."""
    parts = []
    for name, s in study["sets"].items():
        g = s["kept_gap"]
        verdict = {1: "zero-shot keeps more", -1: "the probe keeps more", 0: "no detectable difference"}[sign(g["lo"], g["hi"])]
        parts.append(f"{name}: zero-shot keeps {100 * s['kept']['zeroshot']:.0f}% and the probe "
                     f"{100 * s['kept']['probe']:.0f}% of its clean accuracy, {verdict} ({points(100 * g['diff'])} "
                     f"points of share, {interval(100 * g['lo'], 100 * g['hi'])})")
    n = len(study["sets"])
    return (f"Trained and tested on flat {dataset} images, then tested on the same scenes in other styles: "
            + "; ".join(parts) + f". Zero-shot is the more robust on {study['zeroshot_more_robust']} of {n} "
            "shifted sets, as the paper found for natural shifts (its Figures 13 and 14).")


def concept_sentence(dataset: str, c: Mapping[str, Any]) -> str:
    """Zero-shot against the probe on a concept the captions never state."""
    zs_lo, zs_hi = c["zeroshot_ci"]
    d = c["probe_minus_zeroshot"]
    near = "near chance" if zs_lo <= c["chance"] + 5 else "above chance"
    return (f"On {dataset} (chance {pct(c['chance'])}), zero-shot scores {pct(c['zeroshot'])} (95% CI "
            f"{zs_lo:.1f} to {zs_hi:.1f}), {near}: no caption ever states how many shapes an image holds. A linear "
            f"probe on the same features scores {pct(c['probe'])}: "
            + difference("the probe", "zero-shot", d["diff"], d["lo"], d["hi"])
            + ". The paper's Figure 5 shows the same for CLEVR counting, MNIST and EuroSAT.")


def style_word_sentence(ranking: Ranking, word: str) -> str:
    """Whether the original course report's finding (one salient word, 'anime', takes the probability) reproduced."""
    probs = dict(ranking)
    if ranking[0][0] == word:
        return f"The single word “{word}” wins ({100 * probs[word]:.1f}%): the finding of {ORIGINAL} reproduces here."
    return (f"The finding of {ORIGINAL} does not reproduce here: the salient word “{word}” gets "
            f"{100 * probs[word]:.1f}% and “{ranking[0][0]}” wins.")


# ----------------------------------------------------------------------------- the checkpoint
# (new sentences of issue 17: what the loaded file is; openai's only when its hash says so)


def model_identity(model: Mapping[str, Any]) -> str:
    """What the checkpoint is, from a results ``model`` record with its ``origin``
    (:func:`clip_course.core.models.checkpoint_origin`): OpenAI's release only when its sha256 is the
    published one (or it is their hub copy converted here, which is said); otherwise its path,
    its sha256 and that it is not OpenAI's released weights."""
    origin = model.get("origin") or {}
    sha = str(model.get("checkpoint_sha256") or origin.get("sha256") or "")
    kind = origin.get("kind")
    if kind == "openai":
        return f"The model is OpenAI's released CLIP {origin['model']} (sha256 {sha[:16]}…, the published file)"
    if kind == "hub":
        check = ("equal to the value recorded in the package" if origin.get("verified")
                 else "recorded at its first download, with no published value to check it against")
        return (f"The model is OpenAI's CLIP {origin['model']} from the Hugging Face hub copy {origin.get('source')}, "
                f"converted to OpenAI's layout (tensor sha256 {str(origin.get('tensors_sha256'))[:16]}…, {check})")
    if kind == "miniclip":
        return f"The model is MiniCLIP (sha256 {sha[:16]}…), pretrained by this package on ShapesWorld"
    return (f"The model is the checkpoint {origin.get('path') or model.get('name')} (sha256 {sha}), not OpenAI's "
            f"released weights: our numbers measure that file, and the published figures beside them another model")


def published_figures_note(comparable: bool, offline: bool, model: str, what: str = "hatched bars") -> str:
    """Whether the published CIFAR figures beside ours measure the same thing (the same model and data)."""
    if comparable:
        return (f"These are CIFAR test images and OpenAI's released weights, so the {what} are directly comparable: "
                "the paper's figures (Table 11) use the same 18-template ensemble; CLIP_benchmark's are LAION's "
                "independent re-measurement of the same model.")
    if offline:
        return (f"**Offline profile:** the {what} are the published CIFAR-10/100 figures for ViT-B/32 and are "
                f"*not* comparable numerically with {model} on ShapesWorld: they are quoted for the shape of the "
                f"comparison (coarse above fine, ensemble at or above single), not its values.")
    return (f"**Not comparable:** the {what} are the published figures for OpenAI's released ViT-B/32, and the "
            f"checkpoint measured here ({model}) is not that file (see the abstract): they are quoted, not matched.")


def no_training_log(model: Mapping[str, Any]) -> str:
    """Notebook 01's pretraining section outside the offline profile."""
    if (model.get("origin") or {}).get("kind") in ("openai", "hub"):
        return "The paper profile uses OpenAI's pretrained weights: there is no training log to show."
    return "This checkpoint came without a training log, so no pretraining curve is shown."


def offline_generator_note(checkpoint: str) -> str:
    """Notebook 05 in the paper profile without the StyleGAN2 checkpoint: what runs instead."""
    return (f"**No StyleGAN2 checkpoint** ({checkpoint} is not on disk): this chapter edits ShapesWorld images "
            f"with the offline generator, guided by the paper profile's CLIP, instead of faces. `make download` "
            f"fetches the checkpoint (about 380 MB; it is optional).")
