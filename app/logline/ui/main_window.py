"""The main window: open a document, pick a model and a summary mode, stream its summary, stop it.

A long document is summarized from notes on each chunk (the map phase): the status bar counts the
chunks, the Notes tab shows each chunk's notes as they are written, then the final answer streams
into the Summary tab (citations checked as it streams; mismatches are flagged and counted).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from logline.documents import Document, DocumentError, EncryptedPdfError
from logline.engine.events import Finished, ModelLoaded
from logline.engine.sampling import SamplingParams
from logline.summarize.events import ChunkDone, PlanChosen
from logline.summarize.modes import MODES
from logline.ui.banner import Banner
from logline.ui.document_loader import DocumentLoader
from logline.ui.document_view import DocumentView
from logline.ui.engine_worker import EngineHost
from logline.ui.model_picker import check_fit_before_load
from logline.ui.models_dialog import ModelsDialog
from logline.ui.notes_view import NotesView
from logline.ui.pane import Pane
from logline.ui.status_panel import StatusPanel
from logline.ui.summary_view import SummaryView
from logline.ui.toolbar import MainToolBar

if TYPE_CHECKING:
    from logline.summarize.runner import SummaryOptions, SummaryResult

log = logging.getLogger(__name__)

APP_TITLE = "Logline"
OPEN_FILTER = "Documents (*.fountain *.spmd *.fdx *.pdf *.txt *.md);;All files (*)"
FINISH_LABELS = {
    "done": "Summary complete",
    "length": "Summary reached its length limit",
    "stopped": "Stopped",
    "error": "Summary failed",
}
SUMMARY_TAB, NOTES_TAB = 0, 1
# What "Writing the …" names for each mode's final answer.
ANSWER_NAMES = {"scenes": "scene breakdown", "custom": "answer"}


def answer_name(mode_id: str) -> str:
    """``synopsis``, ``coverage report``…: the final answer of ``mode_id``, for status lines."""
    mode = MODES.get(mode_id)
    return ANSWER_NAMES.get(mode_id, mode.title.lower() if mode else "summary")


def citations_message(count: int, screenplay: bool) -> str:
    """``2 citations did not match the script and are marked``."""
    what = "script" if screenplay else "document"
    if count == 1:
        return f"1 citation did not match the {what} and is marked"
    return f"{count} citations did not match the {what} and are marked"


class MainWindow(QMainWindow):
    """``model_override`` (id, folder) selects an explicit model, e.g. a tiny one in tests;
    ``sampling`` replaces the final answer's sampling parameters; ``options`` are the base
    summary options (e.g. a small ``max_context``) to which the chosen mode is applied.

    Documents load on a background thread: :meth:`open_file` returns at once and
    ``documentOpened`` or ``documentFailed`` follows.
    """

    documentOpened = Signal(object)  # Document
    documentFailed = Signal(str)  # the message shown

    def __init__(
        self,
        *,
        model_override: tuple[str, Path] | None = None,
        sampling: SamplingParams | None = None,
        options: SummaryOptions | None = None,
        host: EngineHost | None = None,
    ) -> None:
        super().__init__()
        self.document: Document | None = None
        self._sampling = sampling
        self._options = options
        self._mode = ""  # the mode of the summary running (or last run)
        self._phase = ""  # its current phase: single, map, merge or reduce
        self._chunk_labels: tuple[str, ...] = ()
        self._result: SummaryResult | None = None
        self._generating = False
        self._model_label = ""
        self.host = host or EngineHost(self)
        self.loader = DocumentLoader(self)
        self._loading: Path | None = None
        # Asks for a PDF's password: (file name, wrong_before) -> password or None (cancelled).
        self.ask_password = self._ask_password_dialog
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self.resize(1200, 780)
        self._build_toolbar()
        self._build_central()
        self.status = StatusPanel(self.statusBar())
        self._connect_engine()
        if model_override is not None:
            self.set_model(*model_override)
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
        self.document_view = DocumentView()
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
        self._show_notes_tab(False)
        doc_pane = Pane("Document", self.document_view)
        sum_pane = Pane("Summary", self.summary_tabs)
        self.document_detail, self.summary_detail = doc_pane.detail, sum_pane.detail
        self.document_detail.setText("No document open")
        self.splitter = QSplitter(Qt.Orientation.Horizontal, central)
        self.splitter.setHandleWidth(12)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(doc_pane)
        self.splitter.addWidget(sum_pane)
        self.splitter.setSizes([600, 600])
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    def _connect_engine(self) -> None:
        host = self.host
        host.promptProgress.connect(self._on_prompt_progress)
        host.tokens.connect(self._on_tokens)
        host.finished.connect(self._on_finished)
        host.failed.connect(self._on_failed)
        host.notice.connect(self._on_notice)
        host.status.connect(self._on_status)
        host.modelLoaded.connect(self._on_model_loaded)
        host.planChosen.connect(self._on_plan_chosen)
        host.phaseStarted.connect(self._on_phase_started)
        host.chunkText.connect(self._on_chunk_text)
        host.chunkDone.connect(self._on_chunk_done)
        host.summaryResult.connect(self._on_summary_result)
        host.importProgress.connect(self._on_import_progress)
        host.importFinished.connect(lambda _model_id: self._on_import_ended())
        host.importFailed.connect(lambda _message: self._on_import_ended())
        self.loader.loaded.connect(self._on_document_loaded)
        self.loader.failed.connect(self._on_document_failed)

    # -- public API ------------------------------------------------------------------------
    def set_model(self, model_id: str, path: Path, display_name: str = "") -> None:
        """Use an explicit model folder instead of an installed model."""
        self.model_picker.set_model(model_id, Path(path), display_name)

    @property
    def generating(self) -> bool:
        return self._generating

    def open_files(self, paths: Iterable[str | Path]) -> bool:
        """Open the first of ``paths`` (one document at a time, for now)."""
        for path in paths:
            return self.open_file(path)
        return False

    def open_file(self, path: str | Path, password: str | None = None) -> bool:
        """Start loading ``path``; False when it cannot start now (a summary is running).

        On failure the error is shown and the current document stays open.
        """
        path = Path(path)
        if self._generating:
            self.status.message("Stop the summary before opening another file.", 5000)
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
        self.document_view.show_text(document.text)
        self.summary_view.start()
        self._reset_notes()
        self.summary_detail.clear()
        self.status.set_stats("")
        pages = len(document.pages)
        page_text = f"{pages:,} page{'s' if pages != 1 else ''} · " if pages else ""
        scenes = len(document.scenes)
        scene_text = f"{scenes:,} scene{'s' if scenes != 1 else ''} · " if scenes else ""
        words = document.word_count
        self.document_detail.setText(
            f"{document.title} · {page_text}{scene_text}{words:,} word{'s' if words != 1 else ''}"
            f" · {document.path.name}"
        )
        self.setWindowTitle(f"{APP_TITLE} — {document.title}")
        self.status.message(f"Opened {document.path.name}", 5000)
        self._update_actions()
        self.documentOpened.emit(document)

    @Slot(object)
    def _on_document_failed(self, error: DocumentError) -> None:
        path, self._loading = self._loading, None
        self._update_actions()
        name = error.path.name if error.path else (path.name if path else "document")
        log.info("Could not open %s: %s", name, type(error).__name__)
        if isinstance(error, EncryptedPdfError) and error.path is not None:
            password = self.ask_password(name, error.password_given)
            if password:
                self.open_file(error.path, password)
                return
            if password is None and not error.password_given:
                self.status.message(f"{name} was not opened.", 5000)
                self.documentFailed.emit(str(error))
                return
        self.show_error(str(error))
        self.documentFailed.emit(str(error))

    def _ask_password_dialog(self, name: str, wrong_before: bool) -> str | None:
        prompt = f"{name} is password-protected. Password:"
        if wrong_before:
            prompt = f"That password did not open {name}. Try again:"
        text, accepted = QInputDialog.getText(
            self, "Password required", prompt, QLineEdit.EchoMode.Password
        )
        return text if accepted else None

    def show_error(self, message: str) -> None:
        """The one place errors are shown: the banner and the status bar (never modal)."""
        self.banner.show_message(message, "error")
        self.status.message(message, 10000)

    @Slot()
    def open_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open a document", "", OPEN_FILTER)
        if files:
            self.open_files(files)

    def summary_options(self) -> SummaryOptions:
        """The options for a summary now: the base options with the picker's mode."""
        from logline.summarize.runner import SummaryOptions

        base = self._options or SummaryOptions()
        return replace(
            base, mode=self.mode_picker.mode(), instruction=self.mode_picker.instruction()
        )

    @Slot()
    def summarize(self) -> None:
        choice = self.model_picker.choice()
        if self.document is None or self._generating or choice is None:
            return
        if not self.mode_picker.ready:
            self.status.message("Type the instruction for the custom summary first.", 5000)
            self.mode_picker.ask_for_instruction()
            return
        if not check_fit_before_load(self, choice, tell=lambda _w, text: self.show_error(text)):
            return
        options = self.summary_options()
        self.banner.dismiss()
        self.summary_view.start(waiting="Reading the document…", document=self.document)
        self._reset_notes()
        self._mode, self._phase, self._result = options.mode, "", None
        self.status.set_stats("")
        self._model_label = choice.label
        self.summary_detail.setText(choice.label)
        self._set_generating(True)
        self.status.message("Starting…")
        self.host.summarize(self.document, choice, self._sampling, options)

    @Slot(str)
    def open_models_dialog(self, select: str = "") -> ModelsDialog:
        """Show the (one, non-modal) Models window, with ``select`` (a model or catalog id)."""
        if self._models_dialog is None:
            self._models_dialog = ModelsDialog(self, host=self.host)
            self._models_dialog.modelsChanged.connect(self.model_picker.refresh)
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
        if self._generating:
            self.host.cancel()
            self.status.message("Stopping…")

    # -- engine events (all on the GUI thread) ---------------------------------------------
    @Slot(int, int)
    def _on_prompt_progress(self, done: int, total: int) -> None:
        if self._phase in ("map", "merge"):  # the bar counts chunks there, not tokens
            return
        label = "Reading the notes…" if self._phase == "reduce" else "Reading the document…"
        self.status.show_progress(done, total, label)

    @Slot(str)
    def _on_tokens(self, text: str) -> None:
        first = not self.summary_view.text
        if self.status.reading or first:
            self.status.hide_progress()
            self.status.message(f"Writing the {answer_name(self._mode)}…")
        if first:  # only once: the user may look at the notes while the answer streams
            self.summary_tabs.setCurrentIndex(SUMMARY_TAB)
        self.summary_view.append_tokens(text)

    # -- whole-document summaries: plan, phases, notes, result -----------------------------
    @Slot(object)
    def _on_plan_chosen(self, plan: PlanChosen) -> None:
        self._chunk_labels = plan.labels
        if plan.strategy == "map_reduce":
            self.summary_detail.setText(f"{self.summary_detail.text()} · {plan.description}")

    @Slot(str, int, int)
    def _on_phase_started(self, phase: str, items: int, level: int) -> None:
        self._phase = phase
        if phase == "map":
            self.notes_view.begin_phase("map", items, titles=self._chunk_labels)
            self._show_notes_tab(True)
            self.summary_tabs.setCurrentIndex(NOTES_TAB)
            self.summary_view.setPlaceholderText(
                f"Taking notes on {items} parts of the document first (see the Notes tab); "
                f"the {answer_name(self._mode)} is written from them."
            )
            self._show_chunk_progress("map", 0, items)
        elif phase == "merge":
            self.notes_view.begin_phase("merge", items, level)
            self._show_chunk_progress("merge", 0, items)
        else:
            self.status.hide_progress()
            if phase == "reduce":
                self.status.message(f"Writing the {answer_name(self._mode)}…")
                self.summary_view.setPlaceholderText("Reading the notes…")
                self.summary_tabs.setCurrentIndex(SUMMARY_TAB)
        self._update_notes_tab()

    @Slot(str, int, str)
    def _on_chunk_text(self, phase: str, index: int, text: str) -> None:
        self.notes_view.append(phase, index, text)

    @Slot(object)
    def _on_chunk_done(self, event: ChunkDone) -> None:
        self.notes_view.mark_done(event.phase, event.index, event.reason)
        self._show_chunk_progress(event.phase, event.done, event.total)
        self._update_notes_tab()

    def _show_chunk_progress(self, phase: str, done: int, total: int) -> None:
        step = min(done + 1, total)
        if phase == "map":
            text = f"Taking notes: chunk {step} of {total}"
        else:
            level = self.notes_view.level
            text = f"Merging notes (level {level}): group {step} of {total}"
        self.status.show_steps(text, done, total)

    def _update_notes_tab(self) -> None:
        done, total = self.notes_view.counts("map")
        self.summary_tabs.setTabText(NOTES_TAB, f"Notes ({done}/{total})" if total else "Notes")

    def _reset_notes(self) -> None:
        self.notes_view.clear_notes()
        self._chunk_labels = ()
        self._phase = ""
        self.summary_tabs.setTabText(NOTES_TAB, "Notes")
        self._show_notes_tab(False)
        self.summary_tabs.setCurrentIndex(SUMMARY_TAB)

    def _show_notes_tab(self, shown: bool) -> None:
        """The Notes tab exists for long documents only; alone, the Summary tab shows no bar."""
        self.summary_tabs.setTabVisible(NOTES_TAB, shown)
        self.summary_tabs.tabBar().setVisible(shown)

    @Slot(object)
    def _on_summary_result(self, result: SummaryResult) -> None:
        """Arrives just before ``finished``: name the chunks, keep the checked text."""
        self._result = result
        if result.plan is not None and result.plan.strategy == "map_reduce":
            self.notes_view.set_titles([chunk.label for chunk in result.plan.chunks])

    @Slot(object)
    def _on_finished(self, finished: Finished) -> None:
        result, self._result = self._result, None
        # The answer with its citations checked replaces what streamed, unless nothing of the
        # answer streamed (stopped while taking notes: the notes stay in their own tab).
        answered = bool(self.summary_view.text) or finished.reason in ("done", "length")
        final_text = result.text if result is not None and answered else None
        self.summary_view.finish(final_text)
        if finished.reason in ("stopped", "error"):
            self.notes_view.stop_writing(finished.reason)
        self._update_notes_tab()
        failed = finished.reason == "error"
        empty = "No summary was written."
        if finished.reason == "stopped" and self.notes_view.sections:
            empty = "Stopped while taking notes: the notes written so far are in the Notes tab."
        self.summary_view.setPlaceholderText("" if failed else empty)
        if not self.summary_view.text and self.notes_view.sections:
            self.summary_tabs.setCurrentIndex(NOTES_TAB)
        self.status.hide_progress()
        self._set_generating(False)
        self._phase = ""
        label = FINISH_LABELS.get(finished.reason, finished.reason)
        if finished.reason != "error":  # an error's own message stays in the status bar
            self.status.message("")
        flagged = len(self.summary_view.flagged_citations())
        if flagged and not failed:  # an error's banner is not replaced
            screenplay = self.document is not None and self.document.is_screenplay
            message = citations_message(flagged, screenplay)
            label = f"{label} — {message}"
            self.banner.show_message(f"{message}.", "notice")
        stats = finished.stats
        self.status.set_stats(f"{label} — {stats.one_line()}" if stats else label)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.show_error(message)

    @Slot(str)
    def _on_notice(self, message: str) -> None:
        self.banner.show_message(message, "notice")

    @Slot(str)
    def _on_status(self, message: str) -> None:
        self.status.message(message)

    @Slot(str, int, int)
    def _on_import_progress(self, stage: str, done: int, total: int) -> None:
        """A model import holds the engine: say so, or a summary started now seems stuck."""
        if not self._generating:
            share = f" {done * 100 // total}%" if total else ""
            self.status.message(f"Importing a model: {stage.lower()}{share}…")

    def _on_import_ended(self) -> None:
        self.model_picker.refresh()
        if not self._generating:
            self.status.message("")

    @Slot(object)
    def _on_model_loaded(self, event: ModelLoaded) -> None:
        log.info("Model %s ready (%s)", event.model_id, event.precision)
        choice = self.model_picker.choice()
        if choice is not None and choice.path is None:  # e.g. the embedded model, now installed
            self.model_picker.refresh()
            choice = self.model_picker.choice()
            self._model_label = choice.label if choice else self._model_label
        self.summary_detail.setText(f"{self._model_label} · {event.precision}")

    # -- state -----------------------------------------------------------------------------
    def _set_generating(self, generating: bool) -> None:
        self._generating = generating
        self._update_actions()

    def _update_actions(self) -> None:
        busy = self._generating
        loading = self._loading is not None
        self.summarize_action.setEnabled(self.document is not None and not busy and not loading)
        self.stop_action.setEnabled(busy)
        self.open_action.setEnabled(not busy)
        self.model_picker.setEnabled(not busy)
        self.mode_picker.setEnabled(not busy)

    # -- drag and drop ---------------------------------------------------------------------
    @staticmethod
    def _local_files(event: QDragEnterEvent | QDropEvent) -> list[Path]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_files(event) and not self._generating:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:  # type: ignore[override]
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        files = self._local_files(event)
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_files(files)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.host.shutdown()
        self.loader.shutdown()
        if self._models_dialog is not None:
            self._models_dialog.shutdown()
        super().closeEvent(event)
