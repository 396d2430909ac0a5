"""A finished job is freed (issue 17, found by bench/bench_soak.py): a receiver that captures its
own job is held by Qt out of the garbage collector's sight, so before the fix every job — and the
document or window its closures reached — stayed in memory for the life of the process."""

from __future__ import annotations

import gc
import os
import weakref

import pytest

from logline.store import Store
from logline.ui.engine_worker import EngineHost

pytestmark = pytest.mark.gui


class Payload:
    """Stands for what a job's work reaches (a document, a window)."""


def _gone(ref: weakref.ref) -> bool:
    gc.collect()
    return ref() is None


def test_engine_jobs_are_freed_once_finished(qtbot) -> None:
    host = EngineHost()
    try:
        refs = []
        for _ in range(3):
            payload = Payload()
            job = host.job(lambda _engine, _cancel, _emit, p=payload: p, name="logline-test-leak")
            with qtbot.waitSignal(job.finished, timeout=10_000):
                job.run()
            refs += [weakref.ref(job), weakref.ref(payload)]
            del job, payload
        assert all(_gone(ref) for ref in refs)
    finally:
        assert host.shutdown()


def _open_fds() -> int:
    for folder in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(folder):
            return len(os.listdir(folder))
    pytest.skip("no way to count open files here")


def test_engine_jobs_that_use_the_store_share_one_connection(qtbot) -> None:
    """Qt's thread gets a new Python thread state for each job, which empties a thread-local:
    the store opened one more SQLite connection (two file descriptors) for every summary and
    chat turn, and kept them all open until the app quit (a Mac allows 256 by default)."""
    store = Store.open()
    host = EngineHost()
    try:
        store.documents.list()  # this thread's connection
        counts = []
        for _ in range(12):
            job = host.job(lambda _engine, _cancel, _emit: store.documents.list())
            with qtbot.waitSignal(job.finished, timeout=10_000):
                job.run()
            gc.collect()
            counts.append(_open_fds())
        assert counts[-1] <= counts[1], counts  # the first job opens the engine thread's one
    finally:
        assert host.shutdown()
        store.close()
