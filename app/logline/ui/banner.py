"""A dismissible message strip above the panes: errors (red) and notices (amber)."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from logline.display_text import show_bidi

BannerKind = Literal["error", "notice"]


class Banner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("kind", "notice")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 6, 8)
        self.label = QLabel(self)
        self.label.setObjectName("bannerText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setObjectName("bannerClose")
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss the message")
        close.setAccessibleDescription("Hide this message")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.kind: BannerKind | None = None
        self.hide()

    @property
    def text(self) -> str:
        """The message shown, or "" once dismissed."""
        return self.label.text() if self.kind is not None else ""

    def show_message(self, text: str, kind: BannerKind = "notice") -> None:
        self.kind = kind
        self.setProperty("kind", kind)
        for widget in (self, self.label):  # re-apply the stylesheet for the new kind
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        self.label.setText(show_bidi(text))  # a file name's U+202E shows, it does not reorder
        self.show()

    def dismiss(self) -> None:
        self.kind = None
        self.label.clear()
        self.hide()
