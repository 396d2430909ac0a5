"""Where a question is typed: Enter sends, Shift+Enter adds a line; Stop while an answer streams."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

__all__ = ["ChatComposer", "QuestionEdit"]

PLACEHOLDER = "Ask about the script… (Enter sends, Shift+Enter adds a line)"
BUSY_PLACEHOLDER = "An answer is being written…"


class QuestionEdit(QPlainTextEdit):
    """A plain text box whose Enter (without Shift) submits instead of adding a line."""

    submitted = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            event.accept()
            self.submit()
            return
        super().keyPressEvent(event)

    def submit(self) -> None:
        text = self.toPlainText().strip()
        if text and not self.isReadOnly():
            self.submitted.emit(text)


class ChatComposer(QWidget):
    """The question box with Send and Stop. ``submitted(text)`` clears the box; while
    :meth:`set_busy` is on the box is read-only, Send hidden and Stop shown."""

    submitted = Signal(str)
    stopRequested = Signal()
    typingStarted = Signal()  # the first character typed into an empty box

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QuestionEdit(self)
        self.edit.setObjectName("chatComposer")
        self.edit.setAccessibleName("Question")
        self.edit.setAccessibleDescription(
            "A question about the open document; Enter sends it, Shift+Enter adds a line"
        )
        self.edit.setPlaceholderText(PLACEHOLDER)
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * 3 + 16)
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("chatSend")
        self.send_button.setDefault(False)
        self.send_button.setToolTip("Send the question (Enter)")
        self.send_button.setAccessibleDescription("Send the question (Enter)")
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("chatStop")
        self.stop_button.setToolTip("Stop the answer (what it wrote so far is kept)")
        self.stop_button.setAccessibleDescription("Stop the answer; what it wrote so far is kept")
        self.stop_button.hide()
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.addWidget(self.edit, 1)
        layout.addLayout(buttons)
        self.busy = False
        self._was_empty = True
        self.edit.submitted.connect(self._on_submitted)
        self.edit.textChanged.connect(self._on_text_changed)
        self.send_button.clicked.connect(self.edit.submit)
        self.stop_button.clicked.connect(self.stopRequested)

    @property
    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        """Put ``text`` in the box (e.g. a question to edit), cursor at its end."""
        self.edit.setPlainText(text)
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)
        self.edit.setFocus()

    def set_busy(self, busy: bool) -> None:
        """While an answer streams: no sending (typing the next question is not lost: the
        box keeps its text), Stop instead of Send."""
        self.busy = busy
        self.edit.setReadOnly(busy)
        self.edit.setPlaceholderText(BUSY_PLACEHOLDER if busy else PLACEHOLDER)
        self.send_button.setVisible(not busy)
        self.stop_button.setVisible(busy)
        self.stop_button.setEnabled(busy)

    @Slot(str)
    def _on_submitted(self, text: str) -> None:
        if self.busy or not self.isEnabled():
            return
        self.submitted.emit(text)  # first: an edit in progress is read before the box empties
        self.edit.clear()

    @Slot()
    def _on_text_changed(self) -> None:
        empty = not self.edit.toPlainText()
        if self._was_empty and not empty:
            self.typingStarted.emit()
        self._was_empty = empty
