"""The engine QThread: requests in, signals out on the GUI thread, work on the engine thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThread

from logline.documents import load
from logline.engine import Finished, ModelLoaded, SamplingParams
from logline.ui.engine_worker import EngineHost, ModelChoice, running_engine_threads

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

    def record(name: str):
        def slot(*_args: object) -> None:
            seen.append(name)
            threads.add(QThread.currentThread() is gui_thread)

        return slot

    host.modelLoaded.connect(record("loaded"))
    host.promptProgress.connect(record("progress"))
    host.tokens.connect(record("tokens"))
    host.finished.connect(record("finished"))
    # A direct connection on the worker runs where the worker emits: the engine thread.
    host.worker.tokens.connect(
        lambda _t: engine_side.append(QThread.currentThread()), type=_direct()
    )
    busy: list[bool] = []
    host.busyChanged.connect(busy.append)

    choice = ModelChoice("tiny", tiny_model_dir, "Tiny")
    with qtbot.waitSignal(host.finished, timeout=180_000) as blocker:
        host.summarize(document, choice, SamplingParams(max_tokens=24))
        assert host.busy
    finished: Finished = blocker.args[0]

    assert finished.reason in ("done", "length")
    assert threads == {True}, "a host signal was delivered off the GUI thread"
    assert engine_side and all(t is host.thread_handle for t in engine_side)
    assert seen[0] == "loaded" and seen[-1] == "finished"
    assert seen.index("progress") < seen.index("tokens")
    assert busy == [True, False] and not host.busy


def test_load_model_reports_the_model(qtbot, host: EngineHost, tiny_model_dir: Path) -> None:
    with qtbot.waitSignal(host.modelLoaded, timeout=180_000) as blocker:
        host.load_model(ModelChoice("tiny", tiny_model_dir))
    event = blocker.args[0]
    assert isinstance(event, ModelLoaded) and event.model_id == "tiny"


def test_cancel_before_the_job_starts_stops_it(
    qtbot, host: EngineHost, tiny_model_dir: Path, document
) -> None:
    with qtbot.waitSignal(host.finished, timeout=180_000) as blocker:
        token = host.summarize(document, ModelChoice("tiny", tiny_model_dir))
        host.cancel()
    assert token.cancelled
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


def _direct():
    from PySide6.QtCore import Qt

    return Qt.ConnectionType.DirectConnection


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
