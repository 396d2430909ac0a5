"""The password prompt for an encrypted PDF: window-modal, opened without blocking."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

# Asks for a PDF's password without blocking: (file name, wrong_before, answer); ``answer`` is
# called later with the password, or None when the user cancels.
AskPassword = Callable[[str, bool, Callable[[str | None], None]], None]


def open_password_dialog(
    parent: QWidget,
    name: str,
    wrong_before: bool,
    answer: Callable[[str | None], None],
    on_close: Callable[[], None],
) -> QInputDialog:
    """Open the prompt for ``name`` and return it; ``answer`` gets the password, or None when the
    dialog closes without one; ``on_close`` runs when it closes either way."""
    prompt = f"{name} is password-protected. Password:"
    if wrong_before:
        prompt = f"That password did not open {name}. Try again:"
    dialog = QInputDialog(parent)
    dialog.setWindowTitle("Password required")
    dialog.setLabelText(prompt)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    answered: list[bool] = []

    def accepted(text: str) -> None:
        answered.append(True)
        answer(text)

    def closed(_result: int) -> None:
        on_close()
        dialog.deleteLater()
        if not answered:
            answer(None)

    dialog.textValueSelected.connect(accepted)
    dialog.finished.connect(closed)
    dialog.open()
    return dialog
