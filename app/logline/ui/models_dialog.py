"""The Models window: catalog and installed models, downloads, imports, deletion, pins, fit.

Non-modal. It composes three parts, each its own module: the table of models
(:mod:`logline.ui.model_table`), the download flow (:mod:`logline.ui.download_panel`) and the
import flow (:mod:`logline.ui.import_panel`); it keeps the cache line, the message line, the
buttons, and deleting and pinning. Every question is a dialog opened with ``open()`` whose answer
continues the flow (:mod:`logline.ui.questions`), so the GUI thread never waits. Closing the
window cancels a running download or import and joins its thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
)

from logline.config import effective_settings
from logline.models import cache, state
from logline.models.errors import ModelError
from logline.ui.download_panel import DownloadPanel, Pull
from logline.ui.engine_worker import EngineHost
from logline.ui.import_panel import ImportPanel
from logline.ui.model_table import (
    OFFLINE_REASON,
    MemoryFigures,
    ModelRow,
    ModelTable,
    model_rows,
)
from logline.ui.questions import Questions
from logline.ui.servers_panel import ServersPanel
from logline.ui.theme import DARK, LIGHT
from logline.units import format_bytes

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

__all__ = ["OFFLINE_REASON", "ModelsDialog"]

log = logging.getLogger(__name__)


class ModelsDialog(QDialog):
    """``host`` runs the imports that use MLX (by default the parent's, the main window's);
    ``memory`` is what the fit advisor assumes (default: this machine); ``pull`` replaces
    :func:`logline.models.download.pull` for downloads."""

    modelsChanged = Signal()  # a model was downloaded, deleted or evicted: refresh pickers
    downloadFinished = Signal(object)  # DownloadResult
    downloadEnded = Signal(str)  # "done", "failed" or "cancelled"
    importEnded = Signal(str)  # "done", "failed" or "cancelled"

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        host: EngineHost | None = None,
        memory: MemoryFigures | None = None,
        pull: Pull | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("modelsDialog")
        self.setWindowTitle("Models")
        self.setModal(False)
        self.questions = Questions(self)
        self.table = ModelTable(
            self, memory=memory, downloading=lambda: self.downloads.downloading()
        )
        self.downloads = DownloadPanel(self.table, self.questions, self, pull=pull)
        self.imports = ImportPanel(self.questions, host or _parent_host(parent), self)
        self.servers = ServersPanel(self.questions, self)  # the Servers tab
        self._offline = False
        self._build()
        self._connect()
        self.refresh()
        self.resize(900, 520)

    # -- construction ----------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.cache_label = QLabel(self)
        self.cache_label.setObjectName("cacheLabel")
        layout.addWidget(self.cache_label)
        self.offline_label = QLabel(
            f"{OFFLINE_REASON} Models already on this computer still work.", self
        )
        self.offline_label.setObjectName("offlineLabel")
        self.offline_label.setWordWrap(True)
        layout.addWidget(self.offline_label)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("modelsTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.table, "On this computer")
        self.tabs.addTab(self.servers, "Servers")
        self.tabs.setTabToolTip(1, "Inference servers on your network, used as models")
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.downloads)
        layout.addWidget(self.imports)
        self.message = QLabel(self)
        self.message.setObjectName("modelsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)

        buttons = QHBoxLayout()
        self.delete_button = QPushButton("Delete…", self)
        self.pin_button = QPushButton("Pin", self)
        self.close_button = QPushButton("Close", self)
        self.delete_button.setAccessibleDescription("Delete the selected model from this computer")
        self.pin_button.setAccessibleDescription(
            "Pin the selected model: it is never removed to make room for another"
        )
        self.close_button.setAccessibleDescription("Close the Models window")
        self.table.setAccessibleName("Models")
        self.table.setAccessibleDescription(
            "Models on this computer and in the catalog, with size, fit, context and licence"
        )
        self.delete_button.clicked.connect(self.delete_selected)
        self.pin_button.clicked.connect(self.toggle_pin_selected)
        self.close_button.clicked.connect(self.close)
        for button in (
            self.downloads.download_button,
            self.downloads.cancel_button,
            self.downloads.check_button,
            self.delete_button,
            self.pin_button,
            self.imports.import_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

    def _connect(self) -> None:
        self.table.itemSelectionChanged.connect(self._update_buttons)
        for panel in (self.downloads, self.imports):
            panel.message.connect(self._show)
            panel.stateChanged.connect(self._update_buttons)
        self.downloads.modelsChanged.connect(self.modelsChanged)
        self.downloads.ended.connect(self._on_download_ended)
        self.downloads.downloadFinished.connect(self.downloadFinished)
        self.imports.imported.connect(self._on_imported)
        self.imports.ended.connect(self.importEnded)
        self.servers.serversChanged.connect(self.modelsChanged)  # the pickers list servers too

    @property
    def question(self) -> QMessageBox | None:
        """The question on screen, if any."""
        return self.questions.current

    # -- table -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the cache, the catalog and the settings, keeping the selection."""
        settings = effective_settings()  # read now: the Settings window calls refresh()
        self._offline = settings.offline
        self.downloads.settings_changed(settings.offline, settings.hub_endpoint)
        self.offline_label.setVisible(self._offline)
        try:
            rows, used, budget = model_rows()
        except (OSError, ValueError) as exc:
            log.warning("Cannot read the model cache: %s", exc)
            rows, used, budget = [], 0, 0
            self.show_error(f"The model cache cannot be read: {exc}")
        self.cache_label.setText(
            f"Model cache: {format_bytes(used)} used of a {format_bytes(budget)} budget"
        )
        self.table.show_rows(rows, offline=self._offline)
        self.servers.refresh()
        self._update_buttons()

    @property
    def rows(self) -> list[ModelRow]:
        return self.table.rows

    def selected_row(self) -> ModelRow | None:
        return self.table.selected_row()

    def select_model(self, name: str) -> bool:
        """Select the row of ``name`` (a model id, repo id or catalog id)."""
        found = self.table.select_model(name)
        self._update_buttons()
        return found

    def row_for(self, key: str) -> ModelRow | None:
        return self.table.row_for(key)

    def _update_buttons(self) -> None:
        row = self.selected_row()
        self.downloads.update_buttons(row, self._offline)
        mine = row is not None and self.downloads.downloading() == row.key
        usable = row is not None and row.usable and not mine
        pinned = bool(row and row.cached and row.cached.pinned)
        self.delete_button.setEnabled(usable and not pinned)
        self.delete_button.setToolTip("Unpin it first." if pinned else "Delete it from disk")
        self.pin_button.setEnabled(usable)
        self.pin_button.setText("Unpin" if pinned else "Pin")
        self.imports.update_buttons()

    # -- messages --------------------------------------------------------------------------
    @Slot(str, str)
    def _show(self, text: str, level: str) -> None:
        if level == "error":
            self.show_error(text)
        else:
            self.show_info(text)

    def show_error(self, text: str) -> None:
        self.message.setProperty("level", "error")
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        self.message.setStyleSheet(f"color: {(DARK if dark else LIGHT).error_text};")
        self.message.setText(text)

    def show_info(self, text: str) -> None:
        self.message.setProperty("level", "info")
        self.message.setStyleSheet("")
        self.message.setText(text)

    # -- outcomes of the panels ------------------------------------------------------------
    @Slot(str)
    def _on_download_ended(self, outcome: str) -> None:
        self.refresh()
        if outcome == "done":
            self.select_model(self.downloads.repo_id)
        self.modelsChanged.emit()
        self.downloadEnded.emit(outcome)

    @Slot(str)
    def _on_imported(self, model_id: str) -> None:
        self.refresh()
        row = self.row_for(model_id)
        self.select_model(model_id)
        name = row.display_name if row is not None else model_id
        self.show_info(f"{name} is imported and ready to use.")
        self.modelsChanged.emit()

    # -- delete and pin --------------------------------------------------------------------
    @Slot()
    def delete_selected(self) -> None:
        row = self.selected_row()
        if row is None or not row.usable or row.cached is None:
            return
        size = format_bytes(row.cached.size_bytes)
        self.questions.ask(
            "Delete this model?",
            f"Delete {row.display_name} ({size}) from this computer?"
            + (" It can be downloaded again." if row.cached.kind == "hub" else ""),
            "Delete",
            lambda: self._delete(row),
        )

    def _delete(self, row: ModelRow) -> None:
        try:
            removed = cache.remove_model(row.key)
        except (ModelError, OSError) as exc:
            self.show_error(str(exc))
            return
        self.show_info(
            f"Deleted {removed.display_name}, freeing {format_bytes(removed.size_bytes)}."
        )
        self.refresh()
        self.modelsChanged.emit()

    @Slot()
    def toggle_pin_selected(self) -> None:
        row = self.selected_row()
        if row is None or row.cached is None:
            return
        state.set_pinned(row.key, not row.cached.pinned)
        self.refresh()

    # -- closing ---------------------------------------------------------------------------
    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Cancel a running download or import and wait for their threads; True when none is
        left (an import on the engine thread stops there at its next check)."""
        imported = self.imports.shutdown(timeout_s)
        tested = self.servers.shutdown()
        return self.downloads.shutdown(timeout_s) and imported and tested

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def reject(self) -> None:  # Esc
        self.shutdown()
        super().reject()


def _parent_host(parent: QWidget | None) -> EngineHost | None:
    """The engine host of the window that opened the dialog (the main window has one)."""
    host = getattr(parent, "host", None)
    return host if isinstance(host, EngineHost) else None
