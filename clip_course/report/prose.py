"""Every sentence the notebooks and the report generate from numbers, in one place.

Each verdict (a drop, a rise, no detectable difference, which classifier degrades faster, how
many shots match zero-shot) is one function here, used by every notebook and by the report's
abstract and conclusions (:mod:`clip_course.report.prose_report`, re-exported here), so the
same numbers always read the same way. A verdict word appears only when the 95% interval
(:mod:`clip_course.tasks.stats`) excludes zero; otherwise the sentence says "no detectable
difference" and gives the difference with its interval. The Jinja templates only insert what
these functions return.

Every sentence is returned in English and Chinese at once (:func:`clip_course.report.i18n.tr`,
the Chinese in :mod:`clip_course.report.catalogue_zh`); the PDF keeps its edition's language.
Numbers are formatted by :mod:`clip_course.report.numbers` (:func:`pct`, :func:`points`) and
:func:`interval`, the same in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from clip_course.data.published import REFERENCES
from clip_course.data.shapes import vocabulary_texts
from clip_course.report import verdicts as V
from clip_course.report.captions import (
    accuracy_caption,
    kshot_caption,
    per_class_caption,
    predictions_caption,
    pretraining_caption,
    similarity_caption,
)
from clip_course.report.i18n import Bi, maybe_tr, part, tr
from clip_course.report.numbers import pct, points
from clip_course.report.prose_model import (
    display_name,
    face_readout_sentence,
    model_identity,
    model_name,
    model_table_caption,
    no_training_log,
    offline_generator_note,
    published_figures_note,
    session_name,
    stylegan2_note,
)
from clip_course.report.prose_ran import (
    REFERENCE_WAYS,
    chinese_reader_sentence,
    comparison_note,
    corruptions_sentence,
    probe_protocol_sentence,
)
from clip_course.report.prose_report import FORMATS, abstract_results, conclusions, q, style_name
from clip_course.report.prose_shift import (
    concept_sentence,
    retrieval_sentence,
    shift_sentence,
    style_shift_sentence,
)
from clip_course.report.verdicts import at_chance, interval
from clip_course.tasks.single_image import series_json
from clip_course.tasks.stats import crossover_k, independent_difference, sign, wilson

__all__ = [
    "abstract_results", "accuracy_caption", "at_chance", "chinese_reader_sentence", "classifier_sentence",
    "comparison_note", "concept_sentence", "conclusions", "corruptions_sentence", "crossover_sentence", "difference",
    "display_name", "ensemble_gain_sentence", "entanglement_sentence", "face_readout_sentence", "FORMATS",
    "gallery_sanity", "granularity", "granularity_sentence", "hardest_classes_sentence", "interval", "kshot_caption",
    "language_sentence", "left_out_sentence", "maybe_tr", "model_identity", "model_name", "model_table_caption",
    "no_training_log", "offline_generator_note", "pct", "per_class_caption", "photos_sentence", "points",
    "predictions_caption", "pretraining_caption", "pretraining_sentence", "probe_against_paper",
    "probe_protocol_sentence", "probe_task_name", "probe_vs_zeroshot_sentence", "prompt_sentence",
    "published_figures_note", "q", "Ranking", "re", "REFERENCE_WAYS", "refinement_sentence", "retrieval_sentence",
    "session_name", "shift_sentence", "similarity_caption", "similarity_sentence", "style_name", "style_shift_sentence",
    "style_word_sentence", "stylegan2_note", "sweep_sentence", "tr", "unseen_words_sentence", "winner_sentence",
]

_ORIGINAL = tr("the original course report")
#: A prompt ranking: (prompt, probability) pairs, most probable first.
Ranking = Sequence[tuple[str, float]]


# ----------------------------------------------------------------------------- numbers


def difference(a: Any, b: Any, d: float, lo: float, hi: float, unit: str = "points", **gates: Any) -> Bi:
    """``a`` against ``b`` in words: :func:`clip_course.report.verdicts.difference` (the one wording
    and its gates: ``units``, ``same``) for a difference given as three numbers."""
    return V.difference(a, b, {"diff": d, "lo": lo, "hi": hi}, unit=unit, **gates)


# ----------------------------------------------------------------------------- 01 intro


def similarity_sentence(similarity: Mapping[str, Any], logit_scale: float) -> Bi:
    """What one batch's similarity matrix shows (notebook 01)."""
    return tr("In this batch of {n}, matching pairs average a cosine of **{diag}** against **{off}** for "
              "non-matching ones; the right caption is the most similar one for **{i2t}** of the images (and the "
              "right image for {t2i} of the captions). Note how small the cosines are: CLIP multiplies them by its "
              "learned logit scale ({scale} here, τ = {tau}) before the softmax, so small gaps become confident "
              "choices.", n=similarity["batch_size"], diag=f"{similarity['diagonal_mean']:.3f}",
              off=f"{similarity['off_diagonal_mean']:.3f}", i2t=f"{similarity['batch_top1']:.0f}%",
              t2i=f"{similarity['batch_top1_text_to_image']:.0f}%", scale=f"{logit_scale:.1f}",
              tau=f"{1 / logit_scale:.4f}")


