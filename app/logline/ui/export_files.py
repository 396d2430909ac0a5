"""Markdown made into files and pages: an atomic Markdown file, a PDF (``QTextDocument`` printed
by a ``QPrinter`` in PDF format) and the same document sent to a printer.

Every file is written to a temporary file in the target folder, then renamed over the target:
an export that fails half-way never leaves a half-written file, and a folder that cannot be
written says so before anything is rendered.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QTextDocument
from PySide6.QtPrintSupport import QPrinter

__all__ = ["ExportError", "markdown_document", "print_markdown", "write_markdown", "write_pdf"]


class ExportError(Exception):
    """An export that could not be written; the message says why, in plain words."""


def _temporary_beside(target: Path) -> Path:
    """A new empty file in ``target``'s folder (raises ``ExportError`` when it is not writable)."""
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(f"The folder {folder} does not exist.")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ExportError(
            f"Cannot write to the folder {folder} ({reason.lower()}): choose another folder."
        ) from exc
    os.close(handle)
    return Path(name)


def _replace(temporary: Path, target: Path) -> None:
    try:
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        reason = exc.strerror or type(exc).__name__
        raise ExportError(f"Cannot write {target.name} ({reason.lower()}).") from exc


def write_markdown(target: Path, markdown: str) -> Path:
    """Write ``markdown`` (UTF-8) to ``target`` atomically."""
    temporary = _temporary_beside(target)
    try:
        temporary.write_text(markdown if markdown.endswith("\n") else markdown + "\n", "utf-8")
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise ExportError(f"Cannot write {target.name} ({exc.strerror or exc}).") from exc
    _replace(temporary, target)
    return target


def markdown_document(markdown: str, title: str) -> QTextDocument:
    """A ``QTextDocument`` of ``markdown`` for paper: its title in the metadata."""
    document = QTextDocument()
    document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, title)
    document.setMarkdown(markdown)
    return document


def _prepare(printer: QPrinter, title: str) -> None:
    printer.setDocName(title)
    printer.setCreator("Logline")
    printer.setPageMargins(QMarginsF(18, 18, 18, 18), QPageLayout.Unit.Millimeter)


def print_markdown(printer: QPrinter, markdown: str, title: str, header: str = "") -> None:
    """Lay ``markdown`` out on ``printer``'s pages (a printer, or a file output), each page
    headed by ``header`` (default: ``title``) and numbered "Page 2 of 5" at its foot."""
    _prepare(printer, title)
    paint_pages(printer, markdown_document(markdown, title), header or title)


def paint_pages(printer: QPrinter, document: QTextDocument, header: str) -> int:
    """Paint ``document`` page by page between a running header and a page-number footer;
    the number of pages."""
    painter = QPainter()
    if not painter.begin(printer):
        raise ExportError("The printer could not start a page.")
    try:
        page = printer.pageLayout().paintRectPixels(printer.resolution())
        small = QFont(document.defaultFont())
        small.setPointSizeF(max(small.pointSizeF() * 0.8, 7.0))
        painter.setFont(small)
        line = painter.fontMetrics().height()
        band = int(line * 2)  # header (or footer) line and the gap to the text
        body = QSizeF(page.width(), max(page.height() - 2 * band, line * 4))
        document.documentLayout().setPaintDevice(printer)
        document.setPageSize(body)
        pages = max(1, document.pageCount())
        grey = QColor(90, 90, 90)
        for number in range(pages):
            if number:
                printer.newPage()
            painter.setFont(small)
            painter.setPen(grey)
            top = QRectF(0, 0, page.width(), line)
            painter.drawText(top, int(Qt.AlignmentFlag.AlignLeft), _elided(painter, header, top))
            foot = QRectF(0, page.height() - line, page.width(), line)
            painter.drawText(
                foot, int(Qt.AlignmentFlag.AlignCenter), f"Page {number + 1} of {pages}"
            )
            painter.save()
            painter.translate(0, band - number * body.height())
            clip = QRectF(0, number * body.height(), body.width(), body.height())
            document.drawContents(painter, clip)
            painter.restore()
        return pages
    finally:
        painter.end()


def _elided(painter: QPainter, text: str, rect: QRectF) -> str:
    return painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(rect.width()))


def write_pdf(target: Path, markdown: str, title: str, header: str = "") -> Path:
    """Render ``markdown`` to a PDF (A4 or the locale's page size) at ``target``, atomically;
    ``title`` is the PDF's title."""
    temporary = _temporary_beside(target)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setOutputFileName(str(temporary))
    try:
        print_markdown(printer, markdown, title, header)
    except ExportError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    if not temporary.exists() or temporary.stat().st_size == 0:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise ExportError(f"The PDF {target.name} could not be written.")
    _replace(temporary, target)
    return target
