"""`python -m clip_course ...`: see :mod:`clip_course.cli`."""

from clip_course.cli import main

__all__ = []

raise SystemExit(main())
