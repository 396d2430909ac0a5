"""A document laid out as a screenplay in a ``QTextDocument``: formatted once, on load.

Scene headings are bold; character cues, parentheticals and dialogue are indented as on a
printed page (in character widths, through the document's ``indentWidth``, so zooming keeps the
layout); transitions are right-aligned and centred text (Fountain's ``>THE END.<``) centred.
Where a page begins, a thin rule and the page's printed number ("12.") are shown, as in a
printed script. The title page, when the source has one, is a framed card at the top.

A generic document (a report PDF, a text file) stays readable text: its paragraphs, with the
same page marks when it has pages.

:func:`build_script` returns a :class:`ScriptMap`: where each scene's heading and each page's
mark sit in the ``QTextDocument``, so the view can select a scene and scroll to a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QBrush,
    QFont,
    QFontMetricsF,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrameFormat,
    QTextLength,
)

from logline.documents.elements import Element, ElementType
from logline.documents.render import cue_text

if TYPE_CHECKING:
    from logline.documents import Document

# Indents in character widths, close to a printed script's (action at 0, dialogue at 10, the
# parenthetical at 16, the cue at 22 of a 60-character line) but narrower, since a pane is
# often half a page wide.
CUE_INDENT = 12
PARENTHETICAL_INDENT = 8
DIALOGUE_INDENT = 5
SPEECH_RIGHT = 5  # characters kept free on the right of dialogue and parentheticals

# The order a title page prints its fields in; any other field follows.
TITLE_FIELDS = ("title", "credit", "author", "authors", "source", "draft date", "date")
CONTACT_FIELDS = ("contact", "notes", "copyright")

_HIDDEN = frozenset(
    {ElementType.SECTION, ElementType.SYNOPSIS, ElementType.NOTE, ElementType.PAGE_BREAK}
)
_SPEECH = frozenset({ElementType.PARENTHETICAL, ElementType.DIALOGUE, ElementType.LYRICS})

_SPACES = re.compile(r"[ \t]{2,}")
LINE_BREAK = "\u2028"  # a line break inside a block (toPlainText gives "\n")

# A block's role, kept in its user state, so tests and accessibility can tell blocks apart.
ROLE_PAGE = 1
ROLE_HEADING = 2


@dataclass
class ScriptMap:
    """Where things are in the formatted document (character positions).

    ``scenes``: scene number -> (start, end) of its heading's text; ``pages``: physical page
    number -> the position of its page mark (pages without a mark are left out).
    """

    scenes: dict[int, tuple[int, int]] = field(default_factory=dict)
    pages: dict[int, int] = field(default_factory=dict)


class _Formats:
    """Every block and character format the layout uses, made once per build."""

    def __init__(self, font: QFont, palette: QPalette) -> None:
        line = QFontMetricsF(font).lineSpacing()
        self.plain = QTextCharFormat()
        self.bold = QTextCharFormat()
        self.bold.setFontWeight(QFont.Weight.Bold)
        self.italic = QTextCharFormat()
        self.italic.setFontItalic(True)
        self.page = QTextCharFormat()
        self.page.setForeground(QBrush(palette.color(QPalette.ColorRole.Text)))
        self.title = QTextCharFormat()
        self.title.setFontWeight(QFont.Weight.Bold)
        self.title.setProperty(QTextFormat.Property.FontSizeAdjustment, 2)

        def block(indent: int = 0, top: float = line * 0.9, right: float = 0.0) -> QTextBlockFormat:
            fmt = QTextBlockFormat()
            fmt.setIndent(indent)
            fmt.setTopMargin(top)
            fmt.setRightMargin(right)
            return fmt

        right = QFontMetricsF(font).horizontalAdvance("M") * SPEECH_RIGHT
        self.action = block()
        self.heading = block(top=line * 1.4)
        self.heading.setProperty(QTextFormat.Property.UserProperty, ROLE_HEADING)
        self.cue = block(CUE_INDENT)
        self.parenthetical = block(PARENTHETICAL_INDENT, 0, right * 1.6)
        self.dialogue = block(DIALOGUE_INDENT, 0, right)
        self.transition = block()
        self.transition.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.centered = block()
        self.centered.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.paragraph = block(top=line * 0.6)
        self.rule = block(top=line * 1.2)
        self.rule.setProperty(QTextFormat.Property.BlockTrailingHorizontalRulerWidth, QTextLength())
        self.page_mark = block(top=0)
        self.page_mark.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.card_line = block(top=line * 0.3)
        self.card_line.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.card_frame = QTextFrameFormat()
        self.card_frame.setBorder(1)
        self.card_frame.setBorderBrush(QBrush(palette.color(QPalette.ColorRole.Mid)))
        self.card_frame.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        self.card_frame.setBackground(QBrush(palette.color(QPalette.ColorRole.AlternateBase)))
        self.card_frame.setPadding(line)
        self.card_frame.setBottomMargin(line)


def build_script(
    document: Document, font: QFont, palette: QPalette
) -> tuple[QTextDocument, ScriptMap]:
    """A new ``QTextDocument`` showing ``document`` as a screenplay (or as paragraphs)."""
    doc = QTextDocument()
    doc.setDefaultFont(font)
    doc.setIndentWidth(QFontMetricsF(font).horizontalAdvance("M"))
    doc.setUndoRedoEnabled(False)
    formats = _Formats(font, palette)
    found = ScriptMap()
    cursor = QTextCursor(doc)
    cursor.beginEditBlock()
    first = [True]  # the document's first block is there already: use it, do not add one

    def new_block(fmt: QTextBlockFormat, chars: QTextCharFormat) -> None:
        if first[0]:
            cursor.setBlockFormat(fmt)
            cursor.setBlockCharFormat(chars)
            first[0] = False
        else:
            cursor.insertBlock(fmt, chars)

    if document.title_page:
        _title_card(cursor, document.title_page, formats)
        first[0] = True
    elements = document.elements or [Element(ElementType.PARAGRAPH, document.text)]
    page: int | None = None
    scene_starts = {scene.first_element: scene.number for scene in document.scenes}
    in_speech = False
    for index, element in enumerate(elements):
        kind = element.type
        if element.page is not None and element.page != page and kind is not ElementType.PAGE_BREAK:
            page = element.page
            if page not in found.pages and document.pages:
                new_block(formats.rule, formats.plain)
                new_block(formats.page_mark, formats.page)
                found.pages[page] = cursor.position()
                label = document.page_label(page) or str(page)
                cursor.insertText(f"{label}.", formats.page)
                cursor.block().setUserState(ROLE_PAGE)
        if kind in _HIDDEN:
            continue
        fmt, chars, text = _element_layout(element, formats, in_speech)
        in_speech = kind is ElementType.CHARACTER or (kind in _SPEECH and in_speech)
        new_block(fmt, chars)
        start = cursor.position()
        cursor.insertText(text, chars)
        if kind is ElementType.SCENE_HEADING:
            cursor.block().setUserState(ROLE_HEADING)
            if index in scene_starts:
                found.scenes[scene_starts[index]] = (start, cursor.position())
    cursor.endEditBlock()
    return doc, found


def _element_layout(
    element: Element, formats: _Formats, in_speech: bool
) -> tuple[QTextBlockFormat, QTextCharFormat, str]:
    kind = element.type
    text = element.text.replace("\n", LINE_BREAK)
    if kind is not ElementType.PARAGRAPH:
        text = _SPACES.sub(" ", text)  # alignment padding from a PDF's layout
    if kind is ElementType.SCENE_HEADING:
        return formats.heading, formats.bold, text
    if kind is ElementType.CHARACTER:
        return formats.cue, formats.plain, cue_text(element)
    if kind is ElementType.PARENTHETICAL:
        return formats.parenthetical, formats.plain, text
    if kind is ElementType.DIALOGUE:
        return formats.dialogue, formats.plain, text
    if kind is ElementType.LYRICS:
        return (formats.dialogue if in_speech else formats.action), formats.italic, text
    if kind is ElementType.TRANSITION:
        return formats.transition, formats.plain, text
    if kind is ElementType.CENTERED:
        return formats.centered, formats.plain, text
    if kind is ElementType.PARAGRAPH:
        return formats.paragraph, formats.plain, text
    return formats.action, formats.plain, text


def _title_card(cursor: QTextCursor, fields: dict[str, str], formats: _Formats) -> None:
    """The title page as a framed card; the cursor is left after it."""
    cursor.insertFrame(formats.card_frame)
    order = [key for key in TITLE_FIELDS if key in fields]
    tail = [key for key in CONTACT_FIELDS if key in fields]
    order += [key for key in fields if key not in order and key not in tail] + tail
    first = True
    for key in order:
        for line in fields[key].split("\n"):
            chars = formats.title if key == "title" else formats.plain
            if first:
                cursor.setBlockFormat(formats.card_line)
                first = False
            else:
                cursor.insertBlock(formats.card_line, chars)
            cursor.insertText(line.strip(), chars)
    cursor.movePosition(QTextCursor.MoveOperation.End)
