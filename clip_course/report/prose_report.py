"""The abstract's and the conclusions' sentences, every number tagged with its results path.

Split from :mod:`clip_course.report.prose` (which re-exports it) so each module stays short.
Sentences are HTML, in both languages (:func:`clip_course.report.i18n.tr_html`); a tagged
number (:func:`q`) is formatted once, by the same function for both editions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clip_course.report.i18n import Bi, maybe_tr, tr, tr_html
from clip_course.report.numbers import FORMATS, q
from clip_course.report.verdicts import (
    above_chance,
    chance_note,
    crossover,
    difference,
    entanglement_verdict,
    gate,
    paper_words,
    same_configuration,
    style_shift_verdict,
)

__all__ = [
    "abstract_results", "abstract_summary", "Any", "chance_level", "conclusions", "FORMATS", "Mapping", "q",
    "style_name", "substituted_generator", "tr_html",
]


def _diff_words(src: str, d: Mapping[str, float], a: Any, b: Any, **gates: Any) -> Bi:
    """:func:`clip_course.report.verdicts.difference` with every number tagged by ``src``."""
    return difference(a, b, d, src=src, **gates)


def chance_level(facts: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first zero-shot measurement of the build whose interval reaches chance, if any: then
    the model reads nothing its prompts name, and the claims that need a trained model are withheld."""
    for r in facts["zero_shot"]:
        e = r["entry"]
        if not above_chance(e["ensemble"]["top1"], e["n_images"], 100.0 / e["n_way"]):
            return {"dataset": r["dataset"], "top1": e["ensemble"]["top1"], "n": e["n_images"],
                    "chance": 100.0 / e["n_way"]}
    return None


def _across_sentences(c: Mapping[str, Any] | None) -> list[Bi]:
    """Notebook 07: on how many datasets zero-shot beats a full-data probe, and Figure 5's contrast."""
    if not c or not c["datasets"]:
        return []
    src, v = "07_zero_shot_across_datasets", c["verdict_counts"]
    text = tr_html("Across {n} datasets, zero-shot is ahead of a linear probe trained on all labels on {ahead}, "
                   "behind on {behind} and not detectably different on {tied}",
                   n=q(c["datasets"], f"{src}:datasets", "len"),
                   ahead=q(v["ahead"], f"{src}:verdict_counts.ahead", "int"),
                   behind=q(v["behind"], f"{src}:verdict_counts.behind", "int"),
                   tied=q(v["tied"], f"{src}:verdict_counts.tied", "int"))
    pc = c["paper_contrast"]
    if pc is not None:
        text += tr_html("; {words}", words=_diff_words(
            f"{src}:paper_contrast", pc, tr_html("the object sets' zero-shot-minus-probe gap"),
            tr_html("the {family} sets'", family=tr_html(pc["against"]))))
    return [text + tr_html(".")]


