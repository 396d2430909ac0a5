"""What the window says about the built-in model, beyond the picker's label and tooltip.

* :class:`FirstRunNotice`: a strip under the toolbar, shown once (the ``built_in_notice_shown``
  setting remembers it), when the window starts with the built-in model: the plain-words notice
  and three buttons: "Download <recommended>" (opens the Models window on it; offline, the
  button is disabled and says why), "Import from a Drive…" (opens the Models window at its
  Import… button), "Keep Using the Built-in Model". Part of the window, never modal.
* :class:`SummaryModelNote`: one line above a summary the built-in model is writing or wrote.

:class:`BuiltInModelNotices` wires both to the window. The texts come from
:mod:`logline.models.recommend` (Qt-free, shared with the CLI).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from logline.config import effective_settings, load_settings, update_settings
from logline.models.embedded import is_embedded_model
from logline.models.recommend import Recommendation, embedded_notice, embedded_summary_note
from logline.ui.model_table import OFFLINE_REASON

if TYPE_CHECKING:
    from logline.models.choice import ModelChoice
    from logline.ui.model_picker import ModelPicker
    from logline.ui.models_dialog import ModelsDialog

log = logging.getLogger(__name__)

KEEP_TEXT = "Keep Using the Built-in Model"
IMPORT_TEXT = "Import from a Drive…"
GENERIC_SUMMARY_NOTE = "Written by the built-in model, which is for trying Logline only."
IMPORT_HINT = (
    "To add a model from a drive, choose Import…: a GGUF file, or a model folder downloaded on "
    "another computer."
)


class FirstRunNotice(QFrame):
    """The first-run strip. ``downloadRequested(catalog id)``, ``importRequested()`` and
    ``kept()`` say which button was pressed; each one also hides the strip."""

    downloadRequested = Signal(str)
    importRequested = Signal()
    kept = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("builtInNotice")
        self.entry_id = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.label = QLabel(self)
        self.label.setObjectName("builtInNoticeText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label)
        buttons = QHBoxLayout()
        self.download_button = QPushButton(self)
        self.import_button = QPushButton(IMPORT_TEXT, self)
        self.keep_button = QPushButton(KEEP_TEXT, self)
        self.download_button.setAccessibleDescription("Download the recommended model")
        self.import_button.setAccessibleDescription("Import a model from a drive or folder")
        self.keep_button.setAccessibleDescription("Keep the built-in model and hide this notice")
        for button in (self.download_button, self.import_button, self.keep_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.download_button.clicked.connect(self._download)
        self.import_button.clicked.connect(self._import)
        self.keep_button.clicked.connect(self._keep)
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text()

    def show_for(self, recommendation: Recommendation | None, *, offline: bool) -> None:
        """Show the notice, offering ``recommendation`` (downloadable only when online)."""
        entry = recommendation.entry if recommendation is not None else None
        self.entry_id = entry.id if entry is not None else ""
        if recommendation is not None:
            self.label.setText(embedded_notice(recommendation))
            self.label.setToolTip(recommendation.fit_advice)
        else:
            self.label.setText("The built-in model is tiny: good for trying Logline offline only.")
        self.download_button.setVisible(entry is not None)
        if entry is not None:
            self.download_button.setText(f"Download {entry.display_name}")
            self.download_button.setEnabled(not offline)
            self.download_button.setToolTip(
                OFFLINE_REASON if offline else "Opens the Models window on it"
            )
        self.show()

    @Slot()
    def _download(self) -> None:
        self.hide()
        self.downloadRequested.emit(self.entry_id)

    @Slot()
    def _import(self) -> None:
        self.hide()
        self.importRequested.emit()

    @Slot()
    def _keep(self) -> None:
        self.hide()
        self.kept.emit()


class SummaryModelNote(QLabel):
    """The line above a summary written by the built-in model (hidden otherwise)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryModelNote")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.hide()

    def show_for(self, model_id: str, recommendation: Recommendation | None) -> None:
        """Show the note when ``model_id`` is the built-in model, else hide it."""
        if not is_embedded_model(model_id):
            self.hide_note()
            return
        if recommendation is None:  # the catalog could not be read
            self.setText(GENERIC_SUMMARY_NOTE)
            self.setToolTip("")
        else:
            self.setText(embedded_summary_note(recommendation))
            self.setToolTip(embedded_notice(recommendation))
        self.show()

    def hide_note(self) -> None:
        self.clear()
        self.hide()


class BuiltInModelNotices(QObject):
    """The window's notices about the built-in model: the first-run strip and the summary note.
    ``open_models`` opens the window's Models dialog on a model or catalog id ("" for none)."""

    def __init__(
        self,
        picker: ModelPicker,
        notice: FirstRunNotice,
        note: SummaryModelNote,
        open_models: Callable[[str], ModelsDialog],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.picker = picker
        self.notice = notice
        self.note = note
        self.open_models = open_models
        notice.downloadRequested.connect(self._download)
        notice.importRequested.connect(self._import)

    def maybe_show_first_run(self) -> bool:
        """Show the first-run notice when the window starts with the built-in model and it was
        never shown before; remember that it was. True when shown."""
        choice = self.picker.choice()
        if choice is None or choice.is_remote or not is_embedded_model(choice.model_id):
            return False
        if load_settings().built_in_notice_shown:
            return False
        offline = effective_settings().offline
        self.notice.show_for(self.picker.recommendation, offline=offline)
        try:
            update_settings(built_in_notice_shown=True)
        except (OSError, ValueError) as exc:  # a read-only data folder: shown again next time
            log.warning("Could not remember that the built-in model notice was shown: %s", exc)
        return True

    def summary_started(self, choice: ModelChoice) -> None:
        if choice.is_remote:  # the same model on a server is not the built-in one
            self.note.hide_note()
            return
        self.note.show_for(choice.model_id, self.picker.recommendation)

    def document_changed(self) -> None:
        self.note.hide_note()

    @Slot(str)
    def _download(self, entry_id: str) -> None:
        self.open_models(entry_id)

    @Slot()
    def _import(self) -> None:
        dialog = self.open_models("")
        dialog.show_info(IMPORT_HINT)
        dialog.imports.import_button.setFocus()
