"""One model download on a plain Python worker thread, reported to the GUI through Qt signals.

Downloading is network and disk work, not MLX work, so it never goes to the engine thread.
:class:`DownloadTask` lives on the GUI thread; its worker ``threading.Thread`` runs
:func:`logline.models.download.pull` (after deleting what an approved eviction plan lists) and
hands each core event to a private signal connected with a *queued* connection, so every public
signal is emitted on the GUI thread whatever thread the receiver is written for. Cancelling sets
a ``threading.Event`` that ``pull`` checks between chunks; :meth:`DownloadTask.shutdown` cancels
and joins, so no download thread outlives the window that started it.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from logline.models.download_events import (
    DownloadFinished,
    DownloadProgress,
    DownloadResult,
    DownloadRetrying,
    DownloadStarted,
)

if TYPE_CHECKING:
    from logline.models.cache import EvictionPlan

log = logging.getLogger(__name__)

THREAD_NAME = "logline-model-download"  # the core names its socket reader "logline-download"
JOIN_TIMEOUT_S = 10.0


def format_duration(seconds: float) -> str:
    """For example "1 min 35 s", "2 h 5 min", "8 s"."""
    s = max(round(seconds), 0)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def describe_progress(done: int, total: int, speed_bps: float, eta_s: float | None) -> str:
    """For example "412 / 2,150 MB · 18.3 MB/s · 1 min 35 s left" (decimal MB, like Finder)."""
    parts = [f"{done / 1e6:,.0f} / {total / 1e6:,.0f} MB"]
    if speed_bps > 0:
        parts.append(f"{speed_bps / 1e6:,.1f} MB/s")
    if eta_s is not None and done < total:
        parts.append(f"{format_duration(eta_s)} left")
    return " · ".join(parts)


def download_error_message(exc: BaseException) -> str:
    """Plain words for a failed download (the models layer already writes most of them)."""
    from logline.models.errors import (
        DownloadTimeoutError,
        IntegrityError,
        ModelError,
        ModelNotDownloadedError,
    )

    if isinstance(exc, ModelNotDownloadedError):
        return f"Offline: connect to download. {exc}"
    if isinstance(exc, DownloadTimeoutError) and "stopped answering" not in str(exc):
        return f"The server stopped answering. {exc}"
    if isinstance(exc, IntegrityError):
        return f"A downloaded file failed its checksum check. {exc}"
    if isinstance(exc, ModelError):  # disk space, cache budget, server errors: already plain
        return str(exc)
    if isinstance(exc, OSError):
        return f"The download could not be written to disk: {exc.strerror or exc}"
    return f"The download failed: {exc or type(exc).__name__}"


class DownloadTask(QObject):
    """Download ``repo_id`` in the background. Create, connect, :meth:`start`; then exactly one
    of ``finished``, ``failed`` or ``cancelled`` follows (on the GUI thread)."""

    started = Signal(object)  # DownloadStarted
    progress = Signal(object)  # DownloadProgress
    retrying = Signal(object)  # DownloadRetrying
    evicted = Signal(int)  # bytes freed by the approved eviction plan
    finished = Signal(object)  # DownloadResult
    failed = Signal(str)  # a message for the user
    cancelled = Signal()

    _event = Signal(object)  # worker thread -> GUI thread (queued)

    def __init__(
        self,
        repo_id: str,
        *,
        revision: str = "main",
        endpoint: str | None = None,
        token: str | None = None,  # None: HF_TOKEN or the keychain's, read on the worker
        offline: bool = False,
        evict: EvictionPlan | None = None,
        pull_options: dict[str, Any] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.repo_id = repo_id
        self._revision = revision
        self._endpoint = endpoint
        self._token = token
        self._offline = offline
        self._evict = evict
        self._pull_options = dict(pull_options or {})
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._done = False
        self._event.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    # -- GUI-thread API --------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a DownloadTask runs once")
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the download to stop; ``cancelled`` follows within about a second."""
        self._cancel.set()

    @property
    def running(self) -> bool:
        """True until the outcome signal has been delivered."""
        return self._thread is not None and not self._done

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def shutdown(self, timeout_s: float = JOIN_TIMEOUT_S) -> bool:
        """Cancel and join the worker thread; False when it did not end within ``timeout_s``."""
        self._cancel.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            log.warning("Download of %s did not stop within %.0f s", self.repo_id, timeout_s)
            return False
        return True

    # -- worker thread ---------------------------------------------------------------------
    def _run(self) -> None:
        from logline.models import cache, download
        from logline.models.errors import DownloadCancelledError

        try:
            if self._evict is not None and not self._cancel.is_set():
                self._event.emit(("evicted", cache.apply_eviction(self._evict, ())))
            if self._cancel.is_set():
                raise DownloadCancelledError(f"The download of {self.repo_id} was cancelled.")
            token = self._token
            if token is None and not self._offline:
                from logline.config import get_token

                token = get_token()  # here, not on the GUI thread: the keychain may be slow
            result = download.pull(
                self.repo_id,
                revision=self._revision,
                endpoint=self._endpoint,
                token=token,
                progress=self._event.emit,
                cancel=self._cancel,
                offline=self._offline,
                **self._pull_options,
            )
        except DownloadCancelledError:
            log.info("Download of %s cancelled", self.repo_id)
            self._event.emit(("cancelled", None))
        except Exception as exc:
            from logline.models.errors import ModelError

            log.warning(
                "Download of %s failed: %s",
                self.repo_id,
                type(exc).__name__,
                exc_info=not isinstance(exc, ModelError),
            )
            self._event.emit(("failed", download_error_message(exc)))
        else:
            self._event.emit(("done", result))

    # -- back on the GUI thread ------------------------------------------------------------
    @Slot(object)
    def _dispatch(self, event: object) -> None:
        if isinstance(event, DownloadProgress):
            self.progress.emit(event)
        elif isinstance(event, DownloadStarted):
            self.started.emit(event)
        elif isinstance(event, DownloadRetrying):
            self.retrying.emit(event)
        elif isinstance(event, tuple):
            kind, value = event
            if kind == "evicted":
                self.evicted.emit(int(value))
                return
            self._done = True
            if kind == "done" and isinstance(value, DownloadResult):
                self.finished.emit(value)
            elif kind == "cancelled":
                self.cancelled.emit()
            else:
                self.failed.emit(str(value))
        elif not isinstance(event, DownloadFinished):  # FileVerified and the like
            log.debug("download event %s", type(event).__name__)
