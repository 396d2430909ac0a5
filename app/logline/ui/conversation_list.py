"""The open document's conversations: pick one, start a new one, rename, delete.

Rename and delete ask through dialogs opened without a nested event loop (``open()``), so the
window never blocks on them.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QMessageBox,
    QToolButton,
    QWidget,
)


class ConversationList(QWidget):
    chosen = Signal(int)  # a conversation id
    newRequested = Signal()
    renamed = Signal(int, str)
    deleted = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox(self)
        self.combo.setObjectName("conversationCombo")
        self.combo.setToolTip("Conversations about this document")
        self.new_button = QToolButton(self)
        self.new_button.setText("New")
        self.new_button.setToolTip("Start a new conversation about this document")
        self.rename_button = QToolButton(self)
        self.rename_button.setText("Rename")
        self.delete_button = QToolButton(self)
        self.delete_button.setText("Delete")
        for widget in (self.combo, self.new_button, self.rename_button, self.delete_button):
            layout.addWidget(widget, 1 if widget is self.combo else 0)
        self.combo.activated.connect(self._on_activated)
        self.new_button.clicked.connect(self.newRequested)
        self.rename_button.clicked.connect(self.ask_rename)
        self.delete_button.clicked.connect(self.ask_delete)
        self.dialog: QInputDialog | QMessageBox | None = None
        self.set_conversations([], None)

    def set_conversations(self, items: list[tuple[int, str]], current: int | None) -> None:
        """``items``: (id, title), most recent first; ``current`` is selected."""
        self.combo.blockSignals(True)
        self.combo.clear()
        for conversation_id, title in items:
            self.combo.addItem(title, conversation_id)
        if not items:
            self.combo.addItem("New conversation", None)
        index = self.combo.findData(current) if current is not None else 0
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.blockSignals(False)
        has = self.current_id() is not None
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def current_id(self) -> int | None:
        value = self.combo.currentData()
        return int(value) if value is not None else None

    @Slot(int)
    def _on_activated(self, _index: int) -> None:
        conversation_id = self.current_id()
        if conversation_id is not None:
            self.chosen.emit(conversation_id)

    @Slot()
    def ask_rename(self) -> None:
        conversation_id = self.current_id()
        if conversation_id is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename conversation")
        dialog.setLabelText("Title:")
        dialog.setTextValue(self.combo.currentText())
        dialog.textValueSelected.connect(
            lambda text: text.strip() and self.renamed.emit(conversation_id, text.strip())
        )
        self.dialog = dialog
        dialog.open()

    @Slot()
    def ask_delete(self) -> None:
        conversation_id = self.current_id()
        if conversation_id is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete conversation",
            f"Delete “{self.combo.currentText()}” and all its answers? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(
            lambda button: button is yes and self.deleted.emit(conversation_id)
        )
        self.dialog = box
        box.open()
