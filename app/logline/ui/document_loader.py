"""Load documents on a small background thread, so a long PDF never freezes the window.

Parsing is pure Python (no MLX), so it gets its own thread rather than the engine's: opening a
document while a model loads or a summary streams stays possible. Each request has an id; only
the newest request's result is delivered, so opening B while A is still loading shows B.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from logline.documents import Document, DocumentError, load

log = logging.getLogger(__name__)

THREAD_NAME = "logline-documents"


class _LoadWorker(QObject):
    loaded = Signal(int, object)  # request id, Document
    failed = Signal(int, object)  # request id, DocumentError

    @Slot(int, str, str)
    def load(self, request: int, path: str, password: str) -> None:
        try:
            document = load(path, password=password or None)
        except DocumentError as exc:
            self.failed.emit(request, exc)
        except Exception as exc:  # a bug in a reader: say so instead of dropping the request
            log.exception("Unexpected failure loading a document (%s)", type(exc).__name__)
            self.failed.emit(
                request,
                DocumentError(
                    f'"{Path(path).name}" could not be read because of an internal error '
                    f"({type(exc).__name__}). Please report it.",
                    path=Path(path),
                ),
            )
        else:
            self.loaded.emit(request, document)


class DocumentLoader(QObject):
    """``load(path)`` returns at once; ``loaded(Document)`` or ``failed(DocumentError)`` follows
    for the newest request (``busyChanged`` brackets the work)."""

    loaded = Signal(object)
    failed = Signal(object)
    busyChanged = Signal(bool)
    _requested = Signal(int, str, str)  # request id, path, password ("" for none)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._latest = 0
        self._thread = QThread()
        self._thread.setObjectName(THREAD_NAME)
        self._worker = _LoadWorker()
        self._worker.moveToThread(self._thread)
        self._requested.connect(self._worker.load)
        self._worker.loaded.connect(self._on_loaded)
        self._worker.failed.connect(self._on_failed)
        self._pending: set[int] = set()
        self._thread.start()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def load(self, path: str | Path, password: str | None = None) -> None:
        self._latest += 1
        if not self._pending:
            self.busyChanged.emit(True)
        self._pending.add(self._latest)
        self._requested.emit(self._latest, str(path), password or "")

    def _settle(self, request: int) -> bool:
        self._pending.discard(request)
        if not self._pending:
            self.busyChanged.emit(False)
        return request == self._latest

    @Slot(int, object)
    def _on_loaded(self, request: int, document: Document) -> None:
        if self._settle(request):
            self.loaded.emit(document)

    @Slot(int, object)
    def _on_failed(self, request: int, error: DocumentError) -> None:
        if self._settle(request):
            self.failed.emit(error)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the thread after the current load (loads are bounded by the readers' limits)."""
        if not self._thread.isRunning():
            return True
        self._thread.quit()
        return bool(self._thread.wait(timeout_ms))
