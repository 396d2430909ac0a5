"""Which kind of screenplay element a row is, judged by its column and content: a cue, speech,
a transition or the start of a dual-dialogue block."""

from __future__ import annotations

from .columns import CUE_COLUMN_CHARS, DIALOGUE_LEFT_OF_CUE
from .model import Geometry, Row, Seg
from .patterns import SCENE_NUMBER, TRANSITIONS, cue_name_ok, is_caps

SPEECH_MARGIN_CHARS = 1.5  # chars: speech may start this far left of the dialogue column
SPEECH_INDENT_CHARS = 6  # chars right of the action margin where speech starts (no dialogue x)
LOOSE_SPEECH_INDENT_CHARS = 4  # chars: without a dialogue column, speech is indented this far
CUE_MAX_CHARS = 50  # a longer line (with extensions) is no cue
TRANSITION_MAX_CHARS = 40  # a longer line is no transition
FLUSH_RIGHT_CHARS = 2  # chars: a line ending this close to the right edge is flush right
TRANSITION_RIGHT_OF_CUE_CHARS = 6  # chars: an unknown transition starts this far right of cues
TRANSITION_FLUSH_CHARS = 6  # chars: ... and ends this close to the right edge
DUAL_SEPARATION_CHARS = 12  # chars: two cues side by side are at least this far apart


def speech_left(g: Geometry) -> float:
    """The leftmost x where a line of speech may start."""
    if g.dialogue_x is not None:
        return g.dialogue_x - SPEECH_MARGIN_CHARS * g.char_width
    return g.action_x + SPEECH_INDENT_CHARS * g.char_width


def speech_column(g: Geometry, seg: Seg) -> bool:
    """True when ``seg`` starts in the dialogue column (left of the cues)."""
    if g.dialogue_x is None:
        return seg.x > g.action_x + LOOSE_SPEECH_INDENT_CHARS * g.char_width
    right = g.cue_x - g.char_width if g.cue_x is not None else g.text_right
    return speech_left(g) <= seg.x < max(right, g.dialogue_x + g.char_width)


def is_cue(g: Geometry, seg: Seg, text: str, following: Row | None, row: Row) -> bool:
    """A character cue: a lone capitalised name right of the speech margin, followed one line
    down by a line starting further left (or, at a page's foot, sitting at the cue column)."""
    if len(row.segs) != 1 or not cue_name_ok(text) or len(text) > CUE_MAX_CHARS:
        return False
    left = speech_left(g)
    if seg.x < left + g.char_width:
        return False
    at_column = g.cue_x is not None and abs(seg.x - g.cue_x) <= CUE_COLUMN_CHARS * g.char_width
    if following is None or following.page != row.page:
        return at_column
    step = following.y - row.y
    follow_x = following.first.x
    return (
        0 < step <= g.blank_gap
        and follow_x < seg.x - DIALOGUE_LEFT_OF_CUE * g.char_width
        and (follow_x >= left - g.char_width)
    )


def is_transition(g: Geometry, seg: Seg, text: str) -> bool:
    """A transition: a short capitalised line ending "TO:", a known one ("FADE OUT."), or any
    capitalised line set far right."""
    if not is_caps(text) or len(text) > TRANSITION_MAX_CHARS:
        return False
    upper = text.upper()
    left = speech_left(g)
    right_side = seg.x > g.centre or seg.x_end >= g.text_right - FLUSH_RIGHT_CHARS * g.char_width
    if upper.endswith("TO:") and seg.x > left:
        return True
    if upper in TRANSITIONS and (right_side or seg.x > left):
        return True
    cue_right = (g.cue_x or g.centre) + TRANSITION_RIGHT_OF_CUE_CHARS * g.char_width
    return seg.x >= cue_right and seg.x_end >= g.text_right - TRANSITION_FLUSH_CHARS * g.char_width


def dual_start(g: Geometry, row: Row) -> bool:
    """Two cues side by side: the start of a dual-dialogue block."""
    if len(row.segs) != 2:
        return False
    left, right = row.segs
    return (
        cue_name_ok(left.text)
        and cue_name_ok(right.text)
        and left.x > g.action_x + g.char_width
        and right.x - left.x >= DUAL_SEPARATION_CHARS * g.char_width
        and not SCENE_NUMBER.match(left.text)
        and not SCENE_NUMBER.match(right.text)
    )