def abstract_results(facts: Mapping[str, Any]) -> list[Bi]:
    """The abstract's result sentences, one per measurement this build made; the claims pass the
    verdict gate (:mod:`clip_course.report.verdicts`), and at chance level only the numbers are given."""
    out: list[Bi] = []
    ens, single, probe, zs = (tr_html("the ensemble"), tr_html("the single template"), tr_html("the probe"),
                              tr_html("zero-shot"))
    chance = chance_level(facts)
    if chance is not None:
        out.append(chance_note(tr_html("Zero-shot on {dataset}", dataset=chance["dataset"]), chance["top1"],
                               chance["n"], chance["chance"]))
    for r in facts["zero_shot"]:
        e, src = r["entry"], r["src"]
        if same_configuration(e):  # one template: there is no ensemble to set beside it
            out.append(tr_html("Zero-shot on {dataset} ({n}-way, {images} test images): {top1} top-1 with the one "
                               "template this build used, “{template}”.", dataset=r["dataset"],
                               n=q(e["n_way"], f"{src}.n_way", "int"),
                               images=q(e["n_images"], f"{src}.n_images", "int"),
                               top1=q(e["single"]["top1"], f"{src}.single.top1"), template=e["templates"]["single"][0]))
            continue
        text = tr_html("Zero-shot on {dataset} ({n}-way, {images} test images): {ens} top-1 with the template "
                       "ensemble", dataset=r["dataset"],
                       n=q(e["n_way"], f"{src}.n_way", "int"), images=q(e["n_images"], f"{src}.n_images", "int"),
                       ens=q(e["ensemble"]["top1"], f"{src}.ensemble.top1"))
        if chance is None:
            text += tr_html("; {diff}", diff=_diff_words(f"{src}.ensemble_gain", e["ensemble_gain"], ens, single))
        out.append(text + tr_html("."))
    if facts["granularity"] is not None and len(facts["zero_shot"]) >= 2 and chance is None:
        coarse, fine = facts["zero_shot"][0]["dataset"], facts["zero_shot"][-1]["dataset"]
        out.append(tr_html("Finer classes, {fine} against {coarse}: {diff}.", fine=fine, coarse=coarse,
                           diff=_diff_words("03_cifar_zero_shot:granularity", facts["granularity"], fine, coarse)))
    for r in facts["probe"]:
        e, src = r["entry"], r["src"]
        text = tr_html("A linear probe on {dataset} ({n}-way, the classes with training images) reaches {probe} top-1 "
                       "against {zs} zero-shot: {diff}.", dataset=r["dataset"], n=q(e["n_way"], f"{src}.n_way", "int"),
                       probe=q(e["probe"]["top1"], f"{src}.probe.top1"),
                       zs=q(e["zeroshot"]["top1"], f"{src}.zeroshot.top1"),
                       diff=_diff_words(f"{src}.probe_minus_zeroshot", e["probe_minus_zeroshot"], zs, probe,
                                        flipped=True))
        curve = e.get("kshot") or {}
        cross = crossover([float(k) for k in curve], [v["mean"] for v in curve.values()], e["zeroshot"]["top1"]) \
            if curve else {"kind": "none"}
        if r["k_match"] is not None and cross["kind"] == "inside":
            text += " " + tr_html("It matches zero-shot at about {k} labelled examples per class.",
                                  k=q(r["k_match"], f"{src}.crossover_k", "k"))
        out.append(text)
    out += _analysis_sentences(facts["analysis"], probe, zs, chance is not None, facts.get("across"))
    out += _across_sentences(facts.get("across"))
    st = facts["styleclip"]
    if st is not None and substituted_generator(st):
        out.append(tr_html("StyleCLIP: no StyleGAN2 checkpoint was on disk, so no face was edited; chapter 6 says "
                           "which generator ran instead and why."))
    elif st is not None:
        for i, ed in enumerate(st["edits"]):
            es = f"05_styleclip:edits.{i}"
            out.append(tr_html("StyleCLIP towards “{prompt}” raised CLIP similarity from {before} to {after} in "
                               "{steps} steps." if ed["similarity_after"] > ed["similarity_before"] else
                               "StyleCLIP towards “{prompt}” did not raise CLIP similarity ({before} before, {after} "
                               "after {steps} steps).", prompt=ed["prompt"],
                               before=q(ed["similarity_before"], f"{es}.similarity_before", "f3"),
                               after=q(ed["similarity_after"], f"{es}.similarity_after", "f3"),
                               steps=q(ed["steps"], f"{es}.steps", "int")))
        out += _readout_sentences(st)
    return out


def style_name(set_name: str) -> Bi | str:
    """A shifted set's style as a reader names it ("shapes10_photo" -> "the photo style")."""
    style = set_name.rsplit("_", 1)[-1]
    return tr_html("the {style} style", style=maybe_tr(style)) if "_" in set_name else set_name


def _flip(d: Mapping[str, float]) -> dict[str, float]:
    """``b - a`` for a difference ``a - b`` with its interval."""
    return {"diff": -d["diff"], "lo": -d["hi"], "hi": -d["lo"]}


