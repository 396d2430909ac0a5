"""Results that last: the History tab, the last summary shown again when a document reopens,
and the shown summary exported (Markdown, PDF), printed and copied with its formatting.

:func:`install_history` wires it all into a ``MainWindow`` (after its menus exist): a
:class:`~logline.ui.summary_keeper.SummaryKeeper` keeps each summary as it streams, a
:class:`~logline.ui.history_panel.HistoryPanel` lists what the store holds for the open
document, and the File menu's Export…, Export Conversation… and Print… act on what is shown.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog

from logline.store import StoreError
from logline.ui import window_state
from logline.ui.export_files import ExportError, print_markdown, write_markdown, write_pdf
from logline.ui.export_text import SavedSummary, saved_summary, short_date, summary_markdown
from logline.ui.history_panel import CONVERSATION, SUMMARY, HistoryEntry, HistoryPanel
from logline.ui.rich_copy import copy_rich, install_rich_copy
from logline.ui.summary_keeper import SummaryKeeper

log = logging.getLogger(__name__)

EXPORT_FILTERS = ["Markdown (*.md)", "PDF (*.pdf)"]
NOTHING_SHOWN = "There is no summary to export or print yet: summarize, or pick one in History."
STORE_ERRORS = (OSError, sqlite3.Error, StoreError)


class HistoryController(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.keeper = SummaryKeeper(window)
        self.panel = HistoryPanel()
        tabs = window.summary_tabs
        self.tab_index = tabs.addTab(self.panel, "History")
        tabs.setTabToolTip(self.tab_index, "Saved summaries and conversations of this document")
        tabs.tabBar().setVisible(True)
        self.shown_id: int | None = None  # the summary shown: saved, or the last one run
        self.dialog: QFileDialog | QPrintDialog | None = None  # kept alive while it shows
        self.printer: QPrinter | None = None
        window.documentOpened.connect(lambda _document: self.document_opened())
        self.keeper.saved.connect(self._on_saved)
        tabs.currentChanged.connect(self._on_tab_changed)
        window.chat.turnFinished.connect(lambda _result: self.refresh())
        self.panel.showRequested.connect(self.show_entry)
        self.panel.deleteConfirmed.connect(self.delete_entry)
        install_rich_copy(window.summary_view)
        install_rich_copy(window.notes_view)

    @property
    def store(self) -> Any:
        return self.window.store

    # -- listing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """List what the store holds for the open document."""
        document_id = self.keeper.document_id() if self.store is not None else None
        summaries: list[HistoryEntry] = []
        conversations: list[HistoryEntry] = []
        if document_id is not None:
            try:
                for record in self.store.summaries.list(document_id):
                    saved = saved_summary(self.store, record)
                    tip = saved.entry.replace("\n", " · ")
                    summaries.append(HistoryEntry(SUMMARY, record.id, saved.entry, tip))
                for chat in self.store.conversations.list(document_id):
                    count = self.store.conversations.message_count(chat.id)
                    title = chat.title or "Conversation"
                    messages = f"{count} message{'s' if count != 1 else ''}"
                    text = f"{title}\n{messages} · {short_date(chat.updated)}"
                    tip = f"{title} · {messages} · {short_date(chat.updated)}"
                    conversations.append(HistoryEntry(CONVERSATION, chat.id, text, tip))
            except STORE_ERRORS as exc:
                log.warning("The history could not be read: %s", type(exc).__name__)
        self.panel.set_entries(summaries, conversations, document=document_id is not None)

    def _on_tab_changed(self, index: int) -> None:
        if index == self.tab_index:
            self.refresh()

    def _on_saved(self, summary_id: int) -> None:
        self.shown_id = summary_id  # the summary running (or just ended) is the one shown
        self.refresh()

    # -- showing ---------------------------------------------------------------------------
    def document_opened(self) -> None:
        """Show the document's last saved summary (if any) in place of an empty pane."""
        self.shown_id = None
        self.window.server_badge.hide_badge()  # the new document's saved summary shows its own
        self.refresh()
        document_id = self.keeper.document_id()
        if document_id is None:
            return
        try:
            latest = self.store.summaries.latest(document_id)
        except STORE_ERRORS as exc:
            log.warning("The last summary could not be read: %s", type(exc).__name__)
            return
        if latest is not None:
            self.show_summary(latest.id)

    def show_entry(self, kind: str, entry_id: int) -> None:
        if kind == SUMMARY:
            self.show_summary(entry_id)
        elif self.window.chat.busy:
            self.window.status.message("Stop the answer before opening another conversation.")
        else:
            self.window.chat.show_conversation(entry_id)
            self.window.chat_pane.composer.edit.setFocus()

    def show_summary(self, summary_id: int) -> bool:
        """Show saved summary ``summary_id`` in the Summary tab, its header saying what it is."""
        saved = self.saved(summary_id)
        if saved is None:
            return False
        empty = ""
        if not saved.text.strip() and saved.notes:
            empty = "Stopped while taking notes: the notes written then are in the Notes tab."
        if not self.window.presenter.show_saved(saved.header, saved.text, saved.notes, empty):
            self.window.status.message("Stop the summary to show a saved one.", 5000)
            return False
        self.window.server_badge.show_badge(saved.server)
        self.shown_id = summary_id
        self.panel.select(SUMMARY, summary_id)
        return True

    def saved(self, summary_id: int | None) -> SavedSummary | None:
        if summary_id is None or self.store is None:
            return None
        try:
            stream = self.keeper.stream
            if stream is not None and stream.summary_id == summary_id:
                stream.flush()  # the running summary as far as it has streamed
            record = self.store.summaries.get(summary_id)
            return saved_summary(self.store, record) if record is not None else None
        except STORE_ERRORS as exc:
            log.warning("A saved summary could not be read: %s", type(exc).__name__)
            return None

    # -- deleting --------------------------------------------------------------------------
    def delete_entry(self, kind: str, entry_id: int) -> None:
        window = self.window
        if kind == CONVERSATION:
            if window.chat.busy:
                window.status.message("Stop the answer before deleting a conversation.", 5000)
                return
            window.chat.delete(entry_id)
        else:
            stream = self.keeper.stream
            if stream is not None and stream.summary_id == entry_id:
                window.status.message("Stop the summary before deleting it.", 5000)
                return
            try:
                self.store.summaries.delete(entry_id)
            except STORE_ERRORS as exc:
                window.show_error(f"The summary could not be deleted ({type(exc).__name__}).")
                return
            if self.shown_id == entry_id and not window.generating:
                window.presenter.clear()
                window.server_badge.hide_badge()
                window.summary_view.setPlaceholderText("The summary shown was deleted.")
                self.shown_id = None
        window.status.message("Deleted.", 3000)
        self.refresh()

    # -- export, print, copy ---------------------------------------------------------------
    def shown(self) -> SavedSummary | None:
        """The summary shown (saved, or the one running or just run), as the store has it."""
        return self.saved(self.shown_id)

    def export(self) -> QFileDialog | None:
        """Ask where to export the shown summary (Markdown or PDF), without blocking."""
        saved = self.shown()
        if saved is None:
            self.window.status.message(NOTHING_SHOWN, 6000)
            return None
        start = Path(window_state.last_folder() or Path.home()) / f"{saved.file_stem}.md"
        return self._ask_file("Export the summary", start, self.export_to)

    def export_conversation(self) -> QFileDialog | None:
        chat = self.window.chat
        if chat.session is None or self.store is None or not chat.session.thread():
            self.window.status.message("There is no conversation to export yet.", 6000)
            return None
        conversation = self.store.conversations.get(chat.session.conversation_id)
        title = conversation.title if conversation is not None else "Conversation"
        stem = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip()
        start = Path(window_state.last_folder() or Path.home()) / f"{stem or 'Conversation'}.md"
        return self._ask_file("Export the conversation", start, self.export_conversation_to)

    def _ask_file(self, caption: str, start: Path, write: Any) -> QFileDialog:
        dialog = QFileDialog(self.window, caption, str(start))
        dialog.setObjectName("exportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(EXPORT_FILTERS)
        dialog.setDefaultSuffix("md")
        dialog.filterSelected.connect(
            lambda chosen: dialog.setDefaultSuffix("pdf" if "pdf" in chosen else "md")
        )
        dialog.fileSelected.connect(lambda name: write(Path(name)))
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def export_to(self, path: Path) -> Path | None:
        """Write the shown summary to ``path``: a PDF for ``.pdf``, else Markdown."""
        saved = self.shown()
        if saved is None:
            self.window.status.message(NOTHING_SHOWN, 6000)
            return None
        return self._write(path, summary_markdown(saved), saved.title, saved.running_header)

    def export_conversation_to(self, path: Path) -> Path | None:
        from logline.chat.export import conversation_markdown

        session = self.window.chat.session
        if session is None:
            return None
        markdown = conversation_markdown(self.store, session.conversation_id)
        conversation = self.store.conversations.get(session.conversation_id)
        return self._write(path, markdown, conversation.title if conversation else "Conversation")

    def _write(self, path: Path, markdown: str, title: str, header: str = "") -> Path | None:
        try:
            if path.suffix.lower() == ".pdf":
                write_pdf(path, markdown, title, header)
            else:
                write_markdown(path, markdown)
        except ExportError as exc:
            self.window.show_error(str(exc))
            return None
        self.window.status.message(f"Exported {path.name}", 5000)
        return path

    def print_shown(self, printer: QPrinter | None = None) -> QPrintDialog | None:
        """Print the shown summary on ``printer`` (default: the system's), through the print
        dialog (opened without blocking)."""
        saved = self.shown()
        if saved is None:
            self.window.status.message(NOTHING_SHOWN, 6000)
            return None
        printer = printer or QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self.window)
        dialog.setObjectName("printDialog")
        markdown, title, header = summary_markdown(saved), saved.title, saved.running_header
        dialog.accepted.connect(lambda: print_markdown(printer, markdown, title, header))
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        self.dialog, self.printer = dialog, printer
        QDialog.open(dialog)  # QPrintDialog.open() in PySide wants a slot: the plain one
        return dialog

    def copy_summary(self) -> bool:
        """The whole summary on the clipboard, as rich text, Markdown and plain text."""
        copied = copy_rich(self.window.summary_view, whole=True)
        self.window.status.message("Summary copied." if copied else "No summary to copy.", 3000)
        return copied

    def show_panel(self) -> None:
        self.window.summary_tabs.setCurrentIndex(self.tab_index)
        self.panel.list.setFocus()


def install_history(window: Any) -> HistoryController:
    """Give ``window`` (a ``MainWindow`` with its chat and menus built) its history."""
    return HistoryController(window)
