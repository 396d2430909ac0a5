"""A document's identity in the store: its content hash, title and format."""

from __future__ import annotations

import hashlib
from typing import Any

from logline.documents.model import Document


def content_hash(document: Document) -> str:
    """SHA-256 of the file's bytes (of the text when the file cannot be read any more)."""
    digest = hashlib.sha256()
    try:
        with document.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        digest.update(document.text.encode("utf-8"))
    return digest.hexdigest()


def register(store: Any, document: Document) -> Any:
    """The store's record of ``document`` (created or refreshed)."""
    return store.documents.upsert(
        document.path, content_hash(document), document.title, document.format
    )
