"""The Models window's import flow: a GGUF file, an MLX folder or a float Hugging Face folder.

Each import is one :class:`~logline.ui.jobs.Job` running
:func:`logline.models.import_source.run_import` on the engine thread of ``host`` (every kind
ends with a one-token test run of the model, which uses MLX), queued behind a running summary.
Cancelling sets the job's token; the core checks it between chunks (copy) or modules
(conversion) and leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QWidget,
)

from logline import paths
from logline.messages import user_message
from logline.models.errors import ModelError
from logline.models.gguf_import import default_model_id
from logline.models.import_source import (
    CANCELLED_MESSAGE,
    ImportProgress,
    ImportRequest,
    SourceKind,
    classify_source,
    needs_engine,
    run_import,
)
from logline.ui.jobs import Emit, Job
from logline.units import format_bytes_pair

if TYPE_CHECKING:
    from logline.engine.cancel import CancelToken
    from logline.engine.runtime import Engine
    from logline.ui.engine_worker import EngineHost
    from logline.ui.questions import Questions

log = logging.getLogger(__name__)

THREAD_NAME = "logline-model-import"
JOIN_TIMEOUT_S = 10.0
WAITING_TEXT = "Waiting for the summary to finish…"
NO_ENGINE = "Importing this model needs the engine, which is not running."
ANOTHER_IMPORT = "Another import is running; wait for it or cancel it first."


def describe_import_progress(stage: str, done: int, total: int) -> str:
    """For example "Copying 1.2 / 4.5 GB", "Quantizing: module 12 of 30", "Reading tensors…"."""
    if stage in ("Copying", "Writing"):
        return f"{stage} {format_bytes_pair(done, total)}"
    if stage in ("Quantizing", "Converting") and total:
        return f"{stage}: module {done} of {total}"
    if stage == "Reading":
        return "Reading the weights…"
    if stage == "Waiting":
        return WAITING_TEXT
    return f"{stage}…"


def import_message(name: str, kind: SourceKind, reference: bool, bits: int | None) -> str:
    """What the dialog says while an import runs."""
    if kind == "gguf":
        return f"Importing {name}…"
    if kind == "mlx":
        if reference:
            return f"Adding {name}; its files stay where they are…"
        return f"Copying {name} into Logline's model folder…"
    target = f"{bits}-bit MLX" if bits else "float16 MLX"
    return f"Converting {name} to {target}. This takes a while…"


def import_job(request: ImportRequest, host: EngineHost | None) -> Job | None:
    """The job that imports ``request`` on the right thread; None when it needs the engine and
    there is none."""

    def report(emit: Emit) -> Callable[[str, int, int], None]:
        return lambda stage, done, total: emit(ImportProgress(stage, done, total))

    if not needs_engine(request.kind):

        def copy(cancel: CancelToken, emit: Emit) -> str:
            return run_import(request, report(emit), cancel)

        return Job(copy, name=THREAD_NAME)
    if host is None:
        return None

    def on_engine(_engine: Engine, cancel: CancelToken, emit: Emit) -> str:
        return run_import(request, report(emit), cancel)

    return host.job(on_engine, name="model import")


class ImportPanel(QWidget):
    """The import progress row; its Import… button is placed by the dialog.

    ``progress(text, per_mille)`` (-1: no measurable progress yet), ``imported(model_id)`` on
    success, ``ended(outcome)`` ("done", "failed" or "cancelled") after every import.
    """

    progress = Signal(str, int)
    imported = Signal(str)
    ended = Signal(str)
    message = Signal(str, str)  # text, level ("info" or "error")
    stateChanged = Signal()

    def __init__(
        self, questions: Questions, host: EngineHost | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.job: Job | None = None
        self.file_dialog: QFileDialog | None = None
        self._questions = questions
        self.import_bar = QProgressBar(self)
        self.import_bar.setObjectName("importBar")
        self.import_bar.setRange(0, 1000)
        self.import_bar.setTextVisible(False)
        self.import_label = QLabel(self)
        self.import_label.setObjectName("importLabel")
        self.import_cancel_button = QPushButton("Cancel Import", self)
        self.import_cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.import_bar, 1)
        row.addWidget(self.import_label)
        row.addWidget(self.import_cancel_button)
        self.import_button = QPushButton("Import…", parent)
        self.import_button.setToolTip("Add a model from a drive: a GGUF file or a model folder")
        menu = QMenu(self.import_button)
        menu.addAction("GGUF File…", self.choose_file)
        menu.addAction("Model Folder…", self.choose_folder)
        self.import_button.setMenu(menu)
        self.progress.connect(self._show_progress)
        self.setVisible(False)

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def update_buttons(self) -> None:
        importing = self.running
        self.import_button.setEnabled(not importing)
        cancelled = self.job is not None and self.job.cancel.cancelled
        self.import_cancel_button.setEnabled(importing and not cancelled)

    # -- choosing --------------------------------------------------------------------------
    @Slot()
    def choose_file(self) -> None:
        """Ask for a GGUF file (non-blocking; the answer continues in :meth:`ask_import`)."""
        self._open_chooser("Import a GGUF File", QFileDialog.FileMode.ExistingFile)

    @Slot()
    def choose_folder(self) -> None:
        """Ask for a model folder (MLX, or Hugging Face safetensors to convert)."""
        self._open_chooser("Import a Model Folder", QFileDialog.FileMode.Directory)

    def _open_chooser(self, title: str, mode: QFileDialog.FileMode) -> None:
        chooser = QFileDialog(self.window(), title)
        chooser.setFileMode(mode)
        if mode == QFileDialog.FileMode.Directory:
            chooser.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            chooser.setNameFilters(["GGUF models (*.gguf)", "All files (*)"])
        chooser.fileSelected.connect(lambda path: self.ask_import(Path(path)))
        chooser.finished.connect(lambda _result: setattr(self, "file_dialog", None))
        self.file_dialog = chooser
        chooser.open()

    def ask_import(self, path: Path) -> None:
        """Check ``path``, ask how to import it where there is a choice, then import it."""
        kind = self._classify(path)
        if kind == "gguf":
            self.import_path(path)
        elif kind == "mlx":
            self._questions.choose(
                "Import this model folder?",
                f"“{path.name}” is ready to use. Copy it into Logline's model folder, or use it "
                "where it is (the drive must then be connected whenever you use the model)?",
                [
                    ("Copy Into Logline", lambda: self.import_path(path)),
                    ("Use It Where It Is", lambda: self.import_path(path, reference=True)),
                ],
            )
        elif kind == "float":
            self._questions.choose(
                "Convert this model?",
                f"“{path.name}” holds full-precision weights. Logline will convert it to a 4-bit "
                "MLX model (smaller and faster; 8-bit is closer to the original). Converting "
                "takes a while: minutes for a large model, and as much memory as the model.",
                [
                    ("Convert to 4-bit", lambda: self.import_path(path, quantize=4)),
                    ("Convert to 8-bit", lambda: self.import_path(path, quantize=8)),
                    ("Keep float16", lambda: self.import_path(path, quantize=None)),
                ],
            )

    def _classify(self, path: Path) -> SourceKind | None:
        """``path``'s kind, or None after showing why it cannot be imported now."""
        if self.running:
            self.message.emit(ANOTHER_IMPORT, "error")
            return None
        try:
            return classify_source(path)
        except (ModelError, OSError) as exc:
            self.message.emit(f"{path.name} cannot be imported. {exc}", "error")
            return None

    # -- importing -------------------------------------------------------------------------
    def import_path(
        self, path: str | Path, *, reference: bool = False, quantize: int | None = 4
    ) -> bool:
        """Import ``path`` without asking: a GGUF file, an MLX folder (copied, or referenced in
        place when ``reference``) or a float folder (converted to ``quantize`` bits, 4 or 8, or
        None for float16). False when refused at once (the reason is shown)."""
        path = Path(path).expanduser()
        kind = self._classify(path)
        if kind is None:
            return False
        self.message.emit(import_message(path.name, kind, reference, quantize), "info")
        self.import_bar.setRange(0, 0)  # busy until the first measurable progress
        self.import_label.setText("")
        self.setVisible(True)
        request = ImportRequest(
            kind,
            path,
            paths.models_dir(),
            default_model_id(path),
            display_name=None if kind == "gguf" else path.name,
            reference=reference,
            bits=quantize,
        )
        job = import_job(request, self.host)
        if job is None:
            self._end_failed(NO_ENGINE)
            return False
        waiting = needs_engine(kind) and self.host is not None and self.host.busy
        job.on_event(self._on_event).success(self._on_imported).failure(self._on_failed)
        self.job = job
        job.run()
        if kind == "mlx":
            self.progress.emit("Checking the folder…", -1)
        else:
            self.progress.emit(WAITING_TEXT if waiting else "Starting…", -1)
        self.stateChanged.emit()
        return True

    @Slot()
    def cancel(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel.cancel()
            self.import_label.setText("Cancelling…")
            self.stateChanged.emit()

    def shutdown(self, timeout_s: float = JOIN_TIMEOUT_S) -> bool:
        """Cancel; join a folder copy. An engine job stops at its next check on the engine
        thread (its outcome still arrives). False when the copy did not end in time."""
        job = self.job
        return True if job is None else job.stop(timeout_s)

    # -- events (GUI thread) ---------------------------------------------------------------
    def _on_event(self, event: object) -> None:
        if not isinstance(event, ImportProgress) or self.job is None:
            return
        if self.job.cancel.cancelled:
            return  # keep "Cancelling…" on screen
        done, total = event.done, event.total
        per_mille = 1000 * done // total if total > 0 else -1
        self.progress.emit(describe_import_progress(event.stage, done, total), per_mille)

    @Slot(str, int)
    def _show_progress(self, text: str, per_mille: int) -> None:
        if per_mille < 0:
            self.import_bar.setRange(0, 0)
        else:
            self.import_bar.setRange(0, 1000)
            self.import_bar.setValue(per_mille)
        self.import_label.setText(text)

    def _on_imported(self, model_id: str) -> None:
        self.setVisible(False)
        self.imported.emit(model_id)
        self.ended.emit("done")

    def _on_failed(self, exc: BaseException) -> None:
        if self.job is not None and self.job.cancel.cancelled:
            self.setVisible(False)
            self.message.emit(CANCELLED_MESSAGE, "info")
            self.stateChanged.emit()
            self.ended.emit("cancelled")
        else:
            self._end_failed(user_message(exc, "import"))

    def _end_failed(self, message: str) -> None:
        self.setVisible(False)
        self.message.emit(message, "error")
        self.stateChanged.emit()
        self.ended.emit("failed")