def classifier_sentence(n_templates: int, n_classes: int, shape: Sequence[int], caption: str, winner: str,
                        p: float) -> Bi:
    """How many prompts make the zero-shot classifier, and what it says of one image (notebook 01)."""
    return tr("{t} templates × {c} classes = {n} prompts make a {d} × {k} classifier. The image captioned "
              "“{caption}” is classified as **{winner}** ({p})." if n_templates > 1 else
              "{t} template × {c} classes = {n} prompts make a {d} × {k} classifier. The image captioned "
              "“{caption}” is classified as **{winner}** ({p}).", t=n_templates, c=n_classes,
              n=n_templates * n_classes, d=shape[0], k=shape[1], caption=caption, winner=winner, p=f"{100 * p:.1f}%")


def pretraining_sentence(pretraining: Mapping[str, Any] | None) -> Bi:
    """Where MiniCLIP's pretraining ended (notebook 01); the paper profile has no log."""
    if pretraining is None:
        return tr("This checkpoint came without a training log, so no pretraining curve is shown.")
    return tr("In [Figure](#fig-pretraining), after {steps} steps the loss is {loss}, the in-batch accuracy {acc} "
              "and the temperature {temp}.", steps=pretraining["steps"], loss=f"{pretraining['final_loss']:.3f}",
              acc=f"{pretraining['final_accuracy']:.1f}%",
              temp=f"{pretraining.get('final_temperature', float('nan')):.4f}")


# ----------------------------------------------------------------------------- 02 single images


def refinement_sentence(series: Sequence[Ranking]) -> Bi:
    """What a refinement series shows, in words: winners per step and how often the newest prompt won."""
    rows = _series_rows(series)
    newest_won = sum(1 for r in rows[1:] if r["winner"] == r["added"])
    winners = Bi(" → ".join(f"“{r['winner']}” ({100 * r['probability']:.0f}%)" for r in rows),
                 " → ".join(f"“{r['winner']}”（{100 * r['probability']:.0f}%）" for r in rows))
    changes = sum(1 for a, b in zip(rows, rows[1:], strict=False) if a["winner"] != b["winner"])
    return tr("Winners step by step: {winners}. The newly added prompt won {won} of {n} refinements; the winner "
              "changed {changes} time." if changes == 1 else
              "Winners step by step: {winners}. The newly added prompt won {won} of {n} refinements; the winner "
              "changed {changes} times.", winners=winners, won=newest_won, n=len(rows) - 1, changes=changes)


def winner_sentence(ranking: Ranking, question: str = "") -> Bi:
    """The winner of one ranking and its margin over the runner-up, after the question asked."""
    (top, p), rest = ranking[0], ranking[1:]
    tail = tr(", ahead of “{prompt}” ({p})", prompt=rest[0][0], p=f"{100 * rest[0][1]:.1f}%") if rest else ""
    last = tr("; last: “{prompt}” ({p})", prompt=ranking[-1][0], p=f"{100 * ranking[-1][1]:.1f}%") \
        if len(ranking) > 2 else ""
    text = tr("Here **“{top}”** wins with {p}{tail}{last}.", top=top, p=f"{100 * p:.1f}%", tail=tail, last=last)
    return (maybe_tr(question) + " " + text) if question else text


