"""The Models window's download flow: checks, eviction, the download job and its progress row.

Downloading is network and disk work, not MLX work, so each download is a
:class:`~logline.ui.jobs.Job` on its own thread (named :data:`THREAD_NAME`) running
:func:`download_work`. Cancelling sets the job's token, which ``pull`` checks between chunks;
:meth:`DownloadPanel.shutdown` cancels and joins, so no download thread outlives the window.

Download is off, with the reason as its tooltip, for a model too large for this machine, in
offline mode, and after a download failed because the hub could not be reached: then it stays
off until the settings change (another endpoint, offline mode switched) or Check Again finds
the hub reachable (a probe on its own thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from logline.config import effective_settings, get_token
from logline.messages import user_message
from logline.models import cache, network
from logline.models.availability import OFFLINE_REASON, UNREACHABLE_REASON, unreachable_failure
from logline.models.download_events import (
    CacheEvicted,
    DownloadProgress,
    DownloadResult,
    DownloadRetrying,
    DownloadStarted,
)
from logline.models.errors import DownloadCancelledError
from logline.ui.eviction_dialog import EvictionDialog
from logline.ui.jobs import Emit, Job, ThreadWork
from logline.ui.model_table import ModelRow, ModelTable
from logline.units import format_bytes, format_bytes_pair, format_rate

if TYPE_CHECKING:
    from logline.engine.cancel import CancelToken
    from logline.models.cache import EvictionPlan
    from logline.ui.questions import Questions

log = logging.getLogger(__name__)

THREAD_NAME = "logline-model-download"  # the core names its socket reader "logline-download"
CHECK_THREAD_NAME = "logline-hub-check"
JOIN_TIMEOUT_S = 10.0

Pull = Callable[..., DownloadResult]  # logline.models.download.pull, or a stand-in


def format_duration(seconds: float) -> str:
    """For example "1 min 35 s", "2 h 5 min", "8 s"."""
    s = max(round(seconds), 0)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def describe_progress(done: int, total: int, speed_bps: float, eta_s: float | None) -> str:
    """For example "0.4 / 2.1 GB · 18.3 MB/s · 1 min 35 s left" (decimal units, like Finder)."""
    parts = [format_bytes_pair(done, total)]
    if speed_bps > 0:
        parts.append(format_rate(speed_bps))
    if eta_s is not None and done < total:
        parts.append(f"{format_duration(eta_s)} left")
    return " · ".join(parts)


def download_work(
    repo_id: str,
    *,
    endpoint: str | None,
    offline: bool,
    evict: EvictionPlan | None,
    pull: Pull,
    revision: str = "main",
) -> ThreadWork:
    """The job's work: delete what an approved eviction plan lists, then ``pull`` the model.
    Events: :class:`CacheEvicted`, then the download's own; returns the DownloadResult."""

    def work(cancel: CancelToken, emit: Emit) -> DownloadResult:
        if evict is not None and not cancel.is_set():
            emit(CacheEvicted(cache.apply_eviction(evict, ())))
        if cancel.is_set():
            raise DownloadCancelledError(f"The download of {repo_id} was cancelled.")
        # The token is read here, not on the GUI thread: the keychain may be slow.
        token = None if offline else get_token()
        return pull(
            repo_id,
            revision=revision,
            endpoint=endpoint,
            token=token,
            progress=emit,
            cancel=cancel,
            offline=offline,
        )

    return work


