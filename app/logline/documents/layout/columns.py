"""Stages 3 and 4: the document's columns, from its own geometry, and whether it is a screenplay.

No hard-coded inches: the character-cue column is the commonest x of short all-caps lines that are
followed, one line down, by a line starting further left; the dialogue column is the commonest x of
those following lines, the action column the commonest x left of it. The text area's centre (for
centred lines) comes from the action lines' extent. Scene headings (INT./EXT.) or a cue column
with dialogue indented from the action make a screenplay.
"""

from __future__ import annotations

import statistics
from collections import Counter

from .model import Geometry, PageRows, Seg, blank_gap
from .patterns import cue_name_ok, heading_text
from .rows import main_seg, strip_scene_numbers

CUE_SAMPLE_MAX_CHARS = 45  # a longer capitalised line is not sampled as a cue
DIALOGUE_LEFT_OF_CUE = 1.5  # chars: the line under a cue starts at least this far left of it
CUE_COLUMN_CHARS = 3  # chars: a cue this close to the cue column's x is at the column
MODE_SPREAD_BUCKETS = 1.5  # buckets: values this close to the commonest bucket make its median
ACTION_LEFT_OF_DIALOGUE = 2  # chars: action lines start at least this far left of dialogue
FULL_LINE_MIN_CHARS = 30  # an action line this long reaches (near) the right margin
TEXT_RIGHT_QUANTILE = 0.95  # of the full action lines' right ends: the text area's right edge
MIN_FULL_LINES = 20  # fewer full action lines are too few to measure the right edge on
DEFAULT_LINE_CHARS = 60  # chars per action line when nothing can be measured
RIGHT_MARGIN_SHARE = 72.0 / 612.0  # of the page width: a one-inch margin on US Letter
SCREENPLAY_MIN_HEADINGS = 3  # this many scene headings make a screenplay on their own
SCREENPLAY_MIN_CUES = 3  # as do this many cues at the cue column (or one of each)
CENTRED_TOLERANCE_CHARS = 2.5  # chars: a line's middle this close to a centre is centred
CENTRED_TOLERANCE_SHARE = 0.04  # of the centre's x: the tolerance on wide pages


def measure_columns(
    doc: list[PageRows], char_width: float, line_height: float, page_width: float
) -> Geometry:
    """Find the cue, dialogue and action columns, the text's right edge and its centre."""
    cue_xs: list[float] = []
    pairs: list[tuple[float, float | None]] = []  # (cue x, x of the dialogue line after it)
    headings = 0
    gap = blank_gap(line_height)
    for page in doc:
        rows = page.rows
        for index, row in enumerate(rows):
            main = main_seg(row)
            if heading_text(strip_scene_numbers(row)[1]):
                headings += 1
            if len(row.segs) != 1 or index + 1 >= len(rows):
                continue
            after = rows[index + 1]
            step = after.y - row.y
            if not 0 < step <= gap:
                continue
            if (
                cue_name_ok(main.text)
                and len(main.text) <= CUE_SAMPLE_MAX_CHARS
                and after.first.x < main.x - DIALOGUE_LEFT_OF_CUE * char_width
            ):
                cue_xs.append(main.x)
                paren = after.first.text.startswith("(")
                pairs.append((main.x, None if paren else after.first.x))
    cue_x = _mode(cue_xs, char_width)
    dialogue_x = None
    cue_evidence = 0
    if cue_x is not None:
        near = CUE_COLUMN_CHARS * char_width
        follow = [f for c, f in pairs if f is not None and abs(c - cue_x) <= near]
        dialogue_x = _mode(follow, char_width)
        cue_evidence = sum(1 for c in cue_xs if abs(c - cue_x) <= near)
    starts = [
        main_seg(row).x
        for page in doc
        for row in page.rows
        if dialogue_x is None or main_seg(row).x < dialogue_x - ACTION_LEFT_OF_DIALOGUE * char_width
    ]
    action_x = _mode(starts, char_width)
    if action_x is None:
        action_x = dialogue_x if dialogue_x is not None else 0.0
    if dialogue_x is not None and dialogue_x <= action_x + char_width:
        # the "dialogue" is the body margin (a generic document with centred capitals)
        cue_evidence = 0
    ends = sorted(
        main_seg(row).x_end
        for page in doc
        for row in page.rows
        if abs(main_seg(row).x - action_x) <= char_width
        and len(main_seg(row).text) >= FULL_LINE_MIN_CHARS
    )
    if ends:
        text_right = ends[int(TEXT_RIGHT_QUANTILE * (len(ends) - 1))]
    else:
        text_right = action_x + DEFAULT_LINE_CHARS * char_width
    if len(ends) < MIN_FULL_LINES:  # too little action to measure: assume a one-inch margin
        text_right = max(text_right, page_width - RIGHT_MARGIN_SHARE * page_width)
    return Geometry(
        char_width=char_width,
        line_height=line_height,
        action_x=action_x,
        dialogue_x=dialogue_x,
        cue_x=cue_x,
        text_right=text_right,
        centre=(action_x + text_right) / 2,
        page_width=page_width,
        cue_evidence=cue_evidence,
        headings=headings,
    )


def is_screenplay(geometry: Geometry) -> bool:
    """Enough scene headings or cues (or one of each) make a screenplay."""
    cues = geometry.cue_evidence
    return (
        geometry.headings >= SCREENPLAY_MIN_HEADINGS
        or cues >= SCREENPLAY_MIN_CUES
        or (geometry.headings >= 1 and cues >= 1)
    )


def is_centred(
    seg: Seg, geometry: Geometry, page_width: float | None = None, own: float | None = None
) -> bool:
    """Centred on the text area, the page, or ``own`` (a title page's measured centre)."""
    if seg.x <= geometry.action_x + geometry.char_width:
        return False
    middle = (seg.x + seg.x_end) / 2
    tolerance = max(
        CENTRED_TOLERANCE_CHARS * geometry.char_width, CENTRED_TOLERANCE_SHARE * geometry.centre
    )
    centres = (geometry.centre, (page_width or geometry.page_width) / 2, own or geometry.centre)
    return any(abs(middle - centre) <= tolerance for centre in centres)


def _mode(values: list[float], width: float) -> float | None:
    """The centre of the most populated ``width``-wide bucket of ``values``."""
    if not values:
        return None
    buckets: Counter[int] = Counter(round(value / width) for value in values)
    best = max(
        buckets.items(),
        key=lambda item: (
            item[1] + buckets.get(item[0] - 1, 0) + buckets.get(item[0] + 1, 0),
            -item[0],
        ),
    )[0]
    near = [v for v in values if abs(v / width - best) <= MODE_SPREAD_BUCKETS]
    return statistics.median(near)