def _series_rows(series: Sequence[Sequence[tuple[str, float]]]) -> list[dict[str, Any]]:
    return series_json(series)


def photos_sentence(rankings: Mapping[str, Sequence[tuple[str, float]]], offline: bool) -> Bi:
    """What the gallery's rankings say as a whole: how many images share one top prompt."""
    tops = [r[0][0] for r in rankings.values()]
    common = max(set(tops), key=tops.count)
    n, total = tops.count(common), len(tops)
    if n < 2:
        text = tr("The {total} images get {k} different top prompts.", total=total, k=len(set(tops)))
        return text + unseen_words_sentence(rankings) if offline else text
    text = tr("{n} of the {total} images get the same top prompt, “{prompt}”.", n=n, total=total, prompt=common)
    if offline:
        text += " " + tr("MiniCLIP has only ever seen ShapesWorld renders: a photo gives it nothing it has "
                         "learned to read, so its ranking of photos says nothing about the photos.")
        text += unseen_words_sentence(rankings)
    return text


def unseen_words_sentence(rankings: Mapping[str, Ranking]) -> Bi | str:
    """Offline: why a prompt with a word MiniCLIP's captions never contain ("a rocket") can win even on
    a render of a shape it knows. Such a word's text embedding was never trained, so its score is
    arbitrary: the out-of-distribution failure, on the text side. Empty when no such prompt wins."""
    known = {w for t in vocabulary_texts() for w in re.findall(r"[a-z]+", t.lower())}
    prompts = list(dict.fromkeys(p for r in rankings.values() for p, _ in r))
    unseen = [w for w in dict.fromkeys(w for p in prompts for w in re.findall(r"[a-z]+", p.lower())) if w not in known]
    won = sum(1 for r in rankings.values() if set(re.findall(r"[a-z]+", r[0][0].lower())) & set(unseen))
    if not unseen or not won:
        return ""
    return " " + tr("Words that never occur in MiniCLIP's captions ({words}) have text embeddings that were never "
                    "trained, so a prompt holding one scores arbitrarily: such a prompt wins on {won} of the {total} "
                    "images, renders of known shapes included. This is the out-of-distribution failure on the text "
                    "side; only prompts made of words the model has learned can be compared.",
                    words=", ".join(f"“{w}”" for w in unseen), won=won, total=len(rankings))


# ----------------------------------------------------------------------------- 03 zero-shot


def granularity(coarse: Mapping[str, Any], fine: Mapping[str, Any], template: str = "ensemble") -> dict[str, Any]:
    """The coarse-to-fine comparison of two 03 entries: fine minus coarse top-1, its interval, verdict."""
    d, lo, hi = independent_difference(fine[template]["top1"], fine["n_images"],
                                       coarse[template]["top1"], coarse["n_images"])
    if V.at_chance(coarse, template) or V.at_chance(fine, template):
        return {"diff": d, "lo": lo, "hi": hi, "verdict": "chance"}
    return {"diff": d, "lo": lo, "hi": hi, "verdict": {1: "rise", -1: "drop", 0: "none"}[sign(lo, hi)]}