class DownloadPanel(QWidget):
    """The progress row; its Download and Cancel buttons are placed by the dialog.

    ``pull`` replaces :func:`logline.models.download.pull` (e.g. with shorter timeouts).
    """

    message = Signal(str, str)  # text, level ("info" or "error")
    modelsChanged = Signal()
    downloadFinished = Signal(object)  # DownloadResult
    ended = Signal(str)  # "done", "failed" or "cancelled"
    stateChanged = Signal()  # running or cancelling changed: update the buttons

    def __init__(
        self,
        table: ModelTable,
        questions: Questions,
        parent: QWidget | None = None,
        *,
        pull: Pull | None = None,
    ) -> None:
        super().__init__(parent)
        self._table = table
        self._questions = questions
        self._pull = pull
        self.job: Job | None = None
        self.repo_id = ""
        self.eviction_dialog: EvictionDialog | None = None
        self._name = ""
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 1000)  # per mille: byte counts overflow a C int
        self.progress_bar.setTextVisible(False)
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("progressLabel")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.progress_label)
        self.download_button = QPushButton("Download", parent)
        self.download_button.setAccessibleName("Download the selected model")
        self.cancel_button = QPushButton("Cancel Download", parent)
        self.cancel_button.setAccessibleDescription(
            "Stop the download; what was fetched is kept, so a later download resumes"
        )
        self.check_button = QPushButton("Check Again", parent)
        self.check_button.setObjectName("checkHubButton")
        self.check_button.setAccessibleName("Check the connection again")
        self.check_button.setAccessibleDescription(
            "Try to reach the model hub again; downloads come back on when it answers"
        )
        self.check_button.setToolTip("Try to reach the model hub again")
        self.check_button.setVisible(False)
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button.clicked.connect(self.cancel)
        self.check_button.clicked.connect(self.check_again)
        self.unreachable = ""  # the endpoint the last download could not reach ("": none)
        self.check_job: Job | None = None
        self.setVisible(False)

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def downloading(self) -> str | None:
        """The repo being downloaded, if any (for the table's Status column)."""
        return self.repo_id if self.running else None

    def update_buttons(self, row: ModelRow | None, offline: bool) -> None:
        busy = self.running
        can_fetch = row is not None and row.downloadable
        reason = self.why_not(row, offline)
        self.download_button.setEnabled(can_fetch and not busy and not reason)
        if reason:
            self.download_button.setToolTip(reason)
        elif busy:
            self.download_button.setToolTip("Another download is running.")
        else:
            self.download_button.setToolTip("Download the selected model")
        self.download_button.setAccessibleDescription(self.download_button.toolTip())
        self.cancel_button.setEnabled(busy and not self.job.cancel.cancelled)  # type: ignore[union-attr]
        self.check_button.setVisible(bool(self.unreachable) and not offline)
        self.check_button.setEnabled(self.check_job is None)

    def why_not(self, row: ModelRow | None, offline: bool) -> str:
        """Why Download is off for ``row`` whatever is selected ("" when it is not)."""
        if offline:
            return OFFLINE_REASON
        if self.unreachable:
            return UNREACHABLE_REASON
        too_large = self._table.too_large(row) if row is not None and row.downloadable else None
        return f"Too large for this computer: {too_large}." if too_large else ""

    def settings_changed(self, offline: bool, endpoint: str | None) -> None:
        """The settings were read again: a new endpoint, or offline mode switched on, ends the
        "hub unreachable" state (the next download tries again)."""
        if self.unreachable and (offline or _endpoint_key(endpoint) != self.unreachable):
            self.unreachable = ""

    # -- the hub unreachable ---------------------------------------------------------------
    @Slot()
    def check_again(self) -> None:
        """Probe the hub off the GUI thread; reachable: downloads come back on."""
        if self.check_job is not None:
            return
        endpoint = effective_settings().hub_endpoint

        def probe(_cancel: CancelToken, _emit: Emit) -> network.Reachability:
            return network.reachability(endpoint, fresh=True)

        job = Job(probe, name=CHECK_THREAD_NAME)
        job.success(self._on_checked).done(self._on_check_done)
        self.check_job = job
        self._info("Checking the connection to the model hub…")
        self.stateChanged.emit()
        job.run()

    def _on_checked(self, reach: network.Reachability) -> None:
        if reach.reachable:
            self.unreachable = ""
            self._info(f"{reach.host} answers again: downloads are back on.")
        else:
            self._error(f"Still no connection. {reach.message()}")

    def _on_check_done(self) -> None:
        self.check_job = None
        self.stateChanged.emit()

    # -- starting --------------------------------------------------------------------------
    @Slot()
    def download_selected(self) -> None:
        row = self._table.selected_row()
        if row is not None:
            self.start(row)

    def start(self, row: ModelRow) -> bool:
        """Check offline, memory fit and room in the cache (asking where needed), then start.
        False when it was refused at once (the reason is shown)."""
        offline = effective_settings().offline
        if self.running:
            self._error("Another download is running; wait for it or cancel it first.")
            return False
        if offline:
            self._error(f"{OFFLINE_REASON} {row.display_name} is not on this computer.")
            self.stateChanged.emit()
            return False
        verdict = self._table.verdict(row) if row.entry is not None else None
        if verdict is not None and verdict.level == "refuse":
            self._error(f"Not downloaded: {verdict.message}")
            return False
        if verdict is not None and verdict.level == "warn":
            self._questions.ask(
                "Download this model?",
                f"{verdict.message}\n\nDownload it anyway?",
                "Download Anyway",
                lambda: self._make_room(row),
            )
            return True
        self._make_room(row)
        return True

    def _make_room(self, row: ModelRow) -> None:
        have = row.cached.size_bytes if row.cached else 0
        needed = max((row.entry.download_bytes if row.entry else 0) - have, 0)
        try:
            plan = cache.plan_eviction(needed)
        except (OSError, ValueError) as exc:
            self._error(f"The model cache cannot be read: {exc}")
            return
        if not plan.fits:
            self._error(plan.message)
            return
        if not plan.evict and not plan.orphans:
            self._begin(row, None)
            return
        dialog = EvictionDialog(plan, row.display_name, self.window())
        dialog.accepted.connect(lambda: self._begin(row, plan))
        dialog.rejected.connect(
            lambda: self._info(f"Nothing was deleted and {row.display_name} was not downloaded.")
        )
        dialog.finished.connect(lambda _r: setattr(self, "eviction_dialog", None))
        self.eviction_dialog = dialog
        dialog.open()

    def _begin(self, row: ModelRow, plan: EvictionPlan | None) -> None:
        settings = effective_settings()
        work = download_work(
            row.key,
            endpoint=settings.hub_endpoint,
            offline=settings.offline,
            evict=plan,
            pull=self._pull or _default_pull(),
        )
        job = Job(work, name=THREAD_NAME)
        job.on_event(self._on_event).success(self._on_finished).failure(self._on_failed)
        self.job, self.repo_id, self._name = job, row.key, row.display_name
        self._info(f"Downloading {row.display_name}…")
        self.progress_bar.setValue(0)
        self.progress_label.setText("Connecting…")
        self.setVisible(True)
        job.run()
        self._table.set_status(row.key, "Downloading…")
        self.stateChanged.emit()

    @Slot()
    def cancel(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel.cancel()
            self.progress_label.setText("Cancelling…")
            self.stateChanged.emit()

    # -- events (GUI thread) ---------------------------------------------------------------
    def _on_event(self, event: object) -> None:
        if isinstance(event, DownloadProgress):
            self._set_progress(event.bytes_done, event.bytes_total, event.speed_bps, event.eta_s)
        elif isinstance(event, DownloadStarted):
            self._set_progress(event.bytes_done, event.bytes_total, 0.0, None)
        elif isinstance(event, DownloadRetrying):
            self._info(f"Connection trouble; retrying ({event.reason}).")
        elif isinstance(event, CacheEvicted):
            self._info(f"Freed {format_bytes(event.freed_bytes)}. Downloading {self._name}…")
            self.modelsChanged.emit()

    def _set_progress(self, done: int, total: int, speed: float, eta: float | None) -> None:
        self.progress_bar.setValue(1000 * done // total if total else 0)
        self.progress_label.setText(describe_progress(done, total, speed, eta))
        percent = 100 * done // total if total else 0
        self._table.set_status(self.repo_id, f"Downloading {percent}%")

    def _on_finished(self, result: DownloadResult) -> None:
        self.progress_bar.setValue(1000)
        self.progress_label.setText(describe_progress(result.bytes_total, result.bytes_total, 0, 0))
        self._info(f"{self._name} is downloaded and ready to use.")
        self._end("done")
        self.downloadFinished.emit(result)

    def _on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, DownloadCancelledError):
            self._info("Download cancelled. What arrived is kept, so it can resume later.")
            self._end("cancelled")
        elif unreachable_failure(exc):
            self.unreachable = _endpoint_key(effective_settings().hub_endpoint)
            self._error(user_message(exc, "download"))
            self._end("failed")
        else:
            self._error(user_message(exc, "download"))
            self._end("failed")

    def _end(self, outcome: str) -> None:
        if outcome != "done":
            self.setVisible(False)
        self.ended.emit(outcome)

    def _info(self, text: str) -> None:
        self.message.emit(text, "info")

    def _error(self, text: str) -> None:
        self.message.emit(text, "error")

    def shutdown(self, timeout_s: float = JOIN_TIMEOUT_S) -> bool:
        """Cancel a running download (and a connection check) and join their threads; False when
        one did not end in time."""
        checked = self.check_job is None or self.check_job.stop(timeout_s)
        job = self.job
        return (True if job is None else job.stop(timeout_s)) and checked


def _endpoint_key(endpoint: str | None) -> str:
    """The hub a download goes to, as the unreachable state remembers it."""
    return (endpoint or network.DEFAULT_ENDPOINT).rstrip("/")


def _default_pull() -> Pull:
    """:func:`logline.models.download.pull`."""
    # Lazy: the download module brings in the HTTP and TLS stack, kept off the window's start-up.
    from logline.models import download

    return download.pull
