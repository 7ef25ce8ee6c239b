"""Datasets as uint8 arrays plus class names: CIFAR, image folders, ShapesWorld, corruptions,
and the downloads of the paper profile. :func:`clip_course.data.catalog.load_dataset` opens
any of them by name.
"""

__all__ = []
