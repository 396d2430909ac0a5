"""Dual dialogue: two cues side by side start a block of two speeches read left, then right."""

from __future__ import annotations

from ..elements import Element, ElementType, split_character_cue
from .model import Geometry, Row, Seg
from .patterns import MORE, join_wrapped


def read_dual(g: Geometry, rows: list[Row], start: int, page: int) -> tuple[list[Element], int]:
    """The elements of the dual-dialogue block whose cues are ``rows[start]`` on 0-based page
    ``page`` (left speech, then right) and the index of the row after the block.

    The block runs until a blank line; (MORE) marks inside it are dropped. The block's rows get
    the page-text rendering "left column, blank line, right column".
    """
    left_cue, right_cue = rows[start].segs
    boundary = (left_cue.x + right_cue.x) / 2
    columns: tuple[list[Seg], list[Seg]] = ([left_cue], [right_cue])
    index = start + 1
    last_y = rows[start].y
    while index < len(rows):
        row = rows[index]
        if row.y - last_y > g.blank_gap:
            break
        for seg in row.segs:
            if MORE.match(seg.text):
                continue
            columns[0 if seg.x < boundary else 1].append(seg)
        last_y = row.y
        index += 1
    elements: list[Element] = []
    for column in columns:
        elements.extend(_speech(column, page))
    rendered = [seg.text for seg in columns[0]] + [""] + [seg.text for seg in columns[1]]
    rows[start].text_override = "\n".join(rendered)
    for row in rows[start + 1 : index]:
        row.text_override = ""
    return elements, index


def _speech(column: list[Seg], page: int) -> list[Element]:
    """One side's cue, parentheticals and dialogue (wrapped lines joined)."""
    name, extension = split_character_cue(column[0].text)
    number = page + 1
    elements = [Element(ElementType.CHARACTER, name, extension=extension, dual=True, page=number)]
    open_paren = False
    for seg in column[1:]:
        text = seg.text
        last = elements[-1]
        if open_paren or text.startswith("("):
            if open_paren:
                last.text = join_wrapped(last.text, text)
            else:
                elements.append(Element(ElementType.PARENTHETICAL, text, dual=True, page=number))
            open_paren = not text.rstrip().endswith(")")
        elif last.type is ElementType.DIALOGUE:
            last.text = join_wrapped(last.text, text)
        else:
            elements.append(Element(ElementType.DIALOGUE, text, dual=True, page=number))
    return elements
