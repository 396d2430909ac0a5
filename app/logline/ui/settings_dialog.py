"""The Settings window (Preferences… on a Mac): one non-modal window per main window, opened
with :func:`open_settings`. Its pages save each change at once and apply it live (see
:mod:`logline.ui.settings_apply`): General, Generation, Prompts, Models & network."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from logline.ui.settings_apply import refresh_models
from logline.ui.settings_form import described
from logline.ui.settings_network import NetworkPage
from logline.ui.settings_pages import GeneralPage, GenerationPage
from logline.ui.settings_prompts import PromptsPage

TITLE = "Settings"


def _scrolling(page: QWidget) -> QScrollArea:
    """A page in a scroll area: the window stays usable when it is small (1024×640)."""
    area = QScrollArea()
    area.setWidget(page)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return area


class SettingsDialog(QDialog):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(TITLE)
        self.setModal(False)
        self.setAccessibleName(TITLE)
        self.setAccessibleDescription("Logline's settings; every change is saved at once.")
        self.general = GeneralPage(window)
        self.generation = GenerationPage()
        self.prompts = PromptsPage()
        self.network = NetworkPage(lambda: refresh_models(window))
        self.tabs = described(
            QTabWidget(self),
            "Settings pages",
            "General, Generation, Prompts, Models and network (Ctrl+Tab for the next page).",
            tooltip=False,
        )
        self.tabs.setObjectName("settingsTabs")
        self.tabs.setDocumentMode(True)
        for page, title in (
            (self.general, "General"),
            (self.generation, "Generation"),
            (self.prompts, "Prompts"),
            (self.network, "Models && Network"),
        ):
            self.tabs.addTab(_scrolling(page), title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.close_button = described(
            buttons.button(QDialogButtonBox.StandardButton.Close),
            "Close settings",
            "Close this window; the settings are already saved.",
        )
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(620, 480)

    def shutdown(self) -> None:
        """Let the cache measuring end (the window is closing)."""
        self.network.shutdown()


def open_settings(window: Any) -> SettingsDialog:
    """Show the window's one Settings window (made the first time), without blocking."""
    dialog = getattr(window, "settings_dialog", None)
    if dialog is None:
        dialog = SettingsDialog(window)
        window.settings_dialog = dialog
    else:
        dialog.general.fill_models()
        dialog.network.measure()
        dialog.network.show_token_status()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
