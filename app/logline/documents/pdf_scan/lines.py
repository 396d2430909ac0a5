"""Text runs become positioned lines: runs on one baseline are joined left to right, and a wide
gap splits a line into separately placed segments (margin scene numbers, dual dialogue)."""

from __future__ import annotations

from ..layout.model import EM_CHAR_WIDTH, PositionedLine
from .runs import TextRun

BASELINE_TOLERANCE = 0.33  # of the larger font size: runs this close vertically share a line
MIN_BASELINE_TOLERANCE = 1.0  # points: the tolerance for tiny fonts
OVERPRINT_SHIFT = 0.5  # of the font size: the same text shifted less than this is a fake bold
SEGMENT_GAP_CHARS = 2.5  # average character widths: a wider gap starts a separate segment ...
SEGMENT_GAP_EM = 0.9  # ... when it is also wider than this share of the font size
SPACE_GAP_CHARS = 0.3  # character widths (plus SPACE_GAP_EM): a wider gap is a word space
SPACE_GAP_EM = 0.1  # of the font size, added to SPACE_GAP_CHARS
MIN_CHAR_EM = 0.1  # of the font size: a narrower measured character width is estimated instead


def runs_to_lines(runs: list[TextRun]) -> list[PositionedLine]:
    """Group runs into lines: same baseline (within a third of the font size), sorted by x.

    Runs closer than 0.3 × size join directly (one glyph per run in Final Draft files), wider gaps
    become a space, and gaps wider than ~2.5 average character widths start a separate segment
    (margin scene numbers, dual-dialogue columns): each segment is its own ``PositionedLine``.
    """
    if not runs:
        return []
    ordered = sorted(runs, key=lambda r: (round(r.y, 1), r.x))
    rows: list[list[TextRun]] = []
    row: list[TextRun] = [ordered[0]]
    base = ordered[0].y
    for run in ordered[1:]:
        tolerance = max(MIN_BASELINE_TOLERANCE, BASELINE_TOLERANCE * max(run.size, row[0].size))
        if abs(run.y - base) <= tolerance:
            row.append(run)
        else:
            rows.append(row)
            row = [run]
            base = run.y
    rows.append(row)
    lines: list[PositionedLine] = []
    for row in rows:
        row.sort(key=lambda r: r.x)
        lines.extend(_row_segments(row))
    return lines


def _row_segments(row: list[TextRun]) -> list[PositionedLine]:
    segments: list[PositionedLine] = []
    parts: list[str] = []
    start = row[0]
    end = start.x
    size = start.size
    prev: TextRun | None = None
    for run in row:
        if (
            prev is not None
            and run.text == prev.text
            and abs(run.x - prev.x) < OVERPRINT_SHIFT * run.size
        ):
            continue  # over-printed duplicate (fake bold)
        char_width = _char_width(run)
        gap = run.x - end
        if parts and gap > max(SEGMENT_GAP_CHARS * char_width, SEGMENT_GAP_EM * run.size):
            segments.append(_segment(start, parts, end, size))
            parts, start, size = [], run, run.size
        elif (
            parts
            and gap > SPACE_GAP_CHARS * char_width + SPACE_GAP_EM * run.size
            and not parts[-1].endswith(" ")
            and not run.text.startswith(" ")
        ):
            parts.append(" ")
        parts.append(run.text)
        end = max(end, run.x_end)
        size = max(size, run.size)
        prev = run
    if parts:
        segments.append(_segment(start, parts, end, size))
    return [segment for segment in segments if segment.text]


def _char_width(run: TextRun) -> float:
    count = len(run.text)
    width = (run.x_end - run.x) / count if count else 0.0
    return width if width > MIN_CHAR_EM * run.size else EM_CHAR_WIDTH * run.size


def _segment(start: TextRun, parts: list[str], end: float, size: float) -> PositionedLine:
    text = "".join(parts)
    stripped = text.lstrip(" ")
    x = start.x + (len(text) - len(stripped)) * _char_width(start)
    return PositionedLine(x=x, y=start.y, text=stripped.rstrip(" "), size=size, x_end=end)
