"""Stage 1: positioned lines become rows of segments, one row per baseline.

A line holding six or more spaces is split there (dual-dialogue columns and margin scene numbers
in text exports); revision asterisks in the margin are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .model import DEFAULT_FONT_SIZE, EM_CHAR_WIDTH, PositionedLine, Row, Seg
from .patterns import NUMBERED_HEADING, SCENE_NUMBER, heading_text

SPLIT_SPACES = re.compile(r" {6,}")  # a gap this wide inside one line separates two columns
REVISION_MARK = re.compile(r"^\*+$")  # revision asterisks in the right margin
SAME_BASELINE = 0.35  # of the larger font size: segments this close vertically share a row
MAX_COORDINATE = 1e7  # points: a larger (or NaN) coordinate or size is garbage and dropped


def build_rows(page: int, lines: Sequence[PositionedLine]) -> list[Row]:
    """The rows of page ``page`` (0-based): segments grouped by baseline, each sorted by x."""
    segs: list[Seg] = []
    for line in lines:
        text = " ".join(str(line.text).replace("\t", " ").split(" "))
        if not text.strip():
            continue
        size = float(line.size) if line.size and line.size > 0 else DEFAULT_FONT_SIZE
        x, y = float(line.x), float(line.y)
        if not (finite(x) and finite(y) and finite(size)):
            continue
        x_end = float(line.x_end) if line.x_end is not None and finite(line.x_end) else None
        width = (x_end - x) / len(text) if x_end is not None and x_end > x else EM_CHAR_WIDTH * size
        pos = 0
        for part in SPLIT_SPACES.split(text):
            start = text.index(part, pos)
            pos = start + len(part)
            stripped = part.strip()
            if not stripped or REVISION_MARK.match(stripped):
                continue
            offset = start + len(part) - len(part.lstrip())
            seg_x = x + offset * width
            segs.append(Seg(page, seg_x, y, seg_x + len(stripped) * width, size, stripped))
    segs.sort(key=lambda s: (s.y, s.x))
    rows: list[Row] = []
    for seg in segs:
        if rows and abs(seg.y - rows[-1].y) <= SAME_BASELINE * max(seg.size, rows[-1].first.size):
            rows[-1].segs.append(seg)
        else:
            rows.append(Row(page, seg.y, [seg]))
    for row in rows:
        row.segs.sort(key=lambda s: s.x)
    return rows


def finite(value: float) -> bool:
    """True for a usable coordinate: not NaN, not absurdly large."""
    return value == value and abs(value) < MAX_COORDINATE


def main_seg(row: Row) -> Seg:
    """The row's first segment that is not a margin scene number."""
    for seg in row.segs:
        if not SCENE_NUMBER.match(seg.text) or len(row.segs) == 1:
            return seg
    return row.segs[0]


def strip_scene_numbers(row: Row) -> tuple[str | None, str]:
    """(scene number, text) of a row whose heading may carry scene numbers in its margins."""
    segs = row.segs
    number: str | None = None
    if len(segs) >= 2:
        texts = [seg.text for seg in segs]
        first = SCENE_NUMBER.match(texts[0])
        last = SCENE_NUMBER.match(texts[-1])
        if first:
            number = first.group(1)
            texts = texts[1:]
        if last and len(texts) >= 2:
            number = number or last.group(1)
            texts = texts[:-1]
        text = " ".join(texts)
    else:
        text = segs[0].text
    if number is None:
        match = NUMBERED_HEADING.match(text)
        if match and heading_text(match.group(2)):
            number, text = match.group(1), match.group(2)
    return number, text
