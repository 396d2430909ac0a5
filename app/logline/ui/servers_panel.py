"""The Models window's Servers tab: the inference servers used as models, tested and removed.

A table of the entries (:mod:`logline.models.servers`): name, model, address, context length,
concurrency, whether it is allowed while offline and whether the document's text leaves this
machine. **Test** probes the selected server (``/v1/models`` and a one-token request, as
``logline servers test`` does) on a job thread, never the GUI thread, after the offline check
(a refused server sees no connection); the result shows below the table. **Remove** asks first,
then removes the entry and its keychain token. **Add…** opens
:class:`~logline.ui.server_add_dialog.AddServerDialog` (``logline servers add`` in a dialog).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from logline.config import effective_settings
from logline.engine.cancel import CancelToken
from logline.models import servers
from logline.models.server_policy import OfflineRefusedError, check_allowed, text_leaves_machine
from logline.models.servers import ServerEntry, ServerEntryError
from logline.ui.jobs import Emit, Job
from logline.ui.questions import Questions
from logline.ui.server_add_dialog import AddServerDialog, NewProbe
from logline.ui.server_choices import server_problem, server_tooltip
from logline.ui.server_probe import PROBE_TIMEOUT_S, real_probe, show_level

__all__ = ["COLUMNS", "Probe", "ServersPanel", "probe_text"]

log = logging.getLogger(__name__)

COLUMNS = (
    "Name",
    "Model",
    "Address",
    "Context",
    "Concurrency",
    "Allowed offline",
    "Text leaves this machine",
)
NO_SERVERS = (
    "No servers yet. Add one in a terminal: logline servers add NAME URL "
    "(e.g. logline servers add render-01 http://10.0.0.5:8080/v1 --context 32768)."
)
HINT = "Add or change a server in a terminal: logline servers add NAME URL … --replace"

# ``probe(entry) -> capabilities as JSON``: what Test runs (tests may pass their own).
Probe = Callable[[ServerEntry], dict[str, Any]]


def probe_text(entry: ServerEntry, found: dict[str, Any]) -> str:
    """The probe's findings in one short paragraph."""
    models = ", ".join(str(m) for m in found.get("models") or ()) or "none listed"
    context = found.get("context_length")
    parts = [f"{entry.name} answered. Models: {models}."]
    if context:
        parts.append(f"Context: {context:,} tokens.")
    elif entry.context_length:
        parts.append(
            f"It does not report its context length; Logline uses {entry.context_length:,} "
            "(this entry's setting)."
        )
    else:
        parts.append(
            "It does not report its context length: set it with "
            f"logline servers add {entry.name} {entry.base_url} --context N --replace."
        )
    parts.append(
        "Streamed usage figures: " + ("accepted." if found.get("stream_options") else "refused.")
    )
    if found.get("reasoning_field"):
        parts.append(f"Reasoning text in delta.{found['reasoning_field']}.")
    if found.get("vendor"):
        parts.append(f"Server: {found['vendor']}.")
    return " ".join(parts)


