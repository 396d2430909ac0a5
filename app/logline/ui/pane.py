"""A titled card around one view: the heading, a detail line, then the view."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class Pane(QWidget):
    def __init__(self, title: str, view: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        heading = QLabel(title.upper(), self)
        heading.setObjectName("paneTitle")
        self.detail = QLabel(self)
        self.detail.setObjectName("paneDetail")
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(heading)
        layout.addWidget(self.detail)
        layout.addWidget(view, 1)
        self.view = view
