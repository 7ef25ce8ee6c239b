"""The abstract's and the conclusions' sentences, every number tagged with its results path.

Split from :mod:`clip_course.report.prose` (which re-exports it) so each module stays short.
Sentences are HTML, in both languages (:func:`clip_course.report.i18n.tr_html`); a tagged
number (:func:`q`) is formatted once, by the same function for both editions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clip_course.report.i18n import Bi, maybe_tr, tr_html
from clip_course.report.numbers import FORMATS, q
from clip_course.report.verdicts import (
    above_chance,
    chance_note,
    crossover,
    difference,
    entanglement_verdict,
    paper_words,
    same_configuration,
    style_shift_verdict,
)

__all__ = [
    "abstract_results", "abstract_summary", "chance_level", "conclusions", "FORMATS", "q", "substituted_generator",
    "tr_html",
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
                   n=q(c["datasets"], f"{src}:datasets", "len"), ahead=q(v["ahead"], f"{src}:verdict_counts.ahead", "int"),
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
        text = tr_html("Zero-shot on {dataset} ({n}-way, {images} test images): {ens} top-1 with the template "
                       "ensemble", dataset=r["dataset"],
                       n=q(e["n_way"], f"{src}.n_way", "int"), images=q(e["n_images"], f"{src}.n_images", "int"),
                       ens=q(e["ensemble"]["top1"], f"{src}.ensemble.top1"))
        if chance is None or same_configuration(e):
            text += tr_html("; {diff}", diff=_diff_words(f"{src}.ensemble_gain", e["ensemble_gain"], ens, single,
                                                        same=same_configuration(e)))
        out.append(text + tr_html("."))
    if facts["granularity"] is not None and len(facts["zero_shot"]) >= 2 and chance is None:
        coarse, fine = facts["zero_shot"][0]["dataset"], facts["zero_shot"][-1]["dataset"]
        out.append(tr_html("Finer classes, {fine} against {coarse}: {diff}.", fine=fine, coarse=coarse,
                           diff=_diff_words("03_cifar_zero_shot:granularity", facts["granularity"], fine, coarse)))
    for r in facts["probe"]:
        e, src = r["entry"], r["src"]
        text = tr_html("A linear probe on {dataset} ({n}-way, the classes with training images) reaches {probe} top-1 "
                       "against {zs} zero-shot: {diff}.", dataset=r["dataset"], n=q(e["n_way"], f"{src}.n_way", "int"),
                       probe=q(e["probe"]["top1"], f"{src}.probe.top1"), zs=q(e["zeroshot"]["top1"], f"{src}.zeroshot.top1"),
                       diff=_diff_words(f"{src}.probe_minus_zeroshot", e["probe_minus_zeroshot"], probe, zs))
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


#: Findings the conclusions carry but the abstract leaves to its chapters, so that the abstract stays one
#: short paragraph: the corruption study (a synthetic shift, no detectable difference in a quick build)
#: and notebook 07's count over datasets (the family contrast is the chapter's finding).
DETAIL_ONLY = ("Under seeded corruptions", "Across ")


def abstract_summary(facts: Mapping[str, Any]) -> list[Bi]:
    """The abstract's sentences: :func:`abstract_results` without the :data:`DETAIL_ONLY` findings."""
    return [x for x in abstract_results(facts) if not any(x.en.startswith(k) for k in DETAIL_ONLY)]


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
                   diff=_diff_words(f"{src}.probe_minus_zeroshot", c["probe_minus_zeroshot"], probe, zs))


def _loss_fmt(x: float) -> str:
    """A loss in points unsigned, a gain (negative loss) with its minus sign."""
    return "pts" if x >= 0 else "signed"


def _style_shift_abstract(st: Mapping[str, Any]) -> Bi:
    """The style-shift finding: only sets that lower clean accuracy count as shifts, and the sentence
    says on how many of the styles the verdict rests."""
    v, src = style_shift_verdict(st), "06_analysis:style_shift"
    n = q(st["sets"], f"{src}.sets", "len")
    if not v["shifts"]:
        return tr_html("None of the {k} other styles lowers clean accuracy for both classifiers, so they are not "
                       "distribution shifts for this model and carry no robustness verdict.", k=n)
    zs, pr = v["zeroshot_more"], v["probe_more"]
    who = (tr_html("zero-shot keeps the larger share of its clean accuracy on {m} of them and the probe on {p}",
                   m=zs, p=pr) if zs and pr else
           tr_html("zero-shot keeps the larger share of its clean accuracy on {m} of them", m=zs) if zs else
           tr_html("the probe keeps the larger share of its clean accuracy on {p} of them", p=pr) if pr else
           tr_html("neither classifier keeps a detectably larger share of its clean accuracy"))
    easier = len(v["not_shifts"])
    rest = tr_html(" (the other {r} are easier than the clean set, so not shifts)", r=easier) if easier else ""
    lowers = (tr_html("only {names} lowers clean accuracy for both classifiers", names=v["shifts"][0])
              if len(v["shifts"]) == 1 else
              tr_html("{s} lower clean accuracy for both classifiers ({names})", s=len(v["shifts"]),
                      names=", ".join(v["shifts"])))
    return tr_html("Of the {k} other drawing styles of the same scenes, {lowers}{rest}; {who}: {paper} (each set "
                   "with its 95% interval in the analysis chapter).", k=n, lowers=lowers, rest=rest, who=who,
                   paper=paper_words(v["paper"]))


