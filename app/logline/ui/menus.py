"""The menu bar: File, Edit, View, Window, Help, with the platform's standard keys and, on a
Mac, the standard roles (About and Quit move to the application menu there).

Every command is a ``QAction`` with a ``QKeySequence`` standard key where one exists, so Ctrl+O
on Linux is Cmd+O on a Mac; the toolbar shares the same actions.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QMessageBox, QWidget

from logline.ui.about_text import about_html
from logline.ui.pane_actions import add_pane_actions


def _action(
    window: QMainWindow, text: str, keys: QKeySequence | None, slot: Callable[[], object]
) -> QAction:
    action = QAction(text, window)
    if keys is not None:
        action.setShortcut(keys)
    action.triggered.connect(slot)
    return action


def _focused(method: str) -> None:
    """Call ``method`` (copy, selectAll, zoomIn…) on the focused text widget, if it has it."""
    widget = QApplication.focusWidget()
    target = getattr(widget, method, None)
    if callable(target):
        target()


def _text_views(window: QMainWindow) -> list[QWidget]:
    names = ("document_view", "summary_view", "notes_view")
    views = [getattr(window, name) for name in names if hasattr(window, name)]
    chat = getattr(window, "chat_pane", None)
    if chat is not None:
        views.append(chat.view)
    return views


def _zoom(window: QMainWindow, steps: int) -> None:
    for view in _text_views(window):
        if steps > 0:
            view.zoomIn(steps)
        else:
            view.zoomOut(-steps)


def build_menus(window: QMainWindow) -> dict[str, QAction]:
    """Add the menu bar to ``window`` (a ``MainWindow``); its actions by name, for tests."""
    bar = window.menuBar()
    actions: dict[str, QAction] = {}
    std = QKeySequence.StandardKey

    file_menu = bar.addMenu("&File")
    file_menu.addAction(window.open_action)  # the toolbar's, with its Ctrl+O
    actions["open"] = window.open_action
    recent = file_menu.addMenu("Open &Recent")
    recent.setObjectName("recentMenu")
    recent.aboutToShow.connect(lambda: fill_recent(window, recent))
    window.recent_menu = recent  # type: ignore[attr-defined]
    file_menu.addSeparator()
    add_results_actions(window, file_menu, actions)  # Export…, Print… (results that last)
    file_menu.addSeparator()
    actions["close"] = _action(window, "&Close Window", QKeySequence(std.Close), window.close)
    file_menu.addAction(actions["close"])
    actions["quit"] = _action(window, "&Quit Logline", QKeySequence(std.Quit), window.close)
    actions["quit"].setMenuRole(QAction.MenuRole.QuitRole)
    file_menu.addAction(actions["quit"])

    edit = bar.addMenu("&Edit")
    actions["copy"] = _action(window, "&Copy", QKeySequence(std.Copy), lambda: copy_focused(window))
    actions["select_all"] = _action(
        window, "Select &All", QKeySequence(std.SelectAll), lambda: _focused("selectAll")
    )
    edit.addAction(actions["copy"])
    edit.addAction(actions["select_all"])
    edit.addAction(actions["copy_summary"])
    edit.addSeparator()
    actions["find"] = _action(window, "&Find…", QKeySequence(std.Find), lambda: open_find(window))
    edit.addAction(actions["find"])

    view = bar.addMenu("&View")
    actions["zoom_in"] = _action(
        window, "Zoom &In", QKeySequence(std.ZoomIn), lambda: _zoom(window, 1)
    )
    actions["zoom_out"] = _action(
        window, "Zoom &Out", QKeySequence(std.ZoomOut), lambda: _zoom(window, -1)
    )
    view.addAction(actions["zoom_in"])
    view.addAction(actions["zoom_out"])
    view.addSeparator()
    add_pane_actions(window, view, actions)  # Show Document, Show Chat
    view.addAction(actions["history"])
    view.addAction(window.summarize_action)
    view.addAction(window.stop_action)
    add_queue_action(window, view, actions)  # Cancel Queue, while one runs

    window_menu = bar.addMenu("&Window")
    actions["minimize"] = _action(window, "Mi&nimize", QKeySequence("Ctrl+M"), window.showMinimized)
    window_menu.addAction(actions["minimize"])
    window_menu.addAction(window.toolbar.models_action)

    help_menu = bar.addMenu("&Help")
    actions["about"] = _action(window, "&About Logline", None, lambda: show_about(window))
    actions["about"].setMenuRole(QAction.MenuRole.AboutRole)
    help_menu.addAction(actions["about"])

    add_settings_action(window, edit, actions)  # Settings (issue 16 item 5), see below
    for action in actions.values():
        if action.parent() is window:
            window.addAction(action)  # the keys work wherever the focus is in the window
    return actions


def open_find(window: QMainWindow) -> None:
    """Open the find bar on the focused text view (the script when none has the focus)."""
    from logline.ui.find_bar import FindBar

    bar = getattr(window, "find_bar", None)
    if bar is None:
        bar = FindBar(window)
        window.addToolBarBreak()
        holder = window.addToolBar("Find")
        holder.setObjectName("findToolBar")
        holder.setMovable(False)
        holder.addWidget(bar)
        bar.closed.connect(holder.hide)
        window.find_bar, window.find_holder = bar, holder  # type: ignore[attr-defined]
    focused = QApplication.focusWidget()
    views = _text_views(window)
    target = next(
        (v for v in views if focused is not None and (v is focused or v.isAncestorOf(focused))),
        views[0],
    )
    window.find_holder.show()  # type: ignore[attr-defined]
    bar.setEnabled(True)
    bar.open_on(target)


def fill_recent(window: QMainWindow, menu: QMenu) -> None:
    """The recent files, newest first; those that are gone are shown disabled."""
    from logline.ui.window_state import recent_files

    menu.clear()
    files = recent_files()
    for path in files:
        action = menu.addAction(path.name, lambda p=path: window.open_files([p]))
        action.setToolTip(str(path))
        action.setEnabled(path.is_file())
    if not files:
        menu.addAction("No recent documents").setEnabled(False)


# --- Settings… / Preferences… (issue 16 item 5) ----------------------------------------------


def settings_keys() -> QKeySequence:
    """The platform's Preferences key (Cmd+, on a Mac), else Ctrl+, where it has none."""
    keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
    return keys[0] if keys else QKeySequence("Ctrl+,")


