"""The document pane's text: the document formatted as a screenplay, read-only, with a centred
drop hint while empty.

The layout is built once per document (:func:`~logline.ui.script_format.build_script`) and
rebuilt only when the palette changes (the title card's colours come from it).
:meth:`DocumentView.show_scene` is the one path by which a scene is shown, whoever asks (the
navigator, a citation in the summary, the notes or the chat): it selects the scene's heading,
scrolls it to the top and emits ``sceneShown(number)`` so the navigator and the page view
follow.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPalette,
    QTextBlock,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QTextEdit, QWidget

from logline.ui.script_format import ScriptMap, build_script

if TYPE_CHECKING:
    from logline.documents import Document

log = logging.getLogger(__name__)

DROP_HINT = "Drop a screenplay or PDF here"
DROP_SUBHINT = "or choose Open… (PDF, Fountain, Final Draft or plain text)"
# The look style.py gives the other text panes, in palette roles (this view is a QTextEdit).
STYLE = """
QTextEdit#documentView {
    border: none; border-top: 1px solid palette(midlight); background: palette(base);
    color: palette(text); padding: 8px 10px;
    selection-background-color: palette(highlight); selection-color: palette(highlighted-text);
}
"""


class DocumentView(QTextEdit):
    """Read-only script. Drops fall through to the window, which opens the file."""

    documentShown = Signal(object)  # the Document now shown, or None (plain text / cleared)
    sceneShown = Signal(int)  # a scene was shown (selected and scrolled to)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentView")
        self.setAccessibleName("Script")
        self.setAccessibleDescription(
            "The open document, formatted as a screenplay: scene headings, cues and dialogue"
        )
        self.setStyleSheet(STYLE)
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self.setPlaceholderText(DROP_HINT)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        # The size follows the system's text size (a larger system font, a larger script).
        base = self.font().pointSizeF()
        font.setPointSizeF(max(font.pointSizeF(), base, 10.0))
        self.setFont(font)
        self._document: Document | None = None
        self._map = ScriptMap()
        self._formatted: QTextDocument | None = None  # the last document build_script made
        self.format_ms = 0.0  # how long the last layout took (for tests and the benchmark)
        self._restyle = QTimer(self)
        self._restyle.setSingleShot(True)
        self._restyle.setInterval(0)
        self._restyle.timeout.connect(self._reformat)

    @property
    def shown_document(self) -> Document | None:
        return self._document

    @property
    def script_map(self) -> ScriptMap:
        """Where the shown document's scenes and pages are (empty for plain text)."""
        return self._map

    def show_text(self, text: str) -> None:
        """Plain text, no structure (no scenes to show)."""
        self._document, self._map = None, ScriptMap()
        self.setPlainText(text)
        self.moveCursor(QTextCursor.MoveOperation.Start)
        self.documentShown.emit(None)

    def show_document(self, document: Document) -> None:
        """Show ``document`` formatted; its scenes can then be shown with :meth:`show_scene`."""
        self._document = document
        self._format()
        self.moveCursor(QTextCursor.MoveOperation.Start)
        self.documentShown.emit(document)

    def _format(self) -> None:
        if self._document is None:
            return
        started = time.perf_counter()
        doc, self._map = build_script(self._document, self.font(), self.palette())
        doc.setParent(self)
        old, self._formatted = self._formatted, doc
        self.setDocument(doc)  # deletes the editor's own first document, never one of ours
        if old is not None:
            old.deleteLater()
        self.format_ms = (time.perf_counter() - started) * 1000
        log.debug("script formatted in %.0f ms (%d blocks)", self.format_ms, doc.blockCount())

    @Slot()
    def _reformat(self) -> None:
        """Lay the shown document out again (new palette colours), keeping the place."""
        if self._document is None:
            return
        value = self.verticalScrollBar().value()
        cursor = self.textCursor()
        anchor, position = cursor.anchor(), cursor.position()
        self._format()
        cursor = QTextCursor(self.document())
        cursor.setPosition(anchor)
        cursor.setPosition(position, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.verticalScrollBar().setValue(value)

    @Slot(int)
    def show_scene(self, number: int) -> bool:
        """Select scene ``number``'s heading and scroll it to the top; False when the shown
        document has no such scene."""
        span = self._map.scenes.get(number)
        if self._document is None or span is None:
            return False
        cursor = QTextCursor(self.document())
        cursor.setPosition(span[0])
        cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self._scroll_to_block(cursor.block())
        self.sceneShown.emit(number)
        return True

    def show_page(self, page: int) -> bool:
        """Scroll to physical page ``page``'s mark; False when it has none."""
        at = self._map.pages.get(page)
        if at is None:
            return False
        self._scroll_to_block(self.document().findBlock(at))
        return True

    def _scroll_to_block(self, block: QTextBlock) -> None:
        layout = self.document().documentLayout()
        top = layout.blockBoundingRect(block).top()
        bar = self.verticalScrollBar()
        if top > bar.maximum():  # the layout ran ahead of the scroll range: size it now
            bar.setRange(0, max(int(layout.documentSize().height()) - self.viewport().height(), 0))
        bar.setValue(int(top))

    def firstVisibleBlock(self) -> QTextBlock:  # QPlainTextEdit's name, kept for callers
        """The first block whose text shows at the top of the viewport."""
        top = self.verticalScrollBar().value()
        layout = self.document().documentLayout()
        block = self.document().begin()
        while block.isValid() and layout.blockBoundingRect(block).bottom() <= top:
            block = block.next()
        return block

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        kind = event.type()
        if kind == QEvent.Type.PaletteChange and self._document is not None:
            self._restyle.start()  # once, however many changes a theme switch sends
        elif kind == QEvent.Type.FontChange:  # zoom: the indents follow the character width
            self.document().setIndentWidth(QFontMetricsF(self.font()).horizontalAdvance("M"))

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.document().isEmpty():
            super().paintEvent(event)
            return
        # Empty: a centred hint (a large line, then a smaller one) instead of Qt's top-left
        # placeholder; each wraps in a narrow pane rather than being cut at both edges.
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        margin = self.document().documentMargin()
        area = QRectF(self.viewport().rect()).adjusted(margin, margin, -margin, -margin)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
        small = self.font()
        small.setFamily(self.parentWidget().font().family() if self.parentWidget() else "")
        large = QFont(small)
        large.setPointSizeF(small.pointSizeF() * 1.35)
        parts = [(large, self.placeholderText()), (small, DROP_SUBHINT)]
        heights = []
        for font, text in parts:
            painter.setFont(font)
            heights.append(painter.boundingRect(area, flags, text).height())
        gap = QFontMetricsF(small).height() * 0.4
        top = area.top() + max(0.0, (area.height() - sum(heights) - gap) / 2)
        for (font, text), height in zip(parts, heights, strict=True):
            painter.setFont(font)
            painter.drawText(QRectF(area.left(), top, area.width(), height), flags, text)
            top += height + gap
        painter.end()