def granularity_sentence(names: tuple[str, str], entries: Mapping[str, Mapping[str, Any]],
                         template: str = "ensemble") -> Bi:
    """The original course report's conclusion (accuracy drops as classes get closer), with our numbers."""
    cn, fn = names
    c, f = entries[cn], entries[fn]
    g = granularity(c, f, template)
    if g["verdict"] == "drop":
        verdict = tr("top-1 drops by {d} points (95% CI {lo} to {hi}), as {original} found on CIFAR",
                     d=points(-g["diff"], signed=False), lo=points(-g["hi"], False), hi=points(-g["lo"], False),
                     original=_ORIGINAL)
    elif g["verdict"] == "chance":
        low = cn if V.at_chance(c, template) else fn
        e = entries[low]
        verdict = V.chance_note(low, e[template]["top1"], e["n_images"], 100.0 / e["n_way"])
        return tr("With the {template} prompts, {coarse} ({coarse_task}) scores {coarse_top1} top-1 and {fine} "
                  "({fine_task}) {fine_top1}. {verdict}", template=maybe_tr(template), coarse=cn, coarse_task=_task(c),
                  coarse_top1=pct(c[template]["top1"]), fine=fn, fine_task=_task(f), fine_top1=pct(f[template]["top1"]),
                  verdict=verdict)
    elif g["verdict"] == "rise":
        verdict = tr("top-1 rises by {d} points ({ci}), the opposite of {original}'s CIFAR finding",
                     d=points(g["diff"], signed=False), ci=interval(g["lo"], g["hi"]), original=_ORIGINAL)
    else:
        verdict = tr("there is no detectable difference ({d} points, {ci}), unlike CIFAR in {original}",
                     d=points(g["diff"]), ci=interval(g["lo"], g["hi"]), original=_ORIGINAL)
    return tr("With the {template} prompts, {coarse} ({coarse_task}) scores {coarse_top1} top-1; {fine} "
              "({fine_task}, finer classes) scores {fine_top1} top-1: {verdict}.",
              template=maybe_tr(template), coarse=cn, coarse_task=_task(c), coarse_top1=pct(c[template]["top1"]),
              fine=fn, fine_task=_task(f), fine_top1=pct(f[template]["top1"]), verdict=verdict)


def _task(e: Mapping[str, Any]) -> Bi:
    """E.g. "100-way, test images of 90 classes, chance 1%, 1800 images" for a 03 entry."""
    tested = sum(v is not None for v in e["per_class_accuracy"].values())
    of = tr(", test images of {k} classes", k=tested) if tested < e["n_way"] else ""
    return tr("{n}-way{of}, chance {chance}, {images} images", n=e["n_way"], of=of,
              chance=f"{100 / e['n_way']:.0f}%", images=e["n_images"])


def ensemble_gain_sentence(entries: Mapping[str, Mapping[str, Any]]) -> Bi:
    """Template ensemble against the single template, per dataset (paired, same images)."""
    parts: list[Bi] = []
    if entries and all(V.same_configuration(e) for e in entries.values()):
        one = next(iter(entries.values()))["templates"]["ensemble"][0]
        return tr("This build used one template, “{template}”, so the ensemble is that template and no ensemble "
                  "gain is measured; a build with each dataset's own template ensemble (for CIFAR, the 18 templates "
                  "of the original course report's Appendix 1) measures it.", template=one)
    for name, e in entries.items():
        g = e["ensemble_gain"]
        if not V.same_configuration(e) and "n_way" in e and V.at_chance(e, "single") and V.at_chance(e):
            parts.append(tr("on {name} both are at chance level ({ens} and {single}), so the ensemble's effect is not "
                            "read", name=name, ens=pct(e["ensemble"]["top1"]), single=pct(e["single"]["top1"])))
            continue
        parts.append(tr("on {name} ({k} templates) {diff}", name=name, k=len(e["templates"]["ensemble"]),
                        diff=difference(tr("the ensemble"), tr("the single template"), g["diff"], g["lo"], g["hi"],
                                        same=V.same_configuration(e))))
    joined = Bi("; ".join(p.en for p in parts), "；".join(p.zh for p in parts))
    return tr("Ensemble against single template, top-1: {parts}.", parts=joined)


