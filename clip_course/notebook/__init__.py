"""The facade the notebooks call (``from clip_course import notebook as nb``); nothing below imports it.

:mod:`.session` holds a notebook's set-up, outputs and captioned figures and tables;
:mod:`clip_course.tasks.entries` the per-dataset zero-shot and probe entries of notebooks 03/04,
re-exported here so a notebook reads ``nb.zero_shot_entry`` and ``nb.probe_entry``;
:mod:`.params` checks papermill parameters; :mod:`.widget` is notebook 02's interactive widget.
"""

from clip_course.notebook.session import *  # noqa: F403
from clip_course.notebook.session import __all__ as _session_all
from clip_course.tasks.entries import (
    dataset_record,
    features,
    kshot_summary,
    probe_entry,
    zero_shot_entry,
)

__all__ = [*_session_all, "dataset_record", "features", "kshot_summary", "probe_entry", "zero_shot_entry"]
