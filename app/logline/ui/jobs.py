"""One way to run work off the GUI thread and hear about it on the GUI thread: :class:`Job`.

A job wraps a plain, Qt-free callable ``work(cancel, emit) -> result``. ``emit(event)`` passes
one event dataclass of the core to the GUI; ``cancel`` (a :class:`CancelToken`, settable from any
thread) asks the work to stop. The :class:`Job` object lives on the GUI thread and *is* the
job's identity: whoever holds it hears only its own events, so two jobs in flight never need
request ids to be told apart.

Signals, all emitted on the GUI thread, in this order::

    started  ->  yielded(event)*  ->  returned(result) | errored(exception)  ->  finished

``finished`` comes exactly once, last, whatever happened (a cancelled job too: the work decides
whether a cancel returns or raises). Callbacks can be chained before :meth:`Job.run`::

    Job(work, name="logline-documents").on_event(show).success(use).failure(tell).run()

Where the work runs:

- **Own thread** (the default): a new ``threading.Thread`` named ``name`` per job. Document
  loading, downloads and folder copies are plain Python and I/O: they need no event loop, and a
  thread per job means a slow download never holds up a document. :meth:`Job.wait` joins it, so
  a window that closes can prove no thread outlives it (:func:`running_job_threads`).
- **An executor**: work that must stay on one particular thread (MLX work on the engine thread,
  see :class:`logline.ui.engine_worker.EngineHost`) is handed to ``executor.submit(job)``, which
  calls :meth:`Job.execute` there, in submission order.

How events reach the GUI thread: the worker thread emits one private signal of the job, connected
to the job's own slot with a *queued* connection; the slot (on the GUI thread, the job's thread)
re-emits the public signals. One queue keeps the order, and every receiver, a lambda included,
runs on the GUI thread. (Every emit goes through :func:`logline.ui.signal_emit.emit`: a token
stream is thousands of emits.)
"""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
import weakref
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal, Slot

from logline.engine.cancel import CancelToken
from logline.messages import written_for_users
from logline.ui.signal_emit import emit

__all__ = ["Emit", "Executor", "Job", "ThreadWork", "running_job_threads"]

log = logging.getLogger(__name__)

Emit = Callable[[object], None]
ThreadWork = Callable[[CancelToken, Emit], Any]

DEFAULT_THREAD_NAME = "logline-job"
JOIN_TIMEOUT_S = 10.0

_STARTED, _YIELDED, _RETURNED, _ERRORED = range(4)

# Jobs submitted and not yet finished: the queue holds no reference to them, this does.
_in_flight: set[Job] = set()
# Every thread a job started, for leak checks.
_threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def running_job_threads() -> list[threading.Thread]:
    """Job threads still alive: must be empty once every window has been closed."""
    return [thread for thread in list(_threads) if thread.is_alive()]


class Executor(Protocol):
    """Runs :meth:`Job.execute` of each submitted job on its own thread, in order."""

    def submit(self, job: Job) -> None: ...