def language_sentence(name: str, c: Mapping[str, Any]) -> Bi:
    """Chinese prompts against English ones on the same images (03's ``chinese_prompts`` entry)."""
    d = c["zh_minus_en"]
    if not any(V.above_chance(c[k]["top1"], c["n_images"], c["chance"]) for k in ("zh", "en")):
        return tr("On {name} ({n} images, chance {chance}), the classifier built from Chinese class names and "
                  "templates scores {zh} top-1 and the English one {en}: both at chance level, so the languages are "
                  "not compared.", name=name, n=c["n_images"], chance=pct(c["chance"]), zh=pct(c["zh"]["top1"]),
                  en=pct(c["en"]["top1"]))
    text = tr("On {name} ({n} images, chance {chance}), the classifier built from Chinese class names and "
              "templates scores {zh} top-1 and the English one {en}: {diff}.",
              name=name, n=c["n_images"], chance=pct(c["chance"]), zh=pct(c["zh"]["top1"]), en=pct(c["en"]["top1"]),
              diff=difference(tr("the Chinese-prompt classifier"), tr("the English-prompt classifier"),
                              d["diff"], d["lo"], d["hi"]))
    if not V.above_chance(c["zh"]["top1"], c["n_images"], c["chance"]):
        lo, hi = V.wilson(c["zh"]["top1"], c["n_images"])
        text += " " + tr("The Chinese-prompt classifier is at or below chance (95% CI {lo} to {hi}, chance {chance}): "
                         "it reads nothing of its Chinese prompts.",
                         lo=f"{lo:.1f}", hi=pct(hi), chance=pct(c["chance"]))
    return text


# ----------------------------------------------------------------------------- 04 probe


def _shots_to_match(curve: Mapping[str, Mapping[str, float]], zeroshot_top1: float) -> float | None:
    """Labelled examples per class at which the k-shot mean reaches zero-shot (log-k interpolation)."""
    ks = sorted(curve, key=float)
    return crossover_k([float(k) for k in ks], [curve[k]["mean"] for k in ks], zeroshot_top1)


def crossover_sentence(name: str, curve: Mapping[str, Mapping[str, float]], zeroshot_top1: float) -> Bi:
    """Where the k-shot probe catches up with zero-shot on ``name``, in words."""
    ks = sorted(float(k) for k in curve)
    means = [curve[k]["mean"] for k in sorted(curve, key=float)]
    cross = V.crossover(ks, means, zeroshot_top1)
    k_star, zs = cross["k"], pct(zeroshot_top1)
    if cross["kind"] == "one_k":
        return tr("On {name} the k-shot probe was run at k = {k} only ({acc} against zero-shot's {zs}): one k "
                  "locates no crossing.", name=name, k=f"{ks[0]:g}", acc=pct(means[0]), zs=zs)
    if cross["kind"] == "never":
        return tr("On {name} the k-shot probe stays below zero-shot ({zs}) up to {k} examples per class "
                  "(best {best}).", name=name, zs=zs, k=f"{ks[-1]:g}", best=pct(max(means)))
    if cross["kind"] == "from_start":
        return tr("On {name} {k} labelled example per class already gives {acc} against zero-shot's {zs}: any "
                  "crossing lies below the tested range of k.", name=name, k=f"{ks[0]:g}", acc=pct(means[0]), zs=zs)
    return tr("On {name} the k-shot probe matches zero-shot ({zs}) at about {k} labelled examples per class "
              "(interpolated in log k between the measured k).", name=name, zs=zs, k=f"{k_star:.1f}")


def probe_task_name(name: str, e: Mapping[str, Any]) -> Bi | str:
    """A probe task's name: the dataset's, with "N seen classes" where classes without training images
    were dropped (then it is not the zero-shot chapter's task of the same name)."""
    if e.get("classes_without_training_images"):
        return tr("{name}, {n} seen classes", name=name, n=e["n_way"])
    return name


def probe_vs_zeroshot_sentence(name: str, e: Mapping[str, Any]) -> Bi:
    """Full-data probe against zero-shot on the same ``n_way``-way task and images (paired interval)."""
    g = e["probe_minus_zeroshot"]
    return tr("On {name} ({n}-way, {images} test images): {diff}.", name=probe_task_name(name, e), n=e["n_way"],
              images=e["n_test"],
              diff=difference(tr("zero-shot"), tr("the linear probe"), g["diff"], g["lo"], g["hi"], flipped=True))


