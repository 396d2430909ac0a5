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
import threading
import weakref
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QThread, Signal, SignalInstance, Slot

from logline.engine.cancel import CancelToken
from logline.engine.events import Finished, ModelLoaded
from logline.summarize.events import (
    AnswerText,
    ChunkDone,
    ChunkText,
    Notice,
    PhaseStarted,
    PlanChosen,
    Reading,
    SummaryFinished,
)
from logline.ui.engine_jobs import ModelChoice, SummaryJob, is_expected, user_message
from logline.ui.import_task import ImportJob, import_error_message, run_engine_import

if TYPE_CHECKING:
    from pathlib import Path

    from logline.documents import Document
    from logline.engine.runtime import Engine
    from logline.engine.sampling import SamplingParams
    from logline.models.manifest import ModelManifest
    from logline.summarize.runner import SummaryOptions

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
    # Whole-document summaries (logline.summarize.events), then the result before ``finished``.
    planChosen = Signal(object)  # PlanChosen
    phaseStarted = Signal(str, int, int)  # phase, items, level
    chunkText = Signal(str, int, str)  # phase, index, text
    chunkDone = Signal(object)  # ChunkDone
    summaryResult = Signal(object)  # SummaryResult
    # Model imports that use MLX, each tagged with its ImportJob: progress, then one outcome.
    importProgress = Signal(object, str, int, int)  # job, stage, done, total
    importFinished = Signal(object, str)  # job, model id
    importFailed = Signal(object, str)  # job, message (the cancelled message after a cancel)

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
        if isinstance(event, AnswerText):
            self.tokens.emit(event.text)
        elif isinstance(event, Reading):
            self.promptProgress.emit(event.done, event.total)
        elif isinstance(event, Notice):
            self.notice.emit(event.message)
        elif isinstance(event, ChunkText):
            self.chunkText.emit(event.phase, event.index, event.text)
        elif isinstance(event, ChunkDone):
            self.chunkDone.emit(event)
        elif isinstance(event, PhaseStarted):
            self.phaseStarted.emit(event.phase, event.items, event.level)
        elif isinstance(event, PlanChosen):
            self.planChosen.emit(event)
        elif isinstance(event, ModelLoaded):
            self.modelLoaded.emit(event)
        elif isinstance(event, SummaryFinished):
            result = event.result
            self.summaryResult.emit(result)
            self._emit(Finished(result.reason, result.stats, result.error))  # type: ignore[arg-type]
        elif isinstance(event, Finished):
            if event.error is not None:
                self.failed.emit(user_message(event.error))
            self.finished.emit(event)
        else:
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
        """Run :func:`logline.summarize.runner.summarize`; ``summaryResult`` precedes the one
        ``finished`` (which carries the final answer's generation stats)."""
        from logline.summarize.runner import summarize

        try:
            if not job.cancel.cancelled:
                self._load(job.model)
            if job.cancel.cancelled:
                self._emit(Finished("stopped"))
                return
            self.status.emit("Reading the document…")
            summarize(
                self._get_engine(), job.document, job.cancel, self._emit, job.summary_options()
            )
        except Exception as exc:
            if is_expected(exc):
                log.warning("Summary failed: %s", type(exc).__name__)
            else:
                log.exception("Summary job failed")
            self._emit(Finished("error", None, exc))

    @Slot(object)
    def import_model(self, job: ImportJob) -> None:
        """Import a GGUF file or convert a float folder (both use MLX, so they run here)."""
        from logline.models.errors import ModelError

        def progress(stage: str, done: int, total: int) -> None:
            self.importProgress.emit(job, stage, done, total)

        try:
            model_id = run_engine_import(job, progress)
        except Exception as exc:
            expected = isinstance(exc, ModelError)
            log.warning("Model import failed: %s", type(exc).__name__, exc_info=not expected)
            self.importFailed.emit(job, import_error_message(exc))
        else:
            self.importFinished.emit(job, model_id)

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
    planChosen = Signal(object)
    phaseStarted = Signal(str, int, int)
    chunkText = Signal(str, int, str)
    chunkDone = Signal(object)
    summaryResult = Signal(object)
    busyChanged = Signal(bool)
    importProgress = Signal(str, int, int)
    importFinished = Signal(str)
    importFailed = Signal(str)

    _loadRequested = Signal(object)
    _summaryRequested = Signal(object)
    _importRequested = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel: CancelToken | None = None
        self._pending = 0
        self._imports: list[ImportJob] = []  # queued or running on the engine thread
        self.signalled_import: ImportJob | None = None  # the job of the import signal being sent
        self._thread = QThread()
        self._thread.setObjectName(THREAD_NAME)
        self._worker = EngineWorker()
        self._worker.moveToThread(self._thread)
        # QThread.finished is emitted on the ending thread itself: release the engine there.
        self._thread.finished.connect(self._worker.release, Qt.ConnectionType.DirectConnection)
        self._loadRequested.connect(self._worker.load_model)
        self._summaryRequested.connect(self._worker.summarize)
        self._importRequested.connect(self._worker.import_model)
        # Signal-to-signal connections to an object on this thread: queued, re-emitted here.
        w = self._worker
        w.modelLoaded.connect(self.modelLoaded)
        w.notice.connect(self.notice)
        w.status.connect(self.status)
        w.promptProgress.connect(self.promptProgress)
        w.tokens.connect(self.tokens)
        w.failed.connect(self.failed)
        w.planChosen.connect(self.planChosen)
        w.phaseStarted.connect(self.phaseStarted)
        w.chunkText.connect(self.chunkText)
        w.chunkDone.connect(self.chunkDone)
        w.summaryResult.connect(self.summaryResult)
        w.finished.connect(self._on_finished)
        w.importProgress.connect(self._on_import_progress)
        w.importFinished.connect(self._on_import_finished)
        w.importFailed.connect(self._on_import_failed)
        _threads.add(self._thread)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._pending > 0

    @property
    def importing(self) -> bool:
        """True while a model import is queued or running on the engine thread."""
        return bool(self._imports)

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
        options: SummaryOptions | None = None,
    ) -> CancelToken:
        """Queue a summary; its events arrive as signals, ending with exactly one ``finished``
        (preceded by ``summaryResult`` unless the job failed before summarizing)."""
        job = SummaryJob(document, model, sampling, options)
        self._cancel = job.cancel
        self._pending += 1
        if self._pending == 1:
            self.busyChanged.emit(True)
        self._summaryRequested.emit(job)
        return job.cancel

    def import_model(self, job: ImportJob) -> threading.Event:
        """Queue a GGUF import or a float-folder conversion (MLX work) behind any running job.
        ``importProgress`` follows, then exactly one ``importFinished(model_id)`` or
        ``importFailed(message)``. Set the returned event (``job.cancel``) to stop it. While
        those signals are emitted, :attr:`signalled_import` is the job they belong to."""
        self._imports.append(job)
        self._importRequested.emit(job)
        return job.cancel

    @Slot(object, str, int, int)
    def _on_import_progress(self, job: ImportJob, stage: str, done: int, total: int) -> None:
        self.signalled_import = job
        try:
            self.importProgress.emit(stage, done, total)
        finally:
            self.signalled_import = None

    @Slot(object, str)
    def _on_import_finished(self, job: ImportJob, model_id: str) -> None:
        self._end_import(job, self.importFinished, model_id)

    @Slot(object, str)
    def _on_import_failed(self, job: ImportJob, message: str) -> None:
        self._end_import(job, self.importFailed, message)

    def _end_import(self, job: ImportJob, signal: SignalInstance, text: str) -> None:
        """Re-emit an import's outcome; receivers tell jobs apart by :attr:`signalled_import`."""
        if job in self._imports:
            self._imports.remove(job)
        self.signalled_import = job
        try:
            signal.emit(text)
        finally:
            self.signalled_import = None

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
        for job in self._imports:
            job.cancel.set()
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
