"""What carries over a page break: a speech cut by "(MORE)" and resumed under a repeated
"NAME (CONT'D)" cue, and an action paragraph that had not ended its sentence."""

from __future__ import annotations

from ..elements import Element, ElementType, split_character_cue
from .model import Geometry, Row, Seg
from .patterns import CONT_D, MORE, SENTENCE_END, cue_name_ok, heading_text, is_caps, normal_name
from .rows import main_seg


def is_more(row: Row) -> bool:
    """A "(MORE)" row: the speech above goes on on the next page."""
    return bool(MORE.match(row.text.strip())) or all(MORE.match(s.text) for s in row.segs)


def current_speaker(elements: list[Element]) -> str | None:
    """The cue of the speech that ``elements`` end in (None when they end outside a speech)."""
    for element in reversed(elements):
        if element.type is ElementType.CHARACTER:
            return element.text
        if element.type not in (ElementType.DIALOGUE, ElementType.PARENTHETICAL):
            return None
    return None


def continued_cue(g: Geometry, row: Row, following: Row | None, speaker: str) -> str | None:
    """The cue text to show when ``row`` repeats ``speaker``'s cue after a (MORE)."""
    seg = main_seg(row)
    if len(row.segs) != 1 or not cue_name_ok(seg.text):
        return None
    name, _ = split_character_cue(seg.text)
    if normal_name(name) != normal_name(speaker):
        return None
    if following is not None and following.first.x >= seg.x - g.char_width:
        return None
    return CONT_D.sub("", seg.text).strip()


def continues_action(g: Geometry, elements: list[Element], row: Row, seg: Seg) -> bool:
    """True when ``row`` at a page's top goes on with the action paragraph ``elements`` end in:
    a lone line at the action margin, no heading, after action that is not all capitals and did
    not end a sentence (or that the row continues in lower case)."""
    if not (
        elements
        and abs(seg.x - g.action_x) <= g.char_width
        and len(row.segs) == 1
        and not heading_text(seg.text)
    ):
        return False
    before = elements[-1].text.rstrip()
    return not is_caps(before) and (seg.text[:1].islower() or not before.endswith(SENTENCE_END))
