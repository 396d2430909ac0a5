"""The GUI's engine thread: one long-lived ``QThread`` that owns the ``Engine`` (and all MLX work).

MLX arrays and streams belong to the thread that made them, so every job that touches MLX
(loading a model, a summary, a GGUF import or a float-folder conversion) is a
:class:`~logline.ui.jobs.Job` run here, one after the other in submission order.

Two objects, one per thread:

- :class:`EngineWorker` lives on the ``logline-engine`` thread. It creates the ``Engine`` there
  on first use, runs each job it is handed, and drops the engine (and the model's MLX arrays)
  there when the thread ends.
- :class:`EngineHost` lives on the GUI thread. It starts the thread, makes engine jobs
  (:meth:`EngineHost.job`), queues them through a queued signal, cancels them through their
  tokens (set directly: the queue is busy while a job runs) and shuts the thread down.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from logline.ui.jobs import Emit, Job
from logline.ui.signal_emit import emit

if TYPE_CHECKING:
    from logline.engine.cancel import CancelToken
    from logline.engine.runtime import Engine

__all__ = ["EngineHost", "EngineWork", "EngineWorker", "running_engine_threads"]

log = logging.getLogger(__name__)

THREAD_NAME = "logline-engine"
SHUTDOWN_WAIT_MS = 30_000

# ``work(engine, cancel, emit) -> result``: what an engine job runs, on the engine thread.
EngineWork = Callable[["Engine", "CancelToken", Emit], Any]

# Every engine QThread this module started and has not yet seen finish (for leak checks).
_threads: weakref.WeakSet[QThread] = weakref.WeakSet()


def running_engine_threads() -> list[QThread]:
    """Engine threads still running: must be empty once every window has been closed."""
    return [thread for thread in list(_threads) if thread.isRunning()]


class EngineWorker(QObject):
    """Runs on the engine thread; :meth:`run` executes each job there, in request order."""

    def __init__(self) -> None:
        super().__init__()
        self._engine: Engine | None = None

    def engine(self) -> Engine:
        """The engine, created on first use (on the engine thread, with its MLX imports)."""
        if self._engine is None:
            # Lazy: the engine imports MLX, which must not load on the GUI thread at start-up.
            from logline.engine.runtime import Engine

            self._engine = Engine()
        return self._engine

    @Slot(object)
    def run(self, job: Job) -> None:
        job.execute()

    @Slot()
    def release(self) -> None:
        """Drop the engine (and the model's MLX arrays) on the engine thread, as it ends."""
        engine, self._engine = self._engine, None
        if engine is not None and engine.loaded is not None:
            try:
                engine.unload()
            except Exception:  # best effort while shutting down
                log.exception("Unloading the model failed")


class EngineHost(QObject):
    """The GUI thread's handle on the engine thread. Never blocks, except in :meth:`shutdown`."""

    busyChanged = Signal(bool)  # True while an engine job is queued or running
    jobQueued = Signal(object)  # the Job, as it is queued (observers may connect to it)

    _submitted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []  # queued or running on the engine thread
        self._thread = QThread()
        self._thread.setObjectName(THREAD_NAME)
        self._worker = EngineWorker()
        self._worker.moveToThread(self._thread)
        # QThread.finished is emitted on the ending thread itself: release the engine there.
        self._thread.finished.connect(self._worker.release, Qt.ConnectionType.DirectConnection)
        self._submitted.connect(self._worker.run)  # queued: the worker lives on the thread
        _threads.add(self._thread)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """True while an engine job is queued or running (a new one would wait)."""
        return bool(self._jobs)

    @property
    def thread_handle(self) -> QThread:
        return self._thread

    @property
    def worker(self) -> EngineWorker:
        return self._worker

    def job(self, work: EngineWork, *, name: str = "engine job") -> Job:
        """A job that runs ``work(engine, cancel, emit)`` on the engine thread once run."""
        worker = self._worker

        def on_engine_thread(cancel: CancelToken, emit: Emit) -> object:
            return work(worker.engine(), cancel, emit)

        return Job(on_engine_thread, name=name, executor=self)

    def submit(self, job: Job) -> None:
        """Queue ``job`` behind the running one (called by :meth:`Job.run`)."""
        self._jobs.append(job)
        job.finished.connect(lambda: self._settle(job))
        if len(self._jobs) == 1:
            emit(self.busyChanged, True)
        emit(self.jobQueued, job)
        emit(self._submitted, job)

    def _settle(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
            if not self._jobs:
                emit(self.busyChanged, False)

    def cancel_all(self) -> None:
        """Ask every queued or running engine job to stop."""
        for job in self._jobs:
            job.cancel.cancel()

    def shutdown(self, timeout_ms: int = SHUTDOWN_WAIT_MS) -> bool:
        """Cancel, stop the thread's event loop and wait for it. True when the thread ended."""
        if not self._thread.isRunning():
            return True
        self.cancel_all()
        self._thread.quit()
        ended = self._thread.wait(timeout_ms)
        if not ended:
            log.warning("The engine thread did not stop within %d ms", timeout_ms)
        return bool(ended)

    def __del__(self) -> None:  # pragma: no cover - a safety net, shutdown() is the contract
        try:
            if self._thread.isRunning():
                log.warning("EngineHost dropped without shutdown(); stopping its thread")
                self.shutdown()
        except RuntimeError:  # the C++ objects are already gone
            pass
