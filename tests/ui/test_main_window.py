"""The first window, end to end with a tiny random model on the real engine thread."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from logline.documents import DocumentError, load
from logline.engine import Finished, SamplingParams
from logline.ui.engine_worker import running_engine_threads
from logline.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

FIRST_RUN_S = 180  # the first summary imports MLX and loads the model
SCRIPT = """\
Title: The Kitchen Table
Author: A. Writer

INT. KITCHEN - NIGHT

The writer sits at the kitchen table and reads the script again.

WRITER
Every scene has to earn its place.

She crosses out a line and writes a new one.
"""


@pytest.fixture
def script_file(tmp_path: Path) -> Path:
    path = tmp_path / "kitchen-table.fountain"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def _make_window(qtbot, model_dir: Path, **kwargs) -> MainWindow:
    window = MainWindow(model_override=("tiny", model_dir), **kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def window(qtbot, tiny_model_dir: Path) -> Iterator[MainWindow]:
    window = _make_window(qtbot, tiny_model_dir)
    yield window
    window.close()


def test_starts_empty_with_summarize_disabled(window: MainWindow) -> None:
    assert window.windowTitle() == "Logline"
    assert window.document_view.toPlainText() == ""
    assert window.document_view.placeholderText() == "Drop a screenplay or PDF here"
    assert not window.summarize_action.isEnabled()
    assert not window.stop_action.isEnabled()
    assert window.model_picker.choice().model_id == "tiny"


def test_summary_streams_into_the_window(qtbot, window: MainWindow, script_file: Path) -> None:
    assert window.open_file(script_file)
    assert window.windowTitle() == "Logline — The Kitchen Table"
    assert window.summarize_action.isEnabled()
    progress: list[tuple[int, int]] = []
    chunks: list[str] = []
    window.host.promptProgress.connect(lambda done, total: progress.append((done, total)))
    window.host.tokens.connect(chunks.append)

    with qtbot.waitSignal(window.host.finished, timeout=FIRST_RUN_S * 1000) as blocker:
        window.summarize_action.trigger()
        assert window.generating
        assert window.stop_action.isEnabled()
        assert not window.summarize_action.isEnabled()
        assert not window.open_action.isEnabled()
    finished: Finished = blocker.args[0]

    assert finished.reason in ("done", "length"), finished
    assert finished.error is None
    assert chunks, "no tokens were streamed"
    assert progress and progress[-1][0] == progress[-1][1] - 1
    assert window.summary_view.text == "".join(chunks)
    assert window.summary_view.toPlainText().strip()
    assert "tok/s" in window.status.stats.text()
    assert not window.stop_action.isEnabled()
    assert window.summarize_action.isEnabled()
    assert window.banner.text == ""


def test_stop_ends_quickly_and_keeps_the_partial_text(
    qtbot, tiny_model_dir: Path, script_file: Path
) -> None:
    window = _make_window(qtbot, tiny_model_dir, sampling=SamplingParams(max_tokens=1500))
    assert window.open_file(script_file)
    window.summarize_action.trigger()
    qtbot.waitUntil(lambda: len(window.summary_view.text.strip()) >= 20, timeout=FIRST_RUN_S * 1000)
    assert window.generating and window.stop_action.isEnabled()

    with qtbot.waitSignal(window.host.finished, timeout=2000) as blocker:
        stopped_at = time.monotonic()
        window.stop_action.trigger()
    elapsed = time.monotonic() - stopped_at

    finished: Finished = blocker.args[0]
    assert finished.reason == "stopped", finished
    assert elapsed < 2.0
    partial = window.summary_view.text
    assert len(partial.strip()) >= 20
    assert window.summary_view.toPlainText().strip()
    assert finished.stats is not None and finished.stats.generation_tokens < 1500
    assert window.status.stats.text().startswith("Stopped")
    assert window.summarize_action.isEnabled() and not window.stop_action.isEnabled()
    window.close()


def _drag_events(path: Path) -> tuple[QDragEnterEvent, QDropEvent, QMimeData]:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(QPointF(40, 40), action, mime, buttons, modifiers)
    drop = QDropEvent(QPointF(40, 40), action, mime, buttons, modifiers)
    return enter, drop, mime  # keep ``mime`` alive while the events are in use


def test_dropping_a_file_anywhere_shows_its_text(window: MainWindow, script_file: Path) -> None:
    enter, drop, _mime = _drag_events(script_file)
    # Sent to the panes' viewports: Qt passes drags up to the window, which accepts drops.
    QApplication.sendEvent(window.summary_view.viewport(), enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window.document_view.viewport(), drop)
    assert drop.isAccepted()

    expected = load(script_file)
    assert window.document_view.toPlainText() == expected.text
    assert "The writer sits at the kitchen table" in window.document_view.toPlainText()
    assert window.windowTitle() == "Logline — The Kitchen Table"
    assert window.summarize_action.isEnabled()


def test_a_drag_without_files_is_refused(window: MainWindow) -> None:
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(
        QPointF(40, 40), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.dragEnterEvent(enter)
    assert not enter.isAccepted()


def test_a_bad_file_shows_its_error_and_keeps_the_window_working(
    window: MainWindow, script_file: Path, tmp_path: Path
) -> None:
    assert window.open_file(script_file)
    bad = tmp_path / "notes.docx"
    bad.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    with pytest.raises(DocumentError) as caught:
        load(bad)

    assert window.open_file(bad) is False

    assert window.banner.text == str(caught.value)
    assert window.banner.isVisible()
    assert window.statusBar().currentMessage() == str(caught.value)
    # The document that was open stays open and usable.
    assert window.document is not None and window.document.path == script_file
    assert window.summarize_action.isEnabled()
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert window.open_file(empty) is False
    assert window.banner.text


def test_a_missing_model_fails_with_a_message_not_a_crash(
    qtbot, tmp_path: Path, script_file: Path
) -> None:
    window = _make_window(qtbot, tmp_path / "no-such-model")
    assert window.open_file(script_file)
    events: list[object] = []
    window.host.failed.connect(events.append)
    window.host.finished.connect(events.append)
    with qtbot.waitSignals(
        [window.host.failed, window.host.finished], order="strict", timeout=FIRST_RUN_S * 1000
    ):
        window.summarize_action.trigger()
    message, finished = events
    assert isinstance(finished, Finished) and finished.reason == "error"
    assert "no-such-model" in message and "missing" in message
    assert window.banner.kind == "error" and window.banner.text
    assert window.summarize_action.isEnabled() and not window.stop_action.isEnabled()
    window.close()


def test_closing_during_a_summary_stops_the_engine_thread(
    qtbot, tiny_model_dir: Path, script_file: Path
) -> None:
    window = _make_window(qtbot, tiny_model_dir, sampling=SamplingParams(max_tokens=1500))
    assert window.open_file(script_file)
    window.summarize_action.trigger()
    qtbot.waitSignal(window.host.tokens, timeout=FIRST_RUN_S * 1000).wait()
    window.close()
    assert running_engine_threads() == []
