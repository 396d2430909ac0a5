"""Errors the documents layer raises, each carrying a message fit to show a user as is.

Callers catch :class:`DocumentError` and show ``str(error)``; the subclasses let a front end react
to a specific case (ask for a password, suggest exporting a text PDF) without parsing messages.
"""

from __future__ import annotations

from pathlib import Path


class DocumentError(Exception):
    """Base class: a file cannot be turned into a document. ``str(error)`` is a full sentence."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path

    @property
    def message(self) -> str:
        return str(self)


class EmptyDocumentError(DocumentError):
    """The file holds no text to read (zero bytes, only whitespace, or only markup)."""


class UnsupportedFormatError(DocumentError):
    """The file is in a format Logline does not read (yet), such as Final Draft or Word."""


class EncryptedPdfError(DocumentError):
    """The PDF is password-protected and no working password was given.

    ``password_given`` tells a front end whether to ask for a password or to say it was wrong.
    """

    def __init__(
        self, message: str, *, path: Path | None = None, password_given: bool = False
    ) -> None:
        super().__init__(message, path=path)
        self.password_given = password_given


class NoTextLayerError(DocumentError):
    """The PDF has pages but no extractable text: a scan or an image export (no OCR)."""


class CorruptDocumentError(DocumentError):
    """The file claims a format but cannot be parsed as it (damaged, truncated, mislabelled)."""


class DocumentTooLargeError(DocumentError):
    """The file is bigger than the configured byte or page limit."""
