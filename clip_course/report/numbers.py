"""How the report writes a number: the same functions for both editions (one decimal, and
never "+0.0" or "-0.0")."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

__all__ = ["Any", "FORMATS", "pct", "points", "q"]


def _zero(x: float) -> float:
    return 0.0 if abs(x) < 0.05 else x


def pct(x: float) -> str:
    """An accuracy: ``94.3%``."""
    return f"{_zero(float(x)):.1f}%"


def points(d: float, signed: bool = True) -> str:
    """A difference in points: ``+3.1`` / ``−2.0`` / ``0.0``."""
    d = _zero(float(d))
    if not signed or d == 0:
        return f"{abs(d) if not signed else d:.1f}"
    return f"{d:+.1f}".replace("-", "−")


#: How a tagged number is formatted: the name is written into the HTML so a test can re-check it.
FORMATS = {"pct": pct, "pts": lambda x: points(x, signed=False), "signed": points,
           "f3": lambda x: f"{float(x):.3f}", "share": lambda x: f"{100 * float(x):.0f}%",
           "negpts": lambda x: points(-float(x), signed=False),
           "negsigned": lambda x: points(-float(x)),
           "sharepts": lambda x: points(100 * float(x)),  # a difference of shares (0.19) in points (+19.0)
           "k": lambda x: f"{float(x):.1f}",
           "int": lambda x: f"{int(x)}", "len": lambda x: f"{len(x)}",
           "chance": lambda n_way: pct(100.0 / float(n_way))}  # chance level from a class count


def q(value: Any, source: str, fmt: str = "pct") -> Markup:
    """A number as the report prints it, tagged with the results path it came from."""
    return Markup('<span class="q" data-src="{}" data-fmt="{}">{}</span>').format(source, fmt, FORMATS[fmt](value))
