"""The engine QThread: jobs in, signals out on the GUI thread, work on the engine thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThread

from logline.documents import load
from logline.engine import ModelLoaded, SamplingParams
from logline.models.choice import ModelChoice
from logline.summarize.events import AnswerText, Reading, SummaryFinished
from logline.summarize.result import SummaryResult
from logline.summarize.runner import SummaryOptions
from logline.ui.engine_jobs import load_work, summary_work
from logline.ui.engine_worker import EngineHost, running_engine_threads

pytestmark = pytest.mark.gui


@pytest.fixture
def host(qtbot) -> Iterator[EngineHost]:
    host = EngineHost()
    yield host
    assert host.shutdown()


@pytest.fixture
def document(tmp_path: Path):
    path = tmp_path / "note.txt"
    path.write_text("A writer reads her script out loud and hears where the words are wrong.\n")
    return load(path)


def test_the_worker_lives_on_its_own_named_thread(host: EngineHost) -> None:
    assert host.thread_handle.isRunning()
    assert host.thread_handle.objectName() == "logline-engine"
    assert host.worker.thread() is host.thread_handle
    assert host.thread_handle in running_engine_threads()


def test_events_arrive_on_the_gui_thread_in_order(
    qtbot, host: EngineHost, tiny_model_dir: Path, document
) -> None:
    gui_thread = QThread.currentThread()
    seen: list[str] = []
    threads: set[bool] = set()
    engine_side: list[QThread] = []
    names = {
        ModelLoaded: "loaded",
        Reading: "progress",
        AnswerText: "tokens",
        SummaryFinished: "summary finished",
    }

    def record(name: str):
        def slot(*_args: object) -> None:
            seen.append(name)
            threads.add(QThread.currentThread() is gui_thread)

        return slot

    choice = ModelChoice("tiny", tiny_model_dir, "Tiny")
    options = SummaryOptions(sampling=SamplingParams(max_tokens=24))
    summary = summary_work(document, choice, options)

    def work(engine, cancel, emit):
        engine_side.append(QThread.currentThread())
        return summary(engine, cancel, emit)

    job = host.job(work, name="summary")
    job.yielded.connect(lambda event: record(names.get(type(event), "other"))())
    job.returned.connect(record("returned"))
    job.finished.connect(record("finished"))
    busy: list[bool] = []
    host.busyChanged.connect(busy.append)

    outcomes: list[SummaryResult] = []
    job.returned.connect(outcomes.append)
    with qtbot.waitSignals([job.returned, job.finished], order="strict", timeout=180_000):
        job.run()
        assert host.busy
    (outcome,) = outcomes

    assert outcome.reason in ("done", "length")
    assert outcome.stats is not None
    assert threads == {True}, "a job signal was delivered off the GUI thread"
    assert engine_side == [host.thread_handle]
    events = [name for name in seen if name not in ("other", "returned", "finished")]
    assert events[0] == "loaded" and events[-1] == "summary finished"
    assert seen[-2:] == ["returned", "finished"]
    assert events.index("progress") < events.index("tokens")
    assert busy == [True, False] and not host.busy


def test_load_model_reports_the_model(qtbot, host: EngineHost, tiny_model_dir: Path) -> None:
    job = host.job(load_work(ModelChoice("tiny", tiny_model_dir)))
    events: list[object] = []
    job.yielded.connect(events.append)
    with qtbot.waitSignal(job.returned, timeout=180_000) as blocker:
        job.run()
    event = blocker.args[0]
    assert isinstance(event, ModelLoaded) and event.model_id == "tiny"
    assert event in events


def test_cancel_before_the_job_starts_stops_it(
    qtbot, host: EngineHost, tiny_model_dir: Path, document
) -> None:
    work = summary_work(document, ModelChoice("tiny", tiny_model_dir), SummaryOptions())
    job = host.job(work)
    with qtbot.waitSignal(job.returned, timeout=180_000) as blocker:
        job.run()
        job.cancel.cancel()
    assert job.cancel.cancelled
    assert blocker.args[0].reason == "stopped"


def test_shutdown_is_idempotent(qtbot) -> None:
    host = EngineHost()
    assert host.shutdown()
    assert not host.thread_handle.isRunning()
    assert host.shutdown()


def test_the_window_imports_no_mlx_on_the_gui_thread(tmp_path: Path) -> None:
    """Opening the window and a document must not pull MLX into the GUI thread's startup."""
    doc = tmp_path / "note.txt"
    doc.write_text("Some text to read.\n")
    code = textwrap.dedent(
        f"""
        import sys
        from PySide6.QtWidgets import QApplication
        from logline.ui.main_window import MainWindow
        app = QApplication([])
        window = MainWindow()
        from PySide6.QtCore import QEventLoop, QTimer
        loop = QEventLoop()
        window.documentOpened.connect(lambda _document: loop.quit())
        QTimer.singleShot(20000, loop.quit)
        # (not a processEvents() spin: PySide6 6.12 aborts at exit after one)
        assert window.open_file({str(doc)!r})
        loop.exec()
        assert window.document is not None
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("mlx", "mlx_lm"))
        window.close()
        print(heavy)
        """
    )
    env = {**_clean_env(), "QT_QPA_PLATFORM": "offscreen", "LOGLINE_HOME": str(tmp_path / "h")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
