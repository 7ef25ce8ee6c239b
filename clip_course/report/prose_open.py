"""Sentences of the open-models section: what CLIP_benchmark's published figures show about data
scale and compute, in both languages, every number computed from the cited table.

Every sentence goes through :func:`~clip_course.report.i18n.tr` (its Chinese in the catalogue).
The figures are single published numbers without intervals, so the sentences give signed
differences and counts, never a claim word (those come from :mod:`clip_course.report.verdicts`
only, when an interval carries them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clip_course.report.i18n import Bi, tr
from clip_course.report.numbers import pct, points
from clip_course.report.prose_model import display_name
from clip_course.report.verdicts import difference

__all__ = [
    "compute_sentence", "data_sentence", "gains", "measured_sentence", "measured_table", "not_measured_sentence",
    "scale_table", "tr", "worry_sentence",
]

_SOURCE = "CLIP_benchmark (LAION), benchmark/benchmark.csv and probe_benchmark/clip_table_2.csv"


def _name(dataset: str) -> str:
    return dataset.removeprefix("vtab/")


def gains(rows: Mapping[str, Mapping[str, float | None]], more: str, less: str) -> tuple[list[str], list[str]]:
    """Datasets whose published top-1 is higher with ``more`` data than with ``less``, and the others."""
    up: list[str] = []
    not_up: list[str] = []
    for dataset, accs in rows.items():
        more_acc, less_acc = accs.get(more), accs.get(less)
        if more_acc is None or less_acc is None:
            continue
        (up if more_acc > less_acc else not_up).append(dataset)
    return up, not_up


def _listed(rows: Mapping[str, Mapping[str, float | None]], names: list[str], more: str, less: str) -> Bi | str:
    """``cifar10 (+1.2), mnist (−3.0)``: each dataset with its published difference, or "none"."""
    if not names:
        return tr("none")
    shown = [(_name(d), points(float(rows[d][more] or 0) - float(rows[d][less] or 0))) for d in names]
    return Bi(", ".join(f"{d} ({p})" for d, p in shown), "、".join(f"{d}（{p}）" for d, p in shown))


def data_sentence(arch: str, rows: Mapping[str, Mapping[str, float | None]]) -> Bi:
    """For one architecture: on which datasets LAION-2B's published top-1 exceeds LAION-400M's, on
    which it does not, and on how many LAION-2B's exceeds OpenAI's (WIT-400M)."""
    up, not_up = gains(rows, "LAION-2B", "LAION-400M")
    beat, not_beat = gains(rows, "LAION-2B", "WIT-400M")
    return tr("{arch}: from LAION-400M to LAION-2B the published zero-shot top-1 changes by a positive amount on "
              "{up} of {n} datasets ({up_list}) and by zero or less on {down_list}; LAION-2B's figure exceeds "
              "OpenAI's (WIT-400M) on {beat} of {m}.",
              arch=arch, up=str(len(up)), n=str(len(up) + len(not_up)),
              up_list=_listed(rows, up, "LAION-2B", "LAION-400M"),
              down_list=_listed(rows, not_up, "LAION-2B", "LAION-400M"),
              beat=str(len(beat)), m=str(len(beat) + len(not_beat)))


def compute_sentence(points_: Sequence[Mapping[str, Any]], n_datasets: int) -> Bi:
    """At each architecture's compute, the mean published top-1 per pretraining data, and the highest mean."""
    by_gmacs: dict[float, list[Mapping[str, Any]]] = {}
    for p in points_:
        by_gmacs.setdefault(p["gmacs"], []).append(p)
    parts: list[tuple[str, str]] = []  # (English, Chinese): the Chinese with full-width punctuation
    for gmacs, ps in sorted(by_gmacs.items()):
        if len(ps) < 2:
            continue
        ranked = sorted(ps, key=lambda p: p["mean_acc1"])
        shown = ", ".join(f"{p['training_data']} ({p['pretrained']}) {pct(p['mean_acc1'])}" for p in ranked)
        shown_zh = "、".join(f"{p['training_data']}（{p['pretrained']}）{pct(p['mean_acc1'])}" for p in ranked)
        arch = ps[0]["model"].removesuffix("-quickgelu")
        parts.append((f"{arch} ({gmacs:g} GMACs): {shown}", f"{arch}（{gmacs:g} GMACs）：{shown_zh}"))
    top = max(points_, key=lambda p: p["mean_acc1"])
    return tr("Mean published top-1 over these {n} datasets at equal compute, lowest first: {parts}. The highest "
              "mean is {model}'s on {data} ({acc}, {gmacs} GMACs).",
              n=str(n_datasets), parts=Bi("; ".join(e for e, _ in parts), "；".join(z for _, z in parts)),
              model=top["model"], data=top["training_data"],
              acc=pct(top["mean_acc1"]), gmacs=f"{top['gmacs']:g}")


