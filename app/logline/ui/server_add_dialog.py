"""Add a server from the Models window: name, address, model, token, context, offline use.

What ``logline servers add`` does, in a dialog: the entry is checked (name, address), offline
mode is asked first (a refused address sees no connection), then the server is probed on a job
thread (never the GUI thread) with the token given; a server that does not report its context
length needs one typed in. Only a probe that succeeded saves the entry (the token goes to the
keychain first, so a refused keychain leaves nothing half-added). Opened with ``open()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from logline import config
from logline.config import effective_settings
from logline.engine.cancel import CancelToken
from logline.models import servers
from logline.models.server_policy import OfflineRefusedError, check_allowed
from logline.models.servers import ServerEntry, ServerEntryError
from logline.ui.jobs import Emit, Job
from logline.ui.server_probe import real_probe, show_level

__all__ = ["AddServerDialog", "NewProbe"]

log = logging.getLogger(__name__)

# ``probe(entry, token) -> capabilities as JSON`` (job thread; tests may pass their own).
NewProbe = Callable[[ServerEntry, "str | None"], dict[str, Any]]
NO_CONTEXT = (
    "The server does not say how long its context is: type the context length it was started "
    "with (e.g. 8192) and add it again."
)


class AddServerDialog(QDialog):
    """``added(name)`` once the entry is saved."""

    added = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, probe: NewProbe | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addServerDialog")
        self.setWindowTitle("Add a Server")
        self.probe: NewProbe = probe or real_probe
        self.job: Job | None = None
        form = QFormLayout()
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("render-01")
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("http://10.0.0.5:8080/v1")
        self.model_edit = QLineEdit(self)
        self.model_edit.setPlaceholderText("the server's only model, when it has one")
        self.token_edit = QLineEdit(self)
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("none")
        self.context_spin = QSpinBox(self)
        self.context_spin.setRange(0, 10_000_000)
        self.context_spin.setSpecialValueText("as the server reports it")
        self.context_spin.setSingleStep(1024)
        self.concurrency_spin = QSpinBox(self)
        self.concurrency_spin.setRange(1, servers.MAX_CONCURRENCY)
        self.concurrency_spin.setValue(servers.DEFAULT_CONCURRENCY)
        self.offline_box = QCheckBox("Allowed while offline (you trust this address)", self)
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Address:", self.url_edit)
        form.addRow("&Model:", self.model_edit)
        form.addRow("&Token:", self.token_edit)
        form.addRow("&Context length:", self.context_spin)
        form.addRow("Requests at &once:", self.concurrency_spin)
        form.addRow(self.offline_box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.message = QLabel(
            "Logline asks the server what it offers before adding it (a short request).", self
        )
        self.message.setObjectName("addServerMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.add_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.add_button.setText("Test and Add")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def entry(self) -> ServerEntry:
        """The entry as typed (not validated)."""
        context = self.context_spin.value()
        return ServerEntry(
            name=self.name_edit.text().strip(),
            base_url=self.url_edit.text().strip().rstrip("/"),
            model=self.model_edit.text().strip() or None,
            allowed_offline=self.offline_box.isChecked(),
            context_length=context or None,
            concurrency=self.concurrency_spin.value(),
        )

    def show_message(self, text: str, *, error: bool = False) -> None:
        show_level(self.message, text, error=error)

    @Slot()
    def submit(self) -> Job | None:
        """Check what was typed, then probe the server off the GUI thread."""
        if self.job is not None:
            return None
        entry = self.entry()
        problem = servers.name_problem(entry.name) or servers.url_problem(entry.base_url)
        too_short = entry.context_length is not None and entry.context_length < servers.MIN_CONTEXT
        if problem is None and too_short:
            problem = f"The context length must be at least {servers.MIN_CONTEXT} tokens."
        if problem is None:
            try:
                check_allowed(entry, effective_settings())  # decided from the address alone
            except OfflineRefusedError as exc:
                problem = str(exc)
        if problem is not None:
            self.show_message(problem, error=True)
            return None
        token = self.token_edit.text().strip() or None
        probe = self.probe

        def work(_cancel: CancelToken, _emit: Emit) -> dict[str, Any]:
            return probe(entry, token)

        self.show_message(f"Asking {entry.base_url} what it offers…")
        self.add_button.setEnabled(False)
        job = Job(work, name="logline-server-add")
        job.success(lambda found: self._save(entry, token, found))
        job.failure(lambda exc: self.show_message(str(exc) or type(exc).__name__, error=True))
        job.done(self._probe_done)
        self.job = job
        job.run()
        return job

    def _probe_done(self) -> None:
        self.job = None
        self.add_button.setEnabled(True)

    def _save(self, entry: ServerEntry, token: str | None, found: dict[str, Any]) -> None:
        if found.get("context_length") is None and entry.context_length is None:
            self.show_message(NO_CONTEXT, error=True)
            self.context_spin.setFocus()
            return
        found_models = found.get("models") or []
        model = entry.model or (found_models[0] if len(found_models) == 1 else None)
        try:
            if token:
                servers.set_server_token(entry.name, token)
            saved = servers.add_server(
                entry.name,
                entry.base_url,
                model=model,  # the only one it serves, named: "qwen on studio" in the lists
                allowed_offline=entry.allowed_offline,
                capabilities=found,
                context_length=entry.context_length,
                concurrency=entry.concurrency,
            )
        except (ServerEntryError, config.SecureStorageUnavailableError, OSError) as exc:
            self.show_message(str(exc), error=True)
            return
        self.added.emit(saved.name)
        self.accept()

    def shutdown(self, timeout_s: float = 12.0) -> bool:
        """Wait for a running probe (it ends within its own timeout)."""
        job, self.job = self.job, None
        if job is None:
            return True
        job.detach()
        return job.stop(timeout_s)

    def reject(self) -> None:
        self.shutdown()
        super().reject()
