"""What a drag onto the window carries, and whether the window should take it: local files of
the formats Logline reads (a folder, a .docx or a link is refused while it hovers)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QWidget

from logline.documents.loader import OPENABLE_SUFFIXES


def openable_files(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [p for p in paths if p.suffix.lower() in OPENABLE_SUFFIXES and not p.is_dir()]


def highlight(widget: QWidget, on: bool) -> None:
    """Mark ``widget`` as a drop target (the stylesheet draws the highlight)."""
    widget.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    widget.setProperty("dropTarget", on)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
