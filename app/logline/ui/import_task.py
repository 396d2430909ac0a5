"""Importing a model from a drive in the GUI: a GGUF file, an MLX folder, or a float HF folder.

Where each kind runs:

- an **MLX folder** (copied or referenced in place) needs no MLX: a plain ``threading.Thread``
  runs :func:`logline.models.folder_import.import_model_folder`;
- a **GGUF file** and a **float Hugging Face folder** (converted to 4-bit, 8-bit or float16 MLX)
  use MLX, so they go to the engine thread as an :class:`ImportJob` through
  :meth:`logline.ui.engine_worker.EngineHost.import_model`, queued behind a running summary.

:class:`ModelImporter` (GUI thread) hides the difference: start one import, get ``progress``
text, then exactly one of ``finished``, ``failed`` or ``cancelled``. Cancelling sets a
``threading.Event`` directly (the engine queue is busy while the job runs); the core checks it
between chunks (copy) or modules (conversion) and leaves nothing behind.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QObject, Qt, Signal, Slot

if TYPE_CHECKING:
    from logline.ui.engine_worker import EngineHost

log = logging.getLogger(__name__)

THREAD_NAME = "logline-model-import"
JOIN_TIMEOUT_S = 10.0
CANCELLED_MESSAGE = "The import was cancelled; nothing was installed."
WAITING_TEXT = "Waiting for the summary to finish…"

SourceKind = Literal["gguf", "mlx", "float"]
StageProgress = Callable[[str, int, int], None]


@dataclass(frozen=True, eq=False)  # one job is one request: compared by identity
class ImportJob:
    """An import that uses MLX, run on the engine thread: ``kind`` "gguf" imports the file
    ``source``; "float" converts the folder ``source`` to ``bits`` (4, 8, or None: float16)."""

    kind: Literal["gguf", "float"]
    source: Path
    models_root: Path
    model_id: str
    display_name: str | None = None
    bits: int | None = 4
    cancel: threading.Event = field(default_factory=threading.Event)


def classify_source(path: Path) -> SourceKind:
    """What ``path`` is: a GGUF file, an MLX-ready folder, or a float folder to convert.

    Raises :class:`~logline.models.errors.ModelImportError` (a user-ready message) for anything
    else. Reads only config.json and file headers (no MLX), so it is quick on the GUI thread.
    """
    from logline.models.errors import ModelImportError
    from logline.models.hf_convert import needs_conversion

    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise ModelImportError(f'"{path.name}" is not a GGUF file or a model folder.')
        return "gguf"
    if not path.exists():
        raise ModelImportError(f'"{path}" does not exist (is the drive still connected?).')
    return "float" if needs_conversion(path) else "mlx"


def _bytes_pair(done: int, total: int) -> str:
    unit, scale = ("GB", 1e9) if total >= 1e9 else ("MB", 1e6)
    return f"{done / scale:,.1f} / {total / scale:,.1f} {unit}"


def describe_import_progress(stage: str, done: int, total: int) -> str:
    """For example "Copying 1.2 / 4.5 GB", "Quantizing: module 12 of 30", "Reading tensors…"."""
    if stage in ("Copying", "Writing"):
        return f"{stage} {_bytes_pair(done, total)}"
    if stage in ("Quantizing", "Converting") and total:
        return f"{stage}: module {done} of {total}"
    if stage == "Reading":
        return "Reading the weights…"
    if stage == "Waiting":
        return WAITING_TEXT
    return f"{stage}…"


def run_engine_import(job: ImportJob, progress: StageProgress) -> str:
    """Run ``job`` here (on the engine thread); return the installed model id.

    Raises :class:`~logline.models.errors.ModelImportError`, with :data:`CANCELLED_MESSAGE`
    when ``job.cancel`` was set; nothing is left installed then.
    """
    from logline.models.errors import ModelImportError

    if job.cancel.is_set():
        raise ModelImportError(CANCELLED_MESSAGE)
    progress("Starting", 0, 0)
    if job.kind == "float":
        from logline.models.hf_convert import convert_model_folder

        manifest = convert_model_folder(
            job.source,
            job.models_root,
            model_id=job.model_id,
            display_name=job.display_name,
            bits=job.bits,
            progress=progress,
            cancel=job.cancel,
        )
        return manifest.model_id
    from logline.models.gguf_import import import_gguf

    def report(stage: str, fraction: float) -> None:
        progress(stage, round(fraction * 1000), 1000)

    manifest = import_gguf(
        job.source,
        job.models_root,
        model_id=job.model_id,
        display_name=job.display_name,
        progress=report,
    )
    if job.cancel.is_set():  # import_gguf has no cancel point: undo the finished import
        shutil.rmtree(job.models_root / manifest.model_id, ignore_errors=True)
        raise ModelImportError(CANCELLED_MESSAGE)
    return manifest.model_id


def import_error_message(exc: BaseException) -> str:
    """Plain words for a failed import (the models layer writes most of them already)."""
    from logline.models.errors import ModelError

    if isinstance(exc, ModelError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"The model could not be written to disk: {exc.strerror or exc}"
    return f"The import failed: {exc or type(exc).__name__}"


class ModelImporter(QObject):
    """One import at a time, on the right thread. Lives on the GUI thread.

    ``progress(text, per_mille)`` (-1: no measurable progress yet), then exactly one of
    ``finished(model_id)``, ``failed(message)`` or ``cancelled(message)``.
    """

    progress = Signal(str, int)
    finished = Signal(str)
    failed = Signal(str)
    cancelled = Signal(str)

    _event = Signal(object)  # folder-copy thread -> GUI thread (queued)

    def __init__(self, host: EngineHost | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.model_id = ""
        self._cancel: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._engine_job: ImportJob | None = None
        self._event.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        """True until the outcome signal has been delivered."""
        return self._cancel is not None

    @property
    def cancel_requested(self) -> bool:
        return self._cancel is not None and self._cancel.is_set()

    # -- starting --------------------------------------------------------------------------
    def start(
        self,
        source: Path,
        kind: SourceKind,
        *,
        model_id: str,
        display_name: str | None = None,
        reference: bool = False,
        bits: int | None = 4,
    ) -> None:
        """Start importing ``source`` (already classified as ``kind``) as ``model_id``."""
        from logline import paths

        if self.running:
            raise RuntimeError("an import is already running")
        self.model_id = model_id
        models_root = paths.models_dir()
        if kind == "mlx":
            self._cancel = threading.Event()
            self._thread = threading.Thread(
                target=self._copy,
                args=(source, models_root, model_id, display_name, reference, self._cancel),
                name=THREAD_NAME,
                daemon=True,
            )
            self.progress.emit("Checking the folder…", -1)
            self._thread.start()
            return
        if self.host is None:
            self.failed.emit("Importing this model needs the engine, which is not running.")
            return
        job = ImportJob(kind, source, models_root, model_id, display_name, bits)
        self._cancel = job.cancel
        self._engine_job = job
        host = self.host
        host.importProgress.connect(self._on_engine_progress)
        host.importFinished.connect(self._on_engine_finished)
        host.importFailed.connect(self._on_engine_failed)
        waiting = host.busy
        host.import_model(job)
        if waiting:
            self.progress.emit(WAITING_TEXT, -1)
        else:
            self.progress.emit("Starting…", -1)

    def cancel(self) -> None:
        """Ask the import to stop; ``cancelled`` follows (for a GGUF import, once it is done)."""
        if self._cancel is not None:
            self._cancel.set()

    def shutdown(self, timeout_s: float = JOIN_TIMEOUT_S) -> bool:
        """Cancel; join a folder copy. An engine job stops at its next check on the engine
        thread (its outcome still arrives). False when the copy did not end in time."""
        self.cancel()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            log.warning("The model import did not stop within %.0f s", timeout_s)
            return False
        return True

    # -- folder copy (worker thread) -------------------------------------------------------
    def _copy(
        self,
        source: Path,
        models_root: Path,
        model_id: str,
        display_name: str | None,
        reference: bool,
        cancel: threading.Event,
    ) -> None:
        from logline.models.folder_import import import_model_folder

        try:
            manifest = import_model_folder(
                source,
                models_root,
                model_id=model_id,
                display_name=display_name,
                reference=reference,
                progress=lambda done, total: self._event.emit(("Copying", done, total)),
                cancel=cancel,
            )
        except Exception as exc:
            from logline.models.errors import ModelError

            log.warning(
                "Model folder import failed: %s",
                type(exc).__name__,
                exc_info=not isinstance(exc, ModelError),
            )
            self._event.emit(("failed", import_error_message(exc)))
        else:
            self._event.emit(("done", manifest.model_id))

    @Slot(object)
    def _dispatch(self, event: tuple[str, object] | tuple[str, int, int]) -> None:
        if len(event) == 3:
            stage, done, total = event  # type: ignore[misc]
            self._on_progress(str(stage), int(done), int(total))  # type: ignore[arg-type]
            return
        kind, value = event  # type: ignore[misc]
        self._thread = None
        if kind == "done":
            self._end_ok(str(value))
        else:
            self._end_error(str(value))

    # -- engine job (signals re-emitted on the GUI thread by the host) ---------------------
    def _mine(self) -> bool:
        """True when the host is sending a signal of this importer's job (not another's)."""
        job = self._engine_job
        return job is not None and self.host is not None and self.host.signalled_import is job

    @Slot(str, int, int)
    def _on_engine_progress(self, stage: str, done: int, total: int) -> None:
        if self._mine():
            self._on_progress(stage, done, total)

    @Slot(str)
    def _on_engine_finished(self, model_id: str) -> None:
        if self._mine():
            self._disconnect_host()
            self._end_ok(model_id)

    @Slot(str)
    def _on_engine_failed(self, message: str) -> None:
        if self._mine():
            self._disconnect_host()
            self._end_error(message)

    def _disconnect_host(self) -> None:
        host, self._engine_job = self.host, None
        if host is not None:
            host.importProgress.disconnect(self._on_engine_progress)
            host.importFinished.disconnect(self._on_engine_finished)
            host.importFailed.disconnect(self._on_engine_failed)

    # -- outcome ---------------------------------------------------------------------------
    def _on_progress(self, stage: str, done: int, total: int) -> None:
        if self.cancel_requested:
            return  # keep "Cancelling…" on screen
        per_mille = 1000 * done // total if total > 0 else -1
        self.progress.emit(describe_import_progress(stage, done, total), per_mille)

    def _end_ok(self, model_id: str) -> None:
        self._cancel = None
        self.model_id = model_id
        self.finished.emit(model_id)

    def _end_error(self, message: str) -> None:
        was_cancelled = self.cancel_requested
        self._cancel = None
        if was_cancelled:
            self.cancelled.emit(CANCELLED_MESSAGE)
        else:
            self.failed.emit(message)
