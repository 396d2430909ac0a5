"""A finished job is freed (issue 17, found by bench/bench_soak.py): a receiver that captures its
own job is held by Qt out of the garbage collector's sight, so before the fix every job — and the
document or window its closures reached — stayed in memory for the life of the process."""

from __future__ import annotations

import gc
import weakref

import pytest

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
