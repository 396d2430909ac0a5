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

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
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


def print_markdown(printer: QPrinter, markdown: str, title: str) -> None:
    """Lay ``markdown`` out on ``printer``'s pages (a printer, or a file output)."""
    _prepare(printer, title)
    markdown_document(markdown, title).print_(printer)


def write_pdf(target: Path, markdown: str, title: str) -> Path:
    """Render ``markdown`` to a PDF (A4 or the locale's page size) at ``target``, atomically;
    ``title`` is the PDF's title."""
    temporary = _temporary_beside(target)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setOutputFileName(str(temporary))
    print_markdown(printer, markdown, title)
    if not temporary.exists() or temporary.stat().st_size == 0:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise ExportError(f"The PDF {target.name} could not be written.")
    _replace(temporary, target)
    return target
