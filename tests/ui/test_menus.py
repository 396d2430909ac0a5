"""The menu bar (issue 16): File, Edit, View, Window, Help, each command on its platform's
standard key, triggered here by pressing that key in the window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from chat_helpers import write_script
from logline.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tiny_model_dir: Path, tmp_path: Path):
    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(write_script(tmp_path))
    yield window
    window.close()


def test_the_menus_and_their_standard_keys(window: MainWindow) -> None:
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == ["File", "Edit", "View", "Window", "Help"]
    keys = {name: a.shortcut() for name, a in window.menu_actions.items()}
    std = QKeySequence.StandardKey
    assert keys["open"] == QKeySequence(std.Open)
    assert keys["close"] == QKeySequence(std.Close)
    assert keys["quit"] == QKeySequence(std.Quit)
    assert keys["copy"] == QKeySequence(std.Copy)
    assert keys["zoom_in"] == QKeySequence(std.ZoomIn)
    assert window.menu_actions["about"].menuRole().name == "AboutRole"


def _press(window: MainWindow, action_name: str) -> None:
    QTest.keySequence(window, window.menu_actions[action_name].shortcut())
    QApplication.processEvents()


def test_keys_select_copy_and_zoom_in_the_focused_view(qtbot, window: MainWindow) -> None:
    view = window.document_view
    view.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=5000)
    _press(window, "select_all")
    assert "INT. PRINT SHOP" in view.textCursor().selectedText()  # after the title card
    QApplication.clipboard().clear()
    _press(window, "copy")
    assert "EXT. RIVER - DAY" in QApplication.clipboard().text()
    size = view.font().pointSizeF()
    _press(window, "zoom_in")
    assert view.font().pointSizeF() > size


def test_about_opens_without_blocking_and_close_closes(qtbot, window: MainWindow) -> None:
    window.menu_actions["about"].trigger()
    box = window.findChild(QMessageBox, "aboutBox")
    assert box is not None and box.isVisible() and "nothing leaves it" in box.text()
    assert "MIT licence" in box.text() and "THIRD_PARTY_NOTICES.md" in box.text()
    box.accept()
    _press(window, "close")
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)


def test_find_selects_matches_in_the_script_and_escape_closes(qtbot, window: MainWindow) -> None:
    view = window.document_view
    view.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=5000)
    _press(window, "find")
    bar = window.find_bar
    assert bar.isVisible() and bar.target is view
    qtbot.keyClicks(bar.edit, "RIVER")
    first = view.textCursor()
    assert first.selectedText().upper() == "RIVER"  # the title card's "River" first
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)  # the next one
    assert view.textCursor().selectedText() == "RIVER"
    assert view.textCursor().position() > first.position()
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)  # back
    assert view.textCursor().position() == first.position()
    bar.edit.setText("")
    qtbot.keyClicks(bar.edit, "no such words anywhere")
    assert bar.result.text() == "Not found"
    qtbot.keyClick(bar.edit, Qt.Key.Key_Escape)
    assert not bar.isVisible()
