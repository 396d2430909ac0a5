"""The digest of a script too long to read whole: the notes of a summary's map phase.

Reused from a stored summary by the same model when one exists; else a summary is run now (its
notes are what a chat needs, and the summary itself is kept in the store for the user). Notes
longer than the room for them are shortened evenly, and the user is told.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from logline.chat.events import Notice, Reading
from logline.chat.prompts import digest_text
from logline.documents.model import Document
from logline.engine.cancel import CancelToken, GenerationCancelled
from logline.engine.runtime import Engine
from logline.summarize.events import Reading as SummaryReading
from logline.summarize.runner import SummaryOptions, summarize
from logline.summarize.stored import save_summary

log = logging.getLogger(__name__)


def stored_notes(store: Any, document_id: int, model_id: str) -> list[str] | None:
    summary = store.summaries.latest(document_id, model=model_id)
    if summary is None:
        return None
    return list(summary.notes) or ([summary.text] if summary.text.strip() else None)


def take_notes(
    engine: Engine,
    store: Any,
    document: Document,
    document_id: int,
    model_id: str,
    cancel: CancelToken,
    emit: Callable[[object], None],
    max_context: int | None = None,
) -> list[str]:
    """Run a summary (the default mode, reading at most ``max_context`` tokens at once, as the
    chat does) for its notes, keep it in the store, return them."""
    emit(Notice("Taking notes on the whole script first (once per script and model)…"))

    def relay(event: object) -> None:
        if isinstance(event, SummaryReading):
            emit(Reading(event.done, event.total, script=True))

    options = SummaryOptions(max_context=max_context)
    result = summarize(engine, document, cancel, relay, options)
    if result.reason == "stopped":
        raise GenerationCancelled()
    if result.error is not None:
        raise result.error
    save_summary(store, document_id, result, model_id, {"chunk_tokens": options.chunk_tokens})
    return list(result.notes) or [result.text]


def fit_notes(
    notes: list[str], budget: int, count_tokens: Callable[[str], int]
) -> tuple[str, bool]:
    """The digest text within ``budget`` tokens; (text, whether notes were shortened)."""
    text = digest_text(notes)
    total = count_tokens(text)
    if total <= budget or not notes:
        return text, False
    share = budget / total
    cut = [note[: max(int(len(note) * share) - 1, 0)].rsplit(" ", 1)[0] + "…" for note in notes]
    return digest_text(cut), True


def digest_body(
    engine: Engine,
    store: Any,
    document: Document,
    document_id: int,
    model_id: str,
    budget: int,
    cancel: CancelToken,
    emit: Callable[[object], None],
    max_context: int | None = None,
) -> str:
    notes = stored_notes(store, document_id, model_id)
    if notes is None:
        notes = take_notes(
            engine, store, document, document_id, model_id, cancel, emit, max_context
        )
    text, shortened = fit_notes(notes, budget, engine.count_tokens)
    if shortened:
        emit(
            Notice(
                "The notes on the script are longer than the model can read with a question; "
                "each note is shortened evenly (the scenes that match a question are still read)."
            )
        )
    return text
