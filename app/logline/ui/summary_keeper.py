"""Every summary the window runs, kept in the store as it streams.

When a summary starts, a record is made (marked running); its answer and notes are written at
most once a second while they stream (one small WAL transaction on the GUI thread, well under
a millisecond for a summary's text), so a crash keeps what was written. When the job ends
(done, stopped, failed) the final state replaces it; a summary that wrote nothing leaves no
record. A later chat over a long script reuses the kept notes.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from typing import Any

from PySide6.QtCore import QObject, Signal

from logline.models.servers import ServerEntryError, get_server
from logline.store import StoreError
from logline.summarize.events import AnswerText, ChunkText
from logline.summarize.stored import SummaryStream, register
from logline.ui.jobs import Job
from logline.ui.server_records import SERVER_KEY, server_record

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 1.0


class SummaryKeeper(QObject):
    """``saved(summary_id)`` follows each write that changes what the history lists (a summary
    begun, ended, or dropped because it wrote nothing)."""

    saved = Signal(int)

    def __init__(self, window: Any, flush_interval: float = FLUSH_INTERVAL_S) -> None:
        super().__init__(window)
        self.window = window
        self.flush_interval = flush_interval
        self.stream: SummaryStream | None = None  # the summary being written
        window.summaryStarted.connect(self.keep)

    def document_id(self) -> int | None:
        """The open document's id in the store (registered when needed)."""
        window, store = self.window, self.window.store
        if store is None or window.document is None:
            return None
        chat = getattr(window, "chat", None)
        if chat is not None and chat.document is window.document and chat.document_id:
            return int(chat.document_id)
        try:
            return int(register(store, window.document).id)
        except (OSError, sqlite3.Error, StoreError) as exc:
            log.warning("The document is not in the store: %s", type(exc).__name__)
            return None

    def keep(self, job: Job) -> None:
        """Keep ``job``'s summary (the window's ``summaryStarted``)."""
        window = self.window
        choice = window.model_picker.choice()
        document_id = self.document_id()
        if choice is None or document_id is None:
            return
        parameters: dict[str, Any] = {"model_label": choice.label}
        if choice.server is not None:  # the badge, kept: where the text was sent
            with contextlib.suppress(ServerEntryError, OSError):
                parameters[SERVER_KEY] = server_record(get_server(choice.server))
        instruction = window.mode_picker.instruction()
        if instruction:
            parameters["instruction"] = instruction
        try:
            stream = SummaryStream(
                window.store,
                document_id,
                window.mode_picker.mode(),
                choice.model_id,
                parameters,
                flush_interval=self.flush_interval,
            )
        except (OSError, sqlite3.Error, StoreError) as exc:
            log.warning("The summary is not kept: %s", type(exc).__name__)
            return
        self.stream = stream
        job.on_event(lambda event: self._on_event(stream, event))
        job.success(lambda result: self._end(stream, result))
        job.failure(lambda _exc: self._end(stream, None))
        self.saved.emit(stream.summary_id)

    def _on_event(self, stream: SummaryStream, event: object) -> None:
        try:
            if isinstance(event, AnswerText):
                stream.append(event.text)
            elif isinstance(event, ChunkText) and event.phase == "map":
                stream.append_note(event.index, event.text, event.retract)
        except (OSError, sqlite3.Error, StoreError) as exc:
            log.warning("The streaming summary was not written: %s", type(exc).__name__)

    def _end(self, stream: SummaryStream, result: Any) -> None:
        if stream.finished:
            return
        try:
            stream.finish(result)
        except (OSError, sqlite3.Error, StoreError) as exc:
            log.warning("The summary's end was not written: %s", type(exc).__name__)
        if self.stream is stream:
            self.stream = None
        self.saved.emit(stream.summary_id)
