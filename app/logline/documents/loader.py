"""``load(path)``: pick a reader by content first, then by extension, and enforce the limits."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

from .errors import (
    CorruptDocumentError,
    DocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    UnsupportedFormatError,
)
from .fountain import fountain_document, looks_like_screenplay
from .model import Document
from .pdf import DEFAULT_MAX_PAGES, read_pdf
from .text import decode_text, normalise_newlines, text_document

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
FOUNTAIN_SUFFIXES = frozenset({".fountain", ".spmd"})
# Suffixes that always mean plain text, never sniffed for screenplay content.
PLAIN_TEXT_SUFFIXES = frozenset({".md", ".markdown"})
_SNIFF_BYTES = 4096
_SUPPORTED = "Open a PDF, Fountain (.fountain) or plain-text (.txt) file instead."


def load(
    path: str | os.PathLike[str],
    *,
    password: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Document:
    """Read the file at ``path`` into a :class:`Document`.

    The format comes from the content (``%PDF-`` magic, Final Draft XML, binary data), then the
    extension: ``.fountain``/``.spmd`` are Fountain, and other text is Fountain when it reads like
    a screenplay (an ``INT.``/``EXT.`` scene heading), else plain text. ``password`` opens an
    encrypted PDF. Every failure is a :class:`DocumentError` whose message can be shown as is.
    """
    path = Path(path).expanduser()
    name = path.name
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise DocumentError(f'"{name}" is not a file.', path=path)
        if size > max_bytes:
            raise DocumentTooLargeError(
                f'"{name}" is {_size(size)}; Logline reads files up to {_size(max_bytes)}.',
                path=path,
            )
        if size == 0:
            raise _empty(path)
        with path.open("rb") as stream:
            head = stream.read(_SNIFF_BYTES)
            kind = _sniff(head, path)
            data = head + stream.read() if kind == "text" else b""
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DocumentError(f'"{name}" cannot be opened: {reason}.', path=path) from exc

    if kind == "pdf":
        document = read_pdf(path, password, max_pages=max_pages)
    else:
        text = normalise_newlines(decode_text(data))
        if not text.strip():
            raise _empty(path)
        suffix = path.suffix.lower()
        is_fountain = suffix in FOUNTAIN_SUFFIXES or (
            suffix not in PLAIN_TEXT_SUFFIXES and looks_like_screenplay(text)
        )
        document = fountain_document(path, text) if is_fountain else text_document(path, text)
    if not document.text.strip():
        raise _empty(path)
    logger.debug(
        "Loaded %s as %s: %d pages, %d words",
        name,
        document.format,
        len(document.pages),
        document.word_count,
    )
    return document


_BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x1f\x8b")


def _sniff(head: bytes, path: Path) -> Literal["pdf", "text"]:
    """Classify a file by its first bytes (and suffix), raising for formats that are not read."""
    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:  # the spec allows junk before the header
        return "pdf"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix == ".fdx" or start.startswith((b"<?xml", b"<FinalDraft")):
        if suffix == ".fdx" or b"<FinalDraft" in head:
            raise UnsupportedFormatError(
                f'"{path.name}" is a Final Draft file. Final Draft support arrives soon; until '
                "then, export the script from Final Draft as PDF or Fountain.",
                path=path,
            )
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


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"
