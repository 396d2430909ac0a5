"""The toolbar's model picker: installed models, the default first, or the embedded default."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QSizePolicy, QWidget

from logline.ui.engine_worker import ModelChoice

log = logging.getLogger(__name__)

EMBEDDED_LABEL = "Embedded default (installs on first use)"


class ModelPicker(QComboBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self.setToolTip("The model that writes the summary")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the installed models, keeping the current choice when it is still there."""
        from logline.models.registry import default_model_id, installed_models

        current = self.choice()
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
            self.addItem(name, ModelChoice(model.model_id, model.path, name))
            if model.is_default:
                self.setItemData(self.count() - 1, "The default model", Qt.ItemDataRole.ToolTipRole)
        if current is not None:
            self.select(current.model_id)

    def choice(self) -> ModelChoice | None:
        data = self.currentData()
        return data if isinstance(data, ModelChoice) else None

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
        for index in range(self.count()):
            data = self.itemData(index)
            if isinstance(data, ModelChoice) and data.model_id == model_id:
                self.removeItem(index)
                break
        self.insertItem(0, choice.label, choice)
        self.setCurrentIndex(0)