def _counting_gap(facts: Mapping[str, Any]) -> dict[str, float] | None:
    """Zero-shot minus the probe on the counting set: notebook 07's paired entry where it ran, else 06's."""
    e = ((facts.get("across") or {}).get("datasets") or {}).get("shapes_count")
    if e is not None:
        return dict(e["zeroshot_minus_probe"])
    c = (facts.get("analysis") or {}).get("counting")
    return _flip(c["probe_minus_zeroshot"]) if c else None


def _probe_finding(r: Mapping[str, Any]) -> Bi:
    """The first finding: zero-shot from text alone against a probe trained on labels, the probe's
    training-set size said, on the same test images."""
    e, src = r["entry"], r["src"]
    zs, probe = tr_html("zero-shot"), tr_html("the probe")
    return tr_html("On {dataset} ({n}-way, {images} test images), zero-shot, built from class names alone, reaches "
                   "{zs} top-1, and a linear probe trained on {train} labelled images {probe}: {diff}.",
                   dataset=r["dataset"], n=q(e["n_way"], f"{src}.n_way", "int"),
                   images=q(e["n_test"], f"{src}.n_test", "int"), zs=q(e["zeroshot"]["top1"], f"{src}.zeroshot.top1"),
                   train=q(e["n_train"], f"{src}.n_train", "int"), probe=q(e["probe"]["top1"], f"{src}.probe.top1"),
                   diff=_diff_words(f"{src}.probe_minus_zeroshot", e["probe_minus_zeroshot"], zs, probe,
                                    flipped=True))


def _meaning(facts: Mapping[str, Any]) -> Bi | None:
    """The abstract's last sentence: what the findings mean together, drawn from their verdicts only."""
    if not facts["probe"]:
        return None
    main = gate(_flip(facts["probe"][0]["entry"]["probe_minus_zeroshot"])).sign
    count = _counting_gap(facts)
    if count is None or gate(count).sign >= 0:
        return None
    if main >= 0:
        return tr_html("Zero-shot is as good as what its captions say: where the prompts name what pretraining "
                       "described, it needs no labels; where the captions are silent, as on counting, only labels "
                       "carry the task.")
    return tr_html("Labels help on both tasks: zero-shot is a classifier that costs no labels, not a replacement for "
                   "them, and it cannot read what its captions never state.")


def abstract_summary(facts: Mapping[str, Any]) -> list[Bi]:
    """The abstract's findings: zero-shot against labels, where zero-shot fails (counting), how each
    classifier holds up on other styles (else the drop on finer classes), and what they mean together.
    At chance level, the chance sentence and the zero-shot numbers only. The rest of the measurements
    are the chapters' and the conclusions' (:func:`conclusions`)."""
    if chance_level(facts) is not None or not facts["probe"]:
        return [x for x in abstract_results(facts) if x.en.startswith(("Zero-shot on", "Finer classes"))
                or "is at chance level (" in x.en]
    out = [_probe_finding(facts["probe"][0])]
    a = facts["analysis"] or {}
    if a.get("counting"):
        out.append(_counting_sentence(a["counting"], facts.get("across"), tr_html("the probe"), tr_html("zero-shot")))
    if a.get("style_shift"):
        out.append(_style_shift_abstract(a["style_shift"]))
    elif facts["granularity"] is not None and len(facts["zero_shot"]) >= 2:
        coarse, fine = facts["zero_shot"][0]["dataset"], facts["zero_shot"][-1]["dataset"]
        out.append(tr_html("Finer classes, {fine} against {coarse}: {diff}.", fine=fine, coarse=coarse,
                           diff=_diff_words("03_cifar_zero_shot:granularity", facts["granularity"], fine, coarse)))
    meaning = _meaning(facts)
    return out + ([meaning] if meaning is not None else [])


def substituted_generator(st: Mapping[str, Any]) -> bool:
    """Whether notebook 05 of a paper build ran the offline generator because StyleGAN2 FFHQ was
    missing: its shapes study then belongs to no sentence of the paper report."""
    return st.get("profile") == "paper" and str(st.get("generator", "")).startswith("shapes")


