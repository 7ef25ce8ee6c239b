"""How the report writes a number: the same functions for both editions (one decimal, and
never "+0.0" or "-0.0")."""

from __future__ import annotations


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