def left_out_sentence(name: str, left_out: Sequence[str], n_way: int, offline: bool = True) -> Bi:
    """Why some classes are missing from the probe's task: offline, pairs held out of training by
    design; otherwise, classes the build's training subset happens not to hold."""
    more = "…" if len(left_out) > 5 else ""
    if not offline:
        return tr("**{name}:** {k} classes have no image in this build's training subset ({some}{more}), so no probe "
                  "can learn them. They and their test images are left out of the probe, zero-shot and k-shot "
                  "numbers here, which are all on the same {n}-way task.",
                  name=name, k=len(left_out), some=", ".join(left_out[:5]), more=more, n=n_way)
    return tr("**{name}:** {k} classes have no training images ({some}{more}: pairs held out of training), so no "
              "probe can learn them. They and their test images are left out of the probe, zero-shot and k-shot "
              "numbers here, which are all on the same {n}-way task.",
              name=name, k=len(left_out), some=Bi(", ".join(left_out[:5]), "、".join(left_out[:5])), more=more, n=n_way)


# ----------------------------------------------------------------------------- 06 analysis


def prompt_sentence(name: str, p: Mapping[str, Any]) -> Bi:
    """One dataset's prompt study: bare name, single template, ensemble, template range (the last two only
    when the build used more than one template)."""
    if len(p["templates"]) == 1:
        return tr("On **{name}**, the bare class name scores {bare} and the one template this build used, "
                  "“{template}”, {single}, on {n} images, where one image is {one} points.",
                  name=name, bare=pct(p["bare"]), template=p["templates"][0], single=pct(p["single"]),
                  n=p["n_images"], one=f"{100 / p['n_images']:.2f}")
    return tr("On **{name}**, the bare class name scores {bare}, the single template {single} and the ensemble of "
              "{k} templates {ensemble}. Single templates range from {worst} (\"{worst_t}\") to {best} "
              "(\"{best_t}\") on {n} images, where one image is {one} points.",
              name=name, bare=pct(p["bare"]), single=pct(p["single"]), k=len(p["templates"]),
              ensemble=pct(p["ensemble"]), worst=pct(p["worst_template"][1]), worst_t=p["worst_template"][0],
              best=pct(p["best_template"][1]), best_t=p["best_template"][0], n=p["n_images"],
              one=f"{100 / p['n_images']:.2f}")


def hardest_classes_sentence(cvf: Mapping[str, Any]) -> Bi:
    """The fine classes that suffer most, and the coarse group that loses most."""
    items = [tr("{cls} ({acc}, mostly taken for {other})", cls=w["class"], acc=f"{w['top1']:.0f}%",
                other=w["confused_with"]) if w["confused_with"] else Bi(f"{w['class']} ({w['top1']:.0f}%)",
                                                                           f"{w['class']}（{w['top1']:.0f}%）")
             for w in cvf["worst_classes"][:5]]
    text = tr("The hardest fine classes: {worst}.",
              worst=Bi(", ".join(i.en for i in items), "、".join(i.zh for i in items)))
    if cvf["per_coarse_class"]:
        top = cvf["per_coarse_class"][0]
        text += " " + tr("Grouped by coarse class, \"{cls}\" suffers most: {coarse} as a coarse class, {fine} on "
                         "average over its fine classes.", cls=top["class"], coarse=f"{top['coarse_top1']:.0f}%",
                         fine=f"{top['fine_top1']:.0f}%")
    return text


# ----------------------------------------------------------------------------- 05 StyleCLIP


def sweep_sentence(rows: Sequence[Mapping[str, Any]], l2_lambda: float) -> Bi:
    """What the l2_lambda sweep shows: higher similarity is not a better edit."""
    best = max(rows, key=lambda r: r["similarity_after"])
    faithful = min(rows, key=lambda r: r["pixel_change"])
    text = tr("From a start similarity of {start}, the highest similarity came at λ = {best_l} ({best_s}, mean pixel "
              "change {best_c}); the smallest change at λ = {small_l} (similarity {small_s}, pixel change "
              "{small_c}). A higher similarity is not a better edit: look at the frames.",
              start=f"{rows[0]['similarity_before']:.3f}", best_l=f"{best['l2_lambda']:g}",
              best_s=f"{best['similarity_after']:.3f}", best_c=f"{best['pixel_change']:.3f}",
              small_l=f"{faithful['l2_lambda']:g}", small_s=f"{faithful['similarity_after']:.3f}",
              small_c=f"{faithful['pixel_change']:.3f}")
    used = [r for r in rows if r["l2_lambda"] == l2_lambda]
    if used:
        r = used[0]
        text += " " + tr("The run above used λ = {l}: similarity {s}, pixel change {c}.", l=f"{l2_lambda:g}",
                         s=f"{r['similarity_after']:.3f}", c=f"{r['pixel_change']:.3f}")
    return text


