"""A long token stream must not crash the app (PySide6 6.12 on Python 3.11 loses a reference to
``True`` with every Python-side ``emit``: a few thousand emits abort the interpreter)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

EVENTS = 20_000

# Runs in a child process: the bug aborts the interpreter, which would take pytest with it.
STREAM = textwrap.dedent(
    f"""
    import sys
    from PySide6.QtCore import QCoreApplication
    from logline.ui.jobs import Job

    app = QCoreApplication([])
    seen = []
    before = sys.getrefcount(True)

    def work(cancel, emit):
        for i in range({EVENTS}):
            emit(i)
        return "done"

    job = Job(work).on_event(seen.append).done(app.quit)
    job.run()
    app.exec()
    job.wait()
    assert len(seen) == {EVENTS}, len(seen)
    print(sys.getrefcount(True) - before)
    """
)


@pytest.mark.gui
def test_a_long_event_stream_through_a_job_keeps_the_interpreter_alive() -> None:
    run = subprocess.run(
        [sys.executable, "-c", STREAM], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    drift = int(run.stdout.strip().splitlines()[-1])
    assert abs(drift) < 100  # True's references neither drain nor pile up with the events
