"""Load documents in background jobs, so a long PDF never freezes the window.

Parsing is pure Python (no MLX), so each load is a :class:`~logline.ui.jobs.Job` on its own
thread rather than on the engine's: opening a document while a model loads or a summary streams
stays possible. Only the newest load's outcome is delivered (the job is its own identity), so
opening B while A is still loading shows B.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from logline.documents import Document, DocumentError, load
from logline.engine.cancel import CancelToken
from logline.ui.jobs import Emit, Job

log = logging.getLogger(__name__)

THREAD_NAME = "logline-documents"
JOIN_TIMEOUT_S = 5.0


def read_document(path: Path, password: str | None) -> Document:
    """:func:`logline.documents.load`, every failure a :class:`DocumentError` (a reader's bug
    too: the user is told to report it instead of the request being dropped)."""
    try:
        return load(path, password=password)
    except DocumentError:
        raise
    except Exception as exc:
        log.exception("Unexpected failure loading a document (%s)", type(exc).__name__)
        raise DocumentError(
            f'"{path.name}" could not be read because of an internal error '
            f"({type(exc).__name__}). Please report it.",
            path=path,
        ) from exc


class DocumentLoader(QObject):
    """``load(path)`` returns at once; ``loaded(Document)`` or ``failed(DocumentError)`` follows
    for the newest request (``busyChanged`` brackets the work)."""

    loaded = Signal(object)
    failed = Signal(object)
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._latest: Job | None = None
        self._jobs: list[Job] = []  # outcome not delivered yet
        self._started: list[Job] = []  # their threads may still be ending

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def load(self, path: str | Path, password: str | None = None) -> Job:
        """Start loading ``path``; the returned job is the request's identity."""
        path = Path(path)

        def work(_cancel: CancelToken, _emit: Emit) -> Document:
            return read_document(path, password or None)

        job = Job(work, name=THREAD_NAME)
        job.success(lambda document: self._settle(job) and self.loaded.emit(document))
        job.failure(lambda error: self._settle(job) and self.failed.emit(error))
        if not self._jobs:
            self.busyChanged.emit(True)
        self._jobs.append(job)
        self._started = [*(j for j in self._started if j.thread_alive), job]
        self._latest = job
        return job.run()

    def _settle(self, job: Job) -> bool:
        """Forget ``job``; True when it is the newest request (its outcome is delivered)."""
        self._jobs.remove(job)
        if not self._jobs:
            self.busyChanged.emit(False)
        return job is self._latest

    def shutdown(self, timeout_s: float = JOIN_TIMEOUT_S) -> bool:
        """Wait for running loads (they are bounded by the readers' limits); their outcomes are
        no longer delivered."""
        ended = all([job.wait(timeout_s) for job in self._started])
        for job in self._jobs:
            job.detach()
        self._jobs.clear()
        self._started.clear()
        return ended
