"""Stage 5: a screenplay's rows become typed elements.

Rows are typed by column and content (heading, cue, parenthetical, dialogue, transition, centred,
action); wrapped lines one line-height apart are joined into one element, a blank line starts the
next. A cue followed by "(MORE)" at a page's foot continues on the next page under a repeated
"NAME (CONT'D)" cue: that cue is dropped and the speech goes on. Two cues side by side start a
dual-dialogue block.
"""

from __future__ import annotations

from ..elements import Element, ElementType, split_character_cue
from .columns import is_centred
from .continuation import continued_cue, continues_action, current_speaker, is_more
from .dual import read_dual
from .kinds import dual_start, is_cue, is_transition, speech_column, speech_left
from .model import Geometry, PageRows, Row
from .page_text import plain_page
from .patterns import MORE, heading_text, is_caps, join_wrapped
from .rows import main_seg, strip_scene_numbers


class ScreenplayReader:
    """Walks the rows of every page, typing them and joining wrapped lines into elements."""

    def __init__(self, geometry: Geometry) -> None:
        self.g = geometry
        self.elements: list[Element] = []
        self.in_speech = False
        self.open_paren = False
        self.last_kind: ElementType | None = None
        self.last_y: float | None = None
        self.more_pending: str | None = None  # speaker whose speech continues past the page

    def run(self, doc: list[PageRows]) -> tuple[list[Element], list[str]]:
        """The elements of every page and each page's plain text."""
        texts: list[str] = []
        for number, page in enumerate(doc):
            self.last_y = None
            self._page(number, page)
            texts.append(plain_page(page, self.g))
        return self.elements, texts

    # rows ---------------------------------------------------------------------------------------

    def _page(self, number: int, page: PageRows) -> None:
        rows = page.rows
        index = 0
        continuing = self.more_pending
        self.more_pending = None
        was_in_speech = self.in_speech
        previous_kind = self.last_kind if self.elements else None
        if continuing is None:
            self._end_speech()
        while index < len(rows):
            row = rows[index]
            if is_more(row):
                row.text_override = ""
                if self.in_speech and current_speaker(self.elements):
                    self.more_pending = current_speaker(self.elements)
                index += 1
                continue
            following = rows[index + 1] if index + 1 < len(rows) else None
            if dual_start(self.g, row):
                index = self._dual(number, rows, index)
                continue
            if index == 0 or self.last_y is None:
                self._page_top(row, following, continuing, was_in_speech, previous_kind)
                if row.text_override is not None and continuing is not None:
                    continuing = None
                    index += 1
                    continue
                continuing = None
            self._row(number, row, following)
            index += 1

    def _page_top(
        self,
        row: Row,
        following: Row | None,
        continuing: str | None,
        was_in_speech: bool,
        previous_kind: ElementType | None,
    ) -> None:
        """Carry a speech or an action paragraph over from the previous page when ``row``
        continues it: a repeated "NAME (CONT'D)" cue after a (MORE) is consumed (its page text
        loses the CONT'D), a dialogue-column line continues the speech, and an action line
        continues an action paragraph that had not ended a sentence (or starts in lower case)."""
        g = self.g
        seg = main_seg(row)
        if continuing is not None:
            name = continued_cue(g, row, following, continuing)
            if name is not None:
                row.text_override = name
                self.in_speech = True
                self.last_y = row.y
                return
        if (
            (continuing is not None or was_in_speech)
            and speech_column(g, seg)
            and not (is_cue(g, seg, row.text, following, row))
        ):
            self.in_speech = True
            self.last_y = row.y - g.line_height  # as if the speech's last line were just above
            return
        if previous_kind is ElementType.ACTION and continues_action(g, self.elements, row, seg):
            self.last_y = row.y - g.line_height  # as if the paragraph's last line were just above
            self.last_kind = ElementType.ACTION

    def _row(self, page: int, row: Row, following: Row | None) -> None:
        g = self.g
        number, text = strip_scene_numbers(row)
        seg = main_seg(row)
        x = seg.x
        new_block = self.last_y is None or row.y - self.last_y > g.blank_gap
        self.last_y = row.y
        if new_block:
            self._end_speech()
        if number is not None and not MORE.match(text):
            row.text_override = text
        if (heading_text(text) and x < speech_left(g)) or (number and is_caps(text)):
            if self._continues(ElementType.SCENE_HEADING, new_block) and number is None:
                self._append(text)
            else:
                self._emit(ElementType.SCENE_HEADING, text, page, scene_number=number)
            self._end_speech()
            return
        if is_cue(g, seg, text, following, row):
            name, extension = split_character_cue(text)
            self._emit(ElementType.CHARACTER, name, page, extension=extension)
            self.in_speech = True
            self.open_paren = False
            return
        if self.in_speech and speech_column(g, seg):
            if self.open_paren or text.startswith("("):
                if self.open_paren and self.last_kind is ElementType.PARENTHETICAL:
                    self._append(text)
                else:
                    self._emit(ElementType.PARENTHETICAL, text, page)
                self.open_paren = not text.rstrip().endswith(")")
                return
            if self.last_kind is ElementType.DIALOGUE and not new_block:
                self._append(text)
            else:
                self._emit(ElementType.DIALOGUE, text, page)
            return
        self._end_speech()
        if is_transition(g, seg, text):
            if self._continues(ElementType.TRANSITION, new_block):
                self._append(text)  # a transition wrapped onto two lines
            else:
                self._emit(ElementType.TRANSITION, text, page)
            return
        if is_centred(seg, g) and x > speech_left(g):
            if self._continues(ElementType.CENTERED, new_block):
                self._append(text)
            else:
                self._emit(ElementType.CENTERED, text, page)
            return
        if self._continues(ElementType.ACTION, new_block):
            self._append(text)
        else:
            self._emit(ElementType.ACTION, text, page)

    def _dual(self, page: int, rows: list[Row], start: int) -> int:
        """Emit a dual-dialogue block (left speech, then right); return the next row index."""
        self._end_speech()
        elements, index = read_dual(self.g, rows, start, page)
        self.elements.extend(elements)
        self.last_kind = elements[-1].type
        self.last_y = rows[index - 1].y  # the block's last row
        return index

    # element building ---------------------------------------------------------------------------

    def _end_speech(self) -> None:
        self.in_speech = False
        self.open_paren = False

    def _continues(self, kind: ElementType, new_block: bool) -> bool:
        return not new_block and self.last_kind is kind and bool(self.elements)

    def _emit(
        self,
        kind: ElementType,
        text: str,
        page: int,
        *,
        scene_number: str | None = None,
        extension: str | None = None,
    ) -> None:
        self.elements.append(
            Element(
                type=kind,
                text=text,
                scene_number=scene_number,
                extension=extension,
                page=page + 1,
            )
        )
        self.last_kind = kind

    def _append(self, text: str) -> None:
        last = self.elements[-1]
        last.text = join_wrapped(last.text, text)
