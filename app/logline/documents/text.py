"""Plain text: decoding, newlines, and plain-text documents of pages and paragraphs."""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

from .model import Document
from .structure import generic_document
from .titles import first_line, make_title

logger = logging.getLogger(__name__)


def decode_text(data: bytes) -> str:
    """Decode file bytes: UTF-16 by BOM, else UTF-8 (BOM stripped), else cp1252, else latin-1."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text, encoding = data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined; latin-1 decodes anything
        text, encoding = data.decode("latin-1"), "latin-1"
    logger.debug("Text is not UTF-8; decoded as %s", encoding)
    return text


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_document(path: Path, text: str) -> Document:
    """A plain-text document of pages (form feeds separate them) and paragraphs."""
    pages = [page.strip() for page in text.split("\f")]
    pages = [page for page in pages if page] or [""]
    return generic_document(path, "text", make_title(first_line(pages[0]), path), pages)
