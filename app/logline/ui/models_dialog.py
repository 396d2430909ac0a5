"""The Models window: catalog and installed models, downloads, deletion, pins, memory fit.

Non-modal. Every question it asks (fit warning, eviction, delete) is a dialog opened with
``open()`` whose answer continues the flow, so the GUI thread never waits and tests answer
through :attr:`ModelsDialog.question` / :attr:`ModelsDialog.eviction_dialog`. The download runs
in a :class:`~logline.ui.download_task.DownloadTask` (worker thread); closing the window cancels
and joins it. "Import…" brings in a GGUF file or a model folder from a drive through a
:class:`~logline.ui.import_task.ModelImporter` (folder copies on a worker thread, GGUF imports and
float-folder conversions on the engine thread of ``host``); closing the window cancels it too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from logline.ui.download_task import DownloadTask, describe_progress
from logline.ui.eviction_dialog import EvictionDialog, format_last_used, format_size
from logline.ui.import_task import ModelImporter, SourceKind, classify_source
from logline.ui.model_picker import FIT_CONTEXT

if TYPE_CHECKING:
    from logline.models.cache import CachedModel, EvictionPlan
    from logline.models.catalog import CatalogEntry
    from logline.models.download_events import DownloadProgress, DownloadResult, DownloadStarted
    from logline.models.fit import FitVerdict
    from logline.ui.engine_worker import EngineHost

log = logging.getLogger(__name__)

OFFLINE_REASON = "Offline: connect to download."
COLUMNS = ("Model", "Status", "On disk", "Last used", "Pinned", "Memory")
FIT_TEXT = {"ok": "Fits", "warn": "Tight fit", "refuse": "Too large"}
FIT_ICON = {
    "ok": QStyle.StandardPixmap.SP_DialogApplyButton,
    "warn": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "refuse": QStyle.StandardPixmap.SP_MessageBoxCritical,
}


@dataclass(frozen=True)
class ModelRow:
    """One line of the table: a catalog entry, a model on disk, or both."""

    key: str  # own model id, or the hub repo id
    display_name: str
    entry: CatalogEntry | None
    cached: CachedModel | None  # None: not on this computer

    @property
    def usable(self) -> bool:
        """On disk and complete: it can be loaded, pinned, deleted."""
        return self.cached is not None and self.cached.complete

    @property
    def downloadable(self) -> bool:
        hub = self.cached is None or self.cached.kind == "hub"
        return hub and not self.usable and (self.entry is not None or self.cached is not None)


def model_rows() -> tuple[list[ModelRow], int, int]:
    """(rows, bytes used, budget): what is on disk first (default first), then the catalog."""
    from logline.models import cache, catalog

    report = cache.cache_report()
    rows = [
        ModelRow(m.key, m.display_name, catalog.find_entry(m.key) if m.kind == "hub" else None, m)
        for m in report.models
    ]
    keys = {m.key for m in report.models}
    rows += [
        ModelRow(e.repo_id, e.display_name, e, None)
        for e in catalog.load_catalog()
        if e.repo_id not in keys
    ]
    return rows, report.used_bytes, report.budget_bytes


class ModelsDialog(QDialog):
    """``ram_bytes``/``usable_bytes`` are what-if memory figures for the fit advisor and
    ``pull_options`` extra keyword arguments for ``download.pull`` (both for tests).
    ``host`` runs the imports that use MLX; by default the parent's ``host`` (the main window's)."""

    modelsChanged = Signal()  # a model was downloaded, deleted or evicted: refresh pickers
    downloadFinished = Signal(object)  # DownloadResult
    downloadEnded = Signal(str)  # "done", "failed" or "cancelled"
    importEnded = Signal(str)  # "done", "failed" or "cancelled"

    def __init__(self, parent: QWidget | None = None, *, host: EngineHost | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelsDialog")
        self.setWindowTitle("Models")
        self.setModal(False)
        self.ram_bytes: int | None = None
        self.usable_bytes: int | None = None
        self.pull_options: dict[str, Any] = {}
        self.task: DownloadTask | None = None
        self.question: QMessageBox | None = None
        self.eviction_dialog: EvictionDialog | None = None
        self.file_dialog: QFileDialog | None = None
        self.importer = ModelImporter(host or _parent_host(parent), self)
        self.importer.progress.connect(self._on_import_progress)
        self.importer.finished.connect(self._on_import_finished)
        self.importer.failed.connect(self._on_import_failed)
        self.importer.cancelled.connect(self._on_import_cancelled)
        self.rows: list[ModelRow] = []
        self._offline = False
        self._download_name = ""
        self._build()
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

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("modelsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)

        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 1000)  # per mille: byte counts overflow a C int
        self.progress_bar.setTextVisible(False)
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("progressLabel")
        row = QHBoxLayout()
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.progress_label)
        layout.addLayout(row)
        self.import_bar = QProgressBar(self)
        self.import_bar.setObjectName("importBar")
        self.import_bar.setRange(0, 1000)
        self.import_bar.setTextVisible(False)
        self.import_label = QLabel(self)
        self.import_label.setObjectName("importLabel")
        self.import_cancel_button = QPushButton("Cancel Import", self)
        self.import_cancel_button.clicked.connect(self.cancel_import)
        row = QHBoxLayout()
        row.addWidget(self.import_bar, 1)
        row.addWidget(self.import_label)
        row.addWidget(self.import_cancel_button)
        layout.addLayout(row)
        self.message = QLabel(self)
        self.message.setObjectName("modelsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)

        buttons = QHBoxLayout()
        self.download_button = QPushButton("Download", self)
        self.cancel_button = QPushButton("Cancel Download", self)
        self.delete_button = QPushButton("Delete…", self)
        self.pin_button = QPushButton("Pin", self)
        self.import_button = QPushButton("Import…", self)
        self.import_button.setToolTip("Add a model from a drive: a GGUF file or a model folder")
        menu = QMenu(self.import_button)
        menu.addAction("GGUF File…", self.choose_import_file)
        menu.addAction("Model Folder…", self.choose_import_folder)
        self.import_button.setMenu(menu)
        self.close_button = QPushButton("Close", self)
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.delete_button.clicked.connect(self.delete_selected)
        self.pin_button.clicked.connect(self.toggle_pin_selected)
        self.close_button.clicked.connect(self.close)
        for button in (self.download_button, self.cancel_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addWidget(self.pin_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self._show_progress(False)
        self._show_import_progress(False)

    # -- table -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the cache, the catalog and the settings, keeping the selection."""
        from logline.config import effective_settings

        selected = self.selected_row()
        self._offline = effective_settings().offline
        self.offline_label.setVisible(self._offline)
        try:
            self.rows, used, budget = model_rows()
        except (OSError, ValueError) as exc:
            log.warning("Cannot read the model cache: %s", exc)
            self.rows, used, budget = [], 0, 0
            self.show_error(f"The model cache cannot be read: {exc}")
        self.cache_label.setText(
            f"Model cache: {format_size(used)} used of a {format_size(budget)} budget"
        )
        self.table.setRowCount(len(self.rows))
        for index, row in enumerate(self.rows):
            self._fill(index, row)
        if selected is None or not self.select_model(selected.key):
            self._update_buttons()

    def _fill(self, index: int, row: ModelRow) -> None:
        cached = row.cached
        name = QTableWidgetItem(row.display_name)
        tip = [row.key]
        if row.entry is not None:
            tip.append(row.entry.notes)
        name.setToolTip("\n".join(tip))
        verdict = self._verdict(row)
        fit = QTableWidgetItem(FIT_TEXT[verdict.level] if verdict else "—")
        if verdict is not None:
            fit.setIcon(self.style().standardIcon(FIT_ICON[verdict.level]))
            fit.setToolTip(verdict.message)
        cells = (
            name,
            QTableWidgetItem(self._status_text(row)),
            QTableWidgetItem(format_size(cached.size_bytes) if cached else "—"),
            QTableWidgetItem(format_last_used(cached.last_used) if row.usable else "—"),
            QTableWidgetItem("Pinned" if cached and cached.pinned else ""),
            fit,
        )
        for column, item in enumerate(cells):
            self.table.setItem(index, column, item)

    def _status_text(self, row: ModelRow) -> str:
        if self.task is not None and self.task.running and self.task.repo_id == row.key:
            return "Downloading…"
        cached = row.cached
        if cached is not None and cached.complete:
            kind = "Downloaded" if cached.kind == "hub" else "Installed"
            return f"{kind} · default" if cached.is_default else kind
        if self._offline:
            return OFFLINE_REASON
        size = f" ({format_size(row.entry.download_bytes)})" if row.entry else ""
        return f"Partly downloaded{size}" if cached else f"Not downloaded{size}"

    def _verdict(self, row: ModelRow) -> FitVerdict | None:
        from logline.models import fit

        try:
            if row.usable and row.cached is not None:
                folder = row.cached.path
                if row.cached.kind == "hub":
                    from logline.models.download import is_downloaded

                    folder = is_downloaded(row.key) or folder
                return fit.advise_for_folder(
                    folder, FIT_CONTEXT, ram=self.ram_bytes, usable=self.usable_bytes
                )
            if row.entry is not None:
                return fit.advise_for_catalog(
                    row.entry, FIT_CONTEXT, ram=self.ram_bytes, usable=self.usable_bytes
                )
        except (OSError, ValueError) as exc:  # e.g. a model referenced on a missing drive
            log.debug("No fit estimate for %s: %s", row.key, exc)
        return None

    def selected_row(self) -> ModelRow | None:
        indexes = self.table.selectionModel().selectedRows()
        if not indexes or indexes[0].row() >= len(self.rows):
            return None
        return self.rows[indexes[0].row()]

    def select_model(self, name: str) -> bool:
        """Select the row of ``name`` (a model id, repo id or catalog id)."""
        from logline.models import catalog

        entry = catalog.find_entry(name)
        wanted = {name, entry.repo_id} if entry else {name}
        for index, row in enumerate(self.rows):
            if row.key in wanted:
                self.table.selectRow(index)
                self.table.scrollToItem(self.table.item(index, 0))
                self._update_buttons()
                return True
        return False

    def row_for(self, key: str) -> ModelRow | None:
        return next((row for row in self.rows if row.key == key), None)

    def _update_buttons(self) -> None:
        row = self.selected_row()
        busy = self.task is not None and self.task.running
        can_fetch = row is not None and row.downloadable
        self.download_button.setEnabled(can_fetch and not busy and not self._offline)
        if self._offline:
            self.download_button.setToolTip(OFFLINE_REASON)
        elif busy:
            self.download_button.setToolTip("Another download is running.")
        else:
            self.download_button.setToolTip("Download the selected model")
        self.cancel_button.setEnabled(busy and not self.task.cancel_requested)  # type: ignore[union-attr]
        mine = row is not None and busy and self.task.repo_id == row.key  # type: ignore[union-attr]
        usable = row is not None and row.usable and not mine
        pinned = bool(row and row.cached and row.cached.pinned)
        self.delete_button.setEnabled(usable and not pinned)
        self.delete_button.setToolTip("Unpin it first." if pinned else "Delete it from disk")
        self.pin_button.setEnabled(usable)
        self.pin_button.setText("Unpin" if pinned else "Pin")
        importing = self.importer.running
        self.import_button.setEnabled(not importing)
        self.import_cancel_button.setEnabled(importing and not self.importer.cancel_requested)

    # -- messages --------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        self.message.setProperty("level", "error")
        self.message.setStyleSheet("color: #b3261e;")
        self.message.setText(text)

    def show_info(self, text: str) -> None:
        self.message.setProperty("level", "info")
        self.message.setStyleSheet("")
        self.message.setText(text)

    def _ask(self, title: str, text: str, yes_text: str, on_yes: Callable[[], None]) -> None:
        """A window-modal question that does not block: ``on_yes`` runs only on Yes."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        yes = box.button(QMessageBox.StandardButton.Yes)
        yes.setText(yes_text)

        def answered(_result: int) -> None:
            self.question = None
            if box.clickedButton() is yes:
                on_yes()

        box.finished.connect(answered)
        self.question = box
        box.open()

    # -- download --------------------------------------------------------------------------
    @Slot()
    def download_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.start_download(row)

    def start_download(self, row: ModelRow) -> bool:
        """Check offline, memory fit and room in the cache (asking where needed), then start.
        False when it was refused at once (the reason is shown)."""
        from logline.config import effective_settings

        self._offline = effective_settings().offline
        if self.task is not None and self.task.running:
            self.show_error("Another download is running; wait for it or cancel it first.")
            return False
        if self._offline:
            self.show_error(f"{OFFLINE_REASON} {row.display_name} is not on this computer.")
            self._update_buttons()
            return False
        verdict = self._verdict(row) if row.entry is not None else None
        if verdict is not None and verdict.level == "refuse":
            self.show_error(f"Not downloaded: {verdict.message}")
            return False
        if verdict is not None and verdict.level == "warn":
            self._ask(
                "Download this model?",
                f"{verdict.message}\n\nDownload it anyway?",
                "Download Anyway",
                lambda: self._make_room(row),
            )
            return True
        self._make_room(row)
        return True

    def _make_room(self, row: ModelRow) -> None:
        from logline.models import cache

        have = row.cached.size_bytes if row.cached else 0
        needed = max((row.entry.download_bytes if row.entry else 0) - have, 0)
        try:
            plan = cache.plan_eviction(needed)
        except (OSError, ValueError) as exc:
            self.show_error(f"The model cache cannot be read: {exc}")
            return
        if not plan.fits:
            self.show_error(plan.message)
            return
        if not plan.evict and not plan.orphans:
            self._begin(row, None)
            return
        dialog = EvictionDialog(plan, row.display_name, self)
        dialog.accepted.connect(lambda: self._begin(row, plan))
        dialog.rejected.connect(
            lambda: self.show_info(
                f"Nothing was deleted and {row.display_name} was not downloaded."
            )
        )
        dialog.finished.connect(lambda _r: setattr(self, "eviction_dialog", None))
        self.eviction_dialog = dialog
        dialog.open()

    def _begin(self, row: ModelRow, plan: EvictionPlan | None) -> None:
        from logline.config import effective_settings

        settings = effective_settings()
        task = DownloadTask(
            row.key,
            endpoint=settings.hub_endpoint,
            offline=settings.offline,
            evict=plan,
            pull_options=self.pull_options,
            parent=self,
        )
        task.started.connect(self._on_started)
        task.progress.connect(self._on_progress)
        task.retrying.connect(
            lambda e: self.show_info(f"Connection trouble; retrying ({e.reason}).")
        )
        task.evicted.connect(self._on_evicted)
        task.finished.connect(self._on_finished)
        task.failed.connect(self._on_failed)
        task.cancelled.connect(self._on_cancelled)
        self.task = task
        self._download_name = row.display_name
        self.show_info(f"Downloading {row.display_name}…")
        self.progress_bar.setValue(0)
        self.progress_label.setText("Connecting…")
        self._show_progress(True)
        task.start()
        self._set_status(row.key, "Downloading…")
        self._update_buttons()

    @Slot()
    def cancel_download(self) -> None:
        if self.task is not None and self.task.running:
            self.task.cancel()
            self.progress_label.setText("Cancelling…")
            self._update_buttons()

    def _set_status(self, key: str, text: str) -> None:
        for index, row in enumerate(self.rows):
            if row.key == key and self.table.item(index, 1) is not None:
                self.table.item(index, 1).setText(text)

    def _show_progress(self, visible: bool) -> None:
        self.progress_bar.setVisible(visible)
        self.progress_label.setVisible(visible)

    @Slot(object)
    def _on_started(self, event: DownloadStarted) -> None:
        self._set_progress(event.bytes_done, event.bytes_total, 0.0, None)

    @Slot(object)
    def _on_progress(self, event: DownloadProgress) -> None:
        self._set_progress(event.bytes_done, event.bytes_total, event.speed_bps, event.eta_s)

    def _set_progress(self, done: int, total: int, speed: float, eta: float | None) -> None:
        self.progress_bar.setValue(1000 * done // total if total else 0)
        self.progress_label.setText(describe_progress(done, total, speed, eta))
        if self.task is not None:
            percent = 100 * done // total if total else 0
            self._set_status(self.task.repo_id, f"Downloading {percent}%")

    @Slot(int)
    def _on_evicted(self, freed: int) -> None:
        self.show_info(f"Freed {format_size(freed)}. Downloading {self._download_name}…")
        self.modelsChanged.emit()

    @Slot(object)
    def _on_finished(self, result: DownloadResult) -> None:
        self.progress_bar.setValue(1000)
        self.progress_label.setText(describe_progress(result.bytes_total, result.bytes_total, 0, 0))
        self.show_info(f"{self._download_name} is downloaded and ready to use.")
        self._end("done", result.repo_id)
        self.downloadFinished.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.show_error(message)
        self._end("failed")

    @Slot()
    def _on_cancelled(self) -> None:
        self.show_info("Download cancelled. What arrived is kept, so it can resume later.")
        self._end("cancelled")

    def _end(self, outcome: str, select: str = "") -> None:
        if outcome != "done":
            self._show_progress(False)
        self.refresh()
        if select:
            self.select_model(select)
        self.modelsChanged.emit()
        self.downloadEnded.emit(outcome)

    # -- delete and pin --------------------------------------------------------------------
    @Slot()
    def delete_selected(self) -> None:
        row = self.selected_row()
        if row is None or not row.usable or row.cached is None:
            return
        size = format_size(row.cached.size_bytes)
        self._ask(
            "Delete this model?",
            f"Delete {row.display_name} ({size}) from this computer?"
            + (" It can be downloaded again." if row.cached.kind == "hub" else ""),
            "Delete",
            lambda: self._delete(row),
        )

    def _delete(self, row: ModelRow) -> None:
        from logline.models import cache
        from logline.models.errors import ModelError

        try:
            removed = cache.remove_model(row.key)
        except (ModelError, OSError) as exc:
            self.show_error(str(exc))
            return
        self.show_info(
            f"Deleted {removed.display_name}, freeing {format_size(removed.size_bytes)}."
        )
        self.refresh()
        self.modelsChanged.emit()

    @Slot()
    def toggle_pin_selected(self) -> None:
        from logline.models import state

        row = self.selected_row()
        if row is None or row.cached is None:
            return
        state.set_pinned(row.key, not row.cached.pinned)
        self.refresh()

    # -- import from a drive ---------------------------------------------------------------
    @Slot()
    def choose_import_file(self) -> None:
        """Ask for a GGUF file (non-blocking; the answer continues in :meth:`ask_import`)."""
        self._open_chooser("Import a GGUF File", QFileDialog.FileMode.ExistingFile)

    @Slot()
    def choose_import_folder(self) -> None:
        """Ask for a model folder (MLX, or Hugging Face safetensors to convert)."""
        self._open_chooser("Import a Model Folder", QFileDialog.FileMode.Directory)

    def _open_chooser(self, title: str, mode: QFileDialog.FileMode) -> None:
        chooser = QFileDialog(self, title)
        chooser.setFileMode(mode)
        if mode == QFileDialog.FileMode.Directory:
            chooser.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            chooser.setNameFilters(["GGUF models (*.gguf)", "All files (*)"])
        chooser.fileSelected.connect(lambda path: self.ask_import(Path(path)))
        chooser.finished.connect(lambda _result: setattr(self, "file_dialog", None))
        self.file_dialog = chooser
        chooser.open()

    def ask_import(self, path: Path) -> None:
        """Check ``path``, ask how to import it where there is a choice, then import it."""
        from logline.models.errors import ModelError

        if self.importer.running:
            self.show_error("Another import is running; wait for it or cancel it first.")
            return
        try:
            kind = classify_source(path)
        except (ModelError, OSError) as exc:
            self.show_error(f"{path.name} cannot be imported. {exc}")
            return
        if kind == "gguf":
            self.import_path(path)
        elif kind == "mlx":
            self._ask_choice(
                "Import this model folder?",
                f"“{path.name}” is ready to use. Copy it into Logline's model folder, or use it "
                "where it is (the drive must then be connected whenever you use the model)?",
                [
                    ("Copy Into Logline", lambda: self.import_path(path)),
                    ("Use It Where It Is", lambda: self.import_path(path, reference=True)),
                ],
            )
        else:
            self._ask_choice(
                "Convert this model?",
                f"“{path.name}” holds full-precision weights. Logline will convert it to a 4-bit "
                "MLX model (smaller and faster; 8-bit is closer to the original). Converting "
                "takes a while: minutes for a large model, and as much memory as the model.",
                [
                    ("Convert to 4-bit", lambda: self.import_path(path, quantize=4)),
                    ("Convert to 8-bit", lambda: self.import_path(path, quantize=8)),
                    ("Keep float16", lambda: self.import_path(path, quantize=None)),
                ],
            )

    def _ask_choice(
        self, title: str, text: str, choices: list[tuple[str, Callable[[], None]]]
    ) -> None:
        """A window-modal question with several answers and Cancel, opened without blocking."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        actions = {
            box.addButton(label, QMessageBox.ButtonRole.AcceptRole): action
            for label, action in choices
        }
        box.setDefaultButton(next(iter(actions)))
        box.addButton(QMessageBox.StandardButton.Cancel)

        def answered(_result: int) -> None:
            self.question = None
            action = actions.get(box.clickedButton())  # type: ignore[call-overload]
            if action is not None:
                action()

        box.finished.connect(answered)
        self.question = box
        box.open()

    def import_path(
        self, path: str | Path, *, reference: bool = False, quantize: int | None = 4
    ) -> bool:
        """Import ``path`` without asking: a GGUF file, an MLX folder (copied, or referenced in
        place when ``reference``) or a float folder (converted to ``quantize`` bits, 4 or 8, or
        None for float16). False when refused at once (the reason is shown)."""
        from logline.models.errors import ModelError
        from logline.models.gguf_import import default_model_id

        path = Path(path).expanduser()
        if self.importer.running:
            self.show_error("Another import is running; wait for it or cancel it first.")
            return False
        try:
            kind: SourceKind = classify_source(path)
        except (ModelError, OSError) as exc:
            self.show_error(f"{path.name} cannot be imported. {exc}")
            return False
        self.show_info(_import_message(path.name, kind, reference, quantize))
        self.import_bar.setRange(0, 0)  # busy until the first measurable progress
        self.import_label.setText("")
        self._show_import_progress(True)
        self.importer.start(
            path,
            kind,
            model_id=default_model_id(path),
            display_name=None if kind == "gguf" else path.name,
            reference=reference,
            bits=quantize,
        )
        self._update_buttons()
        return self.importer.running  # False: refused at once (no engine), already shown

    @Slot()
    def cancel_import(self) -> None:
        if self.importer.running:
            self.importer.cancel()
            self.import_label.setText("Cancelling…")
            self._update_buttons()

    def _show_import_progress(self, visible: bool) -> None:
        for widget in (self.import_bar, self.import_label, self.import_cancel_button):
            widget.setVisible(visible)

    @Slot(str, int)
    def _on_import_progress(self, text: str, per_mille: int) -> None:
        if per_mille < 0:
            self.import_bar.setRange(0, 0)
        else:
            self.import_bar.setRange(0, 1000)
            self.import_bar.setValue(per_mille)
        self.import_label.setText(text)

    @Slot(str)
    def _on_import_finished(self, model_id: str) -> None:
        self._show_import_progress(False)
        self.refresh()
        row = self.row_for(model_id)
        self.select_model(model_id)
        name = row.display_name if row is not None else model_id
        self.show_info(f"{name} is imported and ready to use.")
        self.modelsChanged.emit()
        self.importEnded.emit("done")

    @Slot(str)
    def _on_import_failed(self, message: str) -> None:
        self._show_import_progress(False)
        self.show_error(message)
        self._update_buttons()
        self.importEnded.emit("failed")

    @Slot(str)
    def _on_import_cancelled(self, message: str) -> None:
        self._show_import_progress(False)
        self.show_info(message)
        self._update_buttons()
        self.importEnded.emit("cancelled")

    # -- closing ---------------------------------------------------------------------------
    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Cancel a running download or import and wait for their threads; True when none is
        left (an import on the engine thread stops there at its next check)."""
        task = self.task
        imported = self.importer.shutdown(timeout_s)
        return (task.shutdown(timeout_s) if task is not None else True) and imported

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def reject(self) -> None:  # Esc
        self.shutdown()
        super().reject()


def _parent_host(parent: QWidget | None) -> EngineHost | None:
    """The engine host of the window that opened the dialog (the main window has one)."""
    from logline.ui.engine_worker import EngineHost

    host = getattr(parent, "host", None)
    return host if isinstance(host, EngineHost) else None


def _import_message(name: str, kind: SourceKind, reference: bool, bits: int | None) -> str:
    """What the dialog says while an import runs."""
    if kind == "gguf":
        return f"Importing {name}…"
    if kind == "mlx":
        if reference:
            return f"Adding {name}; its files stay where they are…"
        return f"Copying {name} into Logline's model folder…"
    target = f"{bits}-bit MLX" if bits else "float16 MLX"
    return f"Converting {name} to {target}. This takes a while…"
