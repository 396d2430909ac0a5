"""Edit ▸ Find: a one-line bar under the toolbar that finds text in the script (or in the view
that had the focus), forwards with Enter, backwards with Shift+Enter, closed with Esc."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

TextView = QPlainTextEdit | QTextEdit


class FindBar(QWidget):
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("findEdit")
        self.edit.setAccessibleName("Find in the text")
        self.edit.setAccessibleDescription(
            "Text to find in the focused view; Enter finds the next match, Shift+Enter the previous"
        )
        self.edit.setPlaceholderText("Find in the script… (Enter: next, Shift+Enter: previous)")
        self.edit.setClearButtonEnabled(True)
        self.result = QLabel("", self)
        self.result.setObjectName("findResult")
        layout.addWidget(QLabel("Find", self))
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.result)
        self.target: TextView | None = None
        self.edit.installEventFilter(self)
        self.edit.textEdited.connect(lambda _text: self.find(from_start=True))
        self.hide()

    def open_on(self, target: TextView) -> None:
        """Show the bar, searching ``target``."""
        self.target = target
        self.show()
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def find(self, *, backwards: bool = False, from_start: bool = False) -> bool:
        """Select the next (or previous) match; wraps around once. True when found."""
        target, text = self.target, self.edit.text()
        if target is None or not text:
            self.result.setText("")
            return False
        flags = QTextDocument.FindFlag.FindBackward if backwards else QTextDocument.FindFlag(0)
        if from_start:
            cursor = target.textCursor()
            cursor.setPosition(0)
            target.setTextCursor(cursor)
        found = target.find(text, flags)
        if not found:  # wrap around once
            cursor = target.textCursor()
            end = target.document().characterCount() - 1
            cursor.setPosition(end if backwards else 0)
            target.setTextCursor(cursor)
            found = target.find(text, flags)
        self.result.setText("" if found else "Not found")
        return found

    def eventFilter(self, watched: object, event: object) -> bool:
        if (
            watched is self.edit
            and isinstance(event, QKeyEvent)
            and event.type() == event.Type.KeyPress
        ):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                backwards = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self.find(backwards=backwards)
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.hide()
                if self.target is not None:
                    self.target.setFocus()
                self.closed.emit()
                return True
        return super().eventFilter(watched, event)  # type: ignore[arg-type]
