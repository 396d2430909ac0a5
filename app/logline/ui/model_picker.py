"""The toolbar's model picker: models on this computer first, then catalog models to download.

Items, in order: installed models (own folders, imported ones included; the default first and
marked), verified hub downloads, then — after a separator — catalog entries not downloaded yet,
shown as "Name — download 2.1 GB". Choosing one of those does not load anything: the picker
keeps its current model and emits ``downloadRequested(entry id)`` so the window can open the
Models dialog on it.

The embedded model is labelled as the built-in one, of demo quality, with the plain-words
notice (:mod:`logline.models.recommend`) as its tooltip; the catalog model recommended for this
machine is marked. A model too large for this machine's memory is listed disabled, the reason
in its text and tooltip ("needs 45 GB of memory; this Mac has 16 GB"); in offline mode (read at
each :meth:`ModelPicker.refresh`) the download offers are disabled with the reason. When a
refresh no longer finds the model in use (deleted, or on a drive that is not connected), the
picker says so with ``choiceLost`` rather than switching silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QMessageBox, QSizePolicy, QWidget

from logline.config import effective_settings
from logline.models import catalog
from logline.models.availability import (
    FIT_CONTEXT,
    OFFLINE_REASON,
    MemoryFigures,
    catalog_verdict,
    folder_verdict,
    too_large_reason,
)
from logline.models.choice import ModelChoice
from logline.models.embedded import DEMO_LABEL, is_embedded_model
from logline.models.fit import advise_for_folder, machine_name
from logline.models.hub_layout import is_downloaded, verified_repos
from logline.models.recommend import (
    Recommendation,
    embedded_notice,
    recommended_model,
)
from logline.models.registry import default_model_id, installed_models
from logline.ui.server_choices import add_server_items, choice_key, is_server_key
from logline.units import format_bytes

log = logging.getLogger(__name__)

EMBEDDED_LABEL = DEMO_LABEL  # installed on first use, under the same label
DEFAULT_MARK = " (default)"
RECOMMENDED_MARK = " · recommended"
TOO_LARGE_MARK = " — too large"
OFFLINE_MARK = " · offline"


@dataclass(frozen=True)
class CatalogOffer:
    """A catalog model that is not on this computer yet (a picker item that cannot load)."""

    entry_id: str
    repo_id: str
    display_name: str
    download_bytes: int
    recommended: bool = False  # the catalog model recommended for this machine

    @property
    def label(self) -> str:
        mark = RECOMMENDED_MARK if self.recommended else ""
        return f"{self.display_name} — download {format_bytes(self.download_bytes)}{mark}"


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


def machine_recommendation() -> Recommendation | None:
    """The catalog model recommended for this machine; None when the catalog cannot be read."""
    try:
        return recommended_model()
    except (OSError, ValueError) as exc:
        log.warning("No model recommendation: %s", exc)
        return None


def built_in_tooltip(recommendation: Recommendation | None) -> str:
    """The built-in model's tooltip: the notice, and the fit advice on the recommended model."""
    if recommendation is None:
        return "The built-in model: small, for trying Logline offline, not for real work."
    advice = recommendation.fit_advice
    return embedded_notice(recommendation) + (f"\n\n{advice}" if advice else "")


def catalog_offers(have: set[str], recommended: str = "") -> list[CatalogOffer]:
    """Catalog entries whose repo is not in ``have`` (downloaded repo ids), catalog order;
    ``recommended`` (a catalog id) is marked."""
    try:
        entries = catalog.load_catalog()
    except (OSError, ValueError) as exc:
        log.warning("Cannot read the model catalog: %s", exc)
        return []
    return [
        CatalogOffer(e.id, e.repo_id, e.display_name, e.download_bytes, e.id == recommended)
        for e in entries
        if e.repo_id not in have
    ]


MIN_VISIBLE_CHARACTERS = 12
MAX_WIDTH = 380


