"""Sentences that say what a build ran, so a quick build says what it measured and a full one reads
well: the solver and training images of the probes, the corruptions, which model reads the Chinese
prompts, and whether the published figures beside ours are for the same model and task. Split from
:mod:`clip_course.report.prose`, which re-exports these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clip_course.data.naming import ModelName
from clip_course.report.i18n import Bi, maybe_tr, tr
from clip_course.report.prose_model import model_name

__all__ = [
    "chinese_reader_sentence", "comparison_note", "corruptions_sentence", "probe_protocol_sentence", "REFERENCE_WAYS",
]


def chinese_reader_sentence(name: ModelName) -> Bi:
    """Notebook 03's Chinese-prompt section outside the offline profile: whose Chinese it measures."""
    if name.openai:
        return tr("The captions OpenAI trained CLIP on were mostly English: this section measures how much Chinese "
                  "{name} has left to read.", name=model_name(name))
    return tr("The captions OpenAI trained CLIP on were mostly English; the model here is {name}, so this section "
              "measures how much Chinese that checkpoint reads.", name=model_name(name))


def probe_protocol_sentence(fitter: str, max_iter: int, n_train: Mapping[str, int], limit_train: int | None) -> Bi:
    """Notebook 04: the solver and iteration cap this build's probes ran with, and the training images each
    dataset had (fewer than requested where the set holds fewer)."""
    solver = tr("L-BFGS in PyTorch") if fitter == "torch" else tr("scikit-learn's L-BFGS")
    sizes = "; ".join(
        tr("{name}: {n} of the {limit} requested", name=name, n=f"{n:,}", limit=f"{limit_train:,}")
        if limit_train is not None and n < limit_train else tr("{name}: {n}", name=name, n=f"{n:,}")
        for name, n in n_train.items())
    if max_iter < 1000:
        return tr("This build fitted each probe with {solver}, at most {max_iter} iterations per fit (the paper's "
                  "protocol allows up to 1,000, so a fit here may stop short of convergence), on these training "
                  "images: {sizes}.", solver=solver, max_iter=max_iter, sizes=sizes)
    return tr("This build fitted each probe with {solver}, at most {max_iter} iterations per fit, as in the paper's "
              "protocol, on these training images: {sizes}.", solver=solver, max_iter=max_iter, sizes=sizes)


def corruptions_sentence(corruptions: Sequence[str], severities: Sequence[int], n: int, dataset: str) -> Bi:
    """Notebook 06: which corruptions and severities this build ran, on how many images."""
    sev = ", ".join(str(v) for v in severities)
    if len(severities) == 1:
        return tr("This build ran {names} at severity {sev} on {n} test images of {dataset}, beside the clean images.",
                  names=", ".join(corruptions), sev=sev, n=n, dataset=dataset)
    return tr("This build ran {names} at severities {sev} on {n} test images of {dataset}, beside the clean images.",
              names=", ".join(corruptions), sev=sev, n=n, dataset=dataset)


#: How many classes the published CIFAR figures classify among.
REFERENCE_WAYS = {"cifar10": 10, "cifar100": 100}


def comparison_note(rows: Sequence[Mapping[str, Any]], name: ModelName) -> Bi:
    """Under notebook 06's comparison table (paper profile): whether the published figures measure the same
    model, and which rows are another task (a probe on fewer classes than the published figure's)."""
    text = (tr("The model is {name}, the file whose sha256 OpenAI published, so the published figures are for the "
               "same model.", name=model_name(name)) if name.openai else
            tr("The model is {name}, not OpenAI's released file (its sha256 differs), so the published figures are "
               "for another model: they are quoted, not matched.", name=model_name(name)))
    other = [r for r in rows if r["n_way"] != REFERENCE_WAYS.get(r["reference_dataset"], r["n_way"])]
    for r in other:
        text += " " + tr("Our {quantity} on {dataset} is a {n}-way task (the classes this build's training subset "
                         "holds), the published figure {m}-way: that row is not comparable.",
                         quantity=maybe_tr(r["quantity"]), dataset=r["dataset"], n=r["n_way"],
                         m=REFERENCE_WAYS[r["reference_dataset"]])
    return text
