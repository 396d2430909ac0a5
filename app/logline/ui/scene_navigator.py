"""The scene navigator: every scene's number, heading and page, with a filter box.

The filter matches a scene by its heading (so by location or time of day) or by a character
who speaks in it; Enter in it shows the first scene it lets through. Choosing a row (click or
arrow keys) emits ``sceneChosen(number)``; :meth:`SceneNavigator.select_scene` makes a row
current without emitting (the script said it showed that scene).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from logline.display_text import show_bidi

if TYPE_CHECKING:
    from logline.documents import Document

NUMBER, HEADING, PAGE = range(3)
SCENE_ROLE = Qt.ItemDataRole.UserRole


def scene_speakers(document: Document) -> dict[int, list[str]]:
    """Scene number -> the names of the characters who speak in it."""
    speakers: dict[int, list[str]] = {}
    for character in document.characters:
        for number in character.scenes:
            speakers.setdefault(number, []).append(character.name)
    return speakers


class SceneNavigator(QWidget):
    sceneChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sceneNavigator")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("sceneFilter")
        self.filter_edit.setPlaceholderText("Filter by character or location")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter scenes")
        self.filter_edit.setAccessibleDescription(
            "Shows only the scenes whose heading, or one of whose speaking characters, "
            "contains this text"
        )
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("sceneList")
        self.tree.setAccessibleName("Scenes")
        self.tree.setAccessibleDescription(
            "Every scene with its number, heading and page; choose one to show it in the script"
        )
        self.tree.setHeaderLabels(["#", "Heading", "Page"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NUMBER, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(HEADING, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(PAGE, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        self._items: dict[int, QTreeWidgetItem] = {}
        self._search: dict[int, str] = {}  # scene number -> what the filter looks in
        self.filter_edit.textChanged.connect(self.apply_filter)
        self.filter_edit.returnPressed.connect(self._choose_first)
        self.tree.currentItemChanged.connect(self._on_current)

    def set_document(self, document: Document | None) -> None:
        """List ``document``'s scenes (none: empty)."""
        self.tree.blockSignals(True)
        self.tree.clear()
        self._items.clear()
        self._search.clear()
        if document is not None:
            self._fill(document)
        self.tree.blockSignals(False)
        self.filter_edit.clear()

    def _fill(self, document: Document) -> None:
        speakers = scene_speakers(document)
        items = []
        for scene in document.scenes:
            page = document.page_label(scene.page_start) or ""
            label = scene.scene_number_label or str(scene.number)
            heading = show_bidi(" ".join(scene.heading.split()))  # no PDF padding, no spoofing
            item = QTreeWidgetItem([label, heading, page])
            item.setData(NUMBER, SCENE_ROLE, scene.number)
            names = speakers.get(scene.number, [])
            tip = heading + (f"\nSpeaking: {show_bidi(', '.join(names))}" if names else "")
            item.setToolTip(HEADING, tip)
            item.setTextAlignment(PAGE, Qt.AlignmentFlag.AlignRight)
            items.append(item)
            self._items[scene.number] = item
            self._search[scene.number] = " ".join([scene.heading, *names]).casefold()
        self.tree.addTopLevelItems(items)

    @property
    def scene_count(self) -> int:
        return len(self._items)

    def visible_scenes(self) -> list[int]:
        """The numbers of the scenes the filter lets through, in order."""
        return [number for number, item in self._items.items() if not item.isHidden()]

    def current_scene(self) -> int | None:
        item = self.tree.currentItem()
        return None if item is None else int(item.data(NUMBER, SCENE_ROLE))

    def row_of(self, number: int) -> int:
        """The row of scene ``number`` in the list (-1 when it has none)."""
        item = self._items.get(number)
        return -1 if item is None else self.tree.indexOfTopLevelItem(item)

    @Slot(str)
    def apply_filter(self, text: str) -> None:
        """Hide the scenes whose heading and speakers do not contain ``text``."""
        needle = text.strip().casefold()
        for number, item in self._items.items():
            item.setHidden(bool(needle) and needle not in self._search[number])

    def set_filter(self, text: str) -> None:
        self.filter_edit.setText(text)

    @Slot(int)
    def select_scene(self, number: int) -> None:
        """Make scene ``number``'s row current and visible, without emitting ``sceneChosen``."""
        item = self._items.get(number)
        if item is None or self.tree.currentItem() is item:
            return
        if item.isHidden():  # a citation to a scene the filter hides: show every scene again
            self.filter_edit.clear()
        self.tree.blockSignals(True)
        self.tree.setCurrentItem(item)
        self.tree.blockSignals(False)
        self.tree.scrollToItem(item)

    @Slot()
    def _choose_first(self) -> None:
        """Enter in the filter box: show the first scene it lets through."""
        visible = self.visible_scenes()
        if visible:
            self.tree.setCurrentItem(self._items[visible[0]])

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _on_current(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        if current is not None:
            self.sceneChosen.emit(int(current.data(NUMBER, SCENE_ROLE)))
