"""The sentences of notebook 07 (where zero-shot works and where it fails), built from its results.

Same rules as :mod:`clip_course.report.prose`: a verdict word only when the 95% interval excludes
zero, numbers through its formatters, every sentence in English and Chinese
(:func:`clip_course.report.i18n.tr`, the Chinese in :mod:`clip_course.report.catalogue_zh`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clip_course.report.i18n import Bi, maybe_tr, tr
from clip_course.report.numbers import pct, points
from clip_course.report.prose import difference, interval
from clip_course.report.prose_model import display_name, session_name
from clip_course.report.verdicts import MIN_UNITS, against_paper
from clip_course.tasks.across import family

__all__ = [
    "accuracy", "accuracy_cell", "benchmark_sentence", "dataset_sentence", "display_name", "family_name",
    "family_sentence", "paper_sentence", "pct", "points", "session_name", "sweep_sentence", "tr",
]

#: The paper's Figure 5 in words (no number of it is printed: see the references' README).
_FIGURE5 = ("The paper's Figure 5 sets zero-shot CLIP against a linear probe on ResNet-50 features trained on all "
           "of each dataset's labels: zero-shot is ahead on most everyday-object datasets (StanfordCars and Food101 "
           "among them) and behind on specialised, abstract or synthetic ones (satellite images as in EuroSAT, "
           "textures as in DTD, Flowers102, digits, counting).")
_BASELINE = ("Our probe sits on the same CLIP's features, a stronger baseline than Figure 5's ResNet-50, so every gap "
            "here is lower than Figure 5's would be; what can carry over is the order of the families.")
_OFFLINE_WHY = (" In the offline world the pretraining captions name shapes and colours, and every family's test set "
               "is drawn by the same renderer, so the families differ less than the web's datasets do for CLIP.")


def accuracy(a: Mapping[str, float]) -> Bi:
    """``62.3% (95% CI 60.1 to 64.4%)``: an accuracy with its Wilson interval."""
    return tr("{top1} (95% CI {lo} to {hi})", top1=pct(a["top1"]), lo=pct(a["lo"])[:-1], hi=pct(a["hi"]))


def accuracy_cell(a: Mapping[str, float]) -> str:
    """A table cell: ``76.5 [70.2, 81.8]`` (percent, with its 95% interval in brackets)."""
    return f"{pct(a['top1'])[:-1]} [{pct(a['lo'])[:-1]}, {pct(a['hi'])[:-1]}]"


def family_name(fam: str, capital: bool = False) -> Bi | str:
    """A family's name in both languages (objects, fine-grained, ...; ``capital`` to start a sentence)."""
    return maybe_tr(fam.capitalize() if capital else fam)


def dataset_sentence(name: str, e: Mapping[str, Any]) -> Bi:
    """One dataset's paired difference (the accuracies themselves are in the table)."""
    d = e["zeroshot_minus_probe"]
    return tr("**{name}**: {words}.", name=name,
              words=difference(tr("zero-shot"), tr("the probe"), d["diff"], d["lo"], d["hi"]))


def family_sentence(fam: str, summary: Mapping[str, Any], gap: Mapping[str, float]) -> Bi:
    """A family: its one dataset's difference, or on how many of its datasets zero-shot is ahead or behind."""
    sets = summary["datasets"]
    if len(sets) == 1:
        return tr("*{family}* ({sets}): {words}.", family=family_name(fam, capital=True), sets=sets[0],
                  words=difference(tr("zero-shot"), tr("the probe"), gap["diff"], gap["lo"], gap["hi"]))
    if len(sets) < MIN_UNITS:  # no interval from fewer than three datasets
        return tr("*{family}* ({sets}): zero-shot is ahead of the probe on {ahead}, behind on {behind} and not "
                  "detectably different on {tied} of these {n} sets; their mean gap, {gap} points over {n} sets, is "
                  "too few sets for an interval (at least {m}).",
                  family=family_name(fam, capital=True), sets=", ".join(sets), ahead=summary["ahead"],
                  behind=summary["behind"], tied=summary["tied"], n=len(sets), gap=points(gap["diff"]), m=MIN_UNITS)
    return tr("*{family}* ({sets}): zero-shot is ahead of the probe on {ahead}, behind on {behind} and not "
              "detectably different on {tied} of these {n} sets; mean gap {gap} points ({ci}).",
              family=family_name(fam, capital=True), sets=", ".join(sets), ahead=summary["ahead"],
              behind=summary["behind"],
              tied=summary["tied"], n=len(sets), gap=points(gap["diff"]), ci=interval(gap["lo"], gap["hi"]))


