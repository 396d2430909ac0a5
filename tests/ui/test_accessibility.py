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


def _tab_chain(window: MainWindow) -> list[QWidget]:
    chain, widget = [], window.nextInFocusChain()
    while widget is not window and len(chain) < 2000:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            chain.append(widget)
        widget = widget.nextInFocusChain()
    return chain


def _controls(window: MainWindow) -> list[QWidget]:
    return [
        w
        for w in window.findChildren(QWidget)
        if isinstance(w, INTERACTIVE)
        and w.isVisibleTo(window)
        and w.objectName() != "qt_toolbar_ext_button"
        and w.parentWidget() is not None
        and not isinstance(w.parentWidget(), QComboBox)  # a combo's own line edit
        and "qt_spinbox" not in w.objectName()
    ]


def test_every_interactive_control_has_a_description(window: MainWindow) -> None:
    """Screen readers say what a control does, not only its name (issue 16 item 1)."""
    undescribed = [
        f"{type(w).__name__}#{w.objectName() or _name(w)}"
        for w in _controls(window)
        if not (w.accessibleDescription() or w.toolTip())
    ]
    assert len(_controls(window)) >= 20  # the toolbar, navigator, tabs, history, chat…
    assert undescribed == []


def test_tab_reaches_every_control(window: MainWindow) -> None:
    chain = set(_tab_chain(window))
    unreachable = [
        f"{type(w).__name__}#{w.objectName() or _name(w)}"
        for w in _controls(window)
        if w not in chain
    ]
    assert unreachable == []


def test_the_models_window_controls_are_named_described_and_reachable(
    window: MainWindow,
) -> None:
    from PySide6.QtWidgets import QAbstractItemView, QHeaderView

    dialog = window.open_models_dialog()
    controls = [
        w
        for w in dialog.findChildren(QWidget)
        if isinstance(w, (*INTERACTIVE, QAbstractItemView))
        and not isinstance(w, QHeaderView)  # part of its table, which is named
        and w.isVisibleTo(dialog)
        and not isinstance(w.parentWidget(), QComboBox)
    ]
    assert len(controls) >= 5
    chain, widget = set(), dialog.nextInFocusChain()
    while widget is not dialog and len(chain) < 500:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            chain.add(widget)
        widget = widget.nextInFocusChain()
    problems = [
        f"{type(w).__name__}#{w.objectName() or _name(w)}"
        for w in controls
        if not _name(w) or not (w.accessibleDescription() or w.toolTip()) or w not in chain
    ]
    assert problems == []
    dialog.close()
