"""The open document's conversations: pick one, start a new one, rename or delete one.

Rename and delete ask in window-modal dialogs opened without blocking (``open()``), so the
event loop, and an answer streaming, go on; the dialog in progress is ``self.dialog``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QMessageBox,
    QSizePolicy,
    QToolButton,
    QWidget,
)

__all__ = ["ConversationList"]

NO_CONVERSATION = "No conversation yet"


class ConversationList(QWidget):
    chosen = Signal(int)  # a conversation id the user picked
    newRequested = Signal()
    renameRequested = Signal(int, str)  # id, new title
    deleteRequested = Signal(int)  # id, confirmed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.setObjectName("conversationCombo")
        self.combo.setAccessibleName("Conversation about this document")
        self.combo.setToolTip("This document's conversations, the latest first")
        self.combo.setAccessibleDescription("This document's conversations, the latest first")
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.setPlaceholderText(NO_CONVERSATION)  # shown while none is chosen
        self.new_button = self._button("New", "Start a new conversation about this document")
        self.rename_button = self._button("Rename", "Rename this conversation")
        self.delete_button = self._button("Delete", "Delete this conversation")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.combo, 1)
        for button in (self.new_button, self.rename_button, self.delete_button):
            layout.addWidget(button)
        self.dialog: QInputDialog | QMessageBox | None = None
        self._filling = False
        self.combo.currentIndexChanged.connect(self._on_index_changed)
        self.new_button.clicked.connect(self.newRequested)
        self.rename_button.clicked.connect(self.ask_rename)
        self.delete_button.clicked.connect(self.ask_delete)
        self._update_buttons()

    def _button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleDescription(tip)
        return button

    # -- content ---------------------------------------------------------------------------
    def set_conversations(self, items: list[tuple[int, str]], current: int | None) -> None:
        """Show ``items`` (id, title) and select ``current`` (without emitting ``chosen``)."""
        self._filling = True
        try:
            self.combo.clear()
            for conversation_id, title in items:
                self.combo.addItem(title, conversation_id)
            index = self.combo.findData(current) if current is not None else -1
            self.combo.setCurrentIndex(index if index >= 0 else (0 if items else -1))
        finally:
            self._filling = False
        self._update_buttons()

    def current_id(self) -> int | None:
        data = self.combo.currentData()
        return int(data) if data is not None else None

    def titles(self) -> list[str]:
        return [self.combo.itemText(i) for i in range(self.combo.count())]

    def _update_buttons(self) -> None:
        has = self.current_id() is not None
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    @Slot(int)
    def _on_index_changed(self, _index: int) -> None:
        self._update_buttons()
        current = self.current_id()
        if not self._filling and current is not None:
            self.chosen.emit(current)

    # -- dialogs ---------------------------------------------------------------------------
    @Slot()
    def ask_rename(self) -> None:
        conversation_id = self.current_id()
        if conversation_id is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename conversation")
        dialog.setLabelText("Title:")
        dialog.setTextValue(self.combo.currentText())
        dialog.setWindowModality(Qt.WindowModality.WindowModal)

        def accepted(text: str) -> None:
            if text.strip():
                self.renameRequested.emit(conversation_id, text.strip())

        dialog.textValueSelected.connect(accepted)
        self._open(dialog)

    @Slot()
    def ask_delete(self) -> None:
        conversation_id = self.current_id()
        if conversation_id is None:
            return
        dialog = QMessageBox(self)
        dialog.setIcon(QMessageBox.Icon.Question)
        dialog.setWindowTitle("Delete conversation")
        dialog.setText(f"Delete “{self.combo.currentText()}” and all its answers?")
        dialog.setInformativeText("This cannot be undone.")
        delete = dialog.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setObjectName("confirmDelete")
        dialog.setDefaultButton(dialog.addButton(QMessageBox.StandardButton.Cancel))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(button: object) -> None:
            if button is delete:
                self.deleteRequested.emit(conversation_id)

        dialog.buttonClicked.connect(answered)
        self._open(dialog)

    def _open(self, dialog: QInputDialog | QMessageBox) -> None:
        def closed(_result: int) -> None:
            self.dialog = None
            dialog.deleteLater()

        dialog.finished.connect(closed)
        self.dialog = dialog
        dialog.open()
