"""Markdown tables for the notebooks: a generic table, the loaded model's architecture and
notebook 06's comparison table. Re-exported by :mod:`clip_course.notebook.session`, so a notebook
reads ``nb.markdown_table``, ``nb.model_table`` and ``nb.comparison_markdown``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clip_course.data.published import REFERENCE_MODEL, VIT_B32
from clip_course.io import printable
from clip_course.report.i18n import Bi, maybe_tr, tr
from clip_course.tasks.studies import COMPARISON_COLUMNS

__all__ = ["Bi", "comparison_markdown", "markdown_table", "model_table"]


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table; floats get one decimal; a header the catalogue knows is in both languages;
    control characters in cells (class and file names are data) escaped."""
    def cell(v: Any) -> str:
        if v is None:
            return "–"
        if isinstance(v, float):
            return f"{0.0 if abs(v) < 0.05 else v:.1f}"  # never a signed zero
        return printable(v).replace("|", "\\|")  # a name with a newline must not end the row

    lines = ["| " + " | ".join(str(maybe_tr(h)).replace("|", "\\|") for h in headers) + " |",
             "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


_MODEL_ROWS = [
    ("parameters", "parameters"), ("image encoder", "image_encoder"),
    ("input resolution (px)", "input_resolution"), ("vision width", "vision_width"),
    ("vision layers", "vision_layers"), ("patch size (px)", "patch_size"),
    ("text width", "text_width"), ("text layers", "text_layers"), ("text heads", "text_heads"),
    ("context length (tokens)", "context_length"), ("vocabulary", "vocab_size"),
    ("joint embedding", "embed_dim"),
]


def model_table(info: Mapping[str, Any], compare: Mapping[str, Any] | None = VIT_B32,
                name: Bi | str | None = None) -> str:
    """The loaded model's architecture (``LoadedModel.describe()``) as a markdown table,
    beside openai's ViT-B/32 unless that is the model itself. ``name``: the model's name from its
    hash (:func:`clip_course.report.prose.session_name`), never a path; by default the recorded name."""
    other = (None if compare is None or info.get("name") == REFERENCE_MODEL or getattr(name, "openai", False)
             else compare)
    same = other is None
    headers = (["", tr("loaded: {name}", name=info.get("name") if name is None else name)]
               + ([] if same else [tr("OpenAI's {name}", name=REFERENCE_MODEL)]))

    def fmt(key: str, v: Any) -> Any:
        return f"{v:,}" if key in ("parameters", "vocab_size") and isinstance(v, int) else v

    rows = [[label, fmt(key, info.get(key))] + ([] if other is None else [fmt(key, other.get(key))])
            for label, key in _MODEL_ROWS]
    rows.append(["learned logit scale (1/τ)", f"{info.get('logit_scale', float('nan')):.1f}"]
                + ([] if same else ["100.0"]))
    return markdown_table(headers, [[maybe_tr(r[0]), *r[1:]] for r in rows])


def comparison_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """Notebook 06's comparison table (:func:`clip_course.tasks.studies.comparison_table`) as
    Markdown: ours, then the references with their dataset."""
    return markdown_table(list(COMPARISON_COLUMNS.values()),
                          [[maybe_tr(r[k]) if k == "quantity" else r.get(k) for k in COMPARISON_COLUMNS] for r in rows])
