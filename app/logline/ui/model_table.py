"""The Models window's table: catalog and installed models, their state, size and memory fit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from logline.models import cache, catalog, fit
from logline.models.hub_layout import is_downloaded
from logline.ui.eviction_dialog import format_last_used
from logline.ui.model_picker import FIT_CONTEXT
from logline.units import format_bytes

if TYPE_CHECKING:
    from logline.models.cache import CachedModel
    from logline.models.catalog import CatalogEntry
    from logline.models.fit import FitVerdict

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


@dataclass(frozen=True)
class MemoryFigures:
    """The memory the fit advisor assumes; None: this machine's own figures."""

    ram: int | None = None
    usable: int | None = None


def model_rows() -> tuple[list[ModelRow], int, int]:
    """(rows, bytes used, budget): what is on disk first (default first), then the catalog."""
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


def fit_verdict(row: ModelRow, memory: MemoryFigures) -> FitVerdict | None:
    """The fit advisor's verdict for ``row``; None when it cannot tell."""
    try:
        if row.usable and row.cached is not None:
            folder = row.cached.path
            if row.cached.kind == "hub":
                folder = is_downloaded(row.key) or folder
            return fit.advise_for_folder(folder, FIT_CONTEXT, ram=memory.ram, usable=memory.usable)
        if row.entry is not None:
            return fit.advise_for_catalog(
                row.entry, FIT_CONTEXT, ram=memory.ram, usable=memory.usable
            )
    except (OSError, ValueError) as exc:  # e.g. a model referenced on a missing drive
        log.debug("No fit estimate for %s: %s", row.key, exc)
    return None


class ModelTable(QTableWidget):
    """One row per :class:`ModelRow`. ``downloading`` names the repo being downloaded, if any."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        memory: MemoryFigures | None = None,
        downloading: Callable[[], str | None] = lambda: None,
    ) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.memory = memory or MemoryFigures()
        self.rows: list[ModelRow] = []
        self.offline = False
        self._downloading = downloading
        self.setObjectName("modelsTable")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def show_rows(self, rows: list[ModelRow], *, offline: bool) -> None:
        """Fill the table with ``rows``, keeping the selection where the row is still there."""
        selected = self.selected_row()
        self.rows, self.offline = rows, offline
        self.setRowCount(len(rows))
        for index, row in enumerate(rows):
            self._fill(index, row)
        if selected is not None:
            self.select_model(selected.key)

    def verdict(self, row: ModelRow) -> FitVerdict | None:
        return fit_verdict(row, self.memory)

    def _fill(self, index: int, row: ModelRow) -> None:
        cached = row.cached
        name = QTableWidgetItem(row.display_name)
        tip = [row.key]
        if row.entry is not None:
            tip.append(row.entry.notes)
        name.setToolTip("\n".join(tip))
        verdict = self.verdict(row)
        fit = QTableWidgetItem(FIT_TEXT[verdict.level] if verdict else "—")
        if verdict is not None:
            fit.setIcon(self.style().standardIcon(FIT_ICON[verdict.level]))
            fit.setToolTip(verdict.message)
        cells = (
            name,
            QTableWidgetItem(self._status_text(row)),
            QTableWidgetItem(format_bytes(cached.size_bytes) if cached else "—"),
            QTableWidgetItem(format_last_used(cached.last_used) if row.usable else "—"),
            QTableWidgetItem("Pinned" if cached and cached.pinned else ""),
            fit,
        )
        for column, item in enumerate(cells):
            self.setItem(index, column, item)

    def _status_text(self, row: ModelRow) -> str:
        if self._downloading() == row.key:
            return "Downloading…"
        cached = row.cached
        if cached is not None and cached.complete:
            kind = "Downloaded" if cached.kind == "hub" else "Installed"
            return f"{kind} · default" if cached.is_default else kind
        if self.offline:
            return OFFLINE_REASON
        size = f" ({format_bytes(row.entry.download_bytes)})" if row.entry else ""
        return f"Partly downloaded{size}" if cached else f"Not downloaded{size}"

    def set_status(self, key: str, text: str) -> None:
        for index, row in enumerate(self.rows):
            if row.key == key and self.item(index, 1) is not None:
                self.item(index, 1).setText(text)

    def selected_row(self) -> ModelRow | None:
        indexes = self.selectionModel().selectedRows()
        if not indexes or indexes[0].row() >= len(self.rows):
            return None
        return self.rows[indexes[0].row()]

    def select_model(self, name: str) -> bool:
        """Select the row of ``name`` (a model id, repo id or catalog id)."""
        entry = catalog.find_entry(name)
        wanted = {name, entry.repo_id} if entry else {name}
        for index, row in enumerate(self.rows):
            if row.key in wanted:
                self.selectRow(index)
                self.scrollToItem(self.item(index, 0))
                return True
        return False

    def row_for(self, key: str) -> ModelRow | None:
        return next((row for row in self.rows if row.key == key), None)
