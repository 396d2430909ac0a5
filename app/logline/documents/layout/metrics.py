"""The document's measures read from its rows: page sizes, character width and line height."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence

from .model import COURIER_CHAR_WIDTH, DEFAULT_PAGE_SIZE, EM_CHAR_WIDTH, PageRows, Row

MIN_PAGE_EXTENT = 1.0  # points: an estimated page is at least this wide and high
MEASURED_MIN_CHARS = 5  # shorter segments are too short to measure a character width on
MIN_CHAR_WIDTH = 0.5  # points: a narrower measured character width is noise
LINE_STEP_CANDIDATES = 5  # the commonest row-to-row steps among which the line height is chosen
LINE_STEP_MIN_COUNT = 2  # a step seen fewer times cannot be the line height (unless alone)


def measure_page_sizes(
    doc: list[PageRows], sizes: Sequence[tuple[float, float]] | None
) -> list[tuple[float, float]]:
    """(width, height) per page: the given sizes, else the text extent plus its top/left margin."""
    if sizes is not None and len(sizes) == len(doc):
        return [(float(w), float(h)) for w, h in sizes]
    segs = [seg for page in doc for row in page.rows for seg in row.segs]
    if not segs:
        return [DEFAULT_PAGE_SIZE] * len(doc)
    width = max(seg.x_end for seg in segs) + min(seg.x for seg in segs)
    height = max(seg.y for seg in segs) + min(seg.y for seg in segs)
    return [(max(width, MIN_PAGE_EXTENT), max(height, MIN_PAGE_EXTENT))] * len(doc)


def measure_char_width(rows: list[Row]) -> float:
    """The median character width of segments long enough to measure (else from font sizes)."""
    widths = [
        (seg.x_end - seg.x) / len(seg.text)
        for row in rows
        for seg in row.segs
        if len(seg.text) >= MEASURED_MIN_CHARS and seg.x_end > seg.x
    ]
    if not widths:
        sizes = [seg.size for row in rows for seg in row.segs]
        if not sizes:
            return COURIER_CHAR_WIDTH
        return max(EM_CHAR_WIDTH * statistics.median(sizes), MIN_CHAR_WIDTH)
    return max(statistics.median(widths), MIN_CHAR_WIDTH)


def measure_line_height(doc: list[PageRows], char_width: float) -> float:
    """The smallest common step between consecutive rows (single spacing)."""
    steps: Counter[float] = Counter()
    for page in doc:
        for before, after in zip(page.rows, page.rows[1:], strict=False):
            step = round(after.y - before.y, 1)
            if step > 0:
                steps[step] += 1
    if not steps:
        return char_width / EM_CHAR_WIDTH
    smallest_common = [
        step
        for step, count in steps.most_common(LINE_STEP_CANDIDATES)
        if count >= LINE_STEP_MIN_COUNT
    ]
    return min(smallest_common) if smallest_common else steps.most_common(1)[0][0]
