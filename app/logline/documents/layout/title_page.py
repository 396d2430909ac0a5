"""A screenplay's title page: recognised by its centred lines and no scene headings, read into
Fountain-style keys (title, credit, author, source, notes from the centred block; contact, draft
date and copyright from the bottom corners)."""

from __future__ import annotations

import re
import statistics

from .columns import is_centred
from .model import Geometry, PageRows, Seg
from .patterns import heading_text
from .rows import strip_scene_numbers

CREDIT = re.compile(
    r"^(?:(?:original\s+)?(?:written|screenplay|teleplay|story|script|adaptation|adapted|"
    r"created|pilot)(?:\s+(?:and|&)\s+\w+)?\s+)?by:?$",
    re.IGNORECASE,
)
SOURCE = re.compile(
    r"^(?:based\s+(?:on|upon)|inspired\s+by|adapted\s+from|from\s+the|"
    r"(?:original\s+)?(?:story|novel|book|characters)\s+by)\b",
    re.IGNORECASE,
)
COPYRIGHT = re.compile(r"(?:\(c\)|©|copyright)", re.IGNORECASE)
DATE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\b\d{1,2}[/.-]\d{1,2}"
    r"[/.-]\d{2,4}\b|\b(?:19|20)\d\d\b|\bdraft\b|\brevision\b|\brev\.",
    re.IGNORECASE,
)
PHONE_DIGITS = re.compile(r"\d{3}")  # three digits in a row: a phone number, a contact

TITLE_PAGE_MAX_ROWS = 45  # a page with more rows is script, not a title page
CENTRED_ROWS_DIVISOR = 3  # a title page centres at least one in this many of its rows ...
SPARE_ROWS = 2  # ... not counting this many (contact and date lines)
SHORT_TITLE_PAGE_ROWS = 12  # a page this short with two centred lines is a title page too
OFF_MARGIN_CHARS = 2  # chars right of the action margin where a title line's centre counts
AUTHOR_GAP_LINES = 2.5  # line heights: authors follow the credit line within this gap
DATE_BLOCK_MAX_LINES = 2  # a bottom-right block this short ending in a date is the draft date


def looks_like_title_page(page: PageRows, geometry: Geometry, width: float) -> bool:
    """A short page without scene headings whose lines are largely centred."""
    rows = page.rows
    if not rows or len(rows) > TITLE_PAGE_MAX_ROWS:
        return False
    for row in rows:
        if heading_text(strip_scene_numbers(row)[1]):
            return False
    own = _title_centre(page, geometry)
    centred = sum(1 for row in rows for seg in row.segs if is_centred(seg, geometry, width, own))
    return (centred >= 1 and centred * CENTRED_ROWS_DIVISOR >= len(rows) - SPARE_ROWS) or (
        centred >= 2 and len(rows) <= SHORT_TITLE_PAGE_ROWS
    )


def read_title_page(
    page: PageRows, geometry: Geometry, size: tuple[float, float]
) -> dict[str, str]:
    """Fountain-style keys from a title page's centred block and its bottom corners."""
    centred: list[Seg] = []
    left: list[Seg] = []
    right: list[Seg] = []
    own = _title_centre(page, geometry)
    for row in page.rows:
        for seg in row.segs:
            if is_centred(seg, geometry, size[0], own):
                centred.append(seg)
            elif seg.x < geometry.centre:
                left.append(seg)
            else:
                right.append(seg)
    fields: dict[str, list[str]] = {}

    def add(key: str, text: str) -> None:
        fields.setdefault(key, []).append(text)

    gap = geometry.blank_gap
    groups = _groups(centred, gap)
    credit_at = next((i for i, seg in enumerate(centred) if CREDIT.match(seg.text)), None)
    if credit_at is not None:
        for seg in centred[:credit_at]:
            add("title", seg.text)
        add("credit", centred[credit_at].text)
        rest = centred[credit_at + 1 :]
        authors: list[Seg] = []
        author_gap = AUTHOR_GAP_LINES * geometry.line_height
        for seg in rest:
            previous = authors[-1] if authors else centred[credit_at]
            if (
                seg.y - previous.y <= author_gap
                and not SOURCE.match(seg.text)
                and (not COPYRIGHT.search(seg.text))
            ):
                authors.append(seg)
            else:
                break
        for seg in authors:
            add("author", seg.text)
        remaining = rest[len(authors) :]
    else:
        first = groups[0] if groups else []
        for seg in first:
            add("title", seg.text)
        remaining = [seg for group in groups[1:] for seg in group]
    in_source = False
    for seg in remaining:
        if COPYRIGHT.search(seg.text):
            add("copyright", seg.text)
            in_source = False
        elif SOURCE.match(seg.text) or in_source:
            add("source", seg.text)
            in_source = not seg.text.rstrip().endswith(".")
        else:
            add("notes", seg.text)
    for block, default in ((left, "contact"), (right, "draft date")):
        for group in _groups(block, gap):
            texts = [seg.text for seg in group]
            if all(COPYRIGHT.search(t) for t in texts):
                key = "copyright"
            elif (
                all(DATE.search(t) for t in texts[-1:])
                and len(texts) <= DATE_BLOCK_MAX_LINES
                and not any("@" in t for t in texts)
            ):
                key = "draft date"
            elif default == "draft date" and not any(DATE.search(t) for t in texts):
                reachable = any("@" in t or PHONE_DIGITS.search(t) for t in texts)
                key = "contact" if reachable else "notes"
            else:
                key = default
            for text in texts:
                add(key, text)
    return {key: "\n".join(values) for key, values in fields.items() if values}


def _title_centre(page: PageRows, geometry: Geometry) -> float | None:
    """The median centre of a title page's lines that are off the left margin."""
    centres = [
        (seg.x + seg.x_end) / 2
        for row in page.rows
        for seg in row.segs
        if seg.x > geometry.action_x + OFF_MARGIN_CHARS * geometry.char_width
    ]
    return statistics.median(centres) if centres else None


def _groups(segs: list[Seg], gap: float) -> list[list[Seg]]:
    """Segments split where the vertical step exceeds ``gap`` (a blank line)."""
    groups: list[list[Seg]] = []
    for seg in sorted(segs, key=lambda s: (s.y, s.x)):
        if groups and seg.y - groups[-1][-1].y <= gap:
            groups[-1].append(seg)
        else:
            groups.append([seg])
    return groups
