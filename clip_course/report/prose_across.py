"""The sentences of notebook 07 (where zero-shot works and where it fails), built from its results.

Same rules as :mod:`clip_course.report.prose`: a verdict word only when the 95% interval excludes
zero, numbers through its formatters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clip_course.report.prose import difference, interval, pct, points
from clip_course.tasks.stats import sign

#: The paper's Figure 5 in words (no number of it is printed: see shared references' README).
FIGURE5 = ("The paper's Figure 5 sets zero-shot CLIP against a linear probe on ResNet-50 features trained on all "
           "of each dataset's labels: zero-shot is ahead on most everyday-object datasets (StanfordCars and Food101 "
           "among them) and behind on specialised, abstract or synthetic ones (satellite images as in EuroSAT, "
           "textures as in DTD, Flowers102, digits, counting).")


def accuracy(a: Mapping[str, float]) -> str:
    """``62.3% (95% CI 60.1 to 64.4%)``: an accuracy with its Wilson interval."""
    return f"{pct(a['top1'])} (95% CI {pct(a['lo'])[:-1]} to {pct(a['hi'])})"


def accuracy_cell(a: Mapping[str, float]) -> str:
    """A table cell: ``76.5 [70.2, 81.8]`` (percent, with its 95% interval in brackets)."""
    return f"{pct(a['top1'])[:-1]} [{pct(a['lo'])[:-1]}, {pct(a['hi'])[:-1]}]"


def dataset_sentence(name: str, e: Mapping[str, Any]) -> str:
    """One dataset's paired difference (the accuracies themselves are in the table)."""
    d = e["zeroshot_minus_probe"]
    return f"**{name}**: {difference('zero-shot', 'the probe', d['diff'], d['lo'], d['hi'])}."


def family_sentence(fam: str, summary: Mapping[str, Any], gap: Mapping[str, float]) -> str:
    """A family: its one dataset's difference, or on how many of its datasets zero-shot is ahead or behind."""
    sets = summary["datasets"]
    if len(sets) == 1:
        return (f"*{fam.capitalize()}* ({sets[0]}): "
                f"{difference('zero-shot', 'the probe', gap['diff'], gap['lo'], gap['hi'])}.")
    counts = (f"zero-shot is ahead of the probe on {summary['ahead']}, behind on {summary['behind']} and not "
              f"detectably different on {summary['tied']} of these {len(sets)} sets")
    return (f"*{fam.capitalize()}* ({', '.join(sets)}): {counts}; mean gap {points(gap['diff'])} points "
            f"({interval(gap['lo'], gap['hi'])}).")


def paper_sentence(contrast: Mapping[str, Any] | None, offline: bool) -> str:
    """Figure 5's finding beside ours: is the object family's gap above the hardest family's, and why not."""
    baseline = ("Our probe sits on the same CLIP's features, a stronger baseline than Figure 5's ResNet-50, so "
                "every gap here is lower than Figure 5's would be; what can carry over is the order of the families.")
    if contrast is None:
        return f"{FIGURE5} {baseline} This run has no object family and another to set against it."
    s = sign(contrast["lo"], contrast["hi"])
    words = difference("the object sets' mean gap", f"the {contrast['against']} sets'", contrast["diff"],
                       contrast["lo"], contrast["hi"])
    if s > 0:
        verdict = f"Here too: {words}, as the paper found."
    else:
        why = (" In the offline world the pretraining captions name shapes and colours, and every family's "
               "test set is drawn from the same renderer, so the families differ less than the web's datasets "
               "do for CLIP.") if offline else ""
        verdict = f"Here: {words}. This disagrees with the paper.{why}"
    return f"{FIGURE5} {baseline} {verdict}"


def benchmark_sentence(entries: Mapping[str, Mapping[str, Any]], model: str, openai_weights: bool,
                       offline: bool) -> str:
    """CLIP_benchmark's published zero-shot figures beside ours, or why none is comparable."""
    pairs = [(n, e) for n, e in entries.items() if e.get("benchmark")]
    if not pairs:
        if offline:
            return ("No published figure is comparable here: these are MiniCLIP's numbers on ShapesWorld, "
                    "a world this package made; CLIP_benchmark measured openai's models on real datasets.")
        if not openai_weights:
            return (f"No published figure is set beside these: the checkpoint of {model} is not openai's released "
                    f"file (its sha256 differs), so CLIP_benchmark's figures for openai's weights do not apply.")
        return "CLIP_benchmark publishes no zero-shot figure for these datasets with this model."
    shown = "; ".join(f"{n} {pct(e['benchmark']['acc1'])} (ours {accuracy(e['zeroshot'])})" for n, e in pairs)
    return (f"CLIP_benchmark's published zero-shot top-1 for openai's {model}, beside ours: {shown} "
            f"(CLIP_benchmark (LAION), benchmark/benchmark.csv; their protocol and templates, full test sets).")


def sweep_sentence(sweep: Mapping[str, Mapping[str, Any]], offline: bool) -> str:
    """The model sweep: what was measured, and how to widen it."""
    rows = sorted(sweep.values(), key=lambda r: r["parameters"])
    listed = "; ".join(f"{r['model']}: {r['parameters'] / 1e6:.1f} M parameters, {r['images_per_s']:,.0f} images/s "
                       f"on {r['device']}, mean zero-shot top-1 {pct(r['mean_zeroshot_top1'])}" for r in rows)
    if len(rows) == 1:
        more = ("offline only MiniCLIP exists" if offline else
                "pass models=[...] from clip.available_models() to add more; runs add up, keyed by model")
        return f"One model in this sweep ({listed}); {more}."
    best = max(rows, key=lambda r: r["mean_zeroshot_top1"])
    return (f"{len(rows)} models ({listed}). The highest mean zero-shot top-1 is {best['model']}'s; each model's "
            f"datasets and per-dataset accuracy are in the results file.")
