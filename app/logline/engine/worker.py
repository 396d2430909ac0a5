"""``EngineThread``: the long-lived thread that owns an ``Engine`` outside the GUI (CLI, tests)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

from logline.engine.cancel import CancelToken
from logline.engine.runtime import Engine

log = logging.getLogger(__name__)
T = TypeVar("T")

_PARK = object()
_JOB_RETURNED = object()


class _JobFailed:
    """Put on a job's event queue in place of its end when the job raised."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class EventStream(Iterator[Any]):
    """Events of one job, in order; if the job raised, iterating re-raises its error after the
    events it emitted. Unlike a generator, it stays usable after a ``KeyboardInterrupt`` arrives
    while waiting, so a CLI can cancel and keep draining."""

    def __init__(self, events: queue.Queue[Any]) -> None:
        self._events = events
        self._done = False

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        event = self._events.get()
        if event is _JOB_RETURNED:
            self._done = True
            raise StopIteration
        if isinstance(event, _JobFailed):
            self._done = True
            raise event.error
        return event


class EngineThread:
    """Runs jobs on one dedicated thread, in order. Every job receives the same ``Engine``."""

    def __init__(self, engine: Engine | None = None, name: str = "logline-engine") -> None:
        self.engine = engine or Engine()
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is _PARK:
                threading.Event().wait()  # parked for the rest of the process, holding no GIL
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job(self.engine))
            except BaseException as exc:
                future.set_exception(exc)

    def submit(self, job: Callable[[Engine], T]) -> Future[T]:
        if self._closed:
            raise RuntimeError("This EngineThread is closed")
        return self._enqueue(job)

    def _enqueue(self, job: Callable[[Engine], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((job, future))
        return future

    def call(self, job: Callable[[Engine], T]) -> T:
        """Run ``job`` on the engine thread and wait for its result (re-raising its error)."""
        return self.submit(job).result()

    def stream(
        self,
        job: Callable[[Engine, CancelToken, Callable[[Any], None]], Any],
        cancel: CancelToken,
    ) -> EventStream:
        """Run a job that emits events (engine or summary events); iterate them on the calling
        thread until the job ends. If the job raises, iterating raises its error last."""
        events: queue.Queue[Any] = queue.Queue()

        def run(engine: Engine) -> None:
            try:
                job(engine, cancel, events.put)
            except BaseException as exc:  # handed to the consumer, which presents it
                log.debug("Engine job failed", exc_info=True)
                events.put(_JobFailed(exc))
                return
            events.put(_JOB_RETURNED)

        self.submit(run)
        return EventStream(events)

    def close(self, timeout: float | None = 5.0) -> None:
        """Release the model and refuse further jobs. The thread itself stays parked (idle, not
        running Python) until the process exits: a thread that ran MLX must not be ending while
        the interpreter shuts down, or libstdc++ aborts the process ("terminate called without
        an active exception", seen in ~30% of CLI exits on Linux when the thread was joined)."""
        if self._closed:
            return
        self._closed = True
        done = self._enqueue(lambda engine: engine.unload())
        self._jobs.put(_PARK)
        try:
            done.result(timeout)
        except Exception:  # unloading is best effort at shutdown
            log.debug("Unloading the model at close failed", exc_info=True)
