"""Small parts every Settings page shares: a described control, a note, an inline message."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

W = TypeVar("W", bound=QWidget)


def described(widget: W, name: str, description: str, tooltip: bool = True) -> W:
    """``widget`` with its accessible name and description (and the description as tooltip)."""
    widget.setAccessibleName(name)
    widget.setAccessibleDescription(description)
    if tooltip:
        widget.setToolTip(description)
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return widget


def note(text: str = "", name: str = "settingsNote") -> QLabel:
    """A wrapped explanatory line that never widens the window."""
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(1)
    return label


class InlineMessage(QLabel):
    """Why a value was refused, shown beside its field (error colours from the theme);
    hidden when there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsError")
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(1)
        self.hide()

    def say(self, text: str | None) -> None:
        self.setText(text or "")
        self.setAccessibleName(text or "")
        self.setVisible(bool(text))
