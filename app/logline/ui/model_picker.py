"""The toolbar's model picker: models on this computer first, then catalog models to download.

Items, in order: installed models (own folders, imported ones included; the default first and
marked), verified hub downloads, then — after a separator — catalog entries not downloaded yet,
shown as "Name — download 2.1 GB". Choosing one of those does not load anything: the picker
keeps its current model and emits ``downloadRequested(entry id)`` so the window can open the
Models dialog on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QMessageBox, QSizePolicy, QWidget

from logline.models import catalog
from logline.models.choice import ModelChoice
from logline.models.fit import advise_for_folder
from logline.models.hub_layout import is_downloaded, verified_repos
from logline.models.registry import default_model_id, installed_models
from logline.units import format_bytes

log = logging.getLogger(__name__)

EMBEDDED_LABEL = "Embedded default (installs on first use)"
DEFAULT_MARK = " (default)"
FIT_CONTEXT = 8192  # the context the fit check assumes (the catalog's ram_bytes does too)


@dataclass(frozen=True)
class CatalogOffer:
    """A catalog model that is not on this computer yet (a picker item that cannot load)."""

    entry_id: str
    repo_id: str
    display_name: str
    download_bytes: int

    @property
    def label(self) -> str:
        return f"{self.display_name} — download {format_bytes(self.download_bytes)}"


def downloaded_choices(known: set[str]) -> list[ModelChoice]:
    """Verified hub downloads not in ``known`` (model ids), as choices that load their snapshot."""
    found = []
    for repo_id in verified_repos():
        if repo_id in known:
            continue
        snapshot = is_downloaded(repo_id)
        if snapshot is None:
            continue
        entry = catalog.find_entry(repo_id)
        name = entry.display_name if entry is not None else repo_id.split("/")[-1]
        found.append(ModelChoice(repo_id, snapshot, name))
    return found


def catalog_offers(have: set[str]) -> list[CatalogOffer]:
    """Catalog entries whose repo is not in ``have`` (downloaded repo ids), catalog order."""
    try:
        entries = catalog.load_catalog()
    except (OSError, ValueError) as exc:
        log.warning("Cannot read the model catalog: %s", exc)
        return []
    return [
        CatalogOffer(e.id, e.repo_id, e.display_name, e.download_bytes)
        for e in entries
        if e.repo_id not in have
    ]


class ModelPicker(QComboBox):
    downloadRequested = Signal(str)  # a catalog entry id the user chose to download

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self.setToolTip("The model that writes the summary")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self._refreshing = False
        self._last_choice: ModelChoice | None = None
        self._explicit: list[ModelChoice] = []  # set_model()'s folders, kept across refreshes
        self.currentIndexChanged.connect(self._on_index_changed)
        self.refresh()

    def refresh(self) -> None:
        """Re-read installed models, downloads and the catalog, keeping the current choice."""
        current = self.choice()
        self._refreshing = True
        try:
            self.clear()
            try:
                models = installed_models()
            except OSError as exc:  # an unreadable cache folder must not stop the window opening
                log.warning("Cannot list installed models: %s", exc)
                models = []
            default_id = default_model_id()
            if all(m.model_id != default_id for m in models):
                self.addItem(EMBEDDED_LABEL, ModelChoice(default_id, None, EMBEDDED_LABEL))
            for model in models:
                name = model.manifest.display_name or model.model_id
                text = name + DEFAULT_MARK if model.is_default else name
                self.addItem(text, ModelChoice(model.model_id, model.path, name))
                if model.is_default:
                    self.setItemData(
                        self.count() - 1, "The default model", Qt.ItemDataRole.ToolTipRole
                    )
            known = {m.model_id for m in models}
            try:
                downloads = downloaded_choices(known)
            except OSError as exc:
                log.warning("Cannot list downloaded models: %s", exc)
                downloads = []
            for choice in downloads:
                self.addItem(choice.label, choice)
                self.setItemData(
                    self.count() - 1,
                    f"Downloaded from {choice.model_id}",
                    Qt.ItemDataRole.ToolTipRole,
                )
            offers = catalog_offers(known | {c.model_id for c in downloads})
            for choice in self._explicit:
                self._insert_explicit(choice)
            if offers:
                self.insertSeparator(self.count())
            for offer in offers:
                self.addItem(offer.label, offer)
                self.setItemData(
                    self.count() - 1,
                    "Not on this computer yet: choose it to download it in the Models window",
                    Qt.ItemDataRole.ToolTipRole,
                )
            if current is not None:
                self.select(current.model_id)
        finally:
            self._refreshing = False
        self._last_choice = self.choice()

    def choice(self) -> ModelChoice | None:
        data = self.currentData()
        return data if isinstance(data, ModelChoice) else None

    def offers(self) -> list[CatalogOffer]:
        """The catalog entries offered for download, in the picker's order."""
        items = (self.itemData(i) for i in range(self.count()))
        return [data for data in items if isinstance(data, CatalogOffer)]

    def choices(self) -> list[ModelChoice]:
        """The models that can be loaded now, in the picker's order."""
        items = (self.itemData(i) for i in range(self.count()))
        return [data for data in items if isinstance(data, ModelChoice)]

    def select(self, model_id: str) -> bool:
        for index in range(self.count()):
            data = self.itemData(index)
            if isinstance(data, ModelChoice) and data.model_id == model_id:
                self.setCurrentIndex(index)
                return True
        return False

    def set_model(self, model_id: str, path: Path, display_name: str = "") -> None:
        """Offer (and select) an explicit model folder, e.g. a test model or a just-imported one."""
        choice = ModelChoice(model_id, Path(path), display_name or model_id)
        self._explicit = [c for c in self._explicit if c.model_id != model_id] + [choice]
        self._insert_explicit(choice)
        self.setCurrentIndex(0)

    def _insert_explicit(self, choice: ModelChoice) -> None:
        for index in range(self.count()):
            data = self.itemData(index)
            if isinstance(data, ModelChoice) and data.model_id == choice.model_id:
                self.removeItem(index)
                break
        self.insertItem(0, choice.label, choice)

    @Slot(int)
    def _on_index_changed(self, index: int) -> None:
        if self._refreshing:
            return
        data = self.itemData(index)
        if isinstance(data, ModelChoice):
            self._last_choice = data
            return
        if isinstance(data, CatalogOffer):
            self.blockSignals(True)  # back to the model in use: an offer is never "selected"
            if self._last_choice is None or not self.select(self._last_choice.model_id):
                self.setCurrentIndex(0)
            self.blockSignals(False)
            self.downloadRequested.emit(data.entry_id)