def add_settings_action(window: QMainWindow, menu: QMenu, actions: dict[str, QAction]) -> None:
    """Settings… at the end of ``menu`` (Edit); on a Mac, Preferences… in the app menu."""
    from logline.ui.settings_dialog import open_settings

    action = _action(window, "Se&ttings…", settings_keys(), lambda: open_settings(window))
    action.setMenuRole(QAction.MenuRole.PreferencesRole)
    action.setStatusTip("Default model and mode, generation, prompts, offline mode, hub, cache")
    menu.addSeparator()
    menu.addAction(action)
    actions["settings"] = action


# --- end of Settings ---------------------------------------------------------------------------


def show_about(window: QMainWindow) -> QMessageBox:
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "About Logline",
        about_html(),
        QMessageBox.StandardButton.Ok,
        window,
    )
    box.setObjectName("aboutBox")
    window.about_box = box  # type: ignore[attr-defined]  # kept alive while it shows
    box.open()
    return box


# -- results that last (issue 16, history and export): File > Export…, Export Conversation…,
# Print…; Edit > Copy Summary and rich Copy; View > History. They act on ``window.history``
# (``ui.history.HistoryController``), built after the menus.
def add_results_actions(window: QMainWindow, menu: QMenu, actions: dict[str, QAction]) -> None:
    def later(method: str) -> Callable[[], object]:
        return lambda: getattr(window.history, method)()  # type: ignore[attr-defined]

    std = QKeySequence.StandardKey
    found = [
        ("export", "&Export…", QKeySequence("Shift+Ctrl+E"), "export"),
        ("export_conversation", "Export C&onversation…", None, "export_conversation"),
        ("print", "&Print…", QKeySequence(std.Print), "print_shown"),
        ("copy_summary", "Copy S&ummary", QKeySequence("Shift+Ctrl+C"), "copy_summary"),
        ("history", "&History", QKeySequence("Shift+Ctrl+H"), "show_panel"),
    ]
    tips = {
        "export": "Export the summary shown to a Markdown or PDF file",
        "export_conversation": "Export the conversation shown to a Markdown or PDF file",
        "print": "Print the summary shown",
        "copy_summary": "Copy the whole summary, with its formatting",
        "history": "Show the saved summaries and conversations of this document",
    }
    for name, text, keys, method in found:
        actions[name] = _action(window, text, keys, later(method))
        actions[name].setToolTip(tips[name])
        actions[name].setStatusTip(tips[name])
    for name in ("export", "export_conversation", "print"):
        menu.addAction(actions[name])


def copy_focused(window: QMainWindow) -> None:
    """Edit > Copy: a summary's or notes' selection with its formatting, else the focused
    widget's own copy."""
    from logline.ui.rich_copy import copy_rich

    widget = QApplication.focusWidget()
    for name in ("summary_view", "notes_view"):
        view = getattr(window, name, None)
        if view is not None and widget is view and copy_rich(view):
            return
    _focused("copy")


# -- the file queue ----------------------------------------------------------------------------


def add_queue_action(window: QMainWindow, menu: QMenu, actions: dict[str, QAction]) -> None:
    """View > Cancel Queue: stop the running file and drop the waiting ones (enabled while a
    queue of several files runs)."""
    queue = getattr(window, "queue", None)
    if queue is None:
        return
    action = _action(window, "Cancel &Queue", None, queue.cancel_all)
    action.setEnabled(queue.active)
    queue.changed.connect(lambda: action.setEnabled(queue.active))
    menu.addAction(action)
    actions["cancel_queue"] = action
