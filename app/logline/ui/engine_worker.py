"""The GUI's engine thread: one long-lived ``QThread`` that owns the ``Engine`` (and all MLX work).

Two objects, one per thread:

- :class:`EngineWorker` lives on the ``logline-engine`` thread. Its slots run jobs there (load a
  model, summarize a document) and adapt the core's event dataclasses to Qt signals.
- :class:`EngineHost` lives on the GUI thread. It starts the thread, sends requests through queued
  signals, re-emits the worker's signals on the GUI thread, cancels through a :class:`CancelToken`
  set directly (never through the queue, which is busy while a job runs) and shuts the thread down.

Connect to the host's signals, not the worker's: they arrive on the GUI thread whatever the
receiver (a lambda or ``qtbot.waitSignal`` included).
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from logline.engine.cancel import CancelToken
from logline.engine.events import (
    Finished,
    GenerationStats,
    ModelLoaded,
    Notice,
    PromptProgress,
    TokenText,
)
from logline.ui.engine_jobs import ModelChoice, SummaryJob, is_expected, user_message

if TYPE_CHECKING:
    from pathlib import Path

    from logline.documents import Document
    from logline.engine.runtime import Engine
    from logline.engine.sampling import SamplingParams
    from logline.models.manifest import ModelManifest

__all__ = ["EngineHost", "EngineWorker", "ModelChoice", "SummaryJob", "running_engine_threads"]

log = logging.getLogger(__name__)

THREAD_NAME = "logline-engine"
SHUTDOWN_WAIT_MS = 30_000

# Every engine QThread this module started and has not yet seen finish (for leak checks).
_threads: weakref.WeakSet[QThread] = weakref.WeakSet()


def running_engine_threads() -> list[QThread]:
    """Engine threads still running: must be empty once every window has been closed."""
    return [thread for thread in list(_threads) if thread.isRunning()]


class EngineWorker(QObject):
    """Runs on the engine thread; every slot executes there, in request order."""

    modelLoaded = Signal(object)  # ModelLoaded
    notice = Signal(str)
    status = Signal(str)  # what the engine is doing, for the status bar ("Loading the model…")
    promptProgress = Signal(int, int)
    tokens = Signal(str)
    finished = Signal(object)  # Finished
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._engine: Engine | None = None

    def _get_engine(self) -> Engine:
        if self._engine is None:  # created here, on the engine thread, with its MLX imports
            from logline.engine.runtime import Engine

            self._engine = Engine()
        return self._engine

    def _emit(self, event: object) -> None:
        """The core's ``emit`` callback: one event dataclass -> one Qt signal."""
        if isinstance(event, TokenText):
            self.tokens.emit(event.text)
        elif isinstance(event, PromptProgress):
            self.promptProgress.emit(event.done, event.total)
        elif isinstance(event, Notice):
            self.notice.emit(event.message)
        elif isinstance(event, ModelLoaded):
            self.modelLoaded.emit(event)
        elif isinstance(event, Finished):
            if event.error is not None:
                self.failed.emit(user_message(event.error))
            self.finished.emit(event)
        elif not isinstance(event, GenerationStats):  # stats also arrive inside Finished
            log.debug("Unhandled engine event %s", type(event).__name__)

    def _load(self, choice: ModelChoice) -> None:
        from logline.models.errors import ModelNotFoundError
        from logline.models.loading import load_model
        from logline.models.registry import (
            InstalledModel,
            default_model_id,
            installed_models,
            resolve_model,
        )

        path = choice.path
        if path is None:
            first_use = choice.model_id == default_model_id() and all(
                m.model_id != choice.model_id for m in installed_models()
            )
            if first_use:
                self.status.emit("Installing the default model (first use only)…")
            path = resolve_model(choice.model_id).path
        if not (path / "config.json").is_file():
            # Checked here: mlx-lm would take a missing folder for a Hugging Face repo id.
            raise ModelNotFoundError(f'The model folder "{path}" is missing or incomplete.')
        engine = self._get_engine()
        loaded = engine.loaded
        if loaded is None or loaded.path != path:
            self.status.emit(f"Loading {choice.label}…")
        model = InstalledModel(
            _manifest_for(choice, path), path, choice.model_id == default_model_id()
        )
        shown = -1

        def progress(done: int, total: int) -> None:
            nonlocal shown
            percent = done * 100 // total if total else 100
            if percent // 5 != shown // 5:  # a status update every 5 %
                shown = percent
                self.status.emit(f"Loading {choice.label}… {percent}%")

        outcome = load_model(engine, model, progress=progress)
        self._emit(outcome.loaded)
        if outcome.warning:
            self.notice.emit(outcome.warning)

    @Slot(object)
    def load_model(self, choice: ModelChoice) -> None:
        try:
            self._load(choice)
        except Exception as exc:
            log.warning("Loading model %s failed", choice.model_id, exc_info=not is_expected(exc))
            self.failed.emit(user_message(exc))

    @Slot(object)
    def summarize(self, job: SummaryJob) -> None:
        from logline.summarize.single_pass import SUMMARY_SAMPLING, run_summary

        try:
            if not job.cancel.cancelled:
                self._load(job.model)
            if job.cancel.cancelled:
                self._emit(Finished("stopped"))
                return
            self.status.emit("Reading the document…")
            sampling = job.sampling or SUMMARY_SAMPLING
            run_summary(self._get_engine(), job.document, job.cancel, self._emit, sampling)
        except Exception as exc:
            if is_expected(exc):
                log.warning("Summary failed: %s", type(exc).__name__)
            else:
                log.exception("Summary job failed")
            self._emit(Finished("error", None, exc))

    @Slot()
    def release(self) -> None:
        """Drop the engine (and the model's MLX arrays) on the engine thread, as it ends."""
        engine, self._engine = self._engine, None
        if engine is not None and engine.loaded is not None:
            try:
                engine.unload()
            except Exception:  # best effort while shutting down
                log.exception("Unloading the model failed")