def _analysis_sentences(a: Mapping[str, Any] | None, probe: Bi, zs: Bi, chance: bool = False,
                        across: Mapping[str, Any] | None = None) -> list[Bi]:
    """Notebook 06's robustness, offline-world and retrieval sentences (robustness claims only for a
    model above chance, on sets that lower its clean accuracy)."""
    if a is None:
        return []
    s, src = a["robustness_summary"], "06_analysis:robustness_summary"
    drops = s["mean_drop_points"]
    text = tr_html("Under seeded corruptions of {dataset} ({n} images), zero-shot loses {zs} points and the probe "
                   "{probe}", dataset=s["dataset"], n=q(s["n_images"], f"{src}.n_images", "int"),
                   zs=q(drops["zeroshot"], f"{src}.mean_drop_points.zeroshot", _loss_fmt(drops["zeroshot"])),
                   probe=q(drops["probe"], f"{src}.mean_drop_points.probe", _loss_fmt(drops["probe"])))
    if chance:
        text += tr_html(": at chance level, no robustness verdict.")
    elif drops["zeroshot"] <= 0 and drops["probe"] <= 0:
        text += tr_html(": the corruptions do not lower accuracy here, so they are no shift and carry no robustness "
                        "verdict.")
    else:
        text += tr_html("; {diff}.", diff=_diff_words(f"{src}.degradation", s["degradation"],
                                                      tr_html("zero-shot's loss"), tr_html("the probe's"),
                                                      units=s["degradation"]["cells"]))
    out = [text]
    if a.get("style_shift") and not chance:
        out.append(_style_shift_abstract(a["style_shift"]))
    if a.get("counting"):
        out.append(_counting_sentence(a["counting"], across, probe, zs))
    return out


def _counting_sentence(c: Mapping[str, Any], across: Mapping[str, Any] | None, probe: Bi, zs: Bi) -> Bi:
    """The counting finding. Notebook 07 measures the same set on the same images with a paired
    interval: where it ran, its entry is the one value printed (one measurement, one value);
    otherwise notebook 06's, whose interval is unpaired."""
    e = ((across or {}).get("datasets") or {}).get("shapes_count")
    if e is not None:
        src = "07_zero_shot_across_datasets:datasets.shapes_count"
        return tr_html("Counting shapes, which no caption states: zero-shot {zs} (chance {chance}), a linear probe "
                       "{probe}; {diff}.", zs=q(e["zeroshot"]["top1"], f"{src}.zeroshot.top1"),
                       chance=q(e["n_way"], f"{src}.n_way", "chance"), probe=q(e["probe"]["top1"], f"{src}.probe.top1"),
                       diff=_diff_words(f"{src}.zeroshot_minus_probe", e["zeroshot_minus_probe"], zs, probe))
    src = "06_analysis:counting"
    return tr_html("Counting shapes, which no caption states: zero-shot {zs} (chance {chance}), a linear probe "
                   "{probe}; {diff}.", zs=q(c["zeroshot"], f"{src}.zeroshot"), chance=q(c["chance"], f"{src}.chance"),
                   probe=q(c["probe"], f"{src}.probe"),
                   diff=_diff_words(f"{src}.probe_minus_zeroshot", c["probe_minus_zeroshot"], zs, probe,
                                    flipped=True))


def _loss_fmt(x: float) -> str:
    """A loss in points unsigned, a gain (negative loss) with its minus sign."""
    return "pts" if x >= 0 else "signed"


