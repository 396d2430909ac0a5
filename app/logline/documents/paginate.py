"""Estimate where a screenplay's pages break when the source stores no page numbers.

Fountain and Final Draft files carry no pagination: the page a reader sees comes from laying the
script out on a standard page (US Letter, Courier 12 pt, 6 lines per inch, 55 lines of body).
This module repeats that layout with the industry's column widths, so page numbers in citations
land within a page or so of what Final Draft or screenplain print. Forced page breaks
(``PAGE_BREAK`` elements) are honoured. It is an estimate, and the document says so
(:attr:`Document.page_source` is ``"estimated"``).
"""

from __future__ import annotations

import textwrap

from .elements import Element, ElementType

LINES_PER_PAGE = 55
# Column widths in characters at 10 characters per inch.
_WIDTH = {
    ElementType.SCENE_HEADING: 61,
    ElementType.ACTION: 61,
    ElementType.CENTERED: 61,
    ElementType.LYRICS: 35,
    ElementType.CHARACTER: 38,
    ElementType.PARENTHETICAL: 25,
    ElementType.DIALOGUE: 35,
    ElementType.TRANSITION: 20,
    ElementType.PARAGRAPH: 61,
}
_SPEECH = frozenset({ElementType.PARENTHETICAL, ElementType.DIALOGUE, ElementType.LYRICS})
_UNPRINTED = frozenset({ElementType.SECTION, ElementType.SYNOPSIS, ElementType.NOTE})


def _line_count(element: Element) -> int:
    width = _WIDTH.get(element.type, 61)
    lines = 0
    for paragraph in element.text.split("\n"):
        wrapped = textwrap.wrap(paragraph, width, break_long_words=True) if paragraph else []
        lines += max(1, len(wrapped))
    return lines


def _space_before(element: Element, previous: Element | None) -> int:
    """Blank lines above ``element``: none inside a speech, two above a scene heading."""
    if previous is None:
        return 0
    if element.type in _SPEECH and previous.type in (ElementType.CHARACTER, *_SPEECH):
        return 0
    if element.type is ElementType.SCENE_HEADING:
        return 2
    return 1


def estimate_pages(elements: list[Element]) -> list[int]:
    """The 1-based page on which each element starts, by a standard screenplay layout.

    Scene headings and character cues never end a page (they move to the next); an action or a
    speech that does not fit is split when at least two of its lines fit, which costs a
    ``(MORE)``/``(CONT'D)`` line pair for speeches.
    """
    pages: list[int] = []
    page, used = 1, 0
    previous: Element | None = None
    for index, element in enumerate(elements):
        if element.type is ElementType.PAGE_BREAK:
            if used:
                page, used = page + 1, 0
            pages.append(page)
            previous = None
            continue
        if element.type in _UNPRINTED:
            pages.append(page)
            continue
        gap = _space_before(element, previous) if used else 0
        height = _line_count(element)
        keep_with_next = element.type in (ElementType.SCENE_HEADING, ElementType.CHARACTER)
        if keep_with_next and index + 1 < len(elements):
            height += 1 + (element.type is ElementType.SCENE_HEADING)  # its first line after
        free = LINES_PER_PAGE - used - gap
        if height <= free:
            pages.append(page)
            used += gap + (_line_count(element))
        elif not keep_with_next and free >= 2 and height - free >= 2:
            pages.append(page)  # starts here, continues overleaf
            rest = height - free + (2 if element.type in _SPEECH else 0)
            page += 1 + (rest - 1) // LINES_PER_PAGE
            used = (rest - 1) % LINES_PER_PAGE + 1
        else:
            page += 1
            pages.append(page)
            used = min(_line_count(element), LINES_PER_PAGE)
        previous = element
    return pages
