"""The document pane: the document's text, read-only, with a centred drop hint while empty."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QFontDatabase, QPainter, QPaintEvent, QPalette, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from logline.documents import Document

DROP_HINT = "Drop a screenplay or PDF here"
DROP_SUBHINT = "or choose Open… (PDF, Fountain, Final Draft or plain text)"


def scene_offsets(document: Document) -> dict[int, int]:
    """Where each scene's heading starts in ``document.text`` (found in order)."""
    offsets: dict[int, int] = {}
    position = 0
    for scene in document.scenes:
        found = document.text.find(scene.heading, position)
        if found < 0:
            found = document.text.upper().find(scene.heading.upper(), position)
        if found >= 0:
            offsets[scene.number] = found
            position = found + len(scene.heading)
    return offsets


class DocumentView(QPlainTextEdit):
    """Read-only text. Drops fall through to the window, which opens the file."""

    sceneShown = Signal(int)  # a scene scrolled to (from a citation)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentView")
        self.setReadOnly(True)
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self.setPlaceholderText(DROP_HINT)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 10.0))
        self.setFont(font)

    def show_text(self, text: str) -> None:
        self.setPlainText(text)
        self.moveCursor(self.textCursor().MoveOperation.Start)
        self._scenes: dict[int, int] = {}

    def show_document(self, document: Document) -> None:
        self.show_text(document.text)
        self._scenes = scene_offsets(document)

    def show_scene(self, number: int) -> bool:
        """Scroll to scene ``number``'s heading and highlight it; False when unknown."""
        offset = getattr(self, "_scenes", {}).get(number)
        if offset is None:
            return False
        cursor = self.textCursor()
        cursor.setPosition(offset)
        self.setTextCursor(cursor)
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())  # then back, so the heading ends up at the top
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        mark = QTextEdit.ExtraSelection()
        mark.format.setBackground(self.palette().color(QPalette.ColorRole.Highlight))
        mark.format.setForeground(self.palette().color(QPalette.ColorRole.HighlightedText))
        mark.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        mark.cursor = QTextCursor(cursor)
        mark.cursor.clearSelection()
        self.setExtraSelections([mark])
        self.sceneShown.emit(number)
        return True

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.document().isEmpty():
            super().paintEvent(event)
            return
        # Empty: a centred two-line hint instead of Qt's top-left placeholder.
        painter = QPainter(self.viewport())
        color = self.palette().color(QPalette.ColorRole.PlaceholderText)
        painter.setPen(color)
        rect = QRectF(self.viewport().rect())
        font = self.font()
        font.setFamily(self.parentWidget().font().family() if self.parentWidget() else "")
        font.setPointSizeF(font.pointSizeF() * 1.35)
        painter.setFont(font)
        line = painter.fontMetrics().height()
        painter.drawText(
            rect.adjusted(0, 0, 0, -line), Qt.AlignmentFlag.AlignCenter, self.placeholderText()
        )
        font.setPointSizeF(font.pointSizeF() / 1.35)
        painter.setFont(font)
        painter.drawText(
            rect.adjusted(0, line * 1.4, 0, 0), Qt.AlignmentFlag.AlignCenter, DROP_SUBHINT
        )
        painter.end()
