"""The summary pane: streamed tokens as plain text, batched; Markdown once the summary is done."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Slot
from PySide6.QtGui import QTextBlockFormat, QTextCursor
from PySide6.QtWidgets import QTextBrowser, QWidget

FLUSH_INTERVAL_MS = 30
IDLE_HINT = "Open a document and press Summarize: the summary appears here."


class SummaryView(QTextBrowser):
    """Accepts token text at any rate; repaints at most every ``FLUSH_INTERVAL_MS``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryView")
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() + 1)
        self.setFont(font)
        self.setPlaceholderText(IDLE_HINT)
        self._text: list[str] = []  # everything received for the current summary
        self._pending: list[str] = []  # received but not shown yet
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)

    @property
    def text(self) -> str:
        """The raw text received so far (including what is not painted yet)."""
        return "".join(self._text)

    def start(self, waiting: str = "") -> None:
        """Begin a new summary: clear the view and any buffered text; ``waiting`` is shown
        until the first text arrives (the idle hint when empty)."""
        self._timer.stop()
        self._text.clear()
        self._pending.clear()
        self.clear()
        self.setPlaceholderText(waiting or IDLE_HINT)

    @Slot(str)
    def append_tokens(self, text: str) -> None:
        if not text:
            return
        self._text.append(text)
        self._pending.append(text)
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def flush(self) -> None:
        """Show buffered text now, keeping the view pinned to the end if it was there."""
        self._timer.stop()
        if not self._pending:
            return
        chunk = "".join(self._pending)
        self._pending.clear()
        bar = self.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.mergeBlockFormat(_block_spacing())  # new blocks inherit it: no jump at the end
        cursor.insertText(chunk)
        if at_end:
            bar.setValue(bar.maximum())

    def finish(self) -> None:
        """Flush and re-render everything received as Markdown."""
        self.flush()
        text = self.text.strip()
        if text:
            self.setMarkdown(text)
            self._space_blocks()

    def _space_blocks(self) -> None:
        cursor = QTextCursor(self.document())
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.mergeBlockFormat(_block_spacing())


def _block_spacing() -> QTextBlockFormat:
    """Airier paragraphs than Qt's defaults: taller lines, a small gap after each block."""
    spacing = QTextBlockFormat()
    spacing.setLineHeight(135, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
    spacing.setBottomMargin(6)
    return spacing
