"""Placeholder hints that wrap, for the rich-text panes.

Qt's own ``QTextEdit`` placeholder is drawn on one line and cut at the pane's edge: "Open a
document and press Summarize: the summary appears here." lost its last words in a 400-pixel pane,
and the map phase's "Taking notes on 58 parts… (see the Notes tab)" most of them. The views that
show sentences as hints (summary, notes, chat) mix in :class:`WrappedPlaceholder`, which keeps the
hint itself and paints it word-wrapped, top-left, in the palette's placeholder colour, inside the
document margin, while the document is empty. ``placeholderText()`` still returns the hint.
(``QPlainTextEdit`` wraps its placeholder already: the chat composer keeps Qt's.)
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QTextEdit

WRAPPED = Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap


class WrappedPlaceholder:
    """Mixin for ``QTextEdit`` subclasses (list it before the Qt class): a placeholder that
    wraps instead of being cut at the pane's edge."""

    _hint = ""

    def setPlaceholderText(self, text: str) -> None:
        self._hint = text or ""
        QTextEdit.setPlaceholderText(self, "")  # type: ignore[arg-type]  # Qt paints nothing
        self.viewport().update()  # type: ignore[attr-defined]

    def placeholderText(self) -> str:
        return self._hint

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)  # type: ignore[misc]
        if self._hint and self.document().isEmpty():  # type: ignore[attr-defined]
            paint_hint(self, self._hint)


def paint_hint(view: Any, text: str) -> None:
    """Paint ``text`` word-wrapped where ``view``'s (a ``QTextEdit``) first line would be."""
    viewport = view.viewport()
    painter = QPainter(viewport)
    painter.setPen(view.palette().color(QPalette.ColorRole.PlaceholderText))
    painter.setFont(view.font())
    margin = view.document().documentMargin()
    area = QRectF(viewport.rect()).adjusted(margin, margin, -margin, -margin)
    painter.drawText(area, WRAPPED, text)
    painter.end()
