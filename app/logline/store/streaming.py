"""Writing an answer while it streams: at most every ``flush_interval`` seconds, one small
transaction, so a crash loses at most that much of the text and the GUI never waits on disk."""

from __future__ import annotations

import time
from typing import Any, Protocol

from logline.store.records import MessageRecord


class Messages(Protocol):
    """What the writer needs of ``conversations.Messages``."""

    def get(self, message_id: int) -> MessageRecord | None: ...
    def set_content(self, message_id: int, content: str) -> None: ...
    def finish(self, message_id: int, finish_reason: str, stats: dict[str, Any]) -> None: ...


class MessageWriter:
    """Appends text (and withdraws it: the loop guard's ``retract``) to one message."""

    def __init__(self, messages: Messages, message_id: int, flush_interval: float = 0.1) -> None:
        self._messages = messages
        self.message_id = message_id
        self.flush_interval = flush_interval
        found = messages.get(message_id)
        self.text = found.content if found else ""
        self._written = self.text
        self._last_flush = time.monotonic()
        self.flushes = 0

    def append(self, text: str) -> None:
        self.text += text
        self._maybe_flush()

    def retract(self, characters: int) -> None:
        if characters > 0:
            self.text = self.text[: max(len(self.text) - characters, 0)]
            self._maybe_flush()

    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()

    def flush(self) -> None:
        if self.text != self._written:
            self._messages.set_content(self.message_id, self.text)
            self._written = self.text
            self.flushes += 1
        self._last_flush = time.monotonic()

    def close(self, finish_reason: str, stats: dict[str, Any] | None = None) -> None:
        """The last flush, and the answer's finish reason and stats."""
        self.flush()
        self._messages.finish(self.message_id, finish_reason, stats or {})
