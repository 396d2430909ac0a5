"""Fixed-width text exports (Final Draft / Fade In "text with layout"), read as laid-out pages:
a line's indentation gives its x."""

from __future__ import annotations

from .model import COURIER_CHAR_WIDTH, DEFAULT_FONT_SIZE, LayoutResult, PositionedLine
from .patterns import PAGE_NUMBER
from .pipeline import classify_pages

TEXT_LINE_HEIGHT = 12.0  # points per text line (12 pt Courier, single spaced)
TEXT_LEFT = 72.0  # points: the one-inch left margin where an unindented line starts
TAB_WIDTH = 8  # columns per tab stop
INDENTED_MIN_SPACES = 5  # a line led by this many spaces is indented (a cue, dialogue ...)
MIN_INDENTED_LINES = 2  # an export needs this many indented lines ...
INDENTED_DIVISOR = 20  # ... and at least one in this many of its lines indented
PAGE_NUMBER_MIN_SPACES = 40  # a page number led by this many spaces starts a page (no \f)
PAGE_SPARE_LINES = 2  # lines of margin added to the longest page for the page height


def classify_text_export(text: str) -> LayoutResult | None:
    """Classify a fixed-width text export whose columns are leading spaces.

    Each line becomes a :class:`PositionedLine` at ``x = 72 + 7.2 × leading spaces`` and
    ``y = 12 × line index``; form feeds separate pages (without any, a line holding only a page
    number far to the right starts a new page, as Final Draft's text export prints it). Returns
    None when the text has no indentation structure (a flush-left export: parse it as Fountain)
    or does not read as a screenplay.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    raw_pages = text.split("\f") if "\f" in text else _split_on_page_numbers(text)
    pages: list[list[PositionedLine]] = []
    indented = lines_total = 0
    for raw in raw_pages:
        lines: list[PositionedLine] = []
        for index, line in enumerate(raw.expandtabs(TAB_WIDTH).split("\n")):
            stripped = line.strip()
            if not stripped:
                continue
            lead = len(line) - len(line.lstrip(" "))
            lines_total += 1
            if lead >= INDENTED_MIN_SPACES:
                indented += 1
            x = TEXT_LEFT + lead * COURIER_CHAR_WIDTH
            lines.append(
                PositionedLine(
                    x=x,
                    y=(index + 1) * TEXT_LINE_HEIGHT,
                    text=line.rstrip()[lead:],
                    size=DEFAULT_FONT_SIZE,
                    x_end=x + len(line.rstrip()[lead:]) * COURIER_CHAR_WIDTH,
                )
            )
        pages.append(lines)
    while len(pages) > 1 and not pages[-1]:
        pages.pop()
    if lines_total == 0 or indented < max(MIN_INDENTED_LINES, lines_total // INDENTED_DIVISOR):
        return None
    longest = max((len(raw.split("\n")) for raw in raw_pages), default=1)
    widest = max((line.x_end or 0.0) for page in pages for line in page)
    sizes = [(widest + TEXT_LEFT, (longest + PAGE_SPARE_LINES) * TEXT_LINE_HEIGHT)] * len(pages)
    result = classify_pages(pages, page_sizes=sizes)
    return result if result.is_screenplay else None


def _split_on_page_numbers(text: str) -> list[str]:
    pages: list[list[str]] = [[]]
    for line in text.split("\n"):
        lead = len(line) - len(line.lstrip(" "))
        if (
            lead >= PAGE_NUMBER_MIN_SPACES
            and PAGE_NUMBER.match(line.strip())
            and any(s.strip() for s in pages[-1])
        ):
            pages.append([])
        pages[-1].append(line)
    return ["\n".join(page) for page in pages]
