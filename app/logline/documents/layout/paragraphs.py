"""Generic (non-screenplay) documents: rows become paragraphs."""

from __future__ import annotations

from ..elements import Element, ElementType
from .model import Geometry, PageRows, Row
from .patterns import join_wrapped
from .rows import main_seg

PARAGRAPH_END = (".", "!", "?", ":", '"', "”")  # a paragraph ending so does not run on
FIRST_LINE_INDENT_CHARS = 1.5  # chars: a line indented this far from the one above starts one
AT_MARGIN_CHARS = 0.5  # chars: ... when the line above sits this close to the left margin
SIZE_CHANGE_SHARE = 0.15  # of the larger font size: a bigger size change starts a paragraph


def paragraphs(doc: list[PageRows], geometry: Geometry) -> list[Element]:
    """One PARAGRAPH element per paragraph: a blank line, a first-line indent or a change of
    font size starts one; a paragraph runs on across a page break when it does not end a
    sentence and the next page starts in lower case."""
    g = geometry
    elements: list[Element] = []
    for number, page in enumerate(doc):
        last: Row | None = None
        for row in page.rows:
            seg = main_seg(row)
            text = row.text.strip()
            if not text:
                continue
            if last is None:
                if (
                    number > 0
                    and elements
                    and elements[-1].page == number
                    and not elements[-1].text.rstrip().endswith(PARAGRAPH_END)
                    and text[:1].islower()
                ):
                    elements[-1].text = join_wrapped(elements[-1].text, text)
                else:
                    elements.append(Element(ElementType.PARAGRAPH, text, page=number + 1))
                last = row
                continue
            gap = row.y - last.y
            last_seg = main_seg(last)
            new = (
                gap > g.blank_gap
                or gap <= 0
                or (
                    seg.x > last_seg.x + FIRST_LINE_INDENT_CHARS * g.char_width
                    and last_seg.x <= g.action_x + AT_MARGIN_CHARS * g.char_width
                )
                or abs(seg.size - last_seg.size) > SIZE_CHANGE_SHARE * max(seg.size, last_seg.size)
            )
            if new:
                elements.append(Element(ElementType.PARAGRAPH, text, page=number + 1))
            else:
                elements[-1].text = join_wrapped(elements[-1].text, text)
            last = row
    return elements