def _style_shift_abstract(st: Mapping[str, Any]) -> Bi:
    """The style-shift finding: a style is a shift when it lowers the probe's clean accuracy (the one
    rule, :func:`clip_course.report.verdicts.style_shift_verdict`); for each shift, the share of clean
    accuracy zero-shot keeps minus the probe's, with its interval."""
    v, src = style_shift_verdict(st), "06_analysis:style_shift"
    n = q(st["sets"], f"{src}.sets", "len")
    if not v["shifts"]:
        return tr_html("None of the {k} other drawing styles of the same scenes lowers the probe's clean accuracy, so "
                       "they are not distribution shifts for this model and carry no robustness verdict.", k=n)
    gaps = [tr_html("{name} {d} points (95% CI {lo} to {hi})", name=style_name(name),
                    d=q(st["sets"][name]["kept_gap"]["diff"], f"{src}.sets.{name}.kept_gap.diff", "sharepts"),
                    lo=q(st["sets"][name]["kept_gap"]["lo"], f"{src}.sets.{name}.kept_gap.lo", "sharepts"),
                    hi=q(st["sets"][name]["kept_gap"]["hi"], f"{src}.sets.{name}.kept_gap.hi", "sharepts"))
            for name in v["shifts"]]
    gap_words = Bi("; ".join(g.en for g in gaps), "；".join(g.zh for g in gaps))
    zs, pr = v["zeroshot_more"], v["probe_more"]
    who = (tr_html("zero-shot keeps the larger share on {m} of them and the probe on {p}", m=zs, p=pr) if zs and pr else
           tr_html("zero-shot keeps the larger share on {m} of them", m=zs) if zs else
           tr_html("the probe keeps the larger share on {p} of them", p=pr) if pr else
           tr_html("neither classifier keeps a detectably larger share"))
    lowers = (tr_html("only {name} lowers the probe's clean accuracy and so counts as a distribution shift",
                      name=style_name(v["shifts"][0])) if len(v["shifts"]) == 1 else
              tr_html("{s} lower the probe's clean accuracy and so count as distribution shifts", s=len(v["shifts"])))
    return tr_html("Of the {k} other drawing styles of the same scenes, {lowers}; the share of its clean accuracy "
                   "zero-shot keeps minus the probe's is {gaps}: {who}, {paper}.", k=n, lowers=lowers,
                   gaps=gap_words, who=who, paper=paper_words(v["paper"]))


def _readout_sentences(st: Mapping[str, Any]) -> list[Bi]:
    """What the attribute readout saw in the entanglement study: a higher similarity is not the edit
    asked for; "entangle" only when unrequested changes are a share whose interval excludes zero."""
    e = st.get("entanglement") or {}
    if "requested_reached" not in e:
        return []
    src = "05_styleclip:entanglement"
    got = [tr_html("{a} = {v} in {share}", a=maybe_tr(a), v=e["requested"][a],
                   share=q(f, f"{src}.requested_reached.{a}", "share"))
           for a, f in e["requested_reached"].items()]
    leak = [tr_html("{a} in {share}", a=maybe_tr(a), share=q(f, f"{src}.unrequested_changed.{a}", "share"))
            for a, f in e["unrequested_changed"].items()]
    got_words, leak_words = (Bi(", ".join(b.en for b in x), "、".join(b.zh for b in x)) if x else None
                             for x in (got, leak))
    verdict = entanglement_verdict(e)
    read = tr_html("Over {n} related starts, the attribute readout (a separate CNN) read {got} (the request) and "
                   "{leak} (unrequested changes)", n=q(e["n"], f"{src}.n", "int"),
                   got=got_words or tr_html("nothing new"), leak=leak_words or tr_html("none"))
    if verdict == "entangle":
        return [read + tr_html(": the edits entangle, as the original course report saw on faces.")]
    why = {"few": tr_html("fewer than 3 starts"), "missed": tr_html("the requested value was not reached"),
           "clean": tr_html("no unrequested attribute changed")}[verdict]
    return [read + tr_html("; no entanglement is claimed: {why}.", why=why)]


def _words(d: Mapping[str, float] | None, ahead: Bi, behind: Bi, tied: Bi) -> Bi | None:
    """The verdict of a zero-shot-minus-probe difference in words only (its numbers are the chapters')."""
    if d is None:
        return None
    return {1: ahead, -1: behind, 0: tied}[gate(d).sign]


