"""The Settings window's Models & network page: offline mode, the hub's address, the hub token
(in the keychain; only whether one is stored is shown) and the model cache's budget with what
it holds now (measured off the GUI thread)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from logline.config import (
    SecureStorageUnavailableError,
    delete_token,
    effective_settings,
    endpoint_problem,
    load_settings,
    secure_storage_available,
    set_token,
    stored_token_exists,
    update_settings,
)
from logline.ui.jobs import Job
from logline.ui.settings_form import InlineMessage, described, note
from logline.units import format_bytes

GB = 10**9
DEFAULT_HUB = "https://huggingface.co"


def usage_text(used: int, budget: int) -> str:
    """ "12.3 GB of 40 GB" """
    return f"{format_bytes(used)} of {format_bytes(budget)}"


def _measure_cache(_cancel: object, _emit: object) -> int:
    from logline.models.cache import cache_report  # scans the model folders: off the GUI thread

    return cache_report().used_bytes


class NetworkPage(QWidget):
    """Offline, hub endpoint, hub token, cache budget. ``on_offline`` is called once the offline
    switch is saved (the model lists refresh); ``usageMeasured`` follows each measure."""

    usageMeasured = Signal(object)  # bytes (past what a C int holds)

    def __init__(self, on_offline: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        saved = load_settings()
        self.used_bytes: int | None = None
        self.job: Job | None = None
        form = QFormLayout(self)

        self.offline = described(
            QCheckBox("Work offline"),
            "Work offline",
            "No downloads and no questions to the model hub; installed models still work.",
        )
        self.offline.setChecked(saved.offline)
        form.addRow(self.offline)
        forced = effective_settings(saved).offline and not saved.offline
        self.offline_note = note(
            "LOGLINE_OFFLINE or HF_HUB_OFFLINE is set: offline for this session." if forced else ""
        )
        self.offline_note.setVisible(forced)
        form.addRow(self.offline_note)

        self.endpoint = described(
            QLineEdit(saved.hub_endpoint or ""),
            "Hub address",
            "The model hub's web address, for a mirror; empty for huggingface.co. "
            "Saved when you press Enter or leave the field.",
        )
        self.endpoint.setPlaceholderText(f"{DEFAULT_HUB} (default)")
        self.endpoint.setClearButtonEnabled(True)
        form.addRow("Hub &address:", self.endpoint)
        self.endpoint_message = InlineMessage(self)
        form.addRow(self.endpoint_message)
        if os.environ.get("HF_ENDPOINT", "").strip():
            form.addRow(note("HF_ENDPOINT is set: it is used for this session."))

        self.token_status = QLabel()
        self.token_status.setObjectName("tokenStatus")
        self.token_status.setWordWrap(True)
        form.addRow("Hub token:", self.token_status)
        token_row = QHBoxLayout()
        self.token_edit = described(
            QLineEdit(),
            "New hub token",
            "A Hugging Face access token for gated models, kept in the system's keychain.",
        )
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("hf_…")
        self.save_token_button = described(
            QPushButton("Save &Token"), "Save hub token", "Store the token in the keychain."
        )
        self.clear_token_button = described(
            QPushButton("Re&move Token"),
            "Remove hub token",
            "Delete the stored token from the keychain.",
        )
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.save_token_button)
        token_row.addWidget(self.clear_token_button)
        form.addRow(token_row)
        self.token_message = InlineMessage(self)
        form.addRow(self.token_message)

        self.budget = described(
            QDoubleSpinBox(),
            "Model cache budget",
            "How much disk downloaded and imported models may use; the least recently used "
            "ones are removed to make room. Saved when you press Enter or leave the field.",
        )
        self.budget.setRange(1, 100_000)
        self.budget.setDecimals(1)
        self.budget.setSuffix(" GB")
        self.budget.setValue(saved.cache_budget_bytes / GB)
        form.addRow("Model &cache budget:", self.budget)
        self.usage = QLabel("Measuring what the cache holds…")
        self.usage.setObjectName("cacheUsage")
        form.addRow("In use:", self.usage)
        self.budget_message = InlineMessage(self)
        form.addRow(self.budget_message)

        self.offline.toggled.connect(self._offline_toggled)
        self.offline.toggled.connect(lambda _on: on_offline())
        self.endpoint.editingFinished.connect(self.save_endpoint)
        self.save_token_button.clicked.connect(self.save_token)
        self.token_edit.returnPressed.connect(self.save_token)
        self.token_edit.textChanged.connect(self._update_token_buttons)
        self.clear_token_button.clicked.connect(self.clear_token)
        self.budget.editingFinished.connect(self.save_budget)
        self.show_token_status()
        self.measure()

    # -- offline and endpoint --------------------------------------------------------------
    @Slot(bool)
    def _offline_toggled(self, on: bool) -> None:
        update_settings(offline=on)

    @Slot()
    def save_endpoint(self) -> bool:
        text = self.endpoint.text().strip()
        problem = endpoint_problem(text)
        self.endpoint_message.say(problem and f"{problem} Not saved.")
        if problem:
            return False
        if (text or None) != load_settings().hub_endpoint:
            update_settings(hub_endpoint=text or None)
        return True

    # -- the token -------------------------------------------------------------------------
    def show_token_status(self) -> None:
        stored = stored_token_exists()
        if stored:
            text = "A token is stored in the keychain."
        elif not secure_storage_available():
            text = "No keychain on this computer: set HF_TOKEN for the session instead."
        else:
            text = "No token stored."
        if os.environ.get("HF_TOKEN", "").strip():
            text += " HF_TOKEN is set and used for this session."
        self.token_status.setText(text)
        self.token_status.setAccessibleName(f"Hub token: {text}")
        self.clear_token_button.setEnabled(stored)
        self._update_token_buttons()

    @Slot()
    def _update_token_buttons(self) -> None:
        self.save_token_button.setEnabled(bool(self.token_edit.text().strip()))

    @Slot()
    def save_token(self) -> None:
        token = self.token_edit.text().strip()
        if not token:
            return
        try:
            set_token(token)
        except (SecureStorageUnavailableError, ValueError) as exc:
            self.token_message.say(f"The token was not saved: {exc}.")
            return
        self.token_edit.clear()
        self.token_message.say(None)
        self.show_token_status()

    @Slot()
    def clear_token(self) -> None:
        try:
            delete_token()
        except SecureStorageUnavailableError as exc:
            self.token_message.say(f"The token was not removed: {exc}.")
            return
        self.token_message.say(None)
        self.show_token_status()

    # -- the cache budget ------------------------------------------------------------------
    def measure(self) -> None:
        """Measure what the cache holds, off the GUI thread (``usageMeasured`` follows)."""
        if self.job is not None and self.job.running:
            return
        self.job = Job(_measure_cache, name="logline-cache-usage")
        self.job.success(self._measured).failure(self._not_measured).run()

    @Slot(object)
    def _measured(self, used: int) -> None:
        self.used_bytes = int(used)
        self._show_usage()
        self.usageMeasured.emit(self.used_bytes)

    @Slot(object)
    def _not_measured(self, _error: BaseException) -> None:
        self.usage.setText("Could not measure the model cache.")

    def _show_usage(self) -> None:
        if self.used_bytes is not None:
            text = usage_text(self.used_bytes, load_settings().cache_budget_bytes)
            self.usage.setText(text)
            self.usage.setAccessibleName(f"Model cache in use: {text}")

    @Slot()
    def save_budget(self) -> bool:
        budget = round(self.budget.value() * GB)
        used = self.used_bytes
        if used is not None and budget < used:
            self.budget_message.say(
                f"The cache already holds {format_bytes(used)}: choose at least that much, or "
                "remove models in the Models window first. Not saved."
            )
            return False
        self.budget_message.say(None)
        if budget != load_settings().cache_budget_bytes:
            update_settings(cache_budget_bytes=budget)
        self._show_usage()
        return True

    def shutdown(self) -> None:
        if self.job is not None:
            self.job.detach()
            self.job.wait()
