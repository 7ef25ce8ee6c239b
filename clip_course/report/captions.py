"""Figure captions generated from the data they caption.

A caption states only what its figure's numbers carry: "the matching pairs stand out" only when the
diagonal's interval says so (:func:`clip_course.report.verdicts.diagonal_stands_out`), the order of
the bars as the figure draws them, hatching only where there are hatched bars, and how many of the
example images are right as counted. Notebooks pass ``caption.en`` and ``zh=caption.zh`` to
``nb.figure``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clip_course.report import verdicts as V
from clip_course.report.i18n import Bi, tr


def similarity_caption(sim: Any) -> Bi:
    """The similarity matrix's caption, from the matrix: "matching pairs stand out" only when each
    image's diagonal-minus-off-diagonal gap has an interval above zero over the batch."""
    s = np.asarray(sim, dtype=float)
    n = s.shape[0]
    off = [(s[i].sum() - s[i, i]) / max(n - 1, 1) for i in range(n)]
    head = tr("Cosine similarity of every image with every caption of one batch")
    if V.diagonal_stands_out(np.diag(s), off):
        return head + tr(": the matching pairs on the diagonal stand out, which is what the contrastive loss trains.")
    return head + tr(": the matching pairs on the diagonal do not stand out from the other pairings in this batch "
                     "(their gap's 95% interval reaches zero), which a trained model's would.")