# ----------------------------------------------------------------------------- fit at load time


def _ask_dialog(parent: QWidget | None, message: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "Load this model?",
        f"{message}\n\nLoad it anyway?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def _tell_dialog(parent: QWidget | None, message: str) -> None:
    QMessageBox.warning(parent, "This model does not fit", message)


def check_fit_before_load(
    parent: QWidget | None,
    choice: ModelChoice | None,
    *,
    context: int = FIT_CONTEXT,
    ram: int | None = None,
    usable: int | None = None,
    ask: Callable[[QWidget | None, str], bool] | None = None,
    tell: Callable[[QWidget | None, str], None] | None = None,
) -> bool:
    """True when ``choice`` may be loaded: the fit advisor's "refuse" blocks (``tell`` shows why),
    "warn" asks (``ask`` returns the answer). The defaults are message boxes; the window passes
    its own non-modal presenter, tests pass functions. ``ram``/``usable`` are what-if figures."""
    if choice is None or choice.path is None:  # the embedded default: small, installed later
        return True
    try:
        verdict = advise_for_folder(choice.path, context, ram=ram, usable=usable)
    except (OSError, ValueError) as exc:  # loading reports a broken folder in its own words
        log.info("No fit estimate for %s: %s", choice.model_id, exc)
        return True
    if verdict.level == "refuse":
        (tell or _tell_dialog)(parent, verdict.message)
        return False
    if verdict.level == "warn":
        return (ask or _ask_dialog)(parent, verdict.message)
    return True
