"""Tasks: what is measured on encoded features (zero-shot, linear probe, k-shot, retrieval,
single-image ranking) and the studies that combine them into one measurement each.
"""

__all__ = []
