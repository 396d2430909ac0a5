"""A page's plain text without its furniture, as a reader sees it (rewritten rows included)."""

from __future__ import annotations

from .model import Geometry, PageRows

SEGMENT_SEPARATOR = "   "  # between a row's segments (columns) in the page text


def plain_page(page: PageRows, geometry: Geometry) -> str:
    """The page's rows as plain lines, a blank line where the page leaves one."""
    out: list[str] = []
    last_y: float | None = None
    for row in page.rows:
        text = row.text_override
        if text is None:
            text = SEGMENT_SEPARATOR.join(seg.text for seg in row.segs)
        if last_y is not None and row.y - last_y > geometry.blank_gap and out and out[-1]:
            out.append("")
        last_y = row.y
        if text == "":
            continue
        out.extend(line.strip() for line in text.split("\n"))
    return "\n".join(out).strip("\n")
