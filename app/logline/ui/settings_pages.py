"""The Settings window's General and Generation pages. Every change is saved at once (and
applied live, see :mod:`logline.ui.settings_apply`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QPushButton,
    QSpinBox,
    QWidget,
)

from logline.config import GENERATION_LIMITS, load_settings, update_settings
from logline.models.registry import default_model_id
from logline.summarize.modes import DEFAULT_MODE, MODES
from logline.ui.mode_picker import menu_title
from logline.ui.server_choices import choice_key
from logline.ui.settings_apply import THEME_ENV, apply_default, apply_theme, env_theme
from logline.ui.settings_form import described, note

THEME_TITLES = {"system": "Same as the system", "light": "Light", "dark": "Dark"}


def _mode_combo(name: str, description: str) -> QComboBox:
    combo = described(QComboBox(), name, description)
    for mode in MODES.values():
        combo.addItem(menu_title(mode.id), mode.id)
    return combo


class GeneralPage(QWidget):
    """Default model, default summary mode, theme."""

    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ = window
        saved = load_settings()
        form = QFormLayout(self)
        self.model_combo = described(
            QComboBox(),
            "Default model",
            "The model selected in the window now (when nothing runs) and at launch; it is "
            "never removed to make room in the model cache.",
        )
        self.fill_models()
        form.addRow("Default &model:", self.model_combo)

        self.mode_combo = _mode_combo(
            "Default summary mode",
            "The summary mode selected in the window now (when nothing runs) and at launch.",
        )
        self.mode_combo.setCurrentIndex(
            max(0, self.mode_combo.findData(saved.default_mode or DEFAULT_MODE))
        )
        form.addRow("Default summary mo&de:", self.mode_combo)

        self.theme_combo = described(
            QComboBox(), "Theme", "Light or dark colours, or the same as the system's."
        )
        for theme, title in THEME_TITLES.items():
            self.theme_combo.addItem(title, theme)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(saved.theme)))
        form.addRow("&Theme:", self.theme_combo)
        forced = env_theme()
        self.theme_note = note(
            f"{THEME_ENV}={forced} is set: it decides the theme for this session." if forced else ""
        )
        self.theme_note.setVisible(bool(forced))
        form.addRow(self.theme_note)

        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        self.theme_combo.currentIndexChanged.connect(self._theme_changed)

    def fill_models(self) -> None:
        """The models the window's picker offers now (the built-in one first, as "none set")."""
        wanted = load_settings().default_model
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItem("The built-in model", None)
        for choice in self.window_.model_picker.choices():
            key = choice_key(choice)  # a model id, or server:NAME
            built_in = choice.model_id == default_model_id() and not choice.is_remote
            if not built_in and self.model_combo.findData(key) < 0:
                self.model_combo.addItem(choice.label, key)
        if wanted and self.model_combo.findData(wanted) < 0:
            self.model_combo.addItem(f"{wanted} (not available now)", wanted)
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(wanted)))
        self.model_combo.blockSignals(False)

    @Slot()
    def _model_changed(self) -> None:
        model_id = self.model_combo.currentData()
        update_settings(default_model=model_id)
        apply_default(self.window_, "model", model_id or default_model_id())

    @Slot()
    def _mode_changed(self) -> None:
        mode_id = str(self.mode_combo.currentData())
        update_settings(default_mode=mode_id)
        apply_default(self.window_, "mode", mode_id)

    @Slot()
    def _theme_changed(self) -> None:
        theme = str(self.theme_combo.currentData())
        update_settings(theme=theme)
        apply_theme(theme)


class GenerationPage(QWidget):
    """Per-mode defaults of the final answer: temperature and length (what the summarizer
    honours: the mode's ``SamplingParams`` with these replaced)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.addRow(
            note(
                "Each summary mode has its own settings for its final answer. Notes on the parts "
                "of a long document keep the mode's own settings."
            )
        )
        self.mode_combo = _mode_combo(
            "Summary mode to adjust", "The summary mode whose generation settings are shown."
        )
        form.addRow("Summary mode:", self.mode_combo)
        low, high = GENERATION_LIMITS["temperature"]
        self.temperature = described(
            QDoubleSpinBox(),
            "Temperature",
            "0 always writes the most likely words (the same text each time); higher values "
            "vary the wording from run to run.",
        )
        self.temperature.setRange(low, high)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        form.addRow("T&emperature:", self.temperature)
        low, high = GENERATION_LIMITS["max_tokens"]
        self.max_tokens = described(
            QSpinBox(),
            "Longest answer in tokens",
            "The most tokens (about three quarters of a word each) the final answer may have.",
        )
        self.max_tokens.setRange(int(low), int(high))
        self.max_tokens.setSingleStep(50)
        self.max_tokens.setSuffix(" tokens")
        form.addRow("Longest &answer:", self.max_tokens)
        self.reset_button = described(
            QPushButton("Use the Mode's Own Settings"),
            "Reset generation settings",
            "Forget your changes to this mode's temperature and length.",
        )
        form.addRow(self.reset_button)
        self.defaults_note = note()
        form.addRow(self.defaults_note)
        self._loading = False
        self.mode_combo.currentIndexChanged.connect(self._show_mode)
        self.temperature.valueChanged.connect(self._save)
        self.max_tokens.valueChanged.connect(self._save)
        self.reset_button.clicked.connect(self.reset)
        self._show_mode()

    def mode_id(self) -> str:
        return str(self.mode_combo.currentData())

    @Slot()
    def _show_mode(self) -> None:
        mode = MODES[self.mode_id()]
        own = {"temperature": mode.sampling.temperature, "max_tokens": mode.sampling.max_tokens}
        values = {**own, **load_settings().generation.get(mode.id, {})}
        self._loading = True
        self.temperature.setValue(float(values["temperature"]))
        self.max_tokens.setValue(int(values["max_tokens"]))
        self._loading = False
        self.defaults_note.setText(
            f"{mode.title} on its own: temperature {own['temperature']:g}, "
            f"at most {own['max_tokens']:,} tokens."
        )
        self.reset_button.setEnabled(values != own)

    @Slot()
    def _save(self) -> None:
        if self._loading:
            return
        mode = MODES[self.mode_id()]
        chosen = {"temperature": round(self.temperature.value(), 2)}
        chosen["max_tokens"] = self.max_tokens.value()
        own = {"temperature": mode.sampling.temperature, "max_tokens": mode.sampling.max_tokens}
        changed = {key: value for key, value in chosen.items() if value != own[key]}
        generation = dict(load_settings().generation)
        if changed:
            generation[mode.id] = changed
        else:
            generation.pop(mode.id, None)
        update_settings(generation=generation)
        self.reset_button.setEnabled(bool(changed))

    @Slot()
    def reset(self) -> None:
        generation = dict(load_settings().generation)
        generation.pop(self.mode_id(), None)
        update_settings(generation=generation)
        self._show_mode()
