"""Several requests to a server at once: the remote engine's ``generate_batch`` (Qt-free).

A server batches concurrent requests itself (mlx_lm.server and vLLM decode them together), so
the remote engine's "batch" is up to ``concurrency`` requests in flight, each one streamed by
``generate`` on a worker thread of its own. The workers never call ``emit``: their events come
back over one queue that the caller's thread drains, so every event reaches the caller on its
own thread, in the order the pieces arrived, with ``row`` set to the request's index.

The contract is the local ``Engine.generate_batch``'s: ``Generated`` events per request (its
last one carrying its finish reason), then one ``Finished`` with the batch's summed stats. A
Stop ends every unfinished request "stopped" at once (its text so far kept; the workers hang up
their streams in the background). A request that fails stops the others and starts no more:
every later one would meet the same server.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from logline.engine.batch_decode import BatchItemResult, BatchResults
from logline.engine.cancel import CancelToken
from logline.engine.events import (
    CountSource,
    EngineEvent,
    Finished,
    FinishReason,
    Generated,
    GenerationStats,
    PromptProgress,
)
from logline.engine.requests import GenerationRequest

__all__ = ["generate_batch"]

log = logging.getLogger(__name__)

Emit = Callable[[EngineEvent], None]
POLL_S = 0.05  # how often the caller's thread looks at the cancel token
_COUNT_TRUST = ("local", "server", "estimate")  # a batch's counts are as good as its worst row's


class RowEngine(Protocol):
    """What the batch needs of the remote engine: one streamed request at a time, thread-safe."""

    concurrency: int

    def generate(self, request: GenerationRequest, cancel: CancelToken, emit: Emit) -> Finished: ...


class _Done:
    """A worker's last item: it took no more requests."""


class _Rows:
    """Each request's text, tokens, reading progress and end, as the caller's thread sees them."""

    def __init__(self, count: int) -> None:
        self.texts = [""] * count
        self.tokens = [0] * count
        self.reasons: dict[int, FinishReason] = {}
        self.finished: dict[int, Finished] = {}
        self.progress: dict[int, tuple[int, int]] = {}
        self.first_text_at: float | None = None

    def take(self, index: int, event: EngineEvent, emit: Emit) -> None:
        """One event of request ``index``, passed on with its row (its ``Finished`` kept)."""
        if isinstance(event, Generated):
            if event.text and self.first_text_at is None:
                self.first_text_at = time.perf_counter()
            kept = self.texts[index]
            self.texts[index] = kept[: len(kept) - event.retract] + event.text
            self.tokens[index] = event.tokens
            if event.finish_reason is not None:
                self.reasons[index] = event.finish_reason
            emit(Generated(event.text, event.tokens, index, event.finish_reason, event.retract))
        elif isinstance(event, PromptProgress):
            self.progress[index] = (event.done, event.total)
            done = sum(d for d, _ in self.progress.values())
            emit(PromptProgress(done, sum(t for _, t in self.progress.values())))
        elif isinstance(event, Finished):
            self.finished[index] = event
        else:
            emit(event)


def generate_batch(
    engine: RowEngine,
    requests: Sequence[GenerationRequest],
    cancel: CancelToken,
    emit: Emit,
    *,
    max_batch: int | None = None,
) -> BatchResults:
    """Stream ``requests`` with at most ``min(engine.concurrency, max_batch)`` in flight; see
    the module docstring. Never raises once started (a failed request ends ``error``)."""
    if not requests:
        raise ValueError("No requests")
    width = min(engine.concurrency, max_batch or engine.concurrency, len(requests))
    width = max(1, width)
    items: queue.Queue[tuple[int, EngineEvent | _Done]] = queue.Queue()
    rows_cancel = CancelToken()  # the caller's Stop, or a failed request: the workers' own
    next_index = iter(range(len(requests)))
    taking = threading.Lock()

    def work() -> None:
        while not rows_cancel.cancelled:
            with taking:
                index = next(next_index, None)
            if index is None:
                break

            def forward(event: EngineEvent, index: int = index) -> None:
                items.put((index, event))

            if engine.generate(requests[index], rows_cancel, forward).reason == "error":
                rows_cancel.cancel()  # the same server would fail the rest: start no more
        items.put((-1, _Done()))

    started = time.perf_counter()
    rows = _Rows(len(requests))
    workers = [threading.Thread(target=work, daemon=True) for _ in range(width)]
    log.info("Remote batch: %d requests, %d at a time", len(requests), width)
    for worker in workers:
        worker.start()
    running = width
    error: BaseException | None = None
    while running:
        if cancel.cancelled:
            rows_cancel.cancel()
            break
        try:
            index, item = items.get(timeout=POLL_S)
        except queue.Empty:
            continue
        if isinstance(item, _Done):
            running -= 1
            continue
        rows.take(index, item, emit)
        if isinstance(item, Finished) and item.reason == "error" and error is None:
            error = item.error
    stopped = cancel.cancelled
    # Rows that never ended here: stopped (or never started after a failure), text kept.
    for index in range(len(requests)):
        if index not in rows.reasons:
            reason: FinishReason = "stopped" if stopped or error is None else "error"
            rows.reasons[index] = reason
            emit(Generated("", rows.tokens[index], index, reason))
    finished = Finished(
        "stopped" if stopped else "error" if error is not None else "done",
        _stats(rows, started),
        error,
    )
    emit(finished)
    results = [
        BatchItemResult(i, rows.texts[i], rows.tokens[i], rows.reasons[i])
        for i in range(len(requests))
    ]
    return BatchResults(results, finished)


def _stats(rows: _Rows, started: float) -> GenerationStats:
    """The batch's figures: tokens summed over its requests; the prompt's time is the wait for
    the first text of any request, the rest of the wall time is generation's."""
    ended = time.perf_counter()
    first = rows.first_text_at if rows.first_text_at is not None else ended
    stats = [f.stats for f in rows.finished.values() if f.stats is not None]
    sources: set[CountSource] = {s.counts_from for s in stats} or {"estimate"}
    return GenerationStats(
        prompt_tokens=sum(s.prompt_tokens for s in stats),
        prompt_seconds=first - started,
        generation_tokens=sum(s.generation_tokens for s in stats),
        generation_seconds=ended - first,
        peak_memory_bytes=0,
        cached_tokens=sum(s.cached_tokens for s in stats),
        counts_from=next(c for c in reversed(_COUNT_TRUST) if c in sources),  # type: ignore[arg-type]
        on_server=True,
    )
