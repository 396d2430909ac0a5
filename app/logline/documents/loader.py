"""``load(path)``: pick a reader by content first, then by extension, and enforce the limits."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Literal

from logline.units import format_bytes

from .errors import (
    CorruptDocumentError,
    DocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    UnsupportedFormatError,
)
from .fountain import fountain_document, looks_like_screenplay
from .layout import classify_text_export
from .model import Document, DocumentFormat
from .pdf import DEFAULT_MAX_PAGES, PdfStructure, read_pdf
from .structure import generic_document, screenplay_document
from .text import decode_text, normalise_newlines, text_document
from .titles import make_title

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 10**6  # 50 MB as Finder counts (logline.units)
# Text formats are dense: 16 MB of Fountain or FDX is dozens of feature scripts. A lower limit keeps
# a mistaken drop (a log file, a database dump) from taking seconds and hundreds of MB to parse.
DEFAULT_MAX_TEXT_BYTES = 16 * 10**6
FOUNTAIN_SUFFIXES = frozenset({".fountain", ".spmd"})
# Suffixes that always mean plain text, never sniffed for screenplay content.
PLAIN_TEXT_SUFFIXES = frozenset({".md", ".markdown"})
# What a drop or an Open dialog offers: the formats Logline reads (text files of any of these
# suffixes are sniffed for screenplay content).
OPENABLE_SUFFIXES = frozenset(
    {".pdf", ".fdx", ".txt", ".text"} | FOUNTAIN_SUFFIXES | PLAIN_TEXT_SUFFIXES
)
_SNIFF_BYTES = 4096
_SUPPORTED = (
    "Open a PDF, Fountain (.fountain), Final Draft (.fdx) or plain-text (.txt) file instead."
)
_Kind = Literal["pdf", "fdx", "text"]


def load(
    path: str | os.PathLike[str],
    *,
    password: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Document:
    """Read the file at ``path`` into a :class:`Document`.

    The format comes from the content (``%PDF-`` magic, Final Draft XML, binary data), then the
    extension: ``.fountain``/``.spmd`` are Fountain; other text is a screenplay when it is laid
    out like one (an indented text export, or Fountain-style ``INT.``/``EXT.`` headings), else
    plain text. ``password`` opens an encrypted PDF. ``max_bytes`` limits every file and
    ``max_text_bytes`` text, Fountain and FDX files (PDFs are also limited to ``max_pages``).
    Every failure is a :class:`DocumentError` whose message can be shown as is.
    """
    path = Path(path).expanduser()
    name = path.name
    try:
        size = path.stat().st_size
        if not path.is_file():
            what = (
                "a folder, not a file"
                if path.is_dir()
                else "not a regular file (a pipe, socket or device)"
            )
            raise DocumentError(f'"{name}" is {what}: open a document file.', path=path)
        if size > max_bytes:
            raise DocumentTooLargeError(
                f'"{name}" is {format_bytes(size)}; Logline reads files up to '
                f"{format_bytes(max_bytes)}.",
                path=path,
            )
        if size == 0:
            raise _empty(path)
        with path.open("rb") as stream:
            head = stream.read(_SNIFF_BYTES)
            kind = _sniff(head, path)
            if kind != "pdf" and size > max_text_bytes:
                what = "Final Draft file" if kind == "fdx" else "text file"
                raise DocumentTooLargeError(
                    f'"{name}" is a {format_bytes(size)} {what}; Logline reads text and screenplay '
                    f"files up to {format_bytes(max_text_bytes)}.",
                    path=path,
                )
            data = head + stream.read() if kind != "pdf" else b""
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DocumentError(f'"{name}" cannot be opened: {reason}.', path=path) from exc

    try:
        if kind == "pdf":
            document = _pdf_document(path, password, max_pages)
        elif kind == "fdx":
            document = _fdx_document(path, data)
        else:
            document = _text_or_screenplay(path, data)
    except DocumentError as exc:
        exc.path = exc.path or path
        raise
    if not document.text.strip():
        raise _empty(path)
    logger.debug(
        "Loaded %s as %s %s: %d pages, %d scenes, %d words",
        name,
        document.kind,
        document.format,
        len(document.pages),
        len(document.scenes),
        document.word_count,
    )
    return document


def _pdf_document(path: Path, password: str | None, max_pages: int) -> Document:
    structure = read_pdf(path, password, max_pages=max_pages)
    document = _pdf_structure_document(path, structure)
    notice = structure.hidden.notice()
    return replace(document, notices=(notice,)) if notice else document


def _pdf_structure_document(path: Path, structure: PdfStructure) -> Document:
    if structure.is_screenplay:
        return screenplay_document(
            path,
            "pdf",
            structure.title_page,
            structure.elements,
            page_labels=structure.page_labels,
            page_texts=structure.page_texts,
            fallback_title=structure.info_title,
        )
    first = next((text for text in structure.page_texts if text.strip()), "")
    return generic_document(
        path,
        "pdf",
        make_title(structure.info_title or first.strip().split("\n")[0], path),
        structure.page_texts,
        page_labels=structure.page_labels,
        paragraphs=structure.elements,
        page_source="printed",
    )


def _fdx_document(path: Path, data: bytes) -> Document:
    # lazy on purpose, like the PDF scanner: FDX support loads when an FDX file is opened, so the
    # window appears fast (fdx.py in turn imports defusedxml only when it parses)
    from .fdx import parse_fdx

    title_page, elements = parse_fdx(data, name=path.name)
    return screenplay_document(path, "fdx", title_page, elements)


def _text_or_screenplay(path: Path, data: bytes) -> Document:
    """Fountain, an indented screenplay text export, or plain text."""
    text = normalise_newlines(decode_text(data))
    if not text.strip():
        raise _empty(path)
    suffix = path.suffix.lower()
    format: DocumentFormat = "fountain" if suffix in FOUNTAIN_SUFFIXES else "text"
    if format == "fountain":
        return fountain_document(path, text)
    if suffix in PLAIN_TEXT_SUFFIXES:
        return text_document(path, text)
    export = classify_text_export(text)
    if export is not None and export.is_screenplay:
        return screenplay_document(
            path, "text", export.title_page, export.elements, fallback_title=""
        )
    if looks_like_screenplay(text):
        return fountain_document(path, text, format="text")
    return text_document(path, text)


_BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x1f\x8b")


def _sniff(head: bytes, path: Path) -> _Kind:
    """Classify a file by its first bytes (and suffix), raising for formats that are not read."""
    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:  # the spec allows junk before the header
        return "pdf"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix == ".fdx" or start.startswith((b"<?xml", b"<FinalDraft")):
        if suffix == ".fdx" or b"<FinalDraft" in head:
            return "fdx"
        raise UnsupportedFormatError(
            f'"{path.name}" is an XML file, which Logline does not read. {_SUPPORTED}', path=path
        )
    if suffix == ".pdf":
        raise CorruptDocumentError(
            f'"{path.name}" is named like a PDF but is not one (it has no PDF header).', path=path
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text carries NUL bytes
        return "text"
    # NUL bytes, RTF, and container formats (zip: .docx/.pages/.fadein; OLE2: .doc; gzip)
    if b"\x00" in head or start.startswith((b"{\\rtf", *_BINARY_MAGIC)):
        raise UnsupportedFormatError(
            f'"{path.name}" is not a format Logline reads. {_SUPPORTED}', path=path
        )
    return "text"


def _empty(path: Path) -> EmptyDocumentError:
    return EmptyDocumentError(f'"{path.name}" is empty: there is no text to read.', path=path)
