"""Sentences of the open-models section: what CLIP_benchmark's published figures show about data
scale and compute, in both languages, every number computed from the cited table.

The sentences carry their Chinese inline (:class:`~clip_course.report.i18n.Bi`): they are built
from data, not from fixed msgids, so the catalogue holds nothing for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clip_course.report.i18n import Bi
from clip_course.report.numbers import pct, points

__all__ = ["data_sentence", "gains", "worry_sentence"]

_SOURCE = Bi("CLIP_benchmark (LAION), benchmark/benchmark.csv and probe_benchmark/clip_table_2.csv",
            "CLIP_benchmark（LAION），benchmark/benchmark.csv 与 probe_benchmark/clip_table_2.csv")


def _name(dataset: str) -> str:
    return dataset.removeprefix("vtab/")


def gains(rows: Mapping[str, Mapping[str, float | None]], more: str, less: str) -> tuple[list[str], list[str]]:
    """Datasets whose published top-1 is higher with ``more`` data than with ``less``, and the others."""
    up: list[str] = []
    not_up: list[str] = []
    for dataset, accs in rows.items():
        if accs.get(more) is None or accs.get(less) is None:
            continue
        (up if _gap(accs, more, less) > 0 else not_up).append(dataset)
    return up, not_up


def _gap(accs: Mapping[str, float | None], more: str, less: str) -> float:
    """``more``'s published top-1 minus ``less``'s, for a dataset :func:`gains` listed (both present)."""
    hi, lo = accs[more], accs[less]
    if hi is None or lo is None:
        raise ValueError(f"no published top-1 for {more if hi is None else less}")
    return hi - lo


def data_sentence(arch: str, rows: Mapping[str, Mapping[str, float | None]]) -> Bi:
    """For one architecture: which datasets gain from LAION-400M to LAION-2B, which do not, and LAION-2B against WIT-400M."""
    up, not_up = gains(rows, "LAION-2B", "LAION-400M")
    beat, not_beat = gains(rows, "LAION-2B", "WIT-400M")

    def listed(names: list[str], lang: str) -> str:
        sep = ", " if lang == "en" else "、"
        shown = sep.join(f"{_name(d)} ({points(_gap(rows[d], 'LAION-2B', 'LAION-400M'))})" for d in names)
        return shown or ("none" if lang == "en" else "无")

    en = (f"{arch}: from LAION-400M to LAION-2B the published zero-shot top-1 rises on {len(up)} of {len(up) + len(not_up)} "
          f"datasets ({listed(up, 'en')}) and does not on {listed(not_up, 'en')}; LAION-2B's model is above openai's "
          f"(WIT-400M) on {len(beat)} of {len(beat) + len(not_beat)}.")
    zh = (f"{arch}：预训练数据从 LAION-400M 增至 LAION-2B，公开的零样本 top-1 在 {len(up) + len(not_up)} 个数据集中的 "
          f"{len(up)} 个上升（{listed(up, 'zh')}），在 {listed(not_up, 'zh')} 上没有上升；LAION-2B 模型在 "
          f"{len(beat) + len(not_beat)} 个数据集中的 {len(beat)} 个上高于 OpenAI 的模型（WIT-400M）。")
    return Bi(en, zh)


def _compute_sentence(points_: Sequence[Mapping[str, Any]], n_datasets: int) -> Bi:
    """At each architecture's compute, the best mean published top-1 per pretraining data."""
    by_gmacs: dict[float, list[Mapping[str, Any]]] = {}
    for p in points_:
        by_gmacs.setdefault(p["gmacs"], []).append(p)
    parts_en, parts_zh = [], []
    for gmacs, ps in sorted(by_gmacs.items()):
        if len(ps) < 2:
            continue
        shown = ", ".join(f"{p['training_data']} ({p['pretrained']}) {pct(p['mean_acc1'])}"
                          for p in sorted(ps, key=lambda p: p["mean_acc1"]))
        arch = ps[0]["model"].removesuffix("-quickgelu")
        parts_en.append(f"{arch} ({gmacs:g} GMACs): {shown}")
        parts_zh.append(f"{arch}（{gmacs:g} GMACs）：{shown}")
    top = max(points_, key=lambda p: p["mean_acc1"])
    en = (f"Mean published top-1 over these {n_datasets} datasets at equal compute, lowest first: {'; '.join(parts_en)}. "
          f"The highest mean is {top['model']} on {top['training_data']} ({pct(top['mean_acc1'])}, {top['gmacs']:g} GMACs).")
    zh = (f"在相同计算量下，这 {n_datasets} 个数据集上公开 top-1 的平均值（从低到高）：{'；'.join(parts_zh)}。"
          f"平均值最高的是 {top['training_data']} 上的 {top['model']}（{pct(top['mean_acc1'])}，{top['gmacs']:g} GMACs）。")
    return Bi(en, zh)


def worry_sentence(rows: Mapping[str, Mapping[str, float | None]], arch: str) -> Bi:
    """The original report's closing worry (六.5), answered only with what the figures show."""
    beat, not_beat = gains(rows, "LAION-2B", "WIT-400M")
    _, not_up = gains(rows, "LAION-2B", "LAION-400M")
    mixed_en = (f"; more open data did not help everywhere ({', '.join(_name(d) for d in not_up)} fell from LAION-400M "
                f"to LAION-2B)" if not_up else "")
    mixed_zh = (f"；更多的开放数据并非处处有益（{'、'.join(_name(d) for d in not_up)} 从 LAION-400M 到 LAION-2B 下降）"
                if not_up else "")
    en = (f"The original course report closed on a worry: models like CLIP need data and compute that few hold. On "
          f"these published figures, an open data set (LAION-2B) trained {arch} to a higher zero-shot top-1 than openai's "
          f"own data on {len(beat)} of the {len(beat) + len(not_beat)} datasets that report discusses{mixed_en}. The "
          f"table does not give the compute each training run cost, so it says nothing about who can afford to train.")
    zh = (f"原课程报告在结尾表达了一个担忧：像 CLIP 这样的模型需要少数人才拥有的数据和算力。按这些公开数字，开放数据集 "
          f"LAION-2B 训练出的 {arch} 在该报告讨论的 {len(beat) + len(not_beat)} 个数据集中的 {len(beat)} 个上零样本 "
          f"top-1 高于用 OpenAI 自有数据训练的模型{mixed_zh}。该表没有给出每次训练的算力成本，因此不能说明谁能负担得起训练。")
    return Bi(en, zh)


def _scale_table(scale: Mapping[str, Mapping[str, Mapping[str, float | None]]]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows: dataset, then each architecture's top-1 per pretraining data (published, percent)."""
    archs = list(scale)
    datas = list(next(iter(scale[archs[0]].values())))
    headers = ["dataset", *[f"{a} {d}" for a in archs for d in datas]]
    rows = [[_name(ds), *[scale[a][ds][d] for a in archs for d in datas]] for ds in scale[archs[0]]]
    return headers, rows
