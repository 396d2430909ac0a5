"""GUI test fixtures: a check that no test leaves a QThread (or a job's thread) running.

``tiny_model_dir``, the offscreen Qt platform and the per-test ``LOGLINE_HOME`` come from
tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThread


@pytest.fixture(autouse=True)
def _no_dangling_qthreads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that leaves a QThread running (then stop it, so the next test is clean)."""
    started: list[QThread] = []
    original_start = QThread.start

    def recording_start(self: QThread, *args: object, **kwargs: object) -> None:
        started.append(self)
        original_start(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield
    from logline.ui.engine_worker import running_engine_threads
    from logline.ui.jobs import running_job_threads

    running: list[QThread] = []
    for thread in [*started, *running_engine_threads()]:
        try:
            if thread.isRunning() and thread not in running:
                running.append(thread)
        except RuntimeError:  # the C++ object is gone, so is the thread
            continue
    names = [thread.objectName() or repr(thread) for thread in running]
    for thread in running:
        thread.quit()
        thread.wait(10_000)
    # A job's thread may still be returning from its last emit: only one that outlives a
    # bounded join was left running.
    for job_thread in running_job_threads():
        job_thread.join(10)
    names += [job_thread.name for job_thread in running_job_threads()]
    if names:
        pytest.fail(f"Thread(s) still running after the test: {names}")