def _point_one(facts: Mapping[str, Any], found: list[Bi]) -> Bi:
    """六.1, strong zero-shot and linear-probe classification: what each classifier costs and buys."""
    parts: list[Bi] = []
    if not facts["probe"] and not facts["zero_shot"]:
        parts.append(tr_html("Chapter 3's classification did not run in this build."))
    elif facts["probe"]:
        r = facts["probe"][0]
        main = _flip(r["entry"]["probe_minus_zeroshot"])
        parts.append(_words(main,
                            tr_html("Both classifiers work, and on {dataset} the one written in words is even ahead of "
                                    "the one trained on labels.", dataset=r["dataset"]),
                            tr_html("Both classifiers work, but they are not interchangeable: on {dataset} labels "
                                    "still buy accuracy that class names alone do not.", dataset=r["dataset"]),
                            tr_html("Both classifiers work: on {dataset} a classifier written in words, with no label "
                                    "at all, is not detectably behind one trained on labels.",
                                    dataset=r["dataset"])) or Bi("", ""))
    else:
        parts.append(tr_html("Zero-shot classifies the test sets from their class names alone (chapter 3)."))
    parts += _pick(found, "It matches zero-shot", "Across ")
    if facts["probe"] or facts["zero_shot"]:
        parts.append(tr_html("The probe is a linear layer on frozen features, as in the paper and the original "
                             "course report, rather than fine-tuning: it measures what the pretrained features "
                             "already hold."))
    return Bi(" ".join(x.en for x in parts if x.en), "".join(x.zh for x in parts if x.zh))


def _point_two(facts: Mapping[str, Any], chance: bool) -> Bi:
    """六.2, bias of the data and dependence on the downstream task: what the captions state decides."""
    count = _counting_gap(facts)
    a = facts["analysis"] or {}
    parts: list[Bi] = []
    if count is not None and not chance:
        parts.append(_words(count,
                            tr_html("Counting, a property no caption states, is no weakness of zero-shot here."),
                            tr_html("The downstream task decides: counting, a property no caption states, is where "
                                    "zero-shot falls behind labels, while the same features let a probe count."),
                            tr_html("Counting, a property no caption states, separates neither classifier from the "
                                    "other here.")) or Bi("", ""))
    if a.get("style_shift") and not chance:
        v = style_shift_verdict(a["style_shift"])
        zs, pr = v["zeroshot_more"], v["probe_more"]
        parts.append(tr_html("Other drawing styles of the same scenes are no shift for this model's probe, so they "
                             "say nothing about robustness.") if not v["shifts"] else
                     tr_html("Where a drawing style does shift the data, zero-shot, which learned from many styles of "
                             "caption and image, keeps more of its clean accuracy than the probe trained on one "
                             "style: {paper} for natural shifts (chapter 4).", paper=paper_words(v["paper"]))
                     if zs and not pr else
                     tr_html("Where a drawing style does shift the data, the probe keeps more of its clean accuracy "
                             "than zero-shot: {paper} for natural shifts (chapter 4).", paper=paper_words(v["paper"]))
                     if pr and not zs else
                     tr_html("Where a drawing style does shift the data, neither classifier keeps detectably more of "
                             "its clean accuracy on every such style (chapter 4)."))
    if not parts:
        parts.append(tr_html("This build measured no task that separates them."))
    parts.append(tr_html("The bias of the pretraining data itself is not measured here: what a model can do is "
                         "bounded by what its captions say."))
    return Bi(" ".join(x.en for x in parts if x.en), "".join(x.zh for x in parts if x.zh))


