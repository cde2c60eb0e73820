"""Page numbers for the table of contents of a printed report.

Chromium has no CSS ``target-counter()``, so the numbers come from a first print: the PDF's outline
(bookmarks, one per heading, which Chromium writes with ``outline=True``) tells on which page each
heading landed. :mod:`iamkit.report.browser` then writes the numbers into the contents and prints again.
The contents sit on the cover page, which ends with a page break, so the numbers cannot move anything after
them; the browser still checks the second print and prints a third time if a number changed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pypdf import PdfReader

_SPACE = re.compile(r"\s+")


def _key(title: str) -> str:
    # Chromium's outline titles drop and merge some spaces (e.g. around inline code): compare without them
    return _SPACE.sub("", title).casefold()


def outline_pages(pdf: Path) -> list[tuple[str, int]]:
    """(title, 1-based page) of every outline entry, in document order (nested entries included)."""
    reader = PdfReader(pdf)
    out: list[tuple[str, int]] = []

    def walk(items: Sequence) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                out.append((str(item.title), reader.get_destination_page_number(item) + 1))

    walk(reader.outline)
    return out


def heading_pages(pdf: Path, titles: Sequence[str]) -> list[int | None]:
    """The page of each title in ``titles`` (the contents' entries, in document order): the first outline
    entry with that title after the previous entry's match; None when a title has no heading in the PDF."""
    entries = outline_pages(pdf)
    pages: list[int | None] = []
    start = 0
    for title in titles:
        k = _key(title)
        hit = next((i for i in range(start, len(entries)) if _key(entries[i][0]) == k), None)
        if hit is None:
            pages.append(None)
            continue
        pages.append(entries[hit][1])
        start = hit + 1
    return pages


def page_counts(pdf: Path, appendix: str = "Appendices") -> tuple[int, int | None]:
    """(pages in all, pages of the body before the appendices: the page before the ``appendix`` heading's),
    the page budget of a report; the body is None when the PDF has no such heading."""
    pages = len(PdfReader(pdf).pages)
    hit = next((p for t, p in outline_pages(pdf) if _key(t) == _key(appendix)), None)
    return pages, (hit - 1 if hit is not None else None)
