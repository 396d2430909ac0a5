"""The document pane: the document's text, read-only, with a centred drop hint while empty.

:meth:`DocumentView.show_scene` scrolls to a scene's heading (a chat citation clicked): the
document's text is its elements rendered in order, so each scene's heading is found in it by
searching for the heading as rendered, from where the previous scene's was found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, Slot
from PySide6.QtGui import QFontDatabase, QPainter, QPaintEvent, QPalette, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from logline.documents.render import render_elements

if TYPE_CHECKING:
    from logline.documents import Document


def scene_offsets(document: Document) -> dict[int, tuple[int, int]]:
    """Each scene's heading in ``document.text``: scene number -> (start, end) characters."""
    found: dict[int, tuple[int, int]] = {}
    start = 0
    for scene in document.scenes:
        heading = render_elements(document.elements[scene.first_element : scene.first_element + 1])
        heading = heading.strip() or scene.heading
        at = document.text.find(heading, start) if heading else -1
        if at < 0:
            continue
        found[scene.number] = (at, at + len(heading))
        start = at + len(heading)
    return found


DROP_HINT = "Drop a screenplay or PDF here"
DROP_SUBHINT = "or choose Open… (PDF, Fountain, Final Draft or plain text)"


class DocumentView(QPlainTextEdit):
    """Read-only text. Drops fall through to the window, which opens the file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentView")
        self.setAccessibleName("Script")
        self.setAccessibleDescription("The open document's text")
        self.setReadOnly(True)
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self.setPlaceholderText(DROP_HINT)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 10.0))
        self.setFont(font)
        self._document: Document | None = None
        self._scenes: dict[int, tuple[int, int]] | None = None

    def show_text(self, text: str) -> None:
        self._document, self._scenes = None, None
        self.setPlainText(text)
        self.moveCursor(self.textCursor().MoveOperation.Start)

    def show_document(self, document: Document) -> None:
        """Show ``document``'s text; its scenes can then be shown with :meth:`show_scene`."""
        self.show_text(document.text)
        self._document = document

    @Slot(int)
    def show_scene(self, number: int) -> bool:
        """Scroll so scene ``number``'s heading is the top line, selected; False when the
        document has no such scene."""
        if self._document is None:
            return False
        if self._scenes is None:
            self._scenes = scene_offsets(self._document)
        span = self._scenes.get(number)
        if span is None:
            return False
        self.moveCursor(QTextCursor.MoveOperation.End)  # then back up: the heading lands on top
        cursor = QTextCursor(self.document())
        cursor.setPosition(span[0])
        cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
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
