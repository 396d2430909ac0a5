"""The Settings window's pages: every control named, described and reached by Tab; usable at
1024×640 without widening; prompt templates copied for editing (and read by the summarizer),
then reset."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QWidget,
)

from logline.summarize import modes
from logline.summarize.prompt_files import load_template, shipped_template, user_prompts_dir
from logline.ui.main_window import MainWindow
from logline.ui.settings_dialog import SettingsDialog, open_settings
from logline.ui.settings_prompts import USER_MARK

pytestmark = pytest.mark.gui

INTERACTIVE = (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QListWidget)


@pytest.fixture
def dialog(qtbot, tiny_model_dir: Path):
    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    window.show()
    dialog = open_settings(window)
    dialog.activateWindow()
    qtbot.waitActive(dialog)
    qtbot.waitUntil(lambda: dialog.network.used_bytes is not None, timeout=10000)
    yield dialog
    window.close()


def _controls(dialog: SettingsDialog, page: QWidget) -> list[QWidget]:
    """The page's enabled, shown controls (a spin box's own line edit is the spin box)."""
    found = []
    for widget in page.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or isinstance(widget.parent(), QAbstractSpinBox):
            continue
        if widget.isVisibleTo(dialog) and widget.isEnabled():
            found.append(widget)
    return found


def _tab_through(dialog: SettingsDialog, presses: int = 40) -> set[QWidget]:
    """Every widget the focus reaches by pressing Tab, from the page tabs on."""
    dialog.tabs.tabBar().setFocus()
    reached: set[QWidget] = set()
    for _ in range(presses):
        focused = QApplication.focusWidget()
        if focused is not None:
            reached.add(focused)
        QTest.keyClick(focused or dialog, Qt.Key.Key_Tab)
    return reached


def test_every_control_is_named_described_and_reached_by_tab(dialog: SettingsDialog) -> None:
    assert dialog.accessibleName() and dialog.accessibleDescription()
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        page = dialog.tabs.currentWidget()
        controls = [*_controls(dialog, page), dialog.close_button]
        assert len(controls) >= 3, dialog.tabs.tabText(index)
        for control in controls:
            label = f"{dialog.tabs.tabText(index)}: {type(control).__name__}"
            assert control.accessibleName(), label
            assert control.accessibleDescription(), label + " " + control.accessibleName()
        reached = _tab_through(dialog)
        missing = [c.accessibleName() for c in controls if c not in reached]
        assert not missing, (dialog.tabs.tabText(index), missing)


def test_usable_at_1024_by_640_and_never_widened(dialog: SettingsDialog, qtbot) -> None:
    hint = dialog.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 600  # room for a title bar at 640
    assert dialog.width() <= 1024 and dialog.height() <= 600
    dialog.resize(560, 420)
    qtbot.wait(20)
    width = dialog.width()
    network = dialog.network
    dialog.tabs.setCurrentIndex(dialog.tabs.indexOf(network.parentWidget().parentWidget()))
    network.endpoint.setText("https://" + "very-long-mirror-name." * 20 + "example")
    network.endpoint.setText("not a web address " * 10)
    network.endpoint.editingFinished.emit()
    network.budget_message.say("A long reason. " * 40)
    qtbot.wait(20)
    assert dialog.width() == width
    assert dialog.minimumSizeHint().width() <= 1024


def test_open_user_copy_then_reset(dialog: SettingsDialog, qtbot) -> None:
    page = dialog.prompts
    opened: list[Path] = []
    page.opener = opened.append
    name = "logline.single"
    items = page.list.findItems(name, Qt.MatchFlag.MatchExactly)
    assert items, "the shipped templates are listed"
    page.list.setCurrentItem(items[0])
    assert not page.reset_button.isEnabled()  # no copy yet
    path = page.open_copy()
    assert path == user_prompts_dir() / f"{name}.txt" and opened == [path]
    assert path.read_text(encoding="utf-8").strip() == shipped_template(name)
    assert page.list.currentItem().text() == name + USER_MARK
    # The user's edit is what the summarizer now sends (it must keep the required fields).
    edited = "Answer in French. " + shipped_template(name)
    path.write_text(edited, encoding="utf-8")
    required = {modes.ROLE_FIELD["single"]}
    assert load_template(name, required=required, allowed=modes.COMMON_FIELDS | {"facts"}) == (
        edited
    )
    assert page.open_copy() == path and path.read_text(encoding="utf-8") == edited  # kept

    box = page.ask_reset()
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.windowModality() == Qt.WindowModality.WindowModal  # open(): the main window works
    cancel = box.button(QMessageBox.StandardButton.Cancel)
    cancel.click()
    assert path.exists()
    box = page.ask_reset()
    delete = next(b for b in box.buttons() if b.text() == "Delete My Copy")
    delete.click()
    assert not path.exists()
    assert page.list.currentItem().text() == name and not page.reset_button.isEnabled()
    assert load_template(name, required=required, allowed=modes.COMMON_FIELDS | {"facts"}) == (
        shipped_template(name)
    )
    page.show_folder()
    assert opened[-1] == user_prompts_dir()
