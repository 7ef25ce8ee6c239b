"""The abstract's and the conclusions' sentences, every number tagged with its results path.

Split from :mod:`clip_course.report.prose` (which re-exports it) so each module stays short.
Sentences are HTML, in both languages (:func:`clip_course.report.i18n.tr_html`); a tagged
number (:func:`q`) is formatted once, by the same function for both editions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from clip_course.report.i18n import Bi, tr_html
from clip_course.report.numbers import pct, points
from clip_course.tasks.stats import sign

#: How a tagged number is formatted: the name is written into the HTML so a test can re-check it.
FORMATS = {"pct": pct, "pts": lambda x: points(x, signed=False), "signed": points,
           "f3": lambda x: f"{float(x):.3f}", "share": lambda x: f"{100 * float(x):.0f}%",
           "negpts": lambda x: points(-float(x), signed=False), "k": lambda x: f"{float(x):.1f}", "int": lambda x: f"{int(x)}", "len": lambda x: f"{len(x)}"}


def q(value: Any, source: str, fmt: str = "pct") -> Markup:
    """A number as the report prints it, tagged with the results path it came from."""
    return Markup('<span class="q" data-src="{}" data-fmt="{}">{}</span>').format(source, fmt, FORMATS[fmt](value))


def _ci(src: str, d: Mapping[str, float]) -> Bi:
    """``95% CI lo to hi`` with both bounds tagged (``src`` names the object holding lo/hi)."""
    return tr_html("95% CI {lo} to {hi}", lo=q(d["lo"], f"{src}.lo", "signed"), hi=q(d["hi"], f"{src}.hi", "signed"))


def _diff_words(src: str, d: Mapping[str, float], a: Any, b: Any) -> Bi:
    """"a is X points above b (95% CI ...)" or "no detectable difference ..." with tagged numbers."""
    s = sign(d["lo"], d["hi"])
    if s == 0:
        return tr_html("no detectable difference between {a} and {b} ({d} {unit}, {ci})", a=a, b=b,
                       d=q(d["diff"], f"{src}.diff", "signed"), unit=tr_html("points"), ci=_ci(src, d))
    if s > 0:
        return tr_html("{a} is {d} {unit} above {b} ({ci})", a=a, b=b, d=q(d["diff"], f"{src}.diff", "pts"),
                       unit=tr_html("points"), ci=_ci(src, d))
    return tr_html("{a} is {d} {unit} below {b} (95% CI {lo} to {hi})", a=a, b=b,
                   d=q(d["diff"], f"{src}.diff", "negpts"), unit=tr_html("points"),
                   lo=q(d["hi"], f"{src}.hi", "negpts"), hi=q(d["lo"], f"{src}.lo", "negpts"))


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
    """The abstract's result sentences, one per measurement this build made."""
    out: list[Bi] = []
    ens, single, probe, zs = (tr_html("the ensemble"), tr_html("the single template"), tr_html("the probe"),
                              tr_html("zero-shot"))
    for r in facts["zero_shot"]:
        e, src = r["entry"], r["src"]
        out.append(tr_html("Zero-shot on {dataset} ({n}-way, {images} test images): {ens} top-1 with the template "
                           "ensemble, {single} with a single template; {diff}.", dataset=r["dataset"],
                           n=q(e["n_way"], f"{src}.n_way", "int"), images=q(e["n_images"], f"{src}.n_images", "int"),
                           ens=q(e["ensemble"]["top1"], f"{src}.ensemble.top1"),
                           single=q(e["single"]["top1"], f"{src}.single.top1"),
                           diff=_diff_words(f"{src}.ensemble_gain", e["ensemble_gain"], ens, single)))
    if facts["granularity"] is not None and len(facts["zero_shot"]) >= 2:
        coarse, fine = facts["zero_shot"][0]["dataset"], facts["zero_shot"][-1]["dataset"]
        out.append(tr_html("Finer classes, {fine} against {coarse}: {diff}.", fine=fine, coarse=coarse,
                           diff=_diff_words("03_cifar_zero_shot:granularity", facts["granularity"], fine, coarse)))
    for r in facts["probe"]:
        e, src = r["entry"], r["src"]
        text = tr_html("A linear probe on {dataset} ({n}-way, the classes with training images) reaches {probe} top-1 "
                       "against {zs} zero-shot: {diff}.", dataset=r["dataset"], n=q(e["n_way"], f"{src}.n_way", "int"),
                       probe=q(e["probe"]["top1"], f"{src}.probe.top1"), zs=q(e["zeroshot"]["top1"], f"{src}.zeroshot.top1"),
                       diff=_diff_words(f"{src}.probe_minus_zeroshot", e["probe_minus_zeroshot"], probe, zs))
        if r["k_match"] is not None:
            text += " " + tr_html("It matches zero-shot at about {k} labelled examples per class.",
                                  k=q(r["k_match"], f"{src}.crossover_k", "k"))
        out.append(text)
    out += _analysis_sentences(facts["analysis"], probe, zs)
    out += _across_sentences(facts.get("across"))
    st = facts["styleclip"]
    if st is not None:
        for i, ed in enumerate(st["edits"]):
            es = f"05_styleclip:edits.{i}"
            out.append(tr_html("StyleCLIP towards “{prompt}” raised CLIP similarity from {before} to {after} in "
                               "{steps} steps.", prompt=ed["prompt"],
                               before=q(ed["similarity_before"], f"{es}.similarity_before", "f3"),
                               after=q(ed["similarity_after"], f"{es}.similarity_after", "f3"),
                               steps=q(ed["steps"], f"{es}.steps", "int")))
        out += _readout_sentences(st)
    return out


