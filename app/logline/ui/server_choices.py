"""Server entries in the model pickers: "llama-3.3-70b on render-01", after the local models.

Each entry (:mod:`logline.models.servers`) becomes a :class:`ModelChoice` with ``server`` set
(:func:`logline.models.server_model.server_choice`), listed after a "— on a server —" heading,
its tooltip giving the address and whether the document's text leaves this machine. An entry
that cannot be used now is listed disabled with the reason as its tooltip: offline mode forbids
its address, it has no context length, or it does not name its model.

A choice is remembered (window state, ``Settings.default_model``) by :func:`choice_key`: a local
model by its id, a server entry as ``server:NAME``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QStyle

from logline.config import Settings, effective_settings
from logline.models.choice import ModelChoice
from logline.models.server_model import server_choice, server_model_id
from logline.models.server_policy import OfflineRefusedError, check_allowed, text_leaves_machine
from logline.models.servers import ServerEntry, ServerEntryError, list_servers

if TYPE_CHECKING:
    from PySide6.QtWidgets import QComboBox

__all__ = [
    "SERVER_HEADING",
    "SERVER_PREFIX",
    "add_server_items",
    "choice_key",
    "server_problem",
    "server_tooltip",
]

log = logging.getLogger(__name__)

SERVER_PREFIX = "server:"
SERVER_HEADING = "— on a server —"
OFFLINE_MARK = " · refused offline"
NO_CONTEXT_MARK = " · context not set"
NO_MODEL_MARK = " · model not named"


def choice_key(choice: ModelChoice) -> str:
    """How a choice is remembered: its model id, or ``server:NAME`` for a server entry."""
    return f"{SERVER_PREFIX}{choice.server}" if choice.server is not None else choice.model_id


def is_server_key(key: str) -> bool:
    return key.startswith(SERVER_PREFIX)


def where_text_goes(entry: ServerEntry) -> str:
    if text_leaves_machine(entry):
        return f"The document's text is sent to {entry.host}, another machine."
    return "The server runs on this machine: the document's text stays here."


def server_tooltip(entry: ServerEntry) -> str:
    """An entry's tooltip: its label, address, and whether the text leaves this machine."""
    return f"{entry.label()} at {entry.base_url}\n{where_text_goes(entry)}"


def server_problem(entry: ServerEntry, settings: Settings | None = None) -> str | None:
    """Why ``entry`` cannot be used now (one sentence), or None."""
    found = _problem_and_mark(entry, settings)
    return found[0] if found else None


def _problem_and_mark(
    entry: ServerEntry, settings: Settings | None = None
) -> tuple[str, str] | None:
    """(why ``entry`` cannot be used now, the short mark after its label), or None."""
    try:
        check_allowed(entry, settings or effective_settings())
    except OfflineRefusedError as exc:
        return str(exc), OFFLINE_MARK
    if entry.effective_context_length() is None:
        return (
            f"Set its context length: logline servers add {entry.name} {entry.base_url} "
            f"--context N --replace",
            NO_CONTEXT_MARK,
        )
    if server_model_id(entry) is None:
        return (
            f"Name its model: logline servers add {entry.name} {entry.base_url} "
            f"--model ID --replace",
            NO_MODEL_MARK,
        )
    return None


def server_entries() -> list[ServerEntry]:
    """The server entries; none (logged) when the list cannot be read."""
    try:
        return list_servers()
    except (ServerEntryError, OSError) as exc:
        log.warning("Cannot list the servers: %s", type(exc).__name__)
        return []


def add_server_items(picker: QComboBox, settings: Settings | None = None) -> int:
    """Append the server entries to ``picker`` (a heading first); how many were added.

    Items that cannot be used now are disabled, the reason as their tooltip."""
    entries = server_entries()
    if not entries:
        return 0
    settings = settings or effective_settings()
    model = picker.model()
    picker.insertSeparator(picker.count())
    picker.addItem(SERVER_HEADING, None)
    model.item(picker.count() - 1).setEnabled(False)  # type: ignore[attr-defined]
    icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon)
    for entry in entries:
        picker.addItem(icon, entry.label(), server_choice(entry))
        index = picker.count() - 1
        found = _problem_and_mark(entry, settings)
        tip = server_tooltip(entry)
        if found is not None:
            problem, mark = found
            picker.setItemText(index, entry.label() + mark)
            model.item(index).setEnabled(False)  # type: ignore[attr-defined]
            tip = f"{problem}\n\n{tip}"
        picker.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
    return len(entries)
