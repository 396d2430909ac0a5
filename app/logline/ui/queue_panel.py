"""The queue, visible: one line per file with its state, and Cancel, Cancel All and Clear.

Shown above the panes while the queue holds items; hidden once it is cleared. It never widens the
window: the summary line and the file names are elided, the whole of them in tooltips. Colours
come from the palette (no stylesheet of its own), so both themes apply.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from logline.display_text import show_bidi
from logline.ui.file_queue import FileQueue, QueueItem
from logline.ui.pane import DetailLabel

VISIBLE_ROWS = 4  # the list scrolls beyond this


class QueuePanel(QFrame):
    """Shows ``queue`` and lets the user cancel one item, or all, and clear finished ones."""

    def __init__(self, queue: FileQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.setObjectName("queuePanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("File queue")
        self.setAccessibleDescription("Files summarized one after another, with their states")
        self.summary = DetailLabel(self)
        self.summary.setObjectName("queueSummary")
        self.list = QListWidget(self)
        self.list.setObjectName("queueList")
        self.list.setAccessibleName("Queued files")
        self.list.setAccessibleDescription(
            "Each file and its state: waiting, summarizing, done, failed with the reason, "
            "or cancelled"
        )
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.cancel_button = self._button(
            "Cancel", "Cancel queued file", "Cancel the selected file (the running one if none)"
        )
        self.cancel_all_button = self._button(
            "Cancel All", "Cancel the queue", "Cancel every waiting file and stop the running one"
        )
        self.clear_button = self._button(
            "Clear", "Clear finished files", "Remove the done, failed and cancelled files"
        )
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.cancel_all_button.clicked.connect(queue.cancel_all)
        self.clear_button.clicked.connect(queue.clear_finished)
        self.list.currentRowChanged.connect(lambda _row: self._update_buttons())
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.summary, 1)
        for button in (self.cancel_button, self.cancel_all_button, self.clear_button):
            top.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.list)
        queue.changed.connect(self.refresh)
        self.refresh()

    def _button(self, text: str, name: str, description: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(description)
        button.setAccessibleName(name)
        button.setAccessibleDescription(description)
        return button

    # -- showing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        items = self.queue.items
        self.setVisible(bool(items))
        row = self.list.currentRow()
        self.list.clear()
        for item in items:
            line = QListWidgetItem(f"{show_bidi(item.path.name)} — {item.describe()}")
            line.setToolTip(f"{show_bidi(str(item.path))}\n{item.describe()}")
            if item is self.queue.current:  # the one running now stands out
                font = line.font()
                font.setBold(True)
                line.setFont(font)
            self.list.addItem(line)
        if 0 <= row < len(items):
            self.list.setCurrentRow(row)
        rows = min(max(len(items), 1), VISIBLE_ROWS)
        row_height = max(self.list.sizeHintForRow(0), self.list.fontMetrics().lineSpacing() + 4)
        self.list.setFixedHeight(rows * row_height + 2 * self.list.frameWidth())
        self.summary.setText(self.summary_text())
        self._update_buttons()

    def summary_text(self) -> str:
        """One line: where the queue is ("Queue: 2 of 3 · summarizing river.fountain")."""
        items = self.queue.items
        if not items:
            return ""
        current = self.queue.current
        counts = self.queue.counts()
        ended = sum(counts.get(state, 0) for state in ("done", "failed", "cancelled"))
        parts = [f"Queue: {ended} of {len(items)} finished"]
        if current is not None:
            parts.append(f"{current.describe().rstrip('…')} {show_bidi(current.path.name)}")
        for state in ("failed", "cancelled"):
            if counts.get(state):
                parts.append(f"{counts[state]} {state}")
        return " · ".join(parts)

    def _selected(self) -> QueueItem | None:
        row = self.list.currentRow()
        if 0 <= row < len(self.queue.items):
            return self.queue.items[row]
        return self.queue.current

    def _update_buttons(self) -> None:
        selected = self._selected()
        self.cancel_button.setEnabled(selected is not None and not selected.finished)
        self.cancel_all_button.setEnabled(self.queue.active)
        self.clear_button.setEnabled(any(item.finished for item in self.queue.items))

    def cancel_selected(self) -> None:
        selected = self._selected()
        if selected is not None:
            self.queue.cancel(selected)


def install_file_queue(window: Any) -> FileQueue:
    """Give ``window`` (a ``MainWindow``, its chat already built: the store keeps a summary
    before the queue hears it has ended) its queue, and the panel that shows it above the panes
    (hidden while the queue is empty) as ``window.queue_panel``."""
    queue = FileQueue(window)
    panel = QueuePanel(queue, window.centralWidget())
    layout = window.centralWidget().layout()
    layout.insertWidget(layout.indexOf(window.splitter), panel)
    window.queue_panel = panel
    return queue