def entanglement_sentence(summary: Mapping[str, Any]) -> Bi:
    """The entanglement study in words: similarity, pixel change, what the readout saw change."""
    n = summary["n"]
    text = tr("Toward “{text}”, CLIP similarity rose in {rose} of {n} edits (mean {before} → {after}). Mean pixel "
              "change {change} (0–1 scale); on the image border, mostly background, {border}.",
              text=summary["text"], rose=f"{summary['similarity_rose'] * n:.0f}", n=n,
              before=f"{summary['similarity_before_mean']:.3f}", after=f"{summary['similarity_after_mean']:.3f}",
              change=f"{summary['pixel_change_mean']:.3f}", border=f"{summary['border_change_mean']:.3f}")
    if "requested_reached" in summary:
        reached = [(maybe_tr(a), summary["requested"][a], f"{f * n:.0f}/{n}")
                   for a, f in summary["requested_reached"].items()]
        got = Bi(", ".join(f"{part(a, 'en')} = {v} in {s}" for a, v, s in reached),
                 "、".join(f"{part(a, 'zh')} = {v}（{s}）" for a, v, s in reached)) if reached else tr("nothing new")
        changed = [(maybe_tr(a), f"{f * n:.0f}/{n}") for a, f in summary["unrequested_changed"].items()]
        leak = Bi(", ".join(f"{part(a, 'en')} {s}" for a, s in changed),
                  "、".join(f"{part(a, 'zh')} {s}" for a, s in changed))
        text += " " + tr("The attribute readout (a separate CNN, not the CLIP that guided the edit) reads "
                         "the requested attribute reached in: {got}; and unrequested attributes changed in: "
                         "{leak}.", got=got, leak=leak)
        text += " " + {"entangle": tr("Unrequested changes are part of these edits: they entangle."),
                       "few": tr("No entanglement is claimed: fewer than 3 edits."),
                       "missed": tr("No entanglement is claimed: the requested value was not reached."),
                       "clean": tr("No entanglement is claimed: no unrequested attribute changed.")}[
            V.entanglement_verdict(summary)]
    return text


# ----------------------------------------------------------------------------- 04 and 06, against the paper


