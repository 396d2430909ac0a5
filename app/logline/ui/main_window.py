"""The main window: open a document, pick a model, stream its summary, stop it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from logline.documents import Document, DocumentError, EncryptedPdfError
from logline.engine.events import Finished, ModelLoaded
from logline.engine.sampling import SamplingParams
from logline.ui.banner import Banner
from logline.ui.document_loader import DocumentLoader
from logline.ui.document_view import DocumentView
from logline.ui.engine_worker import EngineHost
from logline.ui.model_picker import check_fit_before_load
from logline.ui.models_dialog import ModelsDialog
from logline.ui.pane import Pane
from logline.ui.status_panel import StatusPanel
from logline.ui.summary_view import SummaryView
from logline.ui.toolbar import MainToolBar

log = logging.getLogger(__name__)

APP_TITLE = "Logline"
OPEN_FILTER = "Documents (*.fountain *.spmd *.fdx *.pdf *.txt *.md);;All files (*)"
FINISH_LABELS = {
    "done": "Summary complete",
    "length": "Summary reached its length limit",
    "stopped": "Stopped",
    "error": "Summary failed",
}


class MainWindow(QMainWindow):
    """``model_override`` (id, folder) selects an explicit model, e.g. a tiny one in tests;
    ``sampling`` replaces the summary's default sampling parameters.

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
        host: EngineHost | None = None,
    ) -> None:
        super().__init__()
        self.document: Document | None = None
        self._sampling = sampling
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
        doc_pane = Pane("Document", self.document_view)
        sum_pane = Pane("Summary", self.summary_view)
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

    @Slot()
    def summarize(self) -> None:
        choice = self.model_picker.choice()
        if self.document is None or self._generating or choice is None:
            return
        if not check_fit_before_load(self, choice, tell=lambda _w, text: self.show_error(text)):
            return
        self.banner.dismiss()
        self.summary_view.start(waiting="Reading the document…")
        self.status.set_stats("")
        self._model_label = choice.label
        self.summary_detail.setText(choice.label)
        self._set_generating(True)
        self.status.message("Starting…")
        self.host.summarize(self.document, choice, self._sampling)

    @Slot(str)
    def open_models_dialog(self, select: str = "") -> ModelsDialog:
        """Show the (one, non-modal) Models window, with ``select`` (a model or catalog id)."""
        if self._models_dialog is None:
            self._models_dialog = ModelsDialog(self)
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
        self.status.show_progress(done, total)

    @Slot(str)
    def _on_tokens(self, text: str) -> None:
        if self.status.reading:
            self.status.hide_progress()
            self.status.message("Writing the summary…")
        self.summary_view.append_tokens(text)

    @Slot(object)
    def _on_finished(self, finished: Finished) -> None:
        self.summary_view.finish()
        failed = finished.reason == "error"
        self.summary_view.setPlaceholderText("" if failed else "No summary was written.")
        self.status.hide_progress()
        self._set_generating(False)
        label = FINISH_LABELS.get(finished.reason, finished.reason)
        if finished.reason != "error":  # an error's own message stays in the status bar
            self.status.message("")
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
