"""What a printed PDF says about itself: its outline (section -> page) and page count."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["outline_pages", "page_of", "Path", "pdf_page_count", "undouble"]


def outline_pages(pdf: Path) -> dict[str, int]:
    """{heading text: 1-based page} from the PDF's outline (Chromium's document outline)."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    pages: dict[str, int] = {}

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                page = reader.get_destination_page_number(item)
                if page is not None:  # an entry pointing at no page has no page to report
                    pages.setdefault(_norm(undouble(item.title)), page + 1)

    walk(reader.outline)
    return pages


def _doubled(text: str) -> bool:
    half = len(text) // 2
    return len(text) % 2 == 0 and text[:half] == text[half:]


def undouble(title: str) -> str:
    """An outline title whose text pieces Chromium wrote twice, as the heading reads.

    Chromium sometimes (seen with CJK headings) writes each text node of a heading twice into the
    outline: "摘要摘要", "11 CLIP 介绍 CLIP 介绍" (number, then title, each doubled). A title that is
    one or two doubled pieces is read as its single pieces; any other title is left as it is."""
    if title and _doubled(title):
        return title[:len(title) // 2]
    for i in range(2, len(title) - 1, 2):
        head, tail = title[:i], title[i:]
        if _doubled(head) and _doubled(tail):
            return head[:i // 2] + tail[:len(tail) // 2]
    return title


def _norm(text: str) -> str:
    """The key a heading is matched by, in the contents and in the PDF outline: its word characters
    only, since the outline drops the space where a long heading wraps ("shapes100(CIFAR") and
    the text of typeset math ("the $\\lambda$ sweep" is "the sweep" there)."""
    return re.sub(r"\W+", "", re.sub(r"\$[^$]*\$", "", text.replace("¶", " ")))


def pdf_page_count(pdf: Path) -> int:
    """Pages of a PDF, reading it fully (a corrupt file raises)."""
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def page_of(pages: dict[str, int], label: str, number: str = "") -> int | None:
    """The page of the heading ``label`` ("6.4 Title") in an outline read by :func:`outline_pages`;
    a numbered heading whose title the outline holds differently (math drawn by MathJax has no
    text there: "6.4 编辑强度与保真度： 扫描") is found by its number, which is unique."""
    page = pages.get(_norm(label))
    if page is None and number:
        found = [p for key, p in pages.items() if key.split(" ", 1)[0] == number]
        page = found[0] if len(found) == 1 else None
    return page
