"""The reading of a whole document, stage by stage (see the package docstring)."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence

from .columns import is_screenplay, measure_columns
from .furniture import page_labels, strip_furniture
from .metrics import measure_char_width, measure_line_height, measure_page_sizes
from .model import LayoutResult, PageRows, PositionedLine
from .page_text import plain_page
from .paragraphs import paragraphs
from .rows import build_rows
from .screenplay import ScreenplayReader
from .title_page import looks_like_title_page, read_title_page

logger = logging.getLogger(__name__)


def classify_pages(
    pages: Sequence[Sequence[PositionedLine]],
    *,
    page_sizes: Sequence[tuple[float, float]] | None = None,
) -> LayoutResult:
    """Recover screenplay (or paragraph) structure from the positioned lines of each page.

    ``page_sizes`` gives (width, height) per page in the lines' units; without it the extent of
    the text stands in. Raises nothing for odd input: empty pages give empty texts.
    """
    doc = [PageRows(rows=build_rows(index, lines)) for index, lines in enumerate(pages)]
    sizes = measure_page_sizes(doc, page_sizes)
    all_rows = [row for page in doc for row in page.rows]
    if not all_rows:
        labels = [str(i + 1) for i in range(len(doc))]
        return LayoutResult(False, {}, [], labels, ["" for _ in doc])
    char_width = measure_char_width(all_rows)
    line_height = measure_line_height(doc, char_width)
    strip_furniture(doc, sizes, line_height)
    labels = page_labels(doc)
    page_width = statistics.median(w for w, _ in sizes)
    geometry = measure_columns(doc, char_width, line_height, page_width)
    screenplay = is_screenplay(geometry)
    logger.debug(
        "Layout: %d pages, %d rows, headings=%d cues=%d, screenplay=%s",
        len(doc),
        len(all_rows),
        geometry.headings,
        geometry.cue_evidence,
        screenplay,
    )
    title_page: dict[str, str] = {}
    body_pages = doc
    if screenplay:
        if doc and looks_like_title_page(doc[0], geometry, sizes[0][0]):
            title_page = read_title_page(doc[0], geometry, sizes[0])
            body_pages = [PageRows(), *doc[1:]]  # keep page indices aligned
        elements, texts = ScreenplayReader(geometry).run(body_pages)
        if title_page:
            texts[0] = plain_page(doc[0], geometry)
    else:
        elements = paragraphs(doc, geometry)
        texts = [plain_page(page, geometry) for page in doc]
    return LayoutResult(screenplay, title_page, elements, labels, texts)