class ModelPicker(QComboBox):
    downloadRequested = Signal(str)  # a catalog entry id the user chose to download
    choiceLost = Signal(str, str)  # the model in use is gone: its label, the label now chosen

    def __init__(
        self, parent: QWidget | None = None, *, memory: MemoryFigures | None = None
    ) -> None:
        super().__init__(parent)
        self.memory = memory or MemoryFigures()  # what the fit check assumes (tests: "what if")
        self.setObjectName("modelPicker")
        self.setAccessibleName("Model for summaries")
        self.setAccessibleDescription(
            "Models on this computer, then catalog models to download; a model too large for "
            "this computer, or a download while offline, is listed but cannot be chosen"
        )
        self.setToolTip("The model that writes the summary")
        # Long model names are elided when the window is narrow (the list shows them whole), so
        # the toolbar's actions never fall into its overflow; the picker grows when there is room.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(MIN_VISIBLE_CHARACTERS)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMaximumWidth(MAX_WIDTH)
        self._refreshing = False
        self._last_choice: ModelChoice | None = None
        self._explicit: list[ModelChoice] = []  # set_model()'s folders, kept across refreshes
        self.recommendation: Recommendation | None = None  # for this machine, at the last refresh
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
            self.recommendation = machine_recommendation()
            built_in_tip = built_in_tooltip(self.recommendation)
            offline = effective_settings().offline
            default_id = default_model_id()
            if all(m.model_id != default_id for m in models):
                self.addItem(EMBEDDED_LABEL, ModelChoice(default_id, None, EMBEDDED_LABEL))
                self.setItemData(self.count() - 1, built_in_tip, Qt.ItemDataRole.ToolTipRole)
            for model in models:
                if is_embedded_model(model.model_id):
                    self.addItem(DEMO_LABEL, ModelChoice(model.model_id, model.path, DEMO_LABEL))
                    self.setItemData(self.count() - 1, built_in_tip, Qt.ItemDataRole.ToolTipRole)
                    continue
                name = model.manifest.display_name or model.model_id
                text = name + DEFAULT_MARK if model.is_default else name
                self.addItem(text, ModelChoice(model.model_id, model.path, name))
                if model.is_default:
                    self.setItemData(
                        self.count() - 1, "The default model", Qt.ItemDataRole.ToolTipRole
                    )
                self._disable_if_too_large(model.path)
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
                if choice.path is not None:
                    self._disable_if_too_large(choice.path)
            rec = self.recommendation
            recommended_id = rec.entry.id if rec is not None and rec.entry is not None else ""
            offers = catalog_offers(known | {c.model_id for c in downloads}, recommended_id)
            for choice in self._explicit:
                self._insert_explicit(choice)
            add_server_items(self)  # "— on a server —", then each entry (refused ones disabled)
            if offers:
                self.insertSeparator(self.count())
            for offer in offers:
                self._add_offer(offer, rec, offline)
            lost = current is not None and not self.select(choice_key(current))
        finally:
            self._refreshing = False
        self._last_choice = self.choice()
        if lost and current is not None:
            now = self._last_choice.label if self._last_choice is not None else ""
            log.info("The model in use, %s, is no longer available", current.model_id)
            self.choiceLost.emit(current.label, now)

    def _add_offer(self, offer: CatalogOffer, rec: Recommendation | None, offline: bool) -> None:
        self.addItem(offer.label, offer)
        index = self.count() - 1
        tip = "Not on this computer yet: choose it to download it in the Models window"
        if offer.recommended and rec is not None:
            tip = f"{rec.reason} {rec.fit_advice}\n\n{tip}"
        self.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
        entry = catalog.find_entry(offer.entry_id)
        verdict = catalog_verdict(entry, self.memory) if entry is not None else None
        reason = too_large_reason(verdict, self.memory) if verdict is not None else None
        if reason is not None and verdict is not None:
            self.setItemText(index, f"{offer.display_name}{TOO_LARGE_MARK}: {reason}")
            self._disable(index, f"Too large for {machine_name()}: {verdict.message}")
        elif offline:
            self.setItemText(index, offer.label + OFFLINE_MARK)
            self._disable(index, f"{OFFLINE_REASON} Models already on this computer still work.")

    def _disable_if_too_large(self, folder: Path) -> None:
        """Disable the item just added when the model in ``folder`` cannot fit in memory."""
        try:
            verdict = folder_verdict(folder, self.memory)
        except (OSError, ValueError):  # loading reports a broken folder in its own words
            return
        reason = too_large_reason(verdict, self.memory)
        if reason is not None:
            index = self.count() - 1
            self.setItemText(index, f"{self.itemText(index)}{TOO_LARGE_MARK}: {reason}")
            self._disable(index, verdict.message)

    def _disable(self, index: int, reason: str) -> None:
        """Grey out item ``index`` (it cannot be chosen) with ``reason`` as its tooltip."""
        item = self.model().item(index)  # type: ignore[attr-defined]  # a QStandardItemModel
        item.setEnabled(False)
        self.setItemData(index, reason, Qt.ItemDataRole.ToolTipRole)

    def is_enabled(self, index: int) -> bool:
        """Whether item ``index`` can be chosen (False: too large, or a download while offline)."""
        return bool(self.model().item(index).isEnabled())  # type: ignore[attr-defined]

    def disabled_items(self) -> dict[str, str]:
        """The items that cannot be chosen: their text and the reason (tooltip)."""
        return {
            self.itemText(i): str(self.itemData(i, Qt.ItemDataRole.ToolTipRole) or "")
            for i in range(self.count())
            if self.itemText(i) and not self.is_enabled(i)
        }

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

    def select(self, key: str) -> bool:
        """Choose the model remembered as ``key`` (:func:`server_choices.choice_key`: a model id,
        or ``server:NAME``); False when it is not listed (or is a server that cannot be used)."""
        for index in range(self.count()):
            data = self.itemData(index)
            if not isinstance(data, ModelChoice) or choice_key(data) != key:
                continue
            if is_server_key(key) and not self.is_enabled(index):
                return False
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
            if isinstance(data, ModelChoice) and choice_key(data) == choice.model_id:
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
            if self._last_choice is None or not self.select(choice_key(self._last_choice)):
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
