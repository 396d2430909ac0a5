"""A cancel flag shared between the thread that asks and the engine thread that checks it."""

from __future__ import annotations

import threading


class GenerationCancelled(Exception):
    """Raised inside the engine thread to unwind a prefill or decode loop that was cancelled."""


class CancelToken:
    """Set from any thread; the engine checks it between prompt layers and chunks and between
    tokens, downloads and imports between blocks."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    # ``threading.Event`` spellings, for the models layer's downloads and imports, which take an
    # event: one token can stop any job.
    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        self._event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or ``timeout`` seconds pass; True when cancelled."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise GenerationCancelled
