"""The Summary pane's server badge: "Written on render-01 · sent to 10.0.0.5".

Shown above a summary written on an inference server (live, or saved and shown from History);
hidden for one written on this machine. The texts come from :mod:`logline.ui.server_records`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["ServerBadge"]


class ServerBadge(QLabel):
    """The Summary pane's badge (hidden for an answer written on this machine)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serverBadge")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setAccessibleName("Where this summary was written")
        self.hide()

    def show_badge(self, text: str) -> None:
        """Show ``text`` (from :mod:`~logline.ui.server_records`); "" hides the badge."""
        if not text:
            self.hide_badge()
            return
        self.setText(f"Written {text}")
        self.setToolTip(
            "This answer was written by an inference server, not on this computer"
            + ("; the document's text was sent to it." if "sent to" in text else ".")
        )
        self.show()

    def summary_finished(self, result: Any) -> None:
        """A summary failed before writing anything (refused, unreachable): nothing was
        written there, so the badge goes."""
        if result.reason == "error" and not result.text and not result.notes:
            self.hide_badge()

    def hide_badge(self) -> None:
        self.clear()
        self.setToolTip("")
        self.hide()

    @property
    def badge(self) -> str:
        """The text shown ("" when hidden)."""
        return self.text() if not self.isHidden() else ""