def _readout_sentences(st: Mapping[str, Any]) -> list[Bi]:
    """What the attribute readout saw in the entanglement study: a higher similarity is not the edit
    asked for; "entangle" only when unrequested changes are a share whose interval excludes zero."""
    e = st.get("entanglement") or {}
    if "requested_reached" not in e:
        return []
    src = "05_styleclip:entanglement"
    got = [tr_html("{a} = {v} in {share}", a=maybe_tr(a), v=e["requested"][a], share=q(f, f"{src}.requested_reached.{a}", "share"))
           for a, f in e["requested_reached"].items()]
    leak = [tr_html("{a} in {share}", a=maybe_tr(a), share=q(f, f"{src}.unrequested_changed.{a}", "share"))
            for a, f in e["unrequested_changed"].items()]
    got_words, leak_words = (Bi(", ".join(b.en for b in x), "、".join(b.zh for b in x)) if x else None
                             for x in (got, leak))
    verdict = entanglement_verdict(e)
    read = tr_html("Over {n} related starts, the attribute readout (a separate CNN) read {got} (the request) and {leak} "
                   "(unrequested changes)", n=q(e["n"], f"{src}.n", "int"), got=got_words or tr_html("nothing new"),
                   leak=leak_words or tr_html("none"))
    if verdict == "entangle":
        return [read + tr_html(": the edits entangle, as the original course report saw on faces.")]
    why = {"few": tr_html("fewer than 3 starts"), "missed": tr_html("the requested value was not reached"),
           "clean": tr_html("no unrequested attribute changed")}[verdict]
    return [read + tr_html("; no entanglement is claimed: {why}.", why=why)]


def _pick(sentences: list[Bi], *keys: str) -> list[Bi]:
    """The sentences whose English contains one of ``keys`` (the abstract's findings, regrouped)."""
    return [x for x in sentences if any(k in x.en for k in keys)]


def conclusions(facts: Mapping[str, Any], offline: bool) -> list[Bi]:
    """The conclusions: the original course report's five closing points (its section 六), each
    answered by what this build measured (the abstract's verdicts, regrouped) or said to be an
    argument no measurement here can settle."""
    found = abstract_results(facts)
    chance = chance_level(facts) is not None
    bold = "<strong>{}</strong> "
    items: list[Bi] = []
    # 1. strong zero-shot and linear-probe classification
    one = _pick(found, "is at chance level (", "A linear probe on", "It matches zero-shot", "Across ")
    items.append(tr_html(bold.format("The original course report's point 1: CLIP is strong at zero-shot and linear-probe classification.")
                         ) + (Bi(" ".join(x.en for x in one), "".join(x.zh for x in one)) if one else
                              tr_html("No classification was measured in this build.")))
    # 2. bias of the data and dependence on the downstream task
    two = _pick(found, "Counting shapes", "drawing styles", "other styles")
    text = tr_html(bold.format("Point 2: the training data carries bias, and performance depends on the "
                               "downstream task."))
    text += (Bi(" ".join(x.en for x in two), "".join(x.zh for x in two)) if two and not chance else
             tr_html("This build measured no task that separates them."))
    text += " " + tr_html("What the task asks of the captions decides the result; the bias of the pretraining data "
                          "itself is not measured here.")
    items.append(text)
    # 3. a product of theory, hardware and data at scale
    items.append(tr_html(bold.format("Point 3: CLIP is a product of theory, hardware and data at scale.")) + (
        tr_html("The offline profile shows the method itself working at toy scale: a small CLIP pretrained on a CPU "
                "in minutes learns a zero-shot classifier for the shapes its captions name. The scale the paper "
                "used is cited in the introduction, not reproduced.") if offline else
        tr_html("This build evaluates OpenAI's released weights; the scale of their training is cited in the "
                "introduction, not reproduced.")))
    # 4. weak on fine-grained and abstract tasks; StyleCLIP's entanglement
    four = _pick(found, "Finer classes", "Under seeded corruptions", "StyleCLIP towards", "attribute readout")
    items.append(tr_html(bold.format("Point 4: CLIP is weaker on fine-grained and abstract tasks, and worth further study.")) + (
        Bi(" ".join(x.en for x in four), "".join(x.zh for x in four)) if four else
        tr_html("This build ran neither the corruption study nor StyleCLIP.")))
    # 5. the field's direction and the concentration of computing resources
    items.append(tr_html(bold.format("Point 5: pretrained models may concentrate computing resources.")) +
                 tr_html("This is an argument about the field rather than a measurement; this build measures "
                         "nothing that could confirm or refute it."))
    if offline:
        items.append(tr_html("All of the above are MiniCLIP's numbers on ShapesWorld: they show how the methods "
                             "behave, not how well CLIP performs; the paper profile measures that."))
    return items
