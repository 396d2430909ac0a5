"""A cancel flag shared between the thread that asks and the engine thread that checks it."""

from __future__ import annotations

import threading


class GenerationCancelled(Exception):
    """Raised inside the engine thread to unwind a prefill or decode loop that was cancelled."""


class CancelToken:
    """Set from any thread; the engine checks it between prefill chunks and between tokens."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise GenerationCancelled
