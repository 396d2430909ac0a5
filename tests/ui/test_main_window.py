"""The first window, end to end with a tiny random model on the real engine thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLineEdit

from logline.documents import DocumentError, load
from logline.engine import SamplingParams
from logline.summarize.events import AnswerText, Reading
from logline.summarize.names import names_message
from logline.summarize.result import SummaryResult
from logline.ui import document_loader
from logline.ui.engine_worker import running_engine_threads
from logline.ui.jobs import Job
from logline.ui.main_window import MainWindow
from timing import limit

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


def open_document(qtbot, window: MainWindow, path: Path) -> None:
    """Open ``path`` and wait for the background load to deliver it."""
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        assert window.open_file(path)


def fail_to_open(qtbot, window: MainWindow, path: Path) -> str:
    with qtbot.waitSignal(window.documentFailed, timeout=20000) as blocker:
        assert window.open_file(path)
    return blocker.args[0]


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
    open_document(qtbot, window, script_file)
    assert window.windowTitle() == "The Kitchen Table"
    assert window.summarize_action.isEnabled()
    progress: list[tuple[int, int]] = []
    chunks: list[str] = []
    window.summaryStarted.connect(lambda job: job.on_event(record))

    def record(event: object) -> None:
        if isinstance(event, Reading):
            progress.append((event.done, event.total))
        elif isinstance(event, AnswerText):
            chunks.append(event.text)

    with qtbot.waitSignal(window.presenter.finished, timeout=FIRST_RUN_S * 1000) as blocker:
        window.summarize_action.trigger()
        assert window.generating
        assert window.stop_action.isEnabled()
        assert not window.summarize_action.isEnabled()
        assert not window.open_action.isEnabled()
    finished: SummaryResult = blocker.args[0]

    # The random model's text often repeats itself: the loop guard may end it.
    assert finished.reason in ("done", "length", "repetition"), finished
    assert finished.error is None
    assert chunks, "no tokens were streamed"
    assert progress and progress[-1][0] == progress[-1][1] - 1
    streamed = "".join(chunks)
    if finished.reason == "repetition":  # the repeated tail streamed, then was cut
        assert streamed.startswith(finished.raw_text) and len(streamed) > len(finished.raw_text)
    else:
        assert finished.raw_text == streamed
    # What streamed, with citations and names checked (the random model's capitalised nonsense
    # is flagged as names not in the script, and the banner says so).
    assert window.summary_view.text == finished.text
    assert window.summary_view.toPlainText().strip()
    assert "tok/s" in window.status.stats.text()
    assert not window.stop_action.isEnabled()
    assert window.summarize_action.isEnabled()
    assert window.banner.text == (
        f"{names_message(len(finished.names))}." if finished.names else ""
    )


def test_stop_ends_quickly_and_keeps_the_partial_text(
    qtbot, tiny_model_dir: Path, script_file: Path
) -> None:
    window = _make_window(qtbot, tiny_model_dir, sampling=SamplingParams(max_tokens=1500))
    open_document(qtbot, window, script_file)
    window.summarize_action.trigger()
    qtbot.waitUntil(lambda: len(window.summary_view.text.strip()) >= 20, timeout=FIRST_RUN_S * 1000)
    assert window.generating and window.stop_action.isEnabled()

    with qtbot.waitSignal(window.presenter.finished, timeout=round(limit(2) * 1000)) as blocker:
        stopped_at = time.monotonic()
        window.stop_action.trigger()
    elapsed = time.monotonic() - stopped_at

    finished: SummaryResult = blocker.args[0]
    assert finished.reason == "stopped", finished
    assert elapsed < limit(2.0)
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
    enter = QDragEnterEvent(QPoint(40, 40), action, mime, buttons, modifiers)
    drop = QDropEvent(QPointF(40, 40), action, mime, buttons, modifiers)
    return enter, drop, mime  # keep ``mime`` alive while the events are in use


def test_dropping_a_file_anywhere_shows_its_text(
    qtbot, window: MainWindow, script_file: Path
) -> None:
    enter, drop, _mime = _drag_events(script_file)
    # Sent to the panes' viewports: Qt passes drags up to the window, which accepts drops.
    QApplication.sendEvent(window.summary_view.viewport(), enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        QApplication.sendEvent(window.document_view.viewport(), drop)
        assert drop.isAccepted()

    expected = load(script_file)
    shown = window.document_view.toPlainText()  # formatted: the title card, page marks, scenes
    assert all(scene.heading in shown for scene in expected.scenes) and expected.scenes
    assert "The writer sits at the kitchen table" in window.document_view.toPlainText()
    assert window.windowTitle() == "The Kitchen Table"
    assert window.summarize_action.isEnabled()


def test_a_drag_without_files_is_refused(window: MainWindow) -> None:
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(
        QPoint(40, 40), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.dragEnterEvent(enter)
    assert not enter.isAccepted()


def test_a_bad_file_shows_its_error_and_keeps_the_window_working(
    qtbot, window: MainWindow, script_file: Path, tmp_path: Path
) -> None:
    open_document(qtbot, window, script_file)
    bad = tmp_path / "notes.docx"
    bad.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    with pytest.raises(DocumentError) as caught:
        load(bad)

    assert fail_to_open(qtbot, window, bad) == str(caught.value)

    assert window.banner.text == str(caught.value)
    assert window.banner.isVisible()
    assert window.statusBar().currentMessage() == str(caught.value)
    # The document that was open stays open and usable.
    assert window.document is not None and window.document.path == script_file
    assert window.summarize_action.isEnabled()
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    fail_to_open(qtbot, window, empty)
    assert window.banner.text


def test_a_missing_model_fails_with_a_message_not_a_crash(
    qtbot, tmp_path: Path, script_file: Path
) -> None:
    window = _make_window(qtbot, tmp_path / "no-such-model")
    open_document(qtbot, window, script_file)
    events: list[object] = []

    def watch(job: Job) -> None:
        job.errored.connect(events.append)

    window.summaryStarted.connect(watch)
    window.presenter.finished.connect(events.append)
    with qtbot.waitSignal(window.presenter.finished, timeout=FIRST_RUN_S * 1000):
        window.summarize_action.trigger()
    error, finished = events  # the job's error, then the summary's end
    assert isinstance(finished, SummaryResult) and finished.reason == "error"
    assert finished.error is error
    message = window.banner.text
    assert "no-such-model" in message and "missing" in message
    assert window.banner.kind == "error" and window.banner.text
    assert window.summarize_action.isEnabled() and not window.stop_action.isEnabled()
    window.close()


def test_closing_during_a_summary_stops_the_engine_thread(
    qtbot, tiny_model_dir: Path, script_file: Path
) -> None:
    window = _make_window(qtbot, tiny_model_dir, sampling=SamplingParams(max_tokens=1500))
    open_document(qtbot, window, script_file)
    window.summarize_action.trigger()
    qtbot.waitUntil(lambda: bool(window.summary_view.text), timeout=FIRST_RUN_S * 1000)
    window.close()
    assert running_engine_threads() == []


def test_documents_load_off_the_gui_thread(
    qtbot, window: MainWindow, script_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[object] = []
    real_load = document_loader.load

    def recording_load(path, password=None):
        threads.append(threading.current_thread())
        return real_load(path, password=password)

    monkeypatch.setattr(document_loader, "load", recording_load)
    assert window.open_file(script_file)
    # open_file only queues the work: nothing is loaded yet and Summarize waits for it.
    assert window.document is None and not window.summarize_action.isEnabled()
    assert window.statusBar().currentMessage() == "Opening kitchen-table.fountain…"
    qtbot.waitSignal(window.documentOpened, timeout=20000).wait()
    assert threads and threads[0] is not threading.main_thread()
    assert threads[0].name == document_loader.THREAD_NAME
    assert window.document is not None and window.summarize_action.isEnabled()
    assert "1 scene" in window.document_detail.text()


def test_only_the_newest_open_is_shown(qtbot, window: MainWindow, tmp_path: Path) -> None:
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("First document.")
    second.write_text("Second document.")
    opened: list[object] = []
    window.documentOpened.connect(opened.append)
    window.open_file(first)
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(second)
    # Both loads have delivered their outcome once the loader is idle: only the newest shows.
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=20000)
    assert [document.path for document in opened] == [second]


def test_an_encrypted_pdf_asks_for_its_password(qtbot, window: MainWindow, tmp_path: Path) -> None:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.encrypt("opensesame", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(buffer.getvalue())
    asked: list[tuple[str, bool]] = []
    answers = iter(["wrong", "opensesame"])

    def ask(name: str, wrong_before: bool, answer) -> None:
        asked.append((name, wrong_before))
        answer(next(answers))

    window.ask_password = ask
    # The right password opens it; a blank page has no text, which is the error that remains.
    message = fail_to_open(qtbot, window, locked)
    assert asked == [("locked.pdf", False), ("locked.pdf", True)]
    assert "no text layer" in message and "OCR" in message

    window.ask_password = lambda name, wrong_before, answer: answer(None)  # the user cancels
    with qtbot.waitSignal(window.documentFailed, timeout=20000):
        window.open_file(locked)
    assert window.statusBar().currentMessage() == "locked.pdf was not opened."


def test_the_password_prompt_does_not_block(qtbot, window: MainWindow, tmp_path: Path) -> None:
    """The real prompt: window-modal, opened with open(); its answer continues the flow."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.encrypt("opensesame", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(buffer.getvalue())

    assert window.open_file(locked)
    qtbot.waitUntil(lambda: window.password_dialog is not None, timeout=20000)
    dialog = window.password_dialog
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModality.WindowModal
    assert dialog.textEchoMode() == QLineEdit.EchoMode.Password
    assert "locked.pdf is password-protected" in dialog.labelText()
    dialog.setTextValue("wrong")
    dialog.accept()
    qtbot.waitUntil(
        lambda: window.password_dialog is not None and window.password_dialog is not dialog,
        timeout=20000,
    )
    retry = window.password_dialog
    assert "did not open locked.pdf" in retry.labelText()
    with qtbot.waitSignal(window.documentFailed, timeout=20000):
        retry.reject()
    assert window.password_dialog is None
    assert window.banner.text  # a wrong password, then Cancel: the error is shown
