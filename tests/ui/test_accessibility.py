"""Keyboard and screen readers (issue 16, found by trying the app): Tab reaches Open, Models,
Summarize and Stop; every interactive control of the window has an accessible name."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from chat_helpers import write_script
from logline.ui.main_window import MainWindow

pytestmark = pytest.mark.gui
INTERACTIVE = (QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit)


@pytest.fixture
def window(qtbot, tiny_model_dir: Path, tmp_path: Path):
    window = MainWindow(model_override=("tiny", tiny_model_dir))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(write_script(tmp_path))
    yield window
    window.close()


def _name(widget: QWidget) -> str:
    if widget.accessibleName():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton):
        return widget.text().strip()
    return ""


def test_every_interactive_control_has_an_accessible_name(window: MainWindow) -> None:
    nameless = [
        f"{type(w).__name__}#{w.objectName()}"
        for w in window.findChildren(QWidget)
        if isinstance(w, INTERACTIVE)
        and w.isVisibleTo(window)
        and w.objectName() != "qt_toolbar_ext_button"
        and not _name(w)
    ]
    assert nameless == []


def test_tab_reaches_the_toolbar_actions(qtbot, window: MainWindow) -> None:
    toolbar = window.toolbar
    wanted = {
        toolbar.widgetForAction(a)
        for a in (window.open_action, window.toolbar.models_action, window.summarize_action)
    }
    stop = toolbar.widgetForAction(window.stop_action)
    assert stop.focusPolicy() & Qt.FocusPolicy.TabFocus  # disabled until a run: then reachable
    # The window's tab chain: the widgets Tab visits, in order.
    tabbable, widget = [], window.nextInFocusChain()
    while widget is not window and len(tabbable) < 500:
        policy = widget.focusPolicy()
        if policy & Qt.FocusPolicy.TabFocus and widget.isVisibleTo(window):
            tabbable.append(widget)
        widget = widget.nextInFocusChain()
    assert wanted <= set(tabbable)
    assert stop in tabbable
