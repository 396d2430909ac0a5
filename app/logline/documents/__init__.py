"""Qt-free document ingestion: a file (PDF, Fountain, plain text) becomes a :class:`Document`.

``load(path)`` is the one entry point; every failure is a :class:`DocumentError` whose message is
fit to show a user. Heavy readers (pypdf) are imported only when a file needs them.
"""

from .errors import (
    CorruptDocumentError,
    DocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedPdfError,
    NoTextLayerError,
    UnsupportedFormatError,
)
from .loader import DEFAULT_MAX_BYTES, DEFAULT_MAX_TEXT_BYTES, load
from .model import Document, DocumentFormat
from .pdf import DEFAULT_MAX_PAGES

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PAGES",
    "DEFAULT_MAX_TEXT_BYTES",
    "CorruptDocumentError",
    "Document",
    "DocumentError",
    "DocumentFormat",
    "DocumentTooLargeError",
    "EmptyDocumentError",
    "EncryptedPdfError",
    "NoTextLayerError",
    "UnsupportedFormatError",
    "load",
]
