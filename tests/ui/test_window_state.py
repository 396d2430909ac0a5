"""What the window remembers between launches (issue 16): its size, the panes' split, the mode,
the last folder and the recent files, offered again under File ▸ Open Recent."""

from __future__ import annotations

from pathlib import Path

import pytest

from chat_helpers import write_script
from logline.ui import window_state
from logline.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _window(qtbot, model_dir: Path) -> MainWindow:
    window = MainWindow(model_override=("tiny", model_dir))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_window_comes_back_as_it_was_left(qtbot, tiny_model_dir: Path, tmp_path: Path) -> None:
    script = write_script(tmp_path)
    first = _window(qtbot, tiny_model_dir)
    first.resize(760, 560)  # within the offscreen screen (800x600): restored as it was
    first.mode_picker.set_mode("characters")
    first.splitter.setSizes([300, 500, 300])
    qtbot.wait(20)
    sizes = first.splitter.sizes()
    with qtbot.waitSignal(first.documentOpened, timeout=20000):
        first.open_file(script)
    first.close()

    again = _window(qtbot, tiny_model_dir)
    assert again.mode_picker.mode() == "characters"
    assert (again.width(), again.height()) == (760, 560)
    assert again.splitter.sizes() == sizes
    assert window_state.recent_files()[0] == script.resolve()
    assert window_state.last_folder() == str(script.resolve().parent)
    again.recent_menu.aboutToShow.emit()
    entries = [a for a in again.recent_menu.actions() if a.text() == script.name]
    assert len(entries) == 1 and entries[0].isEnabled()
    with qtbot.waitSignal(again.documentOpened, timeout=20000):
        entries[0].trigger()
    assert again.document is not None and again.document.path == script
    again.close()


def test_recent_files_are_few_newest_first_and_gone_ones_disabled(
    qtbot, tiny_model_dir: Path, tmp_path: Path
) -> None:
    for n in range(window_state.RECENT_LIMIT + 3):
        window_state.remember_file(tmp_path / f"s{n}.fountain")
    files = window_state.recent_files()
    assert len(files) == window_state.RECENT_LIMIT and files[0].name == "s12.fountain"
    window = _window(qtbot, tiny_model_dir)
    window.recent_menu.aboutToShow.emit()
    assert not any(a.isEnabled() for a in window.recent_menu.actions())  # none exist on disk
    window.close()


def test_hidden_panes_stay_hidden_until_shown_again(qtbot, tiny_model_dir: Path) -> None:
    from PySide6.QtGui import QKeySequence
    from PySide6.QtTest import QTest

    first = _window(qtbot, tiny_model_dir)
    chat_pane = first.splitter.widget(2)
    assert chat_pane.isVisible()
    first.activateWindow()  # window shortcuts need the active window
    qtbot.waitUntil(first.isActiveWindow)
    QTest.keySequence(first, QKeySequence("Ctrl+Shift+A"))
    assert not chat_pane.isVisible() and not first.menu_actions["show_chat"].isChecked()
    assert first.summary_tabs.isVisible()  # the summary pane always stays
    first.close()

    again = _window(qtbot, tiny_model_dir)
    assert not again.splitter.widget(2).isVisible()
    assert again.splitter.widget(0).isVisible()
    again.menu_actions["show_chat"].trigger()
    assert again.splitter.widget(2).isVisible()
    again.close()
    third = _window(qtbot, tiny_model_dir)
    assert third.splitter.widget(2).isVisible()
    third.close()
