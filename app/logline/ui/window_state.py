"""What the window remembers between launches: its geometry, the panes' split, the last model
and mode, the last folder and the recent files.

Kept in ``paths.data_dir() / "window.ini"`` (QSettings' INI format: plain text the user may
delete; ``LOGLINE_HOME`` moves it with everything else). Paths are remembered, never document
text.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from logline import paths
from logline.ui.pane_actions import PANES, show_panes, shown_panes
from logline.ui.server_choices import choice_key

log = logging.getLogger(__name__)

RECENT_LIMIT = 10


def settings() -> QSettings:
    return QSettings(str(paths.data_dir() / "window.ini"), QSettings.Format.IniFormat)


def recent_files() -> list[Path]:
    value = settings().value("recent", [])
    items = [value] if isinstance(value, str) else list(value or [])
    return [Path(p) for p in items if p]


def remember_file(path: Path) -> list[Path]:
    """Put ``path`` first in the recent files (at most ``RECENT_LIMIT``); the new list."""
    path = path.resolve()
    files = [path, *(p for p in recent_files() if p != path)][:RECENT_LIMIT]
    store = settings()
    store.setValue("recent", [str(p) for p in files])
    store.setValue("last_folder", str(path.parent))
    return files


def last_folder() -> str:
    return str(settings().value("last_folder", "") or "")


def save(window: Any) -> None:
    """Remember the window's geometry, split, model and mode (called when it closes)."""
    store = settings()
    store.setValue("geometry", window.saveGeometry())
    store.setValue("splitter", window.splitter.saveState())
    choice = window.model_picker.choice()
    if choice is not None and choice.path is None:  # an installed model or a server entry
        store.setValue("model", choice_key(choice))  # a test folder is not remembered
    store.setValue("mode", window.mode_picker.mode())
    for name, shown in shown_panes(window).items():
        store.setValue(f"panes/{name}", shown)
    store.sync()


def restore(window: Any, *, model: bool = True) -> None:
    """Put back what ``save`` remembered (anything missing or invalid is left as it is);
    ``model=False`` keeps the model the window was given."""
    store = settings()
    geometry = store.value("geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        window.restoreGeometry(geometry)
    split = store.value("splitter")
    if isinstance(split, QByteArray) and not split.isEmpty():
        window.splitter.restoreState(split)
    show_panes(
        window,
        {
            name: store.value(f"panes/{name}") not in (False, "false")
            for name in PANES
            if store.contains(f"panes/{name}")
        },
    )
    mode = store.value("mode")
    if mode:
        try:
            window.mode_picker.set_mode(str(mode))
        except (KeyError, ValueError):
            log.info("The remembered mode %r no longer exists", mode)
    remembered = store.value("model")
    if model and remembered:
        window.model_picker.select(str(remembered))
