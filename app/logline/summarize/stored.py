"""Summaries and their documents in the store: the document's identity (content hash) and a
finished summary's record (mode, model, parameters, text, notes, stats, citations, finish).

The store itself (``logline.store``) knows nothing of documents or summaries as objects; this
module turns them into its plain records. The window and the CLI save every finished summary
here, and a conversation over a script too long to read whole reuses the saved notes.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from logline.documents.model import Document
from logline.summarize.result import SummaryResult


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
    """The store's record of ``document`` (created, or refreshed when seen before)."""
    return store.documents.upsert(
        document.path, content_hash(document), document.title, document.format
    )


def save_summary(
    store: Any,
    document_id: int,
    result: SummaryResult,
    model_id: str,
    parameters: dict[str, Any] | None = None,
) -> Any:
    """Keep a finished (or stopped) summary; the new record."""
    stats: dict[str, Any] = {
        "seconds": round(result.seconds, 3),
        "phases": [phase.to_json() for phase in result.phases],
    }
    if result.stats is not None:
        stats["last"] = asdict(result.stats)
    if result.verdict:
        stats["verdict"] = result.verdict
    return store.summaries.add(
        document_id,
        mode=result.mode,
        model=model_id,
        parameters=parameters or {},
        text=result.text,
        notes=list(result.notes),
        stats=stats,
        citations=result.citations.to_json() if result.citations else {},
        finish_reason=result.reason,
        names=[flag.name for flag in result.names],
    )
