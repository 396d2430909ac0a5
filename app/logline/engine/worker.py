"""``EngineThread``: the long-lived thread that owns an ``Engine`` outside the GUI (CLI, tests)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

from logline.engine.cancel import CancelToken
from logline.engine.events import EngineEvent, Finished
from logline.engine.runtime import Engine

log = logging.getLogger(__name__)
T = TypeVar("T")

_STOP = object()
_JOB_RETURNED = object()


class EngineThread:
    """Runs jobs on one dedicated thread, in order. Every job receives the same ``Engine``."""

    def __init__(self, engine: Engine | None = None, name: str = "logline-engine") -> None:
        self.engine = engine or Engine()
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is _STOP:
                return
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job(self.engine))
            except BaseException as exc:
                future.set_exception(exc)

    def submit(self, job: Callable[[Engine], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((job, future))
        return future

    def call(self, job: Callable[[Engine], T]) -> T:
        """Run ``job`` on the engine thread and wait for its result (re-raising its error)."""
        return self.submit(job).result()

    def stream(
        self,
        job: Callable[[Engine, CancelToken, Callable[[EngineEvent], None]], Any],
        cancel: CancelToken,
    ) -> Iterator[EngineEvent]:
        """Run a job that emits events; yield them on the calling thread until ``Finished``.

        If the job raises before finishing, a ``Finished("error")`` carrying the error is yielded.
        """
        events: queue.Queue[Any] = queue.Queue()

        def run(engine: Engine) -> None:
            try:
                job(engine, cancel, events.put)
            except BaseException as exc:
                log.exception("Engine job failed")
                events.put(Finished("error", None, exc))
            events.put(_JOB_RETURNED)

        self.submit(run)
        while True:
            event = events.get()
            if event is _JOB_RETURNED:
                return
            yield event

    def close(self, timeout: float | None = 5.0) -> None:
        self._jobs.put(_STOP)
        self._thread.join(timeout)
