"""A titled card around one view: the heading, a detail line, then the view."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

# The detail line's left and right padding in the stylesheet (QLabel#paneDetail), which the
# elided text must leave free.
DETAIL_PADDING = 24


class DetailLabel(QLabel):
    """A one-line label that never widens its window: a long text ("… · map-reduce: 58 chunks
    of ≤ 1,024 tokens") is elided to the room the pane has, the whole of it in ``text()`` and
    the tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        return self._full

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = max(self.width() - DETAIL_PADDING, 20)
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, room)
        super().setText(shown)


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
        self.detail = DetailLabel(self)
        self.detail.setObjectName("paneDetail")
        layout.addWidget(heading)
        layout.addWidget(self.detail)
        layout.addWidget(view, 1)
        self.view = view