def paper_sentence(contrast: Mapping[str, Any] | None, offline: bool, ahead: int | None = None,
                   measured: Sequence[str] = (), missing: Sequence[str] = ()) -> Bi:
    """Figure 5's finding beside ours: is the object family's gap above the hardest family's, and why not.

    ``ahead``: on how many sets zero-shot beat the probe; none is a disagreement with Figure 5 and is said.
    ``measured``: the datasets this run measured; ``missing``: those asked for but not on disk (named when
    there is no contrast, with where the download step is).
    """
    head = tr(_FIGURE5) + " " + tr(_BASELINE)
    if ahead == 0:
        head += " " + tr("Unlike Figure 5, zero-shot is ahead of the probe on none of these sets: the probe here "
                         "learns from the same features zero-shot uses, plus every label.")
    if contrast is None:
        if not measured:
            return head + " " + tr("This run measured no dataset, so there is no contrast to draw.")
        others = [n for n in missing if family(n) not in ("objects", "fine-grained")]
        text = head + " " + tr("That contrast needs everyday-object datasets and datasets of another family "
                               "(specialised, abstract or synthetic) measured side by side; this run measured only "
                               "{measured}, so it draws none.", measured=", ".join(measured))
        if others:
            text += " " + tr("{others} were not on disk for this build; Appendix B gives the download step, and a "
                             "build after it measures each of them here.", others=", ".join(others))
        return text
    words = difference(tr("the object sets' mean gap"),
                       tr("the {family} sets'", family=family_name(contrast["against"])),
                       contrast["diff"], contrast["lo"], contrast["hi"])
    # Figure 5 measured another model (a ResNet-50 probe): only the direction of the contrast can agree
    verdict = against_paper(contrast, 1.0, comparable=False)
    if verdict > 0:
        return head + " " + tr("Here too: {words}, as the paper found.", words=words)
    if verdict < 0:
        return head + " " + tr("Here: {words}. This disagrees with the paper.", words=words) + (
            tr(_OFFLINE_WHY) if offline else "")
    return head + " " + tr("Here: {words}; the interval cannot tell whether this agrees with the paper.", words=words)


def benchmark_sentence(entries: Mapping[str, Mapping[str, Any]], model: Any, openai_weights: bool,
                       offline: bool) -> Bi:
    """CLIP_benchmark's published zero-shot figures beside ours, or why none is comparable.

    ``model``: a results ``model`` record or :class:`clip_course.data.naming.ModelName` (named by its
    hash, never a path), or a plain name."""
    model = display_name(model)
    pairs = [(n, e) for n, e in entries.items() if e.get("benchmark")]
    if not pairs:
        if offline:
            return tr("No published figure is comparable here: these are MiniCLIP's numbers on ShapesWorld, a world "
                      "this package made; CLIP_benchmark measured OpenAI's models on real datasets.")
        if not openai_weights:
            return tr("No published figure is set beside these: {model} is not OpenAI's released file (its sha256 "
                      "differs), so CLIP_benchmark's figures for OpenAI's weights do not apply.", model=model)
        return tr("CLIP_benchmark publishes no zero-shot figure for these datasets with this model.")
    shown = "; ".join(tr("{name} {theirs} (ours {ours})", name=n, theirs=pct(e["benchmark"]["acc1"]),
                         ours=accuracy(e["zeroshot"])) for n, e in pairs)
    return tr("CLIP_benchmark's published zero-shot top-1 for OpenAI's {model}, beside ours: {shown} (CLIP_benchmark "
              "(LAION), benchmark/benchmark.csv; their protocol and templates, full test sets, VTAB's test split "
              "for the vtab/ datasets).", model=model, shown=shown)


def _sweep_name(r: Mapping[str, Any]) -> Bi | str:
    """A sweep row's model, named by its hash where the row records one, never by a path."""
    sha = r.get("checkpoint_sha256")
    return display_name({"name": r["model"], "checkpoint_sha256": sha} if sha else r["model"])


def _device(device: str) -> str:
    """A torch device type as prose writes it (``cpu`` -> ``CPU``); a GPU's name as recorded."""
    return device.upper() if device.lower() in {"cpu", "cuda", "mps"} else device


def sweep_sentence(sweep: Mapping[str, Mapping[str, Any]], offline: bool) -> Bi:
    """The model sweep: what was measured, and how to widen it."""
    rows = sorted(sweep.values(), key=lambda r: r["parameters"])
    listed = "; ".join(tr("{model}: {params} M parameters, {rate} images/s on {device}, mean zero-shot top-1 {top1}",
                          model=_sweep_name(r), params=f"{r['parameters'] / 1e6:.1f}", rate=f"{r['images_per_s']:,.0f}",
                          device=_device(r["device"]), top1=pct(r["mean_zeroshot_top1"])) for r in rows)
    if len(rows) == 1:  # no figure is drawn for one point
        if offline:
            return tr("One model in this sweep ({listed}); {more}.", listed=listed,
                      more=tr("offline only MiniCLIP exists"))
        return tr("One model was measured ({listed}), so there is no accuracy-against-speed comparison: the "
                  "scaling picture needs several models on the same datasets.", listed=listed)
    best = max(rows, key=lambda r: r["mean_zeroshot_top1"])
    return tr("{n} models ({listed}). The highest mean zero-shot top-1 is {best}'s; each model's per-dataset "
              "accuracy is in the results file.", n=len(rows), listed=listed, best=_sweep_name(best))
