"""The one background-job abstraction: order of signals, errors, cancel, identity, threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QThread

from logline.ui.engine_worker import EngineHost, running_engine_threads
from logline.ui.jobs import Job, running_job_threads

pytestmark = pytest.mark.gui

TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Step:
    n: int


@pytest.fixture
def host(qtbot) -> Iterator[EngineHost]:
    host = EngineHost()
    yield host
    assert host.shutdown()


def _record(job: Job) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []
    job.started.connect(lambda: seen.append(("started", None)))
    job.yielded.connect(lambda event: seen.append(("yielded", event)))
    job.returned.connect(lambda result: seen.append(("returned", result)))
    job.errored.connect(lambda exc: seen.append(("errored", exc)))
    job.finished.connect(lambda: seen.append(("finished", None)))
    return seen


def test_a_job_starts_yields_returns_then_finishes_on_the_gui_thread(qtbot) -> None:
    def work(_cancel, emit):
        for n in range(3):
            emit(Step(n))
        return "result"

    job = Job(work, name="logline-test-job")
    seen = _record(job)
    gui = QThread.currentThread()
    threads: list[bool] = []
    job.yielded.connect(lambda _e: threads.append(QThread.currentThread() is gui))
    signals = [job.started, job.yielded, job.yielded, job.yielded, job.returned, job.finished]
    with qtbot.waitSignals(signals, order="strict", timeout=TIMEOUT_MS):
        job.run()
    assert seen == [
        ("started", None),
        ("yielded", Step(0)),
        ("yielded", Step(1)),
        ("yielded", Step(2)),
        ("returned", "result"),
        ("finished", None),
    ]
    assert threads == [True, True, True]
    assert job.is_finished and not job.running
    assert job.wait(5)


def test_an_exception_arrives_as_errored_then_finished(qtbot) -> None:
    boom = RuntimeError("boom")

    def work(_cancel, emit):
        emit(Step(1))
        raise boom

    job = Job(work)
    seen = _record(job)
    with qtbot.waitSignals(
        [job.started, job.yielded, job.errored, job.finished], order="strict", timeout=TIMEOUT_MS
    ):
        job.run()
    assert [name for name, _ in seen] == ["started", "yielded", "errored", "finished"]
    assert seen[2][1] is boom
    assert job.wait(5)


def test_chained_callbacks_run_and_a_job_runs_once(qtbot) -> None:
    calls: list[str] = []
    job = (
        Job(lambda _c, emit: emit(Step(7)) or 42)
        .on_event(lambda e: calls.append(f"event {e.n}"))
        .success(lambda r: calls.append(f"success {r}"))
        .failure(lambda e: calls.append(f"failure {e}"))
        .done(lambda: calls.append("done"))
    )
    with qtbot.waitSignal(job.finished, timeout=TIMEOUT_MS):
        job.run()
    assert calls == ["event 7", "success 42", "done"]
    with pytest.raises(RuntimeError):
        job.run()
    assert job.wait(5)


def test_cancel_reaches_the_work_and_the_job_still_finishes(qtbot) -> None:
    begun = threading.Event()

    def work(cancel, emit):
        begun.set()
        assert cancel.wait(TIMEOUT_MS / 1000)  # until the GUI cancels
        emit(Step(0))
        return "stopped"

    job = Job(work)
    seen = _record(job)
    with qtbot.waitSignals(
        [job.started, job.yielded, job.returned, job.finished], order="strict", timeout=TIMEOUT_MS
    ):
        job.run()
        assert begun.wait(TIMEOUT_MS / 1000)
        job.cancel.cancel()
    assert seen[-2] == ("returned", "stopped")
    assert job.cancel.cancelled and job.cancel.is_set()
    assert job.wait(5)


def test_two_jobs_in_flight_are_told_apart_by_identity(qtbot) -> None:
    gate = threading.Event()

    def work_for(tag: str):
        def work(_cancel, emit):
            gate.wait(TIMEOUT_MS / 1000)
            emit(tag)
            return tag

        return work

    first, second = Job(work_for("first")), Job(work_for("second"))
    got: dict[str, list[object]] = {"first": [], "second": []}
    first.on_event(got["first"].append).success(got["first"].append)
    second.on_event(got["second"].append).success(got["second"].append)
    with qtbot.waitSignals([first.finished, second.finished], timeout=TIMEOUT_MS):
        second.run()
        first.run()
        gate.set()
    assert got == {"first": ["first", "first"], "second": ["second", "second"]}
    assert first.wait(5) and second.wait(5)


def test_engine_jobs_run_on_the_one_engine_thread_in_submission_order(
    qtbot, host: EngineHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(host.worker, "engine", lambda: "the engine")  # no MLX needed here
    ran: list[tuple[int, object, object]] = []
    release = threading.Event()

    def work_for(n: int):
        def work(engine, _cancel, _emit):
            if n == 0:
                release.wait(TIMEOUT_MS / 1000)  # hold the thread: the others queue behind
            ran.append((n, engine, QThread.currentThread()))
            return n

        return work

    jobs = [host.job(work_for(n), name=f"job {n}") for n in range(4)]
    busy: list[bool] = []
    host.busyChanged.connect(busy.append)
    with qtbot.waitSignals([job.finished for job in jobs], order="strict", timeout=TIMEOUT_MS):
        for job in jobs:
            job.run()
        assert host.busy
        release.set()
    assert [n for n, _, _ in ran] == [0, 1, 2, 3]
    assert all(engine == "the engine" for _, engine, _ in ran)
    assert all(thread is host.thread_handle for _, _, thread in ran)
    assert host.thread_handle.objectName() == "logline-engine"
    assert busy == [True, False] and not host.busy


def test_no_thread_is_left_running_after_shutdown(qtbot) -> None:
    host = EngineHost()
    begun = threading.Event()

    def waits_for_cancel(cancel, _emit):
        begun.set()
        cancel.wait(TIMEOUT_MS / 1000)
        return None

    job = Job(waits_for_cancel, name="logline-test-leak")
    with qtbot.waitSignal(job.finished, timeout=TIMEOUT_MS):
        job.run()
        assert begun.wait(TIMEOUT_MS / 1000)
        assert job.running
        assert job.stop(5)
    assert host.shutdown()
    assert running_engine_threads() == []
    assert running_job_threads() == []


def test_a_detached_job_runs_to_its_end_but_tells_nobody(qtbot) -> None:
    release = threading.Event()
    heard: list[object] = []

    def work(_cancel, emit):
        release.wait(TIMEOUT_MS / 1000)
        emit(Step(1))
        return "done"

    job = Job(work).on_event(heard.append).success(heard.append).done(lambda: heard.append("end"))
    job.run()
    job.detach()  # e.g. its window closed
    release.set()
    qtbot.waitUntil(lambda: job.is_finished and not job.thread_alive, timeout=TIMEOUT_MS)
    assert heard == []
