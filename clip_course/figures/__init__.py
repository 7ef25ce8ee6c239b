"""Figures, one module per topic, all in the house style of :mod:`clip_course.figures.style`.
Each function takes plain data, returns a matplotlib Figure and, given ``save=path``, writes
a PNG atomically.
"""

__all__ = []
