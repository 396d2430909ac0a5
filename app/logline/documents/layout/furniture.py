"""Stage 2: page furniture is removed and printed page numbers become page labels.

In the top and bottom bands of a page, a lone page number ("2.", "- 2 -", "Page 2", "45A.")
becomes the page's label and is removed, as are header/footer lines that repeat on many pages
(revision headers) and "CONTINUED:" / "(CONTINUED)" at a page's top or bottom.
"""

from __future__ import annotations

import re
from collections import Counter

from .model import PageRows, Row
from .patterns import CONTINUED, PAGE_NUMBER, SCENE_NUMBER

FURNITURE_BAND = 0.1  # of the page height: the top and bottom bands where furniture sits
FURNITURE_BAND_LINES = 2.5  # line heights: the bands are at least this deep on short pages
HEADER_APART_LINES = 1.4  # line heights: a header row stands at least this far from the body
REPEATED_SHARE = 0.3  # of the pages: a header/footer text repeated on this many is furniture
REPEATED_MIN_PAGES = 3  # ... and on at least this many pages
CONTINUED_EDGE_ROWS = 2  # a CONTINUED among a page's first or last this many rows is furniture


def strip_furniture(
    doc: list[PageRows], sizes: list[tuple[float, float]], line_height: float
) -> None:
    """Remove page numbers (keeping them as labels), repeated headers/footers and CONTINUEDs."""
    repeated = _repeated_band_texts(doc, sizes)
    for page, (_, height) in zip(doc, sizes, strict=True):
        band = max(FURNITURE_BAND * height, FURNITURE_BAND_LINES * line_height)
        keep: list[Row] = []
        for index, row in enumerate(page.rows):
            in_top = row.y <= band
            in_bottom = row.y >= height - band
            if in_top or in_bottom:
                label = _page_number(row, index, page.rows, line_height)
                if label is not None:
                    if page.label is None:
                        page.label = label
                    continue
                if _band_key(row.text) in repeated and (index == 0 or index == len(page.rows) - 1):
                    continue
            keep.append(row)
        page.rows = _strip_continued(keep)


def page_labels(doc: list[PageRows]) -> list[str]:
    """Printed labels; an unnumbered page right before a numbered "n" (n ≥ 2) is "n-1"."""
    labels: list[str] = []
    for index, page in enumerate(doc):
        if page.label is not None:
            labels.append(page.label)
            continue
        following = doc[index + 1].label if index + 1 < len(doc) else None
        if following is not None and following.isdigit() and int(following) >= 2:
            labels.append(str(int(following) - 1))
        else:
            labels.append(str(index + 1))
    return labels


def _page_number(row: Row, index: int, rows: list[Row], line_height: float) -> str | None:
    numbers = [seg for seg in row.segs if PAGE_NUMBER.match(seg.text)]
    if not numbers:
        return None
    if len(row.segs) == 1:
        match = PAGE_NUMBER.match(row.segs[0].text)
        if match is None:  # (matched above)
            return None
        return (match.group(1) or match.group(2)).upper()
    # a header row ("Blue Rev. 03/02/22   45A."): the number is the rightmost part, the row is
    # the page's first or last and stands apart from the body; two numbers are scene numbers
    if len(numbers) != 1 or numbers[0] is not row.segs[-1]:
        return None
    if index == 0:
        apart = len(rows) == 1 or rows[1].y - row.y >= HEADER_APART_LINES * line_height
    elif index == len(rows) - 1:
        apart = row.y - rows[index - 1].y >= HEADER_APART_LINES * line_height
    else:
        apart = False
    if not apart:
        return None
    match = PAGE_NUMBER.match(numbers[0].text)
    if match is None:  # (matched above)
        return None
    return (match.group(1) or match.group(2)).upper()


def _band_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _repeated_band_texts(doc: list[PageRows], sizes: list[tuple[float, float]]) -> set[str]:
    """Header/footer texts (digits ignored) on the first/last row of many pages."""
    if len(doc) < REPEATED_MIN_PAGES:
        return set()
    counts: Counter[str] = Counter()
    for page, (_, height) in zip(doc, sizes, strict=True):
        keys = set()
        if page.rows and page.rows[0].y <= FURNITURE_BAND * height:
            keys.add(_band_key(page.rows[0].text))
        if page.rows and page.rows[-1].y >= (1 - FURNITURE_BAND) * height:
            keys.add(_band_key(page.rows[-1].text))
        counts.update(keys)
    limit = max(REPEATED_MIN_PAGES, int(REPEATED_SHARE * len(doc)))
    return {key for key, count in counts.items() if count >= limit and key not in ("(more)",)}


def _strip_continued(rows: list[Row]) -> list[Row]:
    """Drop "CONTINUED:" / "(CONTINUED)" rows near a page's top or bottom."""
    result = []
    for index, row in enumerate(rows):
        near_edge = index < CONTINUED_EDGE_ROWS or index >= len(rows) - CONTINUED_EDGE_ROWS
        texts = [seg.text for seg in row.segs if not SCENE_NUMBER.match(seg.text)]
        if near_edge and texts and all(CONTINUED.match(text) for text in texts):
            continue
        result.append(row)
    return result
