"""Several files become a queue (issue 16, item 7): a drop of three files is summarized one after
another in the chosen mode and model, each summary kept in the store; the queue shows each file's
state, can be cancelled, goes on past a file that fails; ``logline FILE…`` and macOS "Open With"
(``QFileOpenEvent``) feed the same queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFileOpenEvent
from PySide6.QtWidgets import QApplication

from logline.cli import main as cli_main
from logline.cli.parser import files_mean_gui
from logline.engine import SamplingParams
from logline.store import Store
from logline.ui.file_open_events import install_file_open_events
from logline.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

FIRST_RUN_MS = 180_000  # the first summary of the session imports MLX and loads the model
SCENES = ("INT. KITCHEN - NIGHT", "EXT. HARBOUR - DAY", "INT. ATTIC - DAWN")


def write_scripts(folder: Path, count: int = 3) -> list[Path]:
    """``count`` small, different Fountain screenplays."""
    paths = []
    for n in range(count):
        heading = SCENES[n % len(SCENES)]
        path = folder / f"script-{n + 1}.fountain"
        path.write_text(
            f"Title: Script {n + 1}\n\n{heading}\n\nMara reads letter {n + 1} aloud.\n\n"
            f"MARA\nThis one is number {n + 1}.\n",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def make_window(qtbot, model_dir: Path, max_tokens: int = 24) -> MainWindow:
    window = MainWindow(
        model_override=("tiny", model_dir), sampling=SamplingParams(max_tokens=max_tokens)
    )
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def window(qtbot, tiny_model_dir: Path) -> Iterator[MainWindow]:
    window = make_window(qtbot, tiny_model_dir)
    yield window
    window.close()


def drop_files(window: MainWindow, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(QPoint(40, 40), action, mime, buttons, modifiers)
    QApplication.sendEvent(window.document_view.viewport(), enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(40, 40), action, mime, buttons, modifiers)
    QApplication.sendEvent(window.document_view.viewport(), drop)
    assert drop.isAccepted()


def stored_summaries() -> dict[str, str]:
    """What the next launch sees: each document's file name and its latest summary's text."""
    store = Store.open()
    try:
        found = {}
        for document in store.documents.list():
            latest = store.summaries.latest(document.id)
            found[document.path.name] = latest.text if latest else ""
        return found
    finally:
        store.close()


def panel_lines(window: MainWindow) -> list[str]:
    listing = window.queue_panel.list
    return [listing.item(row).text() for row in range(listing.count())]


def test_a_drop_of_three_files_is_summarized_one_after_another(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    paths = write_scripts(tmp_path)
    order: list[str] = []
    window.summaryStarted.connect(lambda _job: order.append(window.document.path.name))
    with qtbot.waitSignal(window.queue.drained, timeout=FIRST_RUN_MS * 2):
        drop_files(window, paths)
        assert window.queue_panel.isVisible()
        assert [item.state for item in window.queue.items] == ["opening", "waiting", "waiting"]
    assert order == [p.name for p in paths]  # one after another, in the order dropped
    assert [item.state for item in window.queue.items] == ["done"] * 3
    assert panel_lines(window) == [f"{p.name} — done" for p in paths]
    assert window.queue_panel.summary.text().startswith("Queue: 3 of 3 finished")
    saved = stored_summaries()
    assert sorted(saved) == [p.name for p in paths]
    assert all(saved.values()), saved  # each with its summary's text
    assert window.document.path == paths[-1]  # the last one stays open


def test_a_file_that_fails_is_marked_and_the_queue_goes_on(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    first, _second, third = write_scripts(tmp_path)
    broken = tmp_path / "broken.fountain"
    broken.write_bytes(b"")  # an empty file cannot be opened
    with qtbot.waitSignal(window.queue.drained, timeout=FIRST_RUN_MS * 2):
        assert window.open_files([first, broken, third])
    states = [(item.state, item.reason) for item in window.queue.items]
    assert states[0] == ("done", "")
    assert states[1][0] == "failed" and "broken.fountain" in states[1][1]
    assert states[2] == ("done", "")
    assert panel_lines(window)[1].startswith("broken.fountain — failed: ")
    assert window.queue.outcome() == "Queue finished: 2 summarized, 1 failed."
    assert sorted(stored_summaries()) == [first.name, third.name]


def test_cancel_one_item_or_all_of_them(qtbot, tiny_model_dir: Path, tmp_path: Path) -> None:
    window = make_window(qtbot, tiny_model_dir, max_tokens=3000)
    paths = write_scripts(tmp_path)
    queue = window.queue
    assert window.open_files(paths)
    qtbot.waitUntil(lambda: bool(window.summary_view.text), timeout=FIRST_RUN_MS)
    first, second, third = queue.items
    assert first.state == "summarizing" and window.generating
    # Cancel the selected waiting file: it is marked at once, the running one goes on.
    window.queue_panel.list.setCurrentRow(1)
    window.queue_panel.cancel_button.click()
    assert second.state == "cancelled" and window.generating
    # Cancel All (here View > Cancel Queue) stops the running summary cleanly; what it wrote
    # is kept in the store.
    cancel_queue = window.menu_actions["cancel_queue"]
    assert cancel_queue.isEnabled()
    with qtbot.waitSignal(queue.drained, timeout=20_000):
        cancel_queue.trigger()
    assert not cancel_queue.isEnabled()
    assert [item.state for item in queue.items] == ["cancelled"] * 3
    assert not window.generating and window.document.path == first.path
    saved = stored_summaries()
    assert list(saved) == [first.path.name] and saved[first.path.name]  # the partial summary
    assert panel_lines(window)[0] == f"{first.path.name} — cancelled"
    assert not window.queue_panel.cancel_all_button.isEnabled()
    window.queue_panel.clear_button.click()
    assert queue.items == [] and not window.queue_panel.isVisible()
    assert third.state == "cancelled"
    window.close()


def test_one_file_opens_without_a_summary(qtbot, window: MainWindow, tmp_path: Path) -> None:
    (path,) = write_scripts(tmp_path, 1)
    started: list[object] = []
    window.summaryStarted.connect(started.append)
    with qtbot.waitSignal(window.documentOpened, timeout=20_000):
        drop_files(window, [path])
    qtbot.wait(100)
    assert started == [] and window.queue.items == []
    assert not window.queue_panel.isVisible()


def test_file_arguments_reach_the_queue(qtbot, tmp_path: Path, monkeypatch) -> None:
    a, b = write_scripts(tmp_path, 2)
    assert files_mean_gui([str(a), str(b)]) == ["gui", str(a), str(b)]
    assert files_mean_gui(["-v", "a.fountain"]) == ["-v", "gui", "a.fountain"]
    assert files_mean_gui(["summarize", "a.fountain"]) == ["summarize", "a.fountain"]
    assert files_mean_gui(["-psn_0_12345"]) == []
    assert files_mean_gui(["summarze"]) == ["summarze"]  # a typo is not a file
    launched: list[list[str]] = []
    assert cli_main([str(a), str(b)], launch_gui=lambda files: launched.append(files) or 0) == 0
    assert launched == [[str(a), str(b)]]

    from logline.ui import launch

    window = launch.show_window(QApplication.instance(), launched[0])
    qtbot.addWidget(window)
    try:
        assert [item.path for item in window.queue.items] == [a, b]
        window.queue.cancel_all()
        assert [item.state for item in window.queue.items] == ["cancelled"] * 2
    finally:
        QApplication.instance().removeEventFilter(window.file_open_events)
        window.close()


def test_files_the_system_asks_to_open_reach_the_queue(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    a, b = write_scripts(tmp_path, 2)
    app = QApplication.instance()
    collector = install_file_open_events(app, window.open_files)
    try:
        for path in (a, b):  # "Open With" on two files: two events in a row
            assert QApplication.sendEvent(app, QFileOpenEvent(str(path)))
        qtbot.waitUntil(lambda: len(window.queue.items) == 2, timeout=5000)
        assert [item.path for item in window.queue.items] == [a, b]
        window.queue.cancel_all()
    finally:
        app.removeEventFilter(collector)


def test_long_file_names_in_the_queue_never_widen_the_window(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    window.resize(1024, 640)
    qtbot.wait(20)
    width = window.width()
    names = [f"{'a-very-long-screenplay-name-' * 6}{n}.fountain" for n in range(2)]
    paths = [tmp_path / name for name in names]
    for path in paths:
        path.write_text("INT. ROOM - DAY\n\nA chair.\n", encoding="utf-8")
    assert window.open_files(paths)
    window.queue.cancel_all()
    qtbot.wait(50)
    assert window.queue_panel.isVisible()
    assert window.width() == width and window.minimumSizeHint().width() < width
    assert window.queue_panel.list.item(0).toolTip().startswith(str(paths[0]))


def test_a_summary_that_fails_is_marked_with_the_reason_and_the_queue_goes_on(
    qtbot, tmp_path: Path
) -> None:
    window = MainWindow(model_override=("gone", tmp_path / "no-such-model"))
    qtbot.addWidget(window)
    window.show()
    try:
        paths = write_scripts(tmp_path, 2)
        with qtbot.waitSignal(window.queue.drained, timeout=60_000):
            assert window.open_files(paths)
        assert [item.state for item in window.queue.items] == ["failed", "failed"]
        assert all(item.reason for item in window.queue.items)
        assert window.document.path == paths[-1]  # the second was opened all the same
        assert not any(stored_summaries().values())  # no summary was written
    finally:
        window.close()
