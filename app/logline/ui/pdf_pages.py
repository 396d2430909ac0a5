"""The page view of a PDF: the original pages, drawn by QtPdf (``PySide6.QtPdf``).

QtPdf comes from the optional PySide6-Pdf package and is imported only when a page view is
first needed; :func:`pdf_view_unavailable` says why there is none (the toggle shows it as its
tooltip). The PDF is opened when the page view is first shown, not on every load.
"""

from __future__ import annotations

import importlib
import logging
from functools import cache
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

log = logging.getLogger(__name__)


@cache
def pdf_view_unavailable() -> str | None:
    """Why there can be no page view here (None: QtPdf is there)."""
    try:
        importlib.import_module("PySide6.QtPdf")
        importlib.import_module("PySide6.QtPdfWidgets")
    except ImportError:
        return "The page view needs QtPdf (the PySide6-Pdf package), which is not installed"
    return None


class PdfPages(QWidget):
    """A QPdfView of one PDF, scrolled page by page; a message instead when it cannot open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pdfPages")
        self.setAccessibleName("Pages")
        self.setAccessibleDescription("The original PDF's pages")
        self._stack = QStackedLayout(self)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setAccessibleName("Page view message")
        self.message.setAccessibleDescription("Why the PDF's pages cannot be shown")
        self._stack.addWidget(self.message)
        self.view: Any = None  # QPdfView, made on first use
        self._pdf: Any = None  # QPdfDocument
        self._path: Path | None = None
        self._loaded: Path | None = None

    def set_path(self, path: Path | None) -> None:
        """The PDF to show (opened lazily, when the view is shown or a page asked for)."""
        self._path = path
        if path is None and self._pdf is not None:
            self._pdf.close()
            self._loaded = None

    @property
    def page_count(self) -> int:
        return self._pdf.pageCount() if self._pdf is not None and self._loaded else 0

    def current_page(self) -> int:
        """The 1-based page at the view's position (0: nothing shown)."""
        if self.view is None or not self._loaded:
            return 0
        return int(self.view.pageNavigator().currentPage()) + 1

    def ensure_loaded(self) -> bool:
        """Open the PDF now, if it is not open yet; False when it cannot be shown."""
        if self._path is None:
            return False
        if self._loaded == self._path:
            return True
        reason = pdf_view_unavailable()
        if reason is None:
            reason = self._open(self._path)
        if reason is not None:
            self.message.setText(reason)
            self._stack.setCurrentWidget(self.message)
            return False
        self._loaded = self._path
        self._stack.setCurrentWidget(self.view)
        return True

    def _open(self, path: Path) -> str | None:
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtPdfWidgets import QPdfView

        if self.view is None:
            self._pdf = QPdfDocument(self)
            self.view = QPdfView(self)
            self.view.setObjectName("pdfView")
            self.view.setAccessibleName("PDF pages")
            self.view.setAccessibleDescription("The original PDF, page by page")
            self.view.setPageMode(QPdfView.PageMode.MultiPage)
            self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
            self.view.setDocument(self._pdf)
            self._stack.addWidget(self.view)
        self._pdf.close()
        error = self._pdf.load(str(path))
        if error != QPdfDocument.Error.None_:
            log.info("the page view cannot open the PDF (%s)", error.name)
            return f"The page view cannot open this PDF ({error.name.replace('_', ' ')})"
        return None

    def go_to_page(self, page: int) -> bool:
        """Show 1-based page ``page`` at the top; False when it is not there."""
        if not self.ensure_loaded() or not 1 <= page <= self.page_count:
            return False
        self.view.pageNavigator().jump(page - 1, QPointF(0, 0), 0)
        return True