def _analysis_sentences(a: Mapping[str, Any] | None, probe: Bi, zs: Bi) -> list[Bi]:
    """Notebook 06's robustness, offline-world and retrieval sentences."""
    if a is None:
        return []
    s, src = a["robustness_summary"], "06_analysis:robustness_summary"
    out = [tr_html("Under seeded corruptions of {dataset} ({n} images), zero-shot loses {zs} points and the probe "
                   "{probe}; zero-shot minus probe loss: {d} points ({ci}).", dataset=s["dataset"],
                   n=q(s["n_images"], f"{src}.n_images", "int"),
                   zs=q(s["mean_drop_points"]["zeroshot"], f"{src}.mean_drop_points.zeroshot", "pts"),
                   probe=q(s["mean_drop_points"]["probe"], f"{src}.mean_drop_points.probe", "pts"),
                   d=q(s["degradation"]["diff"], f"{src}.degradation.diff", "signed"),
                   ci=_ci(f"{src}.degradation", s["degradation"]))]
    if a.get("style_shift"):
        st, src = a["style_shift"], "06_analysis:style_shift"
        out.append(tr_html("On the same scenes drawn in {k} other styles, zero-shot keeps a larger share of its clean "
                           "accuracy than the probe fitted on flat images on {m} of them (each with its 95% interval "
                           "in the analysis chapter), as the paper found for natural shifts.",
                           k=q(st["sets"], f"{src}.sets", "len"), m=q(st["zeroshot_more_robust"], f"{src}.zeroshot_more_robust", "int")))
    if a.get("counting"):
        c, src = a["counting"], "06_analysis:counting"
        out.append(tr_html("Counting shapes, which no caption states: zero-shot {zs} (chance {chance}), a linear probe "
                           "{probe}; {diff}.", zs=q(c["zeroshot"], f"{src}.zeroshot"), chance=q(c["chance"], f"{src}.chance"),
                           probe=q(c["probe"], f"{src}.probe"),
                           diff=_diff_words(f"{src}.probe_minus_zeroshot", c["probe_minus_zeroshot"], probe, zs)))
    for name, r in a["retrieval"]["by_dataset"].items():
        rs = f"06_analysis:retrieval.by_dataset.{name}"
        out.append(tr_html("Text-to-image retrieval on {name}: recall@1/5/10 {r1} / {r5} / {r10}.", name=name,
                           r1=q(r["recall@1"], f"{rs}.recall@1"), r5=q(r["recall@5"], f"{rs}.recall@5"),
                           r10=q(r["recall@10"], f"{rs}.recall@10")))
    return out


def _readout_sentences(st: Mapping[str, Any]) -> list[Bi]:
    """What the attribute readout saw in the entanglement study: a higher similarity is not the edit asked for."""
    e = st.get("entanglement") or {}
    if "requested_reached" not in e:
        return []
    src = "05_styleclip:entanglement"
    got = [tr_html("{a} = {v} in {share}", a=a, v=e["requested"][a], share=q(f, f"{src}.requested_reached.{a}", "share"))
           for a, f in e["requested_reached"].items()]
    leak = [tr_html("{a} in {share}", a=a, share=q(f, f"{src}.unrequested_changed.{a}", "share"))
            for a, f in e["unrequested_changed"].items()]
    got, leak = (Bi(", ".join(b.en for b in x), "，".join(b.zh for b in x)) if x else None for x in (got, leak))
    return [tr_html("Over {n} related starts, the attribute readout (a separate CNN) saw the request met ({got}) and "
                    "unrequested attributes change too ({leak}): the edits entangle, as the original course report "
                    "saw on faces.", n=q(e["n"], f"{src}.n", "int"), got=got or tr_html("nothing new"),
                    leak=leak or tr_html("none"))]


def conclusions(facts: Mapping[str, Any], offline: bool) -> list[Bi]:
    """The conclusions: the abstract's findings as verdicts, then what they are and are not."""
    items = abstract_results(facts)
    if offline:
        items.append(tr_html("All of the above are MiniCLIP's numbers on ShapesWorld: they show how the methods "
                             "behave, not how well CLIP performs; the paper profile measures that."))
    items.append(tr_html("The original course report's closing remarks, that CLIP's training data carries bias "
                         "and that models of this scale concentrate computing resources, are arguments rather "
                         "than measurements; this build measures neither."))
    return items