def probe_against_paper(entries: Mapping[str, Mapping[str, Any]], offline: bool) -> Bi:
    """Whether each dataset's probe-over-zero-shot gap agrees with the paper's, decided by its interval
    for every row alike (:func:`clip_course.report.verdicts.against_paper`): where the published figures
    measure this model (``reference.comparable``) the interval must contain the paper's gap, otherwise
    only its direction is compared."""
    # one sign everywhere: zero-shot minus the probe (negative where the probe wins)
    gap = {ref: REFERENCES[ref]["zeroshot"]["paper"]["top1"] - REFERENCES[ref]["probe"]["paper"]["top1"]
           for ref in ("cifar10", "cifar100")}
    paper = tr("In the paper (ViT-B/32, Tables 10 and 11) zero-shot minus the probe is {c10} points on CIFAR-10 "
               "and {c100} on CIFAR-100.", c10=points(gap["cifar10"]), c100=points(gap["cifar100"]))
    rows, verdicts = [], []
    for name, e in entries.items():
        ref = e.get("reference") or {}
        ref_set = ref.get("dataset") or ("cifar100" if e.get("role") == "fine" else "cifar10")
        comparable = bool(ref.get("comparable"))
        chance = "n_test" in e and not V.above_chance(e["zeroshot"]["top1"], e["n_test"], 100.0 / e["n_way"])
        p = e["probe_minus_zeroshot"]
        d = {"diff": -p["diff"], "lo": -p["hi"], "hi": -p["lo"]}  # zero-shot minus the probe
        v = 0 if chance else V.against_paper(d, gap[ref_set], comparable)
        verdicts.append(v)
        words = (tr("zero-shot is at chance level, so the paper's comparison does not apply") if chance
                 else V.paper_words(v))
        rows.append(tr("on {name} it is {d} points ({ci}) against the paper's {paper} on {ref} ({how}): {words}",
                       name=probe_task_name(name, e), d=points(d["diff"]), ci=interval(d["lo"], d["hi"]),
                       paper=points(gap[ref_set]),
                       ref=ref_set, how=tr("same model and data: the value is compared") if comparable else
                       tr("another model or data: only the direction is compared"), words=words))
    text = paper + " " + tr("Here, {rows}.", rows=Bi("; ".join(r.en for r in rows), "；".join(r.zh for r in rows)))
    sizes = sorted({int(e["n_train"]) for e in entries.values() if "n_train" in e})
    if sizes and any(v <= 0 for v in verdicts):
        text += " " + tr("Where the paper's probe advantage is not reproduced here, the training set is the likely "
                         "reason: the paper's probes learn from each dataset's full training set, these from {n} "
                         "labelled images.", n=" / ".join(f"{n:,}" for n in sizes))
    if offline and any(v < 0 for v in verdicts):
        text += " " + tr("The labels of a probe help where images carry what the class names do not say; where the "
                         "evaluation prompts read like the pretraining captions, zero-shot is already "
                         "in-distribution matching and the labels add little.")
    return text


def gallery_sanity(rankings: Mapping[str, Sequence[tuple[str, float]]],
                   roles: Mapping[str, str] | None) -> tuple[bool, Bi | str]:
    """Whether the gallery's rankings read the pictures: each picture's own description (``roles``)
    ranked first for a share of pictures whose 95% interval lies above chance (one in the number of
    prompts). (trained, sentence): at chance, the sentence says so and the single-image findings
    below are not read against the original course report's; without roles, (True, "")."""
    roles = roles or {}
    shown = {name: r for name, r in rankings.items() if name in roles}
    if not shown:
        return True, ""
    k, n = sum(r[0][0] == roles[name] for name, r in shown.items()), len(shown)
    chance = 100.0 / len(next(iter(shown.values())))
    if V.above_chance(100.0 * k / n, n, chance):
        return True, " " + tr("Each picture's own description comes first for {k} of the {n} pictures, above chance "
                              "({chance}).", k=k, n=n, chance=pct(chance))
    lo, hi = wilson(100.0 * k / n, n)
    return False, " " + tr("Each picture's own description comes first for only {k} of the {n} pictures ({acc}, 95% CI "
                           "{lo} to {hi}, chance {chance}): these rankings are at chance level, so the single-image "
                           "results below are listed, not read as findings about what the model sees.",
                           k=k, n=n, acc=pct(100.0 * k / n), lo=pct(lo)[:-1], hi=pct(hi), chance=pct(chance))


def style_word_sentence(ranking: Ranking, word: str, trained: bool = True) -> Bi:
    """Whether the original course report's finding (one salient word, 'anime', takes the probability)
    reproduced; with rankings at chance (:func:`gallery_sanity`), only what happened."""
    probs = dict(ranking)
    p = f"{100 * probs[word]:.1f}%"
    if not trained:
        return tr("“{word}” gets {p}; with rankings at chance this says nothing about the finding of {original}.",
                  word=word, p=p, original=_ORIGINAL)
    if ranking[0][0] == word:
        return tr("The single word “{word}” wins ({p}): the finding of {original} reproduces here.",
                  word=word, p=p, original=_ORIGINAL)
    return tr("The finding of {original} does not reproduce here: the salient word “{word}” gets {p} and "
              "“{top}” wins.", original=_ORIGINAL, word=word, p=p, top=ranking[0][0])