def _styleclip_conclusion(st: Mapping[str, Any], found: list[Bi]) -> Bi:
    """StyleCLIP in the conclusions: the outcome first (failed, clean, entangled), read by the separate
    classifier, and why a higher CLIP similarity is not the edit."""
    e = st.get("entanglement") or {}
    verdict = entanglement_verdict(e) if "requested_reached" in e else "few"
    src = "05_styleclip:entanglement"
    if verdict in ("missed", "clean", "entangle"):  # the shares behind the verdict, tagged with their results paths
        asked = next(iter(e["requested_reached"]))
        moved = max(e["unrequested_changed"], key=lambda a: e["unrequested_changed"][a])
        reached = q(e["requested_reached"][asked], f"{src}.requested_reached.{asked}", "share")
        changed = q(e["unrequested_changed"][moved], f"{src}.unrequested_changed.{moved}", "share")
        n = q(e["n"], f"{src}.n", "int")
    if verdict == "missed":
        lead = tr_html("StyleCLIP's edit failed: the separate classifier that reads each edited image found the "
                       "requested {attribute} in {reached} of the {n} edits, not a detectable share, so the other "
                       "changes it saw are the edit failing, not entanglement.", attribute=tr(asked), reached=reached,
                       n=n)
    elif verdict == "clean":
        lead = tr_html("StyleCLIP's edit reached the requested {attribute} in {reached} of the {n} edits, without a "
                       "detectable unrequested change.", attribute=tr(asked), reached=reached, n=n)
    elif verdict == "entangle":
        lead = tr_html("StyleCLIP's edit reached the requested {attribute} in {reached} of the {n} edits and changed "
                       "what was not asked as well (the {other} in {changed} of them): the edits entangle, as the "
                       "original course report saw on faces.", attribute=tr(asked), reached=reached, n=n,
                       other=tr(moved), changed=changed)
    else:
        few = _pick(found, "StyleCLIP towards", "attribute readout")  # too few edits for a verdict: the numbers
        lead = Bi(" ".join(x.en for x in few), "".join(x.zh for x in few))
    return lead + " " + tr_html("A higher CLIP similarity to the prompt is not the edit the prompt asks for (chapter "
                                "6).")


def _pick(sentences: list[Bi], *keys: str) -> list[Bi]:
    """The sentences whose English contains one of ``keys`` (the findings the abstract leaves out)."""
    return [x for x in sentences if any(k in x.en for k in keys)]


def conclusions(facts: Mapping[str, Any], offline: bool) -> list[Bi]:
    """The conclusions: the original course report's five closing points (its section 六) answered one
    by one, in words drawn from the verdicts; the abstract's findings are not repeated, and numbers
    appear only in the findings the abstract leaves to the chapters."""
    found = abstract_results(facts)
    chance = chance_level(facts) is not None
    bold = "<strong>{}</strong> "
    items: list[Bi] = []
    items.append(tr_html(bold.format("The original course report's point 1: CLIP is strong at zero-shot and "
                                     "linear-probe classification.")) + _point_one(facts, found))
    items.append(tr_html(bold.format("Point 2: the training data carries bias, and performance depends on the "
                                     "downstream task.")) + _point_two(facts, chance))
    items.append(tr_html(bold.format("Point 3: CLIP is a product of theory, hardware and data at scale.")) + (
        tr_html("The method itself works at toy scale: a small CLIP pretrained on a CPU in minutes learns a zero-shot "
                "classifier for the shapes its captions name. What scale adds, the breadth of concepts that made "
                "OpenAI's CLIP general, cannot be shown this way; the paper's training scale is cited in the "
                "introduction, not reproduced.") if offline else
        tr_html("This build evaluates OpenAI's released weights; the scale of their training is cited in the "
                "introduction, not reproduced.") if (facts.get("model") or {}).get("openai", True) else
        tr_html("This build evaluates {name}, not OpenAI's released weights; the scale of OpenAI's training is cited "
                "in the introduction, not reproduced.", name=facts["model"]["name"])))
    four = _pick(found, "Finer classes", "Under seeded corruptions")
    st = facts["styleclip"]
    if st is not None and not substituted_generator(st) and st.get("edits"):
        four.append(_styleclip_conclusion(st, found))
    items.append(tr_html(bold.format("Point 4: CLIP is weaker on fine-grained and abstract tasks, and worth further "
                                     "study.")) + (
        Bi(" ".join(x.en for x in four), "".join(x.zh for x in four)) if four else
        tr_html("This build ran neither the corruption study nor StyleCLIP.")))
    items.append(tr_html(bold.format("Point 5: pretrained models may concentrate computing resources.")) +
                 tr_html("This is an argument about the field rather than a measurement, and nothing measured here "
                         "settles it. Chapter 5 sets published figures of CLIP models trained by others on public "
                         "data beside OpenAI's: the method is not one laboratory's alone, but what training at that "
                         "scale costs, which decides who can do it, is not in those figures."))
    if offline:
        items.append(tr_html("All of the above are MiniCLIP's numbers on ShapesWorld: they show how the methods "
                             "behave, not how well OpenAI's CLIP performs."))
    return items
