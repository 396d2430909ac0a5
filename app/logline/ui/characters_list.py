"""The characters list: each speaking character with the number of speeches and of scenes.

Rows come from :attr:`Document.characters` (most speeches first); choosing one emits
``characterChosen(name)`` (the pane then filters the scene navigator to that character).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from logline.display_text import show_bidi

if TYPE_CHECKING:
    from logline.documents import Document

NAME, SPEECHES, SCENES = range(3)


class CharactersList(QTreeWidget):
    characterChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("charactersList")
        self.setAccessibleName("Characters")
        self.setAccessibleDescription(
            "Each speaking character with their number of speeches and of scenes; choose one "
            "to list only their scenes"
        )
        self.setHeaderLabels(["Character", "Speeches", "Scenes"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAllColumnsShowFocus(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(SPEECHES, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(SCENES, QHeaderView.ResizeMode.ResizeToContents)
        self.itemActivated.connect(self._on_chosen)
        self.itemClicked.connect(self._on_chosen)

    def set_document(self, document: Document | None) -> None:
        self.clear()
        if document is None:
            return
        items = []
        characters = sorted(document.characters, key=lambda c: (-c.speeches, c.name))
        for character in characters:
            item = QTreeWidgetItem([show_bidi(character.name), "", ""])
            item.setData(NAME, Qt.ItemDataRole.UserRole, character.name)  # the name as written
            item.setData(SPEECHES, Qt.ItemDataRole.DisplayRole, character.speeches)
            item.setData(SCENES, Qt.ItemDataRole.DisplayRole, len(character.scenes))
            item.setToolTip(NAME, f"{show_bidi(character.name)}: {character.words:,} words spoken")
            items.append(item)
        self.addTopLevelItems(items)

    def counts(self) -> dict[str, tuple[int, int]]:
        """Name -> (speeches, scenes), as listed."""
        found = {}
        for row in range(self.topLevelItemCount()):
            item = self.topLevelItem(row)
            found[item.text(NAME)] = (int(item.text(SPEECHES)), int(item.text(SCENES)))
        return found

    def choose(self, name: str) -> bool:
        """Select ``name``'s row as a click would; False when nobody of that name speaks."""
        for row in range(self.topLevelItemCount()):
            item = self.topLevelItem(row)
            if item.data(NAME, Qt.ItemDataRole.UserRole) == name:
                self.setCurrentItem(item)
                self._on_chosen(item)
                return True
        return False

    @Slot(QTreeWidgetItem)
    def _on_chosen(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        self.characterChosen.emit(item.data(NAME, Qt.ItemDataRole.UserRole))
