"""The document pane: the document's text, read-only, with a centred drop hint while empty."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontDatabase, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QPlainTextEdit, QWidget

DROP_HINT = "Drop a screenplay or PDF here"
DROP_SUBHINT = "or choose Open… (PDF, Fountain, Final Draft or plain text)"


class DocumentView(QPlainTextEdit):
    """Read-only text. Drops fall through to the window, which opens the file."""

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
