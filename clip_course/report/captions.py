"""Figure captions generated from the data they caption.

A caption states only what its figure's numbers carry: "the matching pairs stand out" only when the
diagonal's interval says so (:func:`clip_course.report.verdicts.diagonal_stands_out`), the order of
the bars as the figure draws them, hatching only where there are hatched bars, and how many of the
example images are right as counted. Notebooks pass ``caption.en`` and ``zh=caption.zh`` to
``nb.figure``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from clip_course.report import verdicts as V
from clip_course.report.i18n import Bi, tr
from clip_course.report.numbers import pct
from clip_course.tasks.stats import wilson

__all__ = [
    "accuracy_caption", "kshot_caption", "per_class_caption", "predictions_caption", "pretraining_caption",
    "similarity_caption",
]


def similarity_caption(sim: Any) -> Bi:
    """The similarity matrix's caption, from the matrix: "matching pairs stand out" only when each
    image's diagonal-minus-off-diagonal gap has an interval above zero over the batch and most images
    find their own caption the most similar (:func:`clip_course.report.verdicts.diagonal_stands_out`)."""
    s = np.asarray(sim, dtype=float)
    n = s.shape[0]
    off = [(s[i].sum() - s[i, i]) / max(n - 1, 1) for i in range(n)]
    wins = int((s.argmax(axis=1) == np.arange(n)).sum())
    head = tr("Cosine similarity of every image with every caption of one batch")
    if V.diagonal_stands_out(np.diag(s).tolist(), off, wins):
        return head + tr(": the matching pairs on the diagonal stand out, which is what the contrastive loss trains.")
    if V.diagonal_higher(np.diag(s).tolist(), off):
        return head + tr(": the matching pairs on the diagonal are more similar on average, yet the right caption is "
                         "the most similar one for only {k} of the {n} images.", k=wins, n=n)
    return head + tr(": the matching pairs on the diagonal do not stand out from the other pairings in this batch "
                     "(their gap's 95% interval reaches zero), which a trained model's would.")


def per_class_caption(name: str, per_class: Mapping[str, float | None], n_images: int, shown: int = 15) -> Bi:
    """The per-class bar chart's caption (:func:`clip_course.figures.zeroshot.per_class_accuracy`): its
    order as drawn (best at the top), the range, and "far from uniform" only when the worst class's
    95% interval lies wholly below the best one's (classes assumed of equal size)."""
    items = sorted((v, c) for c, v in per_class.items() if v is not None)
    n_cls = len(items)
    per = max(1, round(n_images / max(n_cls, 1)))
    (worst, wc), (best, bc) = items[0], items[-1]
    head = tr("Per-class top-1 on {name} with the ensemble, best class at the top and worst at the bottom; the dashed "
              "line is the mean over all {n} classes.", name=name, n=n_cls) if n_cls <= 2 * shown else \
        tr("Per-class top-1 on {name} with the ensemble: the {k} best classes at the top and the {k} worst at the "
           "bottom of {n}; the dashed line is the mean over all of them.", name=name, k=shown, n=n_cls)
    if best == worst:
        return head + " " + tr("Every class scores {acc}.", acc=pct(best))
    spread = tr("Top-1 ranges from {worst} ({wc}) to {best} ({bc})", worst=pct(worst), wc=wc, best=pct(best), bc=bc)
    if wilson(worst, per)[1] < wilson(best, per)[0]:
        return head + " " + spread + tr(": accuracy is far from uniform across classes (the two classes' 95% "
                                        "intervals, about {per} images each, do not overlap).", per=per)
    return head + " " + spread + tr(", within what about {per} test images per class leave to chance (their 95% "
                                    "intervals overlap).", per=per)


def predictions_caption(name: str, n_right: int, n_wrong: int) -> Bi:
    """The example grid's caption, with the counts of right and wrong images it shows."""
    return tr("{right} correctly and {wrong} wrongly classified {name} test images (seeded) with their top-5 zero-shot "
              "predictions; blue marks the true class.", right=n_right, wrong=n_wrong, name=name)


