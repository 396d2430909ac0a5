"""Summaries and their documents in the store: the document's identity (content hash) and a
finished summary's record (mode, model, parameters, text, notes, stats, citations, finish).

The store itself (``logline.store``) knows nothing of documents or summaries as objects; this
module turns them into its plain records. The CLI saves every finished summary here; the window
keeps one as it streams (:class:`SummaryStream`); a conversation over a script too long to read
whole reuses the saved notes.
"""

from __future__ import annotations

import hashlib
import time
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


def _final_fields(result: SummaryResult) -> dict[str, Any]:
    """The columns a finished (or stopped) summary's result fills."""
    stats: dict[str, Any] = {
        "seconds": round(result.seconds, 3),
        "phases": [phase.to_json() for phase in result.phases],
    }
    if result.stats is not None:
        stats["last"] = asdict(result.stats)
    if result.verdict:
        stats["verdict"] = result.verdict
    return {
        "text": result.text,
        "notes": list(result.notes),
        "stats": stats,
        "citations": result.citations.to_json() if result.citations else {},
        "finish_reason": result.reason,
        "names": [flag.name for flag in result.names],
    }


def save_summary(
    store: Any,
    document_id: int,
    result: SummaryResult,
    model_id: str,
    parameters: dict[str, Any] | None = None,
) -> Any:
    """Keep a finished (or stopped) summary; the new record."""
    return store.summaries.add(
        document_id,
        mode=result.mode,
        model=model_id,
        parameters=parameters or {},
        **_final_fields(result),
    )


class SummaryStream:
    """A summary kept as it streams: recorded when it starts (marked running), its answer and
    notes written at most every ``flush_interval`` seconds (one small transaction), so a crash
    keeps what was written; :meth:`finish` records the final state.

    The store opened again after a crash marks a summary left running as stopped.
    """

    def __init__(
        self,
        store: Any,
        document_id: int,
        mode: str,
        model_id: str,
        parameters: dict[str, Any] | None = None,
        flush_interval: float = 1.0,
    ) -> None:
        self._store = store
        self.flush_interval = flush_interval
        record = store.summaries.begin(
            document_id, mode=mode, model=model_id, parameters=parameters or {}
        )
        self.summary_id: int = record.id
        self.text = ""
        self.notes: dict[int, str] = {}  # map notes by chunk index
        self._dirty = False
        self._last_flush = time.monotonic()
        self.flushes = 0
        self.finished = False

    def append(self, text: str) -> None:
        """More of the answer."""
        self.text += text
        self._changed()

    def append_note(self, index: int, text: str, retract: int = 0) -> None:
        """More of map note ``index`` (after dropping its last ``retract`` characters)."""
        note = self.notes.get(index, "")
        if retract:
            note = note[: max(len(note) - retract, 0)]
        self.notes[index] = note + text
        self._changed()

    def _changed(self) -> None:
        self._dirty = True
        if time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()

    def flush(self) -> None:
        """Write what streamed since the last write (nothing when nothing changed)."""
        if self._dirty and not self.finished:
            notes = [self.notes[i] for i in sorted(self.notes)]
            self._store.summaries.set_text(self.summary_id, self.text, notes)
            self._dirty = False
            self.flushes += 1
        self._last_flush = time.monotonic()

    def finish(self, result: SummaryResult | None) -> bool:
        """Record how the summary ended (``None``: it failed before a result); False when
        nothing was written at all, and the record is deleted."""
        if self.finished:
            return True
        self.flush()
        self.finished = True
        if result is None:
            fields: dict[str, Any] = {
                "text": self.text,
                "notes": [self.notes[i] for i in sorted(self.notes)],
                "stats": {},
                "citations": {},
                "finish_reason": "error",
            }
        else:
            fields = _final_fields(result)
            if not fields["text"] and self.text and result.reason in ("stopped", "error"):
                fields["text"] = self.text  # what streamed is kept
            if not fields["notes"] and self.notes:
                fields["notes"] = [self.notes[i] for i in sorted(self.notes)]
        if not fields["text"].strip() and not any(n.strip() for n in fields["notes"]):
            self._store.summaries.delete(self.summary_id)
            return False
        self._store.summaries.complete(self.summary_id, **fields)
        return True
