"""The History tab: the open document's saved summaries and conversations, newest first.

A summary entry says its mode and date, then its model, state and length; a conversation entry
its title, then its message count and date (two lines each, elided to the tab's width). Show
(or Enter, or a click) opens the entry (a summary in the Summary tab, a conversation in the
chat pane); Delete asks first, in a sheet that never blocks. The panel only shows and asks:
``history.HistoryController`` reads the store and acts.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

SUMMARY, CONVERSATION = "summary", "conversation"
EMPTY = "Nothing saved for this document yet: summaries and conversations appear here."
NO_DOCUMENT = "Open a document to see its saved summaries and conversations."


@dataclass(frozen=True)
class HistoryEntry:
    kind: str  # SUMMARY or CONVERSATION
    id: int
    text: str  # its line in the list
    tip: str = ""  # the tooltip (the whole line, or more)


class HistoryPanel(QWidget):
    """``showRequested(kind, id)`` and ``deleteConfirmed(kind, id)`` carry the entry chosen."""

    showRequested = Signal(str, int)
    deleteConfirmed = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.setAccessibleName("History")
        self.setAccessibleDescription(
            "The saved summaries and conversations of the open document, newest first"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        self.hint = QLabel(NO_DOCUMENT, self)
        self.hint.setObjectName("historyHint")
        self.hint.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("historyList")
        self.list.setAccessibleName("Saved summaries and conversations")
        self.list.setAccessibleDescription(
            "Enter shows the selected entry; Delete deletes it after asking"
        )
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setWordWrap(False)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSpacing(2)
        self.list.itemActivated.connect(lambda _item: self.show_selected())
        self.list.itemClicked.connect(lambda _item: self.show_selected())
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.show_button = self._button(
            "Show", "showHistory", "Show the selected summary or conversation"
        )
        self.show_button.clicked.connect(self.show_selected)
        self.delete_button = self._button(
            "Delete…", "deleteHistory", "Delete the selected summary or conversation, after asking"
        )
        self.delete_button.clicked.connect(self.ask_delete)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        layout.addWidget(self.hint)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.question: QMessageBox | None = None
        self._update_buttons()

    def _button(self, text: str, name: str, description: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAccessibleName(text.rstrip("…"))
        button.setAccessibleDescription(description)
        button.setToolTip(description)
        return button

    # -- contents --------------------------------------------------------------------------
    def set_entries(
        self, summaries: list[HistoryEntry], conversations: list[HistoryEntry], *, document: bool
    ) -> None:
        """Show these entries (the selection kept where the entry still exists)."""
        kept = self.selected()
        self.list.clear()
        self._heading("Summaries", bool(summaries))
        for entry in summaries:
            self._add(entry)
        self._heading("Conversations", bool(conversations))
        for entry in conversations:
            self._add(entry)
        empty = not summaries and not conversations
        self.list.setVisible(not empty)
        self.hint.setVisible(empty)
        self.hint.setText(EMPTY if document else NO_DOCUMENT)
        if kept is not None:
            self.select(*kept)
        self._update_buttons()

    def _heading(self, text: str, shown: bool) -> None:
        if not shown:
            return
        item = QListWidgetItem(text.upper())
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading: not selectable, full contrast
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        self.list.addItem(item)

    def _add(self, entry: HistoryEntry) -> None:
        item = QListWidgetItem(entry.text)
        item.setData(Qt.ItemDataRole.UserRole, (entry.kind, entry.id))
        item.setToolTip(entry.tip or entry.text)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, entry.tip or entry.text)
        self.list.addItem(item)

    def entries(self, kind: str | None = None) -> list[tuple[str, int, str]]:
        """(kind, id, text) of each entry, in order (of ``kind`` only when given)."""
        found = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            key = item.data(Qt.ItemDataRole.UserRole)
            if key and (kind is None or key[0] == kind):
                found.append((key[0], key[1], item.text()))
        return found

    def selected(self) -> tuple[str, int] | None:
        item = self.list.currentItem()
        key = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return (key[0], key[1]) if key else None

    def select(self, kind: str, entry_id: int) -> bool:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == (kind, entry_id):
                self.list.setCurrentRow(row)
                return True
        return False

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.show_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    # -- acting ----------------------------------------------------------------------------
    def show_selected(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.showRequested.emit(*chosen)

    def ask_delete(self) -> QMessageBox | None:
        """Ask (without blocking) whether to delete the selected entry."""
        chosen = self.selected()
        if chosen is None:
            return None
        kind, entry_id = chosen
        what = "summary" if kind == SUMMARY else "conversation"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            f"Delete this {what}?",
            f"Delete the saved {what} “{self.list.currentItem().text()}”? This cannot be undone.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("deleteHistoryQuestion")
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setAccessibleDescription(f"Delete the saved {what} for good")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(button: object) -> None:
            if button is delete:
                self.deleteConfirmed.emit(kind, entry_id)

        box.buttonClicked.connect(answered)
        box.finished.connect(lambda _result: setattr(self, "question", None))
        self.question = box
        box.open()
        return box

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.list.hasFocus():
            self.ask_delete()
            return
        super().keyPressEvent(event)
