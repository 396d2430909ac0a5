"""PDF through pypdf (imported on first use): text per page, passwords, scans and damage."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import (
    CorruptDocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedPdfError,
    NoTextLayerError,
)
from .model import Document
from .text import first_line, join_pages, make_title

if TYPE_CHECKING:
    from pypdf import PdfReader

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 2000
# Info-dictionary titles that name the tool or the source file rather than the script.
_PLACEHOLDER_TITLES = frozenset({"", "untitled", "anonymous", "(anonymous)", "(unspecified)"})
_FILE_NAME_LIKE = re.compile(r"^[\w.-]*[-_.][\w.-]*$")


def read_pdf(
    path: Path, password: str | None = None, *, max_pages: int = DEFAULT_MAX_PAGES
) -> Document:
    """Extract the text of every page of the PDF at ``path``.

    Raises :class:`EncryptedPdfError` when it is locked and ``password`` does not open it,
    :class:`NoTextLayerError` when no page has text (a scan), :class:`CorruptDocumentError` when
    pypdf cannot parse it and :class:`DocumentTooLargeError` above ``max_pages`` pages.
    """
    from pypdf import PdfReader

    name = path.name
    # pypdf raises many exception types on damaged input (its own, ValueError, KeyError...):
    # every one of them means the same thing to a user.
    try:
        reader = PdfReader(path)
        _unlock(reader, password, path)
        page_count = len(reader.pages)
    except EncryptedPdfError:
        raise
    except Exception as exc:
        logger.info("pypdf could not open %s: %s", name, type(exc).__name__)
        raise CorruptDocumentError(
            f'"{name}" is damaged or not a valid PDF, so it cannot be read.', path=path
        ) from exc
    if page_count == 0:
        raise EmptyDocumentError(f'"{name}" is empty: the PDF has no pages.', path=path)
    if page_count > max_pages:
        raise DocumentTooLargeError(
            f'"{name}" has {page_count:,} pages; Logline reads at most {max_pages:,}.', path=path
        )

    pages: list[str] = []
    failed = 0
    for number in range(page_count):
        try:
            raw = reader.pages[number].extract_text()
        except Exception as exc:
            failed += 1
            logger.warning("No text from page %d of %s: %s", number + 1, name, type(exc).__name__)
            raw = ""
        pages.append(_tidy_page(raw))
    if not any(pages):
        if failed:
            raise CorruptDocumentError(
                f'"{name}" is damaged: no text could be read from its pages.', path=path
            )
        raise NoTextLayerError(
            f'"{name}" has no text layer; it looks like a scanned or image-only PDF. OCR is not '
            "supported: export the script as a text PDF or Fountain file instead.",
            path=path,
        )
    text = join_pages(pages)
    return Document(
        path=path,
        format="pdf",
        title=make_title(_info_title(reader) or first_line(text), path),
        text=text,
        pages=pages,
    )


def _unlock(reader: PdfReader, password: str | None, path: Path) -> None:
    """Decrypt ``reader`` with ``password``, else with "" (PDFs that only restrict printing)."""
    from pypdf import PasswordType
    from pypdf.errors import DependencyError

    if not reader.is_encrypted:
        return
    for candidate in (password, ""):
        if candidate is None:
            continue
        try:
            if reader.decrypt(candidate) != PasswordType.NOT_DECRYPTED:
                return
        except DependencyError as exc:  # AES needs the optional `cryptography` package
            raise EncryptedPdfError(
                f'"{path.name}" uses an encryption this installation cannot open (AES needs the '
                "'cryptography' package).",
                path=path,
                password_given=bool(password),
            ) from exc
    if password:
        raise EncryptedPdfError(
            f'The password for "{path.name}" is incorrect.', path=path, password_given=True
        )
    raise EncryptedPdfError(
        f'"{path.name}" is password-protected. Enter its password to open it.', path=path
    )


def _info_title(reader: PdfReader) -> str:
    """The info-dictionary title unless it is a placeholder or a file name ("big-fish-source")."""
    try:
        info = reader.metadata
        title = str(info.title or "").strip() if info is not None else ""
    except Exception:  # a damaged info dictionary only costs the title
        return ""
    if title.lower() in _PLACEHOLDER_TITLES or _FILE_NAME_LIKE.match(title):
        return ""
    return title


def _tidy_page(raw: str) -> str:
    """Strip each line's padding and the page's surrounding blank lines."""
    return "\n".join(line.strip() for line in raw.splitlines()).strip("\n")
