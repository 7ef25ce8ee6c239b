"""The one gate every claim word passes: a verdict is drawn from an interval, or not at all.

A claim word (above, below, drops, helps, robust, entangle, stands out, at or above, "as the paper
found", "disagrees with the paper") appears in a generated sentence only when :func:`gate` says the
interval carries it. Before the interval, the sanity gates:

- **self-comparison**: two configurations that are the same (an "ensemble" of one template against
  that template) are not compared at all;
- **too few units**: an interval over fewer than :data:`MIN_UNITS` independent units (corruption
  sets, seeds, edits) is not computed into a verdict;
- **chance**: an accuracy whose 95% Wilson interval reaches chance is reported as chance
  (:func:`above_chance`), and claims that need a trained model are replaced by one sentence saying
  why (:func:`chance_note`);
- **crossovers** are reported only inside the tested range (:func:`crossover`);
- **the paper**: agreement is decided by the interval for every row alike (:func:`against_paper`);
- **a shift** is called a shift only when it lowers clean accuracy (:func:`lowers`).

:func:`difference` is the one wording of a difference (plain for the notebooks, with every number
tagged by its results path for the abstract when ``src`` is given).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from clip_course.report.i18n import Bi, maybe_tr, tr
from clip_course.report.numbers import pct, points, q
from clip_course.tasks.stats import crossover_k, independent_difference, mean_interval, sign, wilson

__all__ = [
    "above_chance", "against_paper", "Any", "at_chance", "chance_note", "crossover", "crossover_k", "diagonal_higher",
    "diagonal_stands_out", "difference", "entanglement_verdict", "gate", "independent_difference", "interval", "lowers",
    "Mapping", "MIN_UNITS", "paper_words", "same_configuration", "sign", "style_shift_verdict", "tr", "Verdict",
    "wilson",
]

#: Fewest independent units (sets, seeds, edits) an interval, and so a verdict, is drawn from.
MIN_UNITS = 3


@dataclass(frozen=True)
class Verdict:
    """``sign``: +1 (the interval lies above zero), -1 (below), 0 (no verdict); ``reason`` says why
    no interval could be used at all (self-comparison, too few units, a single measurement)."""

    sign: int
    reason: str | None = None  # "same", "units", "single"


def gate(d: Mapping[str, float], *, units: int | None = None, same: bool = False) -> Verdict:
    """The verdict a difference ``{"diff", "lo", "hi"}`` carries, after the sanity gates."""
    if same:
        return Verdict(0, "same")
    if units is not None and units < MIN_UNITS:
        return Verdict(0, "units")
    lo, hi = float(d["lo"]), float(d["hi"])
    if math.isnan(lo) or math.isnan(hi):
        return Verdict(0, "single")
    return Verdict(sign(lo, hi))


# ------------------------------------------------------------------------------ the wording


def _plain(value: float, _path: str, fmt: str) -> str:
    return {"signed": points(value), "negsigned": points(-value), "pts": points(value, signed=False),
            "negpts": points(-value, signed=False)}[fmt]


def _tagged(src: str) -> Callable[[float, str, str], Markup]:
    return lambda value, path, fmt: q(value, f"{src}.{path}", fmt)


#: A flipped difference (``d`` holds b - a) prints a - b: each bound comes from the other bound, negated.
_FLIP_PATH = {"diff": "diff", "lo": "hi", "hi": "lo"}
_FLIP_FMT = {"signed": "negsigned", "pts": "pts", "negpts": "pts"}


def difference(a: Any, b: Any, d: Mapping[str, float], *, unit: str = "points", src: str | None = None,
               units: int | None = None, same: bool = False, flipped: bool = False) -> Bi:
    """``a`` against ``b``: "a is 3.1 points above b (95% CI +1.2 to +5.0)", "no detectable difference
    ...", or, where no interval can decide, the difference and why it is not a verdict. The interval
    is always that of ``a`` minus ``b``, signed, so one comparison reads the same everywhere.

    ``src``: the results path of ``d``; every number is then tagged (:func:`q`) and the text is HTML.
    ``units``: how many independent units the interval was taken over; ``same``: ``a`` and ``b`` are
    one configuration; ``flipped``: ``d`` holds ``b`` minus ``a`` (a results file's other sign).
    """
    out = _plain if src is None else _tagged(src)
    if src is not None:  # HTML: plain-text fields are escaped here, as tr_html would
        a, b = (x if isinstance(x, Bi | Markup) else escape(x) for x in (a, b))
    view = {"diff": -d["diff"], "lo": -d["hi"], "hi": -d["lo"]} if flipped else d

    def num(key: str, fmt: str) -> Any:
        if flipped:
            return out(d[_FLIP_PATH[key]], _FLIP_PATH[key], _FLIP_FMT[fmt])
        return out(d[key], key, fmt)

    u = maybe_tr(unit)
    v = gate(view, units=units, same=same)
    if v.reason == "same":
        return tr("{a} and {b} are the same configuration here, so they are not compared", a=a, b=b)
    if v.reason == "units":
        return tr("{a} minus {b} is {d} {unit} over {n} units, too few for an interval (at least {m}), so no "
                  "verdict", a=a, b=b, d=num("diff", "signed"), unit=u, n=units, m=MIN_UNITS)
    ci = (tr("no interval: a single measurement") if v.reason == "single" else
          tr("95% CI {lo} to {hi}", lo=num("lo", "signed"), hi=num("hi", "signed")))
    if v.sign == 0:
        return tr("no detectable difference between {a} and {b} ({d} {unit}, {ci})", a=a, b=b,
                  d=num("diff", "signed"), unit=u, ci=ci)
    if v.sign > 0:
        return tr("{a} is {d} {unit} above {b} ({ci})", a=a, b=b, d=num("diff", "pts"), unit=u, ci=ci)
    return tr("{a} is {d} {unit} below {b} ({ci})", a=a, b=b, d=num("diff", "pts"), unit=u, ci=ci)


def interval(lo: float, hi: float) -> Bi:
    """``95% CI 1.2 to 5.0`` (signed bounds), or that there is none."""
    if math.isnan(lo) or math.isnan(hi):
        return tr("no interval: a single measurement")
    return tr("95% CI {lo} to {hi}", lo=points(lo), hi=points(hi))


# ------------------------------------------------------------------------------ chance


def above_chance(top1: float, n: int, chance: float) -> bool:
    """Whether an accuracy (%) on ``n`` images is detectably above ``chance`` (%): its 95% Wilson
    interval lies wholly above it. One at or below chance reads nothing the prompts name."""
    return wilson(top1, n)[0] > chance


def at_chance(entry: Mapping[str, Any], key: str = "ensemble") -> bool:
    """:func:`above_chance` negated for a zero-shot entry (``n_way``, ``n_images``, ``key.top1``)."""
    return not above_chance(entry[key]["top1"], entry["n_images"], 100.0 / entry["n_way"])


def chance_note(what: Any, top1: float, n: int, chance: float) -> Bi:
    """The one sentence that replaces claims needing a trained model when ``what`` is at chance."""
    lo, hi = wilson(top1, n)
    return tr("{what} is at chance level ({acc}, 95% CI {lo} to {hi}, chance {chance}): the model reads nothing "
              "here that the class names say, so no finding that needs a trained model is drawn from it.", what=what,
              acc=pct(top1), lo=pct(lo)[:-1],
              hi=pct(hi), chance=pct(chance))


# ------------------------------------------------------------------------------ configurations


def same_configuration(entry: Mapping[str, Any]) -> bool:
    """Whether a zero-shot entry's ensemble is its single template (one template, the same one):
    then "ensemble against single" compares a configuration with itself."""
    t = entry.get("templates") or {}
    return list(t.get("ensemble") or []) == list(t.get("single") or [None])


# ------------------------------------------------------------------------------ crossovers


def crossover(ks: Sequence[float], means: Sequence[float], level: float) -> dict[str, Any]:
    """Where a k-shot curve reaches ``level``, only inside the tested range.

    ``{"kind": "inside", "k": k*}`` when it crosses strictly between two tested k;
    ``"from_start"`` when the smallest tested k is already at the level (the crossing, if any, lies
    below the range); ``"never"`` when no tested k reaches it; ``"one_k"`` with a single k (no
    crossing can be located).
    """
    pairs = sorted(zip((float(k) for k in ks), (float(m) for m in means), strict=True))
    if len({k for k, _ in pairs}) < 2:
        return {"kind": "one_k", "k": pairs[0][0] if pairs else None}
    k_star = crossover_k([k for k, _ in pairs], [m for _, m in pairs], level)
    if k_star is None:
        return {"kind": "never", "k": None}
    if k_star <= pairs[0][0]:
        return {"kind": "from_start", "k": pairs[0][0]}
    return {"kind": "inside", "k": k_star}


# ------------------------------------------------------------------------------ the paper


def against_paper(d: Mapping[str, float], paper: float, comparable: bool, *, units: int | None = None) -> int:
    """+1 when our interval agrees with the paper's claim, -1 when it disagrees, 0 when it cannot tell.

    ``comparable`` (same model and data): the interval must contain the paper's value, and
    disagrees when it excludes it. Otherwise only the direction can be compared: agreement when the
    interval excludes zero on the paper's side, disagreement on the other side, no verdict when it
    contains zero. The same rule for every row.
    """
    v = gate(d, units=units)
    if v.reason is not None:
        return 0
    if comparable:
        return 1 if d["lo"] <= paper <= d["hi"] else -1
    if v.sign == 0 or paper == 0:
        return 0
    return 1 if v.sign == (1 if paper > 0 else -1) else -1


def paper_words(verdict: int) -> Bi:
    """The words for :func:`against_paper`'s verdict."""
    return {1: tr("as the paper found"), -1: tr("this disagrees with the paper"),
            0: tr("the interval cannot tell whether this agrees with the paper")}[verdict]


# ------------------------------------------------------------------------------ shifts


def lowers(clean_top1: float, n_clean: int, shifted_top1: float, n_shifted: int) -> bool:
    """Whether a set lowers accuracy from clean (shifted minus clean, Newcombe interval, below zero):
    only then is it a shift for that classifier."""
    _, _, hi = independent_difference(shifted_top1, n_shifted, clean_top1, n_clean)
    return hi < 0


def style_shift_verdict(study: Mapping[str, Any]) -> dict[str, Any]:
    """Which style sets are shifts, and on how many of those zero-shot keeps the larger share of its
    clean accuracy (its interval above zero) or the probe does.

    The one rule: a set is a distribution shift when the supervised probe, trained on the clean
    style, scores detectably below its clean accuracy on it (:func:`lowers`: the interval of the
    difference excludes zero). Zero-shot is the classifier under test, so its own drop is not part of
    the rule."""
    shifts, easier, zs, pr = [], [], 0, 0
    for name, s in study["sets"].items():
        if not lowers(study["clean"]["probe"], study["n_clean"], s["top1"]["probe"], s["n_images"]):
            easier.append(name)
            continue
        shifts.append(name)
        g = gate(s["kept_gap"]).sign
        zs, pr = zs + (g > 0), pr + (g < 0)
    paper = 0 if not shifts or (zs == 0 and pr == 0) else (1 if pr == 0 else (-1 if zs == 0 else 0))
    return {"shifts": shifts, "not_shifts": easier, "zeroshot_more": zs, "probe_more": pr, "paper": paper}


# ------------------------------------------------------------------------------ counts over units


def _share_interval(k: int, n: int) -> tuple[float, float]:
    """A share of ``k`` out of ``n`` units in percent, its 95% Wilson interval."""
    return wilson(100.0 * k / n if n else 0.0, n)


def _share_detected(k: int, n: int) -> bool:
    """Whether ``k`` of ``n`` units (n >= :data:`MIN_UNITS`) is a share whose interval excludes zero."""
    return n >= MIN_UNITS and k > 0 and _share_interval(k, n)[0] > 0


def entanglement_verdict(summary: Mapping[str, Any]) -> str:
    """What an entanglement study carries: ``"few"`` (fewer than :data:`MIN_UNITS` edits), ``"missed"``
    (the requested value was reached in no detected share of the edits: unrequested changes are then
    the edit failing, not entanglement), ``"clean"`` (no unrequested attribute changed in a detected
    share), or ``"entangle"`` (both the request and some unrequested change, each a share whose 95%
    interval excludes zero)."""
    n = int(summary["n"])
    if n < MIN_UNITS:
        return "few"
    if not any(_share_detected(round(f * n), n) for f in summary["requested_reached"].values()):
        return "missed"
    if not any(_share_detected(round(f * n), n) for f in summary["unrequested_changed"].values()):
        return "clean"
    return "entangle"


def diagonal_stands_out(diagonal: Sequence[float], off_diagonal: Sequence[float], wins: int | None = None) -> bool:
    """Whether matching pairs' cosines stand out: the mean diagonal-minus-off-diagonal gap per image
    (its row), over at least :data:`MIN_UNITS` images, has a 95% t-interval above zero, and, given
    ``wins`` (images whose own caption is the most similar), more than half the images are won: a
    diagonal higher only on average does not stand out row by row."""
    gaps = [float(a) - float(b) for a, b in zip(diagonal, off_diagonal, strict=True)]
    if len(gaps) < MIN_UNITS:
        return False
    _, lo, _ = mean_interval(gaps)
    majority = wins is None or 2 * wins > len(gaps)
    return not math.isnan(lo) and lo > 0 and majority


def diagonal_higher(diagonal: Sequence[float], off_diagonal: Sequence[float]) -> bool:
    """The gap of :func:`diagonal_stands_out` alone: matching pairs more similar on average."""
    return diagonal_stands_out(diagonal, off_diagonal)
