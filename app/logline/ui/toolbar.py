"""The main toolbar: Open…, the model picker, Models…, the summary mode, Summarize and Stop."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyle, QToolBar, QWidget

from logline.ui.mode_picker import ModePicker
from logline.ui.model_picker import ModelPicker


class MainToolBar(QToolBar):
    """Owns the window's actions; the window connects them and enables/disables them."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__("Main", parent)
        self.setObjectName("mainToolBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.setIconSize(QSize(16, 16))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
        icon = parent.style().standardIcon

        self.open_action = QAction(icon(QStyle.StandardPixmap.SP_DialogOpenButton), "Open…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.setToolTip("Open a screenplay or document (Ctrl+O)")
        self.addAction(self.open_action)

        model_label = QLabel("Model")
        model_label.setObjectName("modelLabel")
        self.addWidget(model_label)
        self.model_picker = ModelPicker(self)
        self.addWidget(self.model_picker)
        self.models_action = QAction("Models…", self)
        self.models_action.setToolTip("Download, delete and pin models")
        self.addAction(self.models_action)

        self.addSeparator()
        mode_label = QLabel("Summary")
        mode_label.setObjectName("modeLabel")
        self.addWidget(mode_label)
        self.mode_picker = ModePicker(self)
        self.addWidget(self.mode_picker)

        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.addWidget(spacer)

        self.summarize_action = QAction("Summarize", self)
        self.summarize_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.summarize_action.setToolTip("Summarize the document (Ctrl+Enter)")
        self.addAction(self.summarize_action)
        self.widgetForAction(self.summarize_action).setObjectName("summarizeButton")

        self.stop_action = QAction(icon(QStyle.StandardPixmap.SP_MediaStop), "Stop", self)
        self.stop_action.setShortcut(QKeySequence("Esc"))
        self.stop_action.setToolTip("Stop the summary, keeping what was written (Esc)")
        self.addAction(self.stop_action)

        # Tab reaches every action (a toolbar's buttons take no focus by default), and each
        # is announced by its name.
        for action in (
            self.open_action,
            self.models_action,
            self.summarize_action,
            self.stop_action,
        ):
            button = self.widgetForAction(action)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setAccessibleName(action.text().rstrip("…"))
            button.setAccessibleDescription(action.toolTip())
