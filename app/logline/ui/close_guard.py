"""Closing the window while a summary or an answer is being written asks first (without a
nested event loop); the partial result is kept either way (the store has it)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMessageBox

QUESTION = (
    "Logline is still writing. Stop and close? What is written so far is kept, and comes back "
    "when you open the document again."
)


def busy(window: Any) -> bool:
    return bool(window.generating or getattr(window.chat, "busy", False))


def allow_close(window: Any, event: QCloseEvent) -> bool:
    """True when the window may close now; else the event is ignored and the user is asked."""
    if not window.confirm_close or not busy(window) or window.close_confirmed:
        return True
    event.ignore()
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Stop and close?",
        QUESTION,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        window,
    )
    box.setObjectName("closeQuestion")
    yes = box.button(QMessageBox.StandardButton.Yes)
    yes.setText("Stop and Close")

    def answered(button: Any) -> None:
        if button is yes:
            window.close_confirmed = True
            window.stop()
            window.chat.stop()
            window.close()

    box.buttonClicked.connect(answered)
    window.close_question = box
    box.open()
    return False