def worry_sentence(rows: Mapping[str, Mapping[str, float | None]], arch: str) -> Bi:
    """The original report's closing worry (六.5), answered only with what the figures show."""
    beat, not_beat = gains(rows, "LAION-2B", "WIT-400M")
    _, not_up = gains(rows, "LAION-2B", "LAION-400M")
    head = tr("The original course report closed on a worry: a model like CLIP needs data and compute that few "
              "hold, and one pretrained model might come to take all. In these published figures, a model trained "
              "by others on open data (LAION-2B) reaches a zero-shot top-1 that exceeds OpenAI's {arch} on {beat} of "
              "the {n} datasets that report discusses.", arch=arch, beat=str(len(beat)),
              n=str(len(beat) + len(not_beat)))
    sep = Bi(" ", "")  # Chinese sentences follow each other without a space
    if not_up:
        head += sep + tr("More open data did not raise every figure: from LAION-400M to LAION-2B it changed by zero "
                         "or less on {names}.", names=_listed(rows, not_up, "LAION-2B", "LAION-400M"))
    return head + sep + tr("The table gives no training cost, so it cannot say who can afford to train such a model; "
                           "it shows that OpenAI's model is not the only one at this accuracy.")


def scale_table(scale: Mapping[str, Mapping[str, Mapping[str, float | None]]]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows: dataset, then each architecture's top-1 per pretraining data (published, percent)."""
    archs = list(scale)
    datas = list(next(iter(scale[archs[0]].values())))
    headers = ["dataset", *[f"{a} {d}" for a in archs for d in datas]]
    rows = [[_name(ds), *[None if scale[a][ds][d] is None else pct(float(scale[a][ds][d] or 0))[:-1]
                          for a in archs for d in datas]] for ds in scale[archs[0]]]
    return headers, rows


def _cell(a: Mapping[str, float]) -> str:
    return f"{pct(a['top1'])[:-1]} [{pct(a['lo'])[:-1]}, {pct(a['hi'])[:-1]}]"


def measured_table(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the measured part: model, tag, data, top-1 [95% CI], the paired difference
    to the first row's model, and CLIP_benchmark's figure or "not comparable"."""
    headers = ["model", "pretrained", "data", "zero-shot top-1 [95% CI]",
               f"− {display_name(rows[0]['model'])} [95% CI]",
               "CLIP_benchmark top-1"]
    out = []
    for r in rows:
        d = r.get("vs_base")
        vs = "" if d is None else f"{points(d['diff'])} [{points(d['lo'])}, {points(d['hi'])}]"
        pub = pct(r["published"]["acc1"])[:-1] if r.get("published") else tr("not comparable")
        out.append([display_name(r["model"]), r.get("pretrained") or "", r.get("training_data") or "", _cell(r), vs,
                    pub])
    return headers, out


def measured_sentence(rows: Sequence[Mapping[str, Any]]) -> Bi:
    """Each open model against the first row's model (paired interval, verdict words from the gate),
    and why a row has no published figure beside it."""
    base = rows[0]
    parts = [difference(display_name(r["model"]), display_name(base["model"]), r["vs_base"])
             for r in rows[1:] if r.get("vs_base")]
    text = tr("[Table](#tab-open-measured) gives each model's zero-shot top-1 measured here on {dataset} ({n} test "
              "images, template ensemble): {parts}.", dataset=base["dataset"],
              n=str(base["n_test"]), parts="; ".join(parts) if parts else tr("no open model"))
    unpublished = [str(display_name(r["model"])) for r in rows if not r.get("published")]
    if unpublished:
        text += Bi(" ", "") + tr("Not comparable with CLIP_benchmark's figures: {models} (the checkpoint's sha256 "
                                 "is not that of the file CLIP_benchmark measured).", models=", ".join(unpublished))
    return text


def not_measured_sentence(offline: bool, missing: Mapping[str, str]) -> Bi:
    """Why the measured part is absent or short: the offline profile, or weights not on disk."""
    if offline:
        return tr("This offline build shows the published part only: its one model is MiniCLIP, and the paper "
                  "profile measures the models of the open_models parameter whose weights are on disk.")
    return tr("Not measured, weights not on disk: {models}.", models=", ".join(str(display_name(m)) for m in missing))
