"""The Models window's table: catalog and installed models, their state, size, memory fit,
context length and licence.

A model too large for this machine is shown greyed out (the palette's disabled text colour), its
Status says why ("Too large: needs 45 GB of memory; this Mac has 16 GB"); the row can still be
selected, so its details can be read, but the Download button stays off. The embedded model is
labelled as the built-in, demo-quality one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from logline.models import cache, catalog
from logline.models.availability import (
    OFFLINE_REASON,
    MemoryFigures,
    catalog_verdict,
    folder_verdict,
    too_large_reason,
)
from logline.models.embedded import DEMO_LABEL
from logline.models.fit import format_context
from logline.models.hub_layout import is_downloaded
from logline.models.model_facts import model_facts
from logline.ui.eviction_dialog import format_last_used
from logline.units import format_bytes

if TYPE_CHECKING:
    from logline.models.cache import CachedModel
    from logline.models.catalog import CatalogEntry
    from logline.models.fit import FitVerdict

__all__ = ["COLUMNS", "OFFLINE_REASON", "MemoryFigures", "ModelRow", "ModelTable", "model_rows"]

log = logging.getLogger(__name__)

COLUMNS = ("Model", "Status", "On disk", "Last used", "Pinned", "Memory", "Context", "Licence")
CONTEXT_COLUMN, LICENCE_COLUMN = 6, 7
UNKNOWN = "—"
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
    report = cache.cache_report()
    rows = [
        ModelRow(
            m.key,
            DEMO_LABEL if m.is_embedded else m.display_name,
            catalog.find_entry(m.key) if m.kind == "hub" else None,
            m,
        )
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
            return folder_verdict(folder, memory)
        if row.entry is not None:
            return catalog_verdict(row.entry, memory)
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
        # The Status column takes the room left (a long reason is elided, whole in its tooltip),
        # so the model names are never squeezed.
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)

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

    def too_large(self, row: ModelRow) -> str | None:
        """Why ``row``'s model cannot fit here ("needs 45 GB of memory; …"), or None."""
        verdict = self.verdict(row)
        return too_large_reason(verdict, self.memory) if verdict is not None else None

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
        reason = too_large_reason(verdict, self.memory) if verdict is not None else None
        status = QTableWidgetItem(self._status_text(row, reason))
        status.setToolTip(status.text())
        if reason is not None and verdict is not None:
            status.setToolTip(f"{status.text()}\n\n{verdict.message}")
        cells = (
            name,
            status,
            QTableWidgetItem(format_bytes(cached.size_bytes) if cached else UNKNOWN),
            QTableWidgetItem(format_last_used(cached.last_used) if row.usable else UNKNOWN),
            QTableWidgetItem("Pinned" if cached and cached.pinned else ""),
            fit,
            *self._fact_items(row),
        )
        dimmed = self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        for column, item in enumerate(cells):
            if reason is not None:  # too large: greyed out, like a disabled control
                item.setForeground(dimmed)
            self.setItem(index, column, item)

    def _fact_items(self, row: ModelRow) -> tuple[QTableWidgetItem, QTableWidgetItem]:
        """The Context and Licence cells ("128k", "apache-2.0"; "—" when unknown)."""
        folder = row.cached.path if row.cached is not None else None
        facts = model_facts(row.entry, folder, row.key)
        context = QTableWidgetItem(
            format_context(facts.context_length) if facts.context_length else UNKNOWN
        )
        if facts.context_length:
            context.setToolTip(f"Up to {facts.context_length:,} tokens of context")
        licence = QTableWidgetItem(facts.license or UNKNOWN)
        licence.setToolTip(
            f"Licence: {facts.license}" if facts.license else "The licence is not known"
        )
        return context, licence

    def _status_text(self, row: ModelRow, too_large: str | None) -> str:
        if self._downloading() == row.key:
            return "Downloading…"
        cached = row.cached
        if cached is not None and cached.complete:
            kind = "Downloaded" if cached.kind == "hub" else "Installed"
            kind = f"{kind} · default" if cached.is_default else kind
            return f"{kind} · too large: {too_large}" if too_large else kind
        if too_large:
            return f"Too large: {too_large}"
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