class Job(QObject):
    """One piece of background work and its outcome. Create on the GUI thread, then :meth:`run`."""

    started = Signal()
    yielded = Signal(object)  # one event dataclass of the core
    returned = Signal(object)  # what the work returned
    errored = Signal(object)  # the exception the work raised
    finished = Signal()

    _relay = Signal(int, object)  # worker thread -> this object's thread (queued)

    def __init__(
        self,
        work: ThreadWork,
        *,
        name: str = DEFAULT_THREAD_NAME,
        executor: Executor | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.cancel = CancelToken()
        self._work = work
        self._executor = executor
        self._thread: threading.Thread | None = None
        self._submitted = False
        self._finished = False
        self._relay.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    # -- chaining (GUI thread) -------------------------------------------------------------
    def on_event(self, fn: Callable[[Any], object]) -> Job:
        self.yielded.connect(fn)
        return self

    def success(self, fn: Callable[[Any], object]) -> Job:
        self.returned.connect(fn)
        return self

    def failure(self, fn: Callable[[BaseException], object]) -> Job:
        self.errored.connect(fn)
        return self

    def done(self, fn: Callable[[], object]) -> Job:
        self.finished.connect(fn)
        return self

    # -- running ---------------------------------------------------------------------------
    def run(self) -> Job:
        """Start the work (or queue it on the executor); a job runs once."""
        if self._submitted:
            raise RuntimeError(f"job {self.name!r} was already run")
        self._submitted = True
        _in_flight.add(self)
        if self._executor is not None:
            self._executor.submit(self)
        else:
            thread = threading.Thread(target=self.execute, name=self.name, daemon=True)
            self._thread = thread
            _threads.add(thread)
            thread.start()
        return self

    @property
    def running(self) -> bool:
        """True from :meth:`run` until its outcome (``returned`` or ``errored``) is delivered."""
        return self._submitted and not self._finished

    @property
    def is_finished(self) -> bool:
        return self._finished

    @property
    def thread_alive(self) -> bool:
        """True while the job's own thread runs (it may end a moment after ``finished``)."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout_s: float = JOIN_TIMEOUT_S) -> bool:
        """Join the job's own thread; False when it is still alive after ``timeout_s``.
        (A job on an executor ends with that executor's thread.)"""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            log.warning("Job %s did not stop within %.0f s", self.name, timeout_s)
            return False
        return True

    def detach(self) -> None:
        """Disconnect every receiver of the public signals (their owner is closing); the work
        still runs to its end."""
        for signal in (self.started, self.yielded, self.returned, self.errored, self.finished):
            with warnings.catch_warnings(), contextlib.suppress(RuntimeError, TypeError):
                warnings.simplefilter("ignore", RuntimeWarning)  # nothing was connected
                signal.disconnect()

    def stop(self, timeout_s: float = JOIN_TIMEOUT_S) -> bool:
        """Cancel, then :meth:`wait`."""
        self.cancel.cancel()
        return self.wait(timeout_s)

    # -- the worker thread -----------------------------------------------------------------
    def execute(self) -> None:
        """Run the work here (the job's thread, or the executor's) and report back."""
        emit(self._relay, _STARTED, None)
        try:
            result = self._work(self.cancel, self._emit)
        except BaseException as exc:  # whatever happens, the job reports back and finishes
            if self.cancel.cancelled:
                log.info("Job %s ended after a cancel (%s)", self.name, type(exc).__name__)
            else:
                log.warning(
                    "Job %s failed: %s",
                    self.name,
                    type(exc).__name__,
                    exc_info=not written_for_users(exc),
                )
            emit(self._relay, _ERRORED, exc)
        else:
            emit(self._relay, _RETURNED, result)

    def _emit(self, event: object) -> None:
        emit(self._relay, _YIELDED, event)

    # -- back on the GUI thread ------------------------------------------------------------
    @Slot(int, object)
    def _deliver(self, kind: int, payload: object) -> None:
        if kind == _STARTED:
            emit(self.started)
        elif kind == _YIELDED:
            emit(self.yielded, payload)
        else:
            self._finished = True  # not running any more while its outcome is delivered
            try:
                emit(self.returned if kind == _RETURNED else self.errored, payload)
            finally:
                _in_flight.discard(self)
                emit(self.finished)
                self._release()

    def _release(self) -> None:
        """Once finished: drop the work (its closure can hold a document) and every receiver.
        A receiver that captures this job (``job.finished.connect(lambda: ...job...)``) is held
        by Qt, out of the garbage collector's sight: without this every job, and all it
        reaches, would stay in memory for the life of the process (found by bench_soak.py)."""
        self._work = _finished_work
        self.detach()


def _finished_work(_cancel: CancelToken, _emit: Emit) -> None:
    """What a finished job's work becomes (it never runs again)."""