class ServersPanel(QWidget):
    """``serversChanged`` follows a removal (the pickers re-read the servers)."""

    serversChanged = Signal()
    tested = Signal(str, str)  # the entry's name, the result shown (or the error)

    def __init__(
        self,
        questions: Questions,
        parent: QWidget | None = None,
        *,
        probe: Probe | None = None,
        new_probe: NewProbe | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("serversPanel")
        self.questions = questions
        self.probe = probe or real_probe
        self.new_probe = new_probe  # the Add dialog's (None: the real probe)
        self.entries: list[ServerEntry] = []
        self.job: Job | None = None  # the probe running
        self._build()
        self.refresh()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("serversTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Servers")
        self.table.setAccessibleDescription(
            "Inference servers used as models: address, context, and whether text leaves "
            "this machine"
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.result = QLabel(HINT, self)
        self.result.setObjectName("serverResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)
        buttons = QHBoxLayout()
        self.test_button = QPushButton("Test", self)
        self.test_button.setAccessibleDescription(
            "Ask the selected server what it offers (a short request)"
        )
        self.remove_button = QPushButton("Remove…", self)
        self.remove_button.setAccessibleDescription(
            "Remove the selected server and its stored token"
        )
        self.test_button.clicked.connect(self.test_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.add_button = QPushButton("Add…", self)
        self.add_button.setAccessibleDescription("Add an inference server as a model")
        self.add_button.clicked.connect(self.open_add_dialog)
        self.add_dialog: AddServerDialog | None = None
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.table.itemSelectionChanged.connect(self.update_buttons)

    # -- the table -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the servers (keeping the selection)."""
        selected = self.selected()
        try:
            self.entries = servers.list_servers()
        except (ServerEntryError, OSError) as exc:
            self.entries = []
            self.show_result(str(exc), error=True)
        settings = effective_settings()
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            context = entry.effective_context_length()
            problem = server_problem(entry, settings)
            refused = problem is not None and problem.startswith("Offline mode")
            cells = (
                entry.name,
                entry.model or "(the server's)",
                entry.base_url,
                f"{context:,}" if context else "not set",
                str(entry.concurrency),
                "yes" if entry.allowed_offline else ("no: refused now" if refused else "no"),
                "yes" if text_leaves_machine(entry) else "no (this machine)",
            )
            tip = server_tooltip(entry) + (f"\n\n{problem}" if problem else "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                self.table.setItem(row, column, item)
        if not self.entries:
            self.show_result(NO_SERVERS)
        if selected is not None:
            self.select(selected.name)
        self.update_buttons()

    def selected(self) -> ServerEntry | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.entries):
            return None
        return self.entries[rows[0].row()]

    def select(self, name: str) -> bool:
        for row, entry in enumerate(self.entries):
            if entry.name.lower() == name.lower():
                self.table.selectRow(row)
                return True
        return False

    @Slot()
    def update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.test_button.setEnabled(chosen and self.job is None)
        self.remove_button.setEnabled(chosen and self.job is None)

    def show_result(self, text: str, *, error: bool = False) -> None:
        show_level(self.result, text, error=error)

    # -- test ------------------------------------------------------------------------------
    @Slot()
    def test_selected(self) -> Job | None:
        """Probe the selected server off the GUI thread; the result shows when it comes."""
        entry = self.selected()
        if entry is None or self.job is not None:
            return None
        try:
            check_allowed(entry, effective_settings())  # decided from the address: no request
        except OfflineRefusedError as exc:
            self.show_result(str(exc), error=True)
            self.tested.emit(entry.name, str(exc))
            return None
        probe = self.probe

        def work(_cancel: CancelToken, _emit: Emit) -> dict[str, Any]:
            return probe(entry)

        self.show_result(f"Testing {entry.name} at {entry.base_url}…")
        job = Job(work, name="logline-server-test")
        job.success(lambda found: self._tested(entry, found))
        job.failure(lambda exc: self._failed(entry, exc))
        job.done(self._probe_done)
        self.job = job
        self.update_buttons()
        job.run()
        return job

    def _tested(self, entry: ServerEntry, found: dict[str, Any]) -> None:
        text = probe_text(entry, found)
        self.show_result(text)
        self.tested.emit(entry.name, text)

    def _failed(self, entry: ServerEntry, exc: BaseException) -> None:
        text = str(exc) or f"The test of {entry.name} failed ({type(exc).__name__})."
        self.show_result(text, error=True)
        self.tested.emit(entry.name, text)

    def _probe_done(self) -> None:
        self.job = None
        self.update_buttons()

    # -- remove ----------------------------------------------------------------------------
    @Slot()
    def remove_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        self.questions.ask(
            "Remove this server?",
            f"Remove {entry.label()} ({entry.base_url}) from Logline? Its stored token is "
            "removed too; the server itself is not touched.",
            "Remove",
            lambda: self._remove(entry.name),
        )

    def _remove(self, name: str) -> None:
        try:
            removed = servers.remove_server(name)
        except (ServerEntryError, OSError) as exc:
            self.show_result(str(exc), error=True)
            return
        self.refresh()
        self.show_result(f"Removed {removed.name}.")
        self.serversChanged.emit()

    # -- add -------------------------------------------------------------------------------
    @Slot()
    def open_add_dialog(self) -> AddServerDialog:
        """The Add a Server dialog (one at a time, window-modal, never blocking)."""
        if self.add_dialog is None:
            dialog = AddServerDialog(self.window(), probe=self.new_probe)
            dialog.added.connect(self._added)
            dialog.finished.connect(lambda _result: setattr(self, "add_dialog", None))
            self.add_dialog = dialog
        self.add_dialog.open()
        return self.add_dialog

    def _added(self, name: str) -> None:
        self.refresh()
        self.select(name)
        self.show_result(f"Added {name}: it is in the model lists now.")
        self.serversChanged.emit()

    # -- closing ---------------------------------------------------------------------------
    def shutdown(self, timeout_s: float = PROBE_TIMEOUT_S + 2) -> bool:
        """Wait for a running test or add (each ends within its own timeout); True when none
        is left."""
        added = self.add_dialog.shutdown(timeout_s) if self.add_dialog is not None else True
        job = self.job
        if job is None:
            return added
        job.detach()
        self.job = None
        return job.stop(timeout_s) and added