class EngineHost(QObject):
    """The GUI thread's handle on the engine thread. Never blocks, except in :meth:`shutdown`."""

    modelLoaded = Signal(object)
    notice = Signal(str)
    status = Signal(str)
    promptProgress = Signal(int, int)
    tokens = Signal(str)
    finished = Signal(object)
    failed = Signal(str)
    busyChanged = Signal(bool)

    _loadRequested = Signal(object)
    _summaryRequested = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel: CancelToken | None = None
        self._pending = 0
        self._thread = QThread()
        self._thread.setObjectName(THREAD_NAME)
        self._worker = EngineWorker()
        self._worker.moveToThread(self._thread)
        # QThread.finished is emitted on the ending thread itself: release the engine there.
        self._thread.finished.connect(self._worker.release, Qt.ConnectionType.DirectConnection)
        self._loadRequested.connect(self._worker.load_model)
        self._summaryRequested.connect(self._worker.summarize)
        # Signal-to-signal connections to an object on this thread: queued, re-emitted here.
        w = self._worker
        w.modelLoaded.connect(self.modelLoaded)
        w.notice.connect(self.notice)
        w.status.connect(self.status)
        w.promptProgress.connect(self.promptProgress)
        w.tokens.connect(self.tokens)
        w.failed.connect(self.failed)
        w.finished.connect(self._on_finished)
        _threads.add(self._thread)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._pending > 0

    @property
    def thread_handle(self) -> QThread:
        return self._thread

    @property
    def worker(self) -> EngineWorker:
        """The object on the engine thread (connect to the host's signals instead)."""
        return self._worker

    def load_model(self, choice: ModelChoice) -> None:
        """Load ``choice`` ahead of time (emits ``modelLoaded`` or ``failed``)."""
        self._loadRequested.emit(choice)

    def summarize(
        self,
        document: Document,
        model: ModelChoice,
        sampling: SamplingParams | None = None,
    ) -> CancelToken:
        """Queue a summary; its events arrive as signals, ending with exactly one ``finished``."""
        job = SummaryJob(document, model, sampling)
        self._cancel = job.cancel
        self._pending += 1
        if self._pending == 1:
            self.busyChanged.emit(True)
        self._summaryRequested.emit(job)
        return job.cancel

    def cancel(self) -> None:
        """Ask the running summary to stop; it ends with ``finished(reason="stopped")``."""
        if self._cancel is not None:
            self._cancel.cancel()

    @Slot(object)
    def _on_finished(self, finished: Finished) -> None:
        self._pending = max(0, self._pending - 1)
        self.finished.emit(finished)
        if self._pending == 0:
            self._cancel = None
            self.busyChanged.emit(False)

    def shutdown(self, timeout_ms: int = SHUTDOWN_WAIT_MS) -> bool:
        """Cancel, stop the thread's event loop and wait for it. True when the thread ended."""
        if not self._thread.isRunning():
            return True
        self.cancel()
        self._thread.quit()
        ended = self._thread.wait(timeout_ms)
        if not ended:
            log.warning("The engine thread did not stop within %d ms", timeout_ms)
        return bool(ended)

    def __del__(self) -> None:  # pragma: no cover - a safety net, shutdown() is the contract
        try:
            if self._thread.isRunning():
                log.warning("EngineHost dropped without shutdown(); stopping its thread")
                self.shutdown()
        except RuntimeError:  # the C++ objects are already gone
            pass


def _manifest_for(choice: ModelChoice, path: Path) -> ModelManifest:
    """The model's manifest when its folder has one, else a minimal one for the usage record."""
    from logline.models.manifest import MANIFEST_NAME, ModelManifest

    try:
        manifest = ModelManifest.read(path / MANIFEST_NAME)
    except (OSError, ValueError, TypeError):
        return ModelManifest(choice.model_id, choice.label, "path", str(path), "mlx")
    manifest.model_id = choice.model_id  # the id the user chose this folder under
    return manifest
