"""What a printed PDF says about itself: its outline (section -> page) and page count."""

from __future__ import annotations

from pathlib import Path

__all__ = ["outline_pages", "Path", "pdf_page_count"]


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
                    pages.setdefault(_norm(item.title), page + 1)

    walk(reader.outline)
    return pages


def _norm(text: str) -> str:
    return " ".join(text.replace("¶", " ").split())


def pdf_page_count(pdf: Path) -> int:
    """Pages of a PDF, reading it fully (a corrupt file raises)."""
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)
