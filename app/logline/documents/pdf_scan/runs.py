"""Text runs: where a shown string lands on the page, merged with the run it continues.

:func:`show_text` is the one place a run is recorded, for the scanner's fast path (whole glyph
blocks) and for the general ``Tj`` / ``TJ`` / ``'`` / ``"`` operators alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from .limits import MAX_RUNS_PER_PAGE, ScanLimitError
from .matrices import Matrix
from .state import GraphicsState

UPRIGHT_SKEW = 0.05  # baseline rise per unit of advance above which text is rotated: dropped
JOIN_OVERLAP = 0.25  # of the font height: a run starting this far back still continues the last
JOIN_GAP = 0.1  # of the font height: ... as does one starting this far past its end
MIN_VISIBLE_HEIGHT = 1.0  # points: text shown smaller than this cannot be read
INVISIBLE_MODES = (3, 7)  # text render modes that paint nothing (7 only clips)


@dataclass(slots=True)
class TextRun:
    """Text shown by one string operand, in page space with y measured down from the top."""

    x: float
    y: float
    x_end: float
    size: float
    text: str
    # why a reader cannot see it: "" (seen), "invisible", "layer", "white", "tiny"; off-page text is
    # found once the page box is known (PageScanner.scan_page)
    hidden: str = ""


def show_text(
    runs: list[TextRun],
    text: str,
    width: float,
    spaces: int,
    count: int,
    size: float,
    tm: Matrix,
    ctm: Matrix,
    state: GraphicsState,
) -> float:
    """Record upright ``text`` (glyph ``width`` in 1/1000 em, ``spaces`` single-byte spaces,
    ``count`` codes) shown at ``size`` with text matrix ``tm`` under ``ctm``; return its advance
    in text space.

    A run that continues the previous one on its baseline (one glyph per run in Final Draft
    files) is merged into it right away.
    """
    advance = (
        width / 1000.0 * size + state.char_spacing * count + state.word_spacing * spaces
    ) * state.scale
    a, b, c, d, e, f = tm
    c0, c1, c2, c3, c4, c5 = ctm
    ma = a * c0 + b * c2
    mb = a * c1 + b * c3
    if text and ma > 0 and abs(mb) <= UPRIGHT_SKEW * ma:
        md = c * c1 + d * c3
        ox = e * c0 + f * c2 + c4
        oy = e * c1 + f * c3 + c5
        if state.rise:
            ox += state.rise * (c * c0 + d * c2)
            oy += state.rise * md
        height = abs(md * size)
        x_end = ox + advance * ma
        hidden = ""
        if state.render_mode in INVISIBLE_MODES:
            hidden = "invisible"
        elif state.layer_off:
            hidden = "layer"
        elif height < MIN_VISIBLE_HEIGHT:
            hidden = "tiny"
        elif _white(state):
            hidden = "white"
        if runs:
            last = runs[-1]
            if (
                last.y == oy
                and last.size == height
                and last.hidden == hidden
                and -JOIN_OVERLAP * height <= ox - last.x_end <= JOIN_GAP * height
            ):
                last.text += text
                last.x_end = x_end
                return advance
        runs.append(TextRun(ox, oy, x_end, height, text, hidden))
        if len(runs) > MAX_RUNS_PER_PAGE:
            raise ScanLimitError("size", "a page shows too much text")
    return advance


def _white(state: GraphicsState) -> bool:
    """Whether everything the render mode paints is white: 0/4 fill, 1/5 stroke, 2/6 both."""
    mode = state.render_mode % 4
    if mode == 0:
        return state.fill_white
    if mode == 1:
        return state.stroke_white
    return state.fill_white and state.stroke_white
