"""View > Show Document / Show Chat: hide a pane to give the others its room (the summary pane
always stays). Checkable actions, remembered between launches by ``window_state``."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

# name -> (menu text, key, the splitter's index of the pane). Not Ctrl+Alt+…: a text box takes
# those as AltGr characters on Linux and Windows. A for "Ask", the chat.
PANES: dict[str, tuple[str, str, int]] = {
    "show_document": ("Show &Document", "Ctrl+Shift+D", 0),
    "show_chat": ("Show &Chat", "Ctrl+Shift+A", 2),
}


def pane(window: QMainWindow, name: str) -> QWidget:
    return window.splitter.widget(PANES[name][2])  # type: ignore[attr-defined]


def add_pane_actions(window: QMainWindow, menu: QMenu, actions: dict[str, QAction]) -> None:
    """Add the checkable pane toggles to ``menu`` and ``actions``."""
    for name, (text, keys, _index) in PANES.items():
        action = QAction(text, window)
        action.setCheckable(True)
        action.setChecked(True)
        action.setShortcut(QKeySequence(keys))
        target = pane(window, name)
        action.toggled.connect(target.setVisible)
        menu.addAction(action)
        actions[name] = action


def shown_panes(window: QMainWindow) -> dict[str, bool]:
    """Which toggled panes are shown, by action name (what ``window_state`` keeps)."""
    actions = window.menu_actions  # type: ignore[attr-defined]
    return {name: actions[name].isChecked() for name in PANES if name in actions}


def show_panes(window: QMainWindow, shown: dict[str, bool]) -> None:
    actions = window.menu_actions  # type: ignore[attr-defined]
    for name, visible in shown.items():
        if name in actions:
            actions[name].setChecked(bool(visible))
