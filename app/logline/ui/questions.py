"""Window-modal questions that never block: the answer continues the flow through a callback.

Each question is a :class:`QMessageBox` opened with ``open()``; :attr:`Questions.current` is the
one on screen (tests answer it by clicking its buttons).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget


class Questions:
    """Asks questions on behalf of ``parent``, one at a time."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent
        self.current: QMessageBox | None = None

    def ask(self, title: str, text: str, yes_text: str, on_yes: Callable[[], None]) -> None:
        """Yes / No, No the default: ``on_yes`` runs only on Yes."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self._parent)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        yes = box.button(QMessageBox.StandardButton.Yes)
        yes.setText(yes_text)
        self._open(box, {yes: on_yes})

    def choose(self, title: str, text: str, choices: list[tuple[str, Callable[[], None]]]) -> None:
        """Several answers and Cancel, the first answer the default."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self._parent)
        actions = {
            box.addButton(label, QMessageBox.ButtonRole.AcceptRole): action
            for label, action in choices
        }
        box.setDefaultButton(next(iter(actions)))
        box.addButton(QMessageBox.StandardButton.Cancel)
        self._open(box, actions)

    def _open(self, box: QMessageBox, actions: dict[object, Callable[[], None]]) -> None:
        def answered(_result: int) -> None:
            self.current = None
            action = actions.get(box.clickedButton())
            if action is not None:
                action()

        box.finished.connect(answered)
        self.current = box
        box.open()