def accuracy_caption(comparable: bool) -> Bi:
    """The zero-shot accuracy chart's caption: hatched published bars only when they are drawn."""
    head = tr("Zero-shot top-1 and top-5 per dataset, single template against the ensemble")
    if comparable:
        return head + tr(", beside the published figures (hatched).")
    return head + tr("; the published CIFAR figures are in the table above, not on these axes: they measure another "
                     "model on other data.")


def pretraining_caption(log: Mapping[str, Any], window: float = 0.1) -> Bi:
    """MiniCLIP's pretraining curves' caption, each direction read off the log: the mean of the
    last tenth of the steps against the first tenth (falls, rises, or "ends where it began")."""
    cols = log.get("log", log)
    k = max(1, int(len(cols["step"]) * window))

    def moved(key: str) -> int:
        v = np.asarray(cols.get(key) or [np.nan], dtype=float)
        first, last = float(np.mean(v[:k])), float(np.mean(v[-k:]))
        return 0 if not np.isfinite(first - last) or abs(last - first) <= 0.01 * max(abs(first), 1e-9) else \
            (1 if last > first else -1)

    words = {1: tr("rises"), -1: tr("falls"), 0: tr("ends where it began")}
    return tr("MiniCLIP's pretraining on ShapesWorld, from the shipped checkpoint's log: the symmetric contrastive "
              "loss {loss}, the in-batch accuracy {acc} and the learned temperature (started at 0.07) {temp} (last "
              "tenth of the steps against the first).", loss=words[moved("loss")], acc=words[moved("accuracy")],
              temp=words[moved("temperature")])


def kshot_caption(curves: Mapping[str, Mapping[str, Mapping[str, float]]], zeroshot: Mapping[str, float],
                  draws: int | None = None) -> Bi:
    """The k-shot figure's caption: the tested range of k, and a crossing named only where a curve
    crosses its zero-shot line inside that range (:func:`clip_course.report.verdicts.crossover`).
    ``draws``: training sets drawn per k; one draw has no spread, and the caption says so."""
    ks = sorted({float(k) for c in curves.values() for k in c})
    if draws == 1:
        head = (tr("k-shot linear probes (one draw of the training images, k = {k}) against zero-shot (dashed) and "
                   "the full-data probe", k=f"{ks[0]:g}") if len(ks) == 1 else
                tr("k-shot linear probes (one draw of the training images per k, k = {lo} to {hi}) against "
                   "zero-shot (dashed) and the full-data probe", lo=f"{ks[0]:g}", hi=f"{ks[-1]:g}"))
    elif draws is not None:
        head = tr("k-shot linear probes (mean ± spread over {d} draws, k = {lo} to {hi}) against zero-shot (dashed) "
                  "and the full-data probe", d=draws, lo=f"{ks[0]:g}" if ks else "–", hi=f"{ks[-1]:g}" if ks else "–")
    else:
        head = tr("k-shot linear probes (mean ± spread over the draws, k = {lo} to {hi}) against zero-shot (dashed) "
                  "and the full-data probe", lo=f"{ks[0]:g}" if ks else "–", hi=f"{ks[-1]:g}" if ks else "–")
    crossed = []
    for name, c in curves.items():
        order = sorted(c, key=float)
        v = V.crossover([float(k) for k in order], [c[k]["mean"] for k in order], zeroshot[name])
        if v["kind"] == "inside":
            crossed.append(tr("{name} at about k = {k}", name=name, k=f"{v['k']:.1f}"))
    if not crossed:
        return head + tr(": no curve crosses its dashed line inside the tested range of k.")
    return head + tr(": a curve crosses its dashed line inside the tested range for {which}.",
                     which=Bi(", ".join(c.en for c in crossed), "、".join(c.zh for c in crossed)))
