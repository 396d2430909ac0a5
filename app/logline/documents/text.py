"""Plain text: decoding, page splitting and the title helpers shared by every reader."""

from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path

from .model import Document

logger = logging.getLogger(__name__)

MAX_TITLE_CHARS = 80


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


def join_pages(pages: list[str]) -> str:
    """Non-empty pages separated by one blank line."""
    return "\n\n".join(page for page in pages if page)


def first_line(text: str) -> str:
    """The first non-blank line of ``text``, stripped ("" when there is none)."""
    for line in text.split("\n"):
        if line.strip():
            return line.strip()
    return ""


def make_title(candidate: str | None, path: Path) -> str:
    """A display title: the candidate tidied (ALL CAPS softened, long lines cut), else the name."""
    title = " ".join((candidate or "").split())
    if not title:
        title = " ".join(re.split(r"[-_.\s]+", path.stem)).strip() or path.name
    if title.isupper():
        title = " ".join(word[:1].upper() + word[1:].lower() for word in title.split(" "))
    if len(title) > MAX_TITLE_CHARS:
        title = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
    return title


def text_document(path: Path, text: str) -> Document:
    """A plain-text document of pages (form feeds separate them) and paragraphs."""
    from .structure import generic_document

    pages = [page.strip() for page in text.split("\f")]
    pages = [page for page in pages if page] or [""]
    return generic_document(path, "text", make_title(first_line(pages[0]), path), pages)
