"""The main window: open a document, pick a model and a summary mode, stream its summary, stop it.

The window builds the views and wires the actions; a running summary's state and what it shows
live in :class:`~logline.ui.summary_presenter.SummaryPresenter`. A long document is summarized
from notes on each chunk (the map phase): the status bar counts the chunks, the Notes tab shows
each chunk's notes as they are written, then the final answer streams into the Summary tab
(citations checked as it streams; mismatches are flagged and counted). Beside the summary, the
chat pane (:class:`~logline.ui.chat_presenter.ChatPresenter`) answers questions about the open
document; the window opens the store once for it and closes it on close.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from logline.chat.session import ChatOptions
from logline.display_text import show_bidi
from logline.documents import Document, DocumentError, EncryptedPdfError
from logline.engine.events import ModelLoaded
from logline.engine.sampling import SamplingParams
from logline.models.import_source import ImportProgress
from logline.summarize.runner import SummaryOptions
from logline.ui import window_state
from logline.ui.banner import Banner
from logline.ui.built_in_notice import BuiltInModelNotices, FirstRunNotice, SummaryModelNote
from logline.ui.chat_dock import build_chat, close_store
from logline.ui.chat_pane import ChatPane
from logline.ui.close_guard import allow_close
from logline.ui.document_loader import DocumentLoader
from logline.ui.drops import highlight, openable_files
from logline.ui.engine_worker import EngineHost
from logline.ui.history import install_history
from logline.ui.jobs import Job
from logline.ui.menus import build_menus
from logline.ui.model_picker import check_fit_before_load
from logline.ui.models_dialog import ModelsDialog
from logline.ui.notes_view import NotesView
from logline.ui.pane import Pane
from logline.ui.password_prompt import AskPassword, open_password_dialog
from logline.ui.queue_panel import install_file_queue
from logline.ui.remote_jobs import summary_job
from logline.ui.script_pane import ScriptPane
from logline.ui.server_badge import ServerBadge
from logline.ui.server_records import choice_badge
from logline.ui.settings_apply import close_settings, install_settings, with_generation_defaults
from logline.ui.status_panel import StatusPanel
from logline.ui.summary_presenter import (
    NOTES_TAB,
    SUMMARY_TAB,
    SummaryPresenter,
    SummaryScreen,
)
from logline.ui.summary_view import SummaryView
from logline.ui.toolbar import MainToolBar

__all__ = ["NOTES_TAB", "SUMMARY_TAB", "AskPassword", "MainWindow"]

log = logging.getLogger(__name__)

APP_TITLE = "Logline"
OPEN_FILTER = "Documents (*.fountain *.spmd *.fdx *.pdf *.txt *.md);;All files (*)"


def plain_precision(precision: str) -> str:
    """How a model runs, said plainly ("runs on CPU", "4-bit"), not as the engine logs it."""
    if "for CPU" in precision:
        return "runs on CPU"
    return precision.split(" (", 1)[0]


class MainWindow(QMainWindow):
    """``model_override`` (id, folder) selects an explicit model, e.g. a tiny one in tests;
    ``sampling`` replaces the final answer's sampling parameters; ``options`` are the base
    summary options (e.g. a small ``max_context``) to which the chosen mode is applied;
    ``ask_password`` replaces the password prompt for encrypted PDFs.

    Documents load on a background thread: :meth:`open_file` returns at once and
    ``documentOpened`` or ``documentFailed`` follows.
    """

    documentOpened = Signal(object)  # Document
    documentFailed = Signal(str)  # the message shown
    summaryStarted = Signal(object)  # the summary's Job, just before it runs

    def __init__(
        self,
        *,
        model_override: tuple[str, Path] | None = None,
        sampling: SamplingParams | None = None,
        options: SummaryOptions | None = None,
        host: EngineHost | None = None,
        ask_password: AskPassword | None = None,
        confirm_close: bool = False,
        chat_options: ChatOptions | None = None,
    ) -> None:
        super().__init__()
        self.document: Document | None = None
        self._sampling = sampling
        self._options = options
        self._model_label = ""
        self.host = host or EngineHost(self)
        self.loader = DocumentLoader(self)
        self._loading: Path | None = None
        self.ask_password: AskPassword = ask_password or self._ask_password_dialog
        self.confirm_close, self.close_confirmed = confirm_close, False  # see close_guard
        self.password_dialog: QInputDialog | None = None
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self.resize(1200, 780)
        self._build_toolbar()
        self._build_central()
        self.status = StatusPanel(self.statusBar())
        self.presenter = SummaryPresenter(
            SummaryScreen(
                self.summary_view,
                self.notes_view,
                self.summary_tabs,
                self.status,
                self.banner,
                self.summary_detail,
            ),
            self,
        )
        self.chat = build_chat(self, chat_options)  # opens the store, closed with the window
        self.queue = install_file_queue(self)  # after build_chat: a summary is saved, then next
        self._connect()
        self.menu_actions = build_menus(self)
        self.history = install_history(self)  # History tab, kept summaries, export, print
        if model_override is not None:
            self.set_model(*model_override)
        window_state.restore(self, model=model_override is None)
        install_settings(self, model=model_override is None)  # defaults where none remembered
        self.built_in = BuiltInModelNotices(
            self.model_picker,
            self.first_run_notice,
            self.summary_note,
            self.open_models_dialog,
            self,
        )
        self.built_in.maybe_show_first_run()
        self._update_actions()

    # -- construction ----------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        self.toolbar = MainToolBar(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.open_action = self.toolbar.open_action
        self.summarize_action = self.toolbar.summarize_action
        self.stop_action = self.toolbar.stop_action
        self.model_picker = self.toolbar.model_picker
        self.mode_picker = self.toolbar.mode_picker
        self.mode_picker.instruction_edit.returnPressed.connect(self.summarize)
        self.open_action.triggered.connect(self.open_dialog)
        self.summarize_action.triggered.connect(self.summarize)
        self.stop_action.triggered.connect(self.stop)
        self._models_dialog: ModelsDialog | None = None
        self.toolbar.models_action.triggered.connect(lambda: self.open_models_dialog())
        self.model_picker.downloadRequested.connect(self.open_models_dialog)

    def _build_central(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(0)
        self.banner = Banner(central)
        layout.addWidget(self.banner)
        self.first_run_notice = FirstRunNotice(central)
        layout.addWidget(self.first_run_notice)
        self.script_pane = ScriptPane()  # the script, its scenes, characters and pages
        self.document_view = self.script_pane.view
        self.summary_view = SummaryView()
        self.notes_view = NotesView()
        self.summary_tabs = QTabWidget()
        self.summary_tabs.setObjectName("summaryTabs")
        self.summary_tabs.setDocumentMode(True)
        self.summary_tabs.addTab(self.summary_view, "Summary")
        self.summary_tabs.addTab(self.notes_view, "Notes")
        self.summary_tabs.setTabToolTip(
            NOTES_TAB, "Notes on each part of a long document, from which the summary is written"
        )
        self.script_pane.follow_citations(
            self.summary_view.sceneRequested, self.notes_view.sceneRequested
        )
        doc_pane = Pane("Document", self.script_pane)
        sum_pane = Pane("Summary", self.summary_tabs)
        self.document_detail, self.summary_detail = doc_pane.detail, sum_pane.detail
        self.summary_note = SummaryModelNote(sum_pane)  # under the detail line, above the text
        sum_pane.layout().insertWidget(2, self.summary_note)
        self.server_badge = ServerBadge(sum_pane)  # where a server wrote the summary shown
        sum_pane.layout().insertWidget(2, self.server_badge)
        self.document_detail.setText("No document open")
        self.splitter = QSplitter(Qt.Orientation.Horizontal, central)
        self.splitter.setHandleWidth(12)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(doc_pane)
        self.splitter.addWidget(sum_pane)
        self.chat_pane = ChatPane()
        self.splitter.addWidget(Pane("Chat", self.chat_pane))
        self.splitter.setSizes([440, 380, 440])
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    def _connect(self) -> None:
        self.presenter.generatingChanged.connect(lambda _generating: self._update_actions())
        self.presenter.modelLoaded.connect(self._on_model_loaded)
        self.presenter.finished.connect(self.server_badge.summary_finished)
        self.model_picker.choiceLost.connect(self._on_model_lost)
        self.host.jobQueued.connect(self._watch_engine_job)
        self.loader.loaded.connect(self._on_document_loaded)
        self.loader.failed.connect(self._on_document_failed)
        self.chat.busyChanged.connect(lambda _busy: self._update_actions())

    # -- public API ------------------------------------------------------------------------
    def set_model(self, model_id: str, path: Path, display_name: str = "") -> None:
        """Use an explicit model folder instead of an installed model."""
        self.model_picker.set_model(model_id, Path(path), display_name)
        self.chat_pane.model_picker.set_model(model_id, Path(path), display_name)

    @property
    def generating(self) -> bool:
        return self.presenter.generating

    def open_files(self, paths: Iterable[str | Path]) -> bool:
        """Open one file; several are summarized one after another (see ``file_queue``)."""
        return self.queue.add(paths)

    def open_file(self, path: str | Path, password: str | None = None) -> bool:
        """Start loading ``path``; False when it cannot start now (a summary is running).

        On failure the error is shown and the current document stays open.
        """
        path = Path(path)
        if self.generating or self.chat.busy:
            self.status.message("Stop the answer before opening another file.", 5000)
            return False
        self._loading = path
        self.status.message(f"Opening {path.name}…")
        self.loader.load(path, password)
        self._update_actions()
        return True

    @Slot(object)
    def _on_document_loaded(self, document: Document) -> None:
        self._loading = None
        self.document = document
        self.banner.dismiss()
        self.document_view.show_document(document)
        self.presenter.clear()
        self.chat.open_document(document)
        self.built_in.document_changed()
        pages = len(document.pages)
        page_text = f"{pages:,} page{'s' if pages != 1 else ''} · " if pages else ""
        scenes = len(document.scenes)
        scene_text = f"{scenes:,} scene{'s' if scenes != 1 else ''} · " if scenes else ""
        words = document.word_count
        title = show_bidi(document.title)  # a bidi override in a title or name shows as ⟨U+…⟩
        self.document_detail.setText(
            f"{title} · {page_text}{scene_text}{words:,} word{'s' if words != 1 else ''}"
            f" · {show_bidi(document.path.name)}"
        )
        # The document's title only: the app's name is added by the platform where it belongs
        # (Qt appends the display name on Linux and Windows; a Mac shows the document's).
        self.setWindowTitle(title)
        window_state.remember_file(document.path)
        self.summary_view.setPlaceholderText(
            f"Press Summarize (Ctrl+Enter) to summarize {title} in the chosen mode."
        )
        self.status.message(f"Opened {show_bidi(document.path.name)}", 5000)
        if document.notices:  # e.g. hidden PDF text left out (documents.pdf.HiddenText)
            self.banner.show_message(" ".join(document.notices), "notice")
        self._update_actions()
        self.documentOpened.emit(document)

    @Slot(object)
    def _on_document_failed(self, error: DocumentError) -> None:
        path, self._loading = self._loading, None
        self._update_actions()
        name = error.path.name if error.path else (path.name if path else "document")
        log.info("Could not open %s: %s", name, type(error).__name__)
        if isinstance(error, EncryptedPdfError) and error.path is not None:
            locked = error.path
            self.ask_password(
                name,
                error.password_given,
                lambda password: self._on_password(locked, name, error, password),
            )
            return
        self._fail_to_open(str(error))

    def _on_password(
        self, path: Path, name: str, error: EncryptedPdfError, password: str | None
    ) -> None:
        """The password prompt's answer: try again with it, or give up."""
        if password:
            self.open_file(path, password)
        elif password is None and not error.password_given:
            self.status.message(f"{name} was not opened.", 5000)
            self.documentFailed.emit(str(error))
        else:
            self._fail_to_open(str(error))

    def _fail_to_open(self, message: str) -> None:
        self.show_error(message)
        self.documentFailed.emit(message)

    def _ask_password_dialog(
        self, name: str, wrong_before: bool, answer: Callable[[str | None], None]
    ) -> None:
        def closed() -> None:
            self.password_dialog = None

        self.password_dialog = open_password_dialog(self, name, wrong_before, answer, closed)

    def show_error(self, message: str) -> None:
        """The one place errors are shown: the banner and the status bar (never modal)."""
        self.banner.show_message(message, "error")
        self.status.message(message, 10000)

    @Slot()
    def open_dialog(self) -> None:
        folder = window_state.last_folder()
        files, _ = QFileDialog.getOpenFileNames(self, "Open a document", folder, OPEN_FILTER)
        if files:
            self.open_files(files)

    def summary_options(self) -> SummaryOptions:
        """The options for a summary now: the base options with the picker's mode, and the
        window's sampling parameters for the final answer."""
        base = self._options or SummaryOptions()
        options = replace(
            base, mode=self.mode_picker.mode(), instruction=self.mode_picker.instruction()
        )
        options = with_generation_defaults(options)  # the Settings' per-mode defaults
        return replace(options, sampling=self._sampling) if self._sampling else options

    @Slot()
    def summarize(self) -> None:
        choice = self.model_picker.choice()
        if self.document is None or self.generating or choice is None:
            return
        if not self.mode_picker.ready:
            self.status.message("Type the instruction for the custom summary first.", 5000)
            self.mode_picker.ask_for_instruction()
            return
        if not check_fit_before_load(self, choice, tell=lambda _w, text: self.show_error(text)):
            return
        options = self.summary_options()
        self._model_label = choice.label
        job = summary_job(self.host, self.document, choice, options)  # local, or on a server
        self.server_badge.show_badge(choice_badge(choice))
        self.summaryStarted.emit(job)
        self.built_in.summary_started(choice)
        self.presenter.start(
            job, self.document, options.mode, choice.label, instruction=options.instruction
        )

    @Slot(str)
    def open_models_dialog(self, select: str = "") -> ModelsDialog:
        """Show the (one, non-modal) Models window, with ``select`` (a model or catalog id)."""
        if self._models_dialog is None:
            self._models_dialog = ModelsDialog(self, host=self.host)
            self._models_dialog.modelsChanged.connect(self.model_picker.refresh)
            self._models_dialog.modelsChanged.connect(self.chat_pane.model_picker.refresh)
        dialog = self._models_dialog
        dialog.refresh()
        if select:
            dialog.select_model(select)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    @Slot()
    def stop(self) -> None:
        self.presenter.stop()

    # -- other engine jobs -----------------------------------------------------------------
    @Slot(object)
    def _watch_engine_job(self, job: Job) -> None:
        """A model import holds the engine: say so, or a summary started now seems stuck."""
        if job in (self.presenter.job, self.chat.job):  # their presenters' events alone
            return
        imported: list[bool] = []

        def on_event(event: object) -> None:
            if isinstance(event, ImportProgress):
                imported.append(True)
                if not self.generating:
                    share = f" {event.done * 100 // event.total}%" if event.total else ""
                    self.status.message(f"Importing a model: {event.stage.lower()}{share}…")

        def on_done() -> None:
            if imported:
                self.model_picker.refresh()
                if not self.generating:
                    self.status.message("")

        job.on_event(on_event).done(on_done)

    @Slot(object)
    def _on_model_loaded(self, event: ModelLoaded) -> None:
        log.info("Model %s ready (%s)", event.model_id, event.precision)
        choice = self.model_picker.choice()
        if choice is not None and choice.path is None:  # e.g. the embedded model, now installed
            self.model_picker.refresh()
            choice = self.model_picker.choice()
            self._model_label = choice.label if choice else self._model_label
        self.summary_detail.setText(f"{self._model_label} · {plain_precision(event.precision)}")

    @Slot(str, str)
    def _on_model_lost(self, lost: str, now: str) -> None:
        """The model in use disappeared from the picker: say so, never switch silently."""
        message = (
            f"{lost} is no longer available (deleted, or on a drive that is not connected). "
            f"Summaries now use {now or 'no model'}."
        )
        self.banner.show_message(message, "notice")
        self.status.message(message, 10000)

    # -- state -----------------------------------------------------------------------------
    def _update_actions(self) -> None:
        busy = self.generating or self.chat.busy
        loading = self._loading is not None
        self.summarize_action.setEnabled(self.document is not None and not busy and not loading)
        self.stop_action.setEnabled(busy)
        self.open_action.setEnabled(not busy)
        self.model_picker.setEnabled(not busy)
        self.mode_picker.setEnabled(not busy)

    # -- drag and drop ---------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        accepted = self.queue.accepts(openable_files(event))
        highlight(self.centralWidget(), accepted)
        if accepted:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:  # type: ignore[override]
        self.dragEnterEvent(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        highlight(self.centralWidget(), False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        highlight(self.centralWidget(), False)
        files = openable_files(event)
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_files(files)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not allow_close(self, event):
            return
        window_state.save(self)
        close_settings(self)
        self.host.shutdown()
        self.loader.shutdown()
        QCoreApplication.sendPostedEvents()  # a stopped run's result is kept: store, then close
        close_store(self)
        if self._models_dialog is not None:
            self._models_dialog.shutdown()
        super().closeEvent(event)
