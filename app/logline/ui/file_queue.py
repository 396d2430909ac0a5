"""Several files at once become a queue: each is opened, summarized in the chosen mode and model,
its summary kept in the store, then the next one (issue 16, item 7).

One file keeps the plain behaviour (it opens; nothing is summarized until Summarize is pressed).
Two or more (a drop, File > Open, ``logline a.fountain b.fountain``, macOS "Open With") fill the
queue; a file added while a queue runs joins it. The queue drives the window's own actions
(``open_file``, ``summarize``, ``stop``), so what a queued summary shows, and how it is kept in
the store (``chat_dock``), is what a summary started by hand shows and keeps.

The next item starts only after the previous summary job has *finished*: its result has been
delivered (and saved: the store's handler is connected before the queue's) by then. Nothing here
blocks the GUI thread: every step waits for a signal. A file that cannot be opened or summarized
is marked failed with the reason, and the queue goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QObject, QTimer, Signal

from logline.messages import user_message

if TYPE_CHECKING:
    from logline.documents import Document
    from logline.ui.jobs import Job

__all__ = ["FileQueue", "QueueItem"]

log = logging.getLogger(__name__)

ItemState = Literal["waiting", "opening", "summarizing", "done", "failed", "cancelled"]
ACTIVE_STATES = ("waiting", "opening", "summarizing")
RETRY_MS = 400  # the window is busy (a chat answer, a summary started by hand): ask again


@dataclass
class QueueItem:
    """One queued file: ``state``, and ``reason`` for a failure or a cancel."""

    path: Path
    state: ItemState = "waiting"
    reason: str = ""
    cancel_requested: bool = False

    @property
    def finished(self) -> bool:
        return self.state not in ACTIVE_STATES

    def describe(self) -> str:
        """The state in words, as the queue panel shows it."""
        if self.cancel_requested and not self.finished:
            return "cancelling…"
        if self.state in ("opening", "summarizing"):
            return f"{self.state}…"
        if self.reason and self.state in ("failed", "cancelled"):
            return f"{self.state}: {self.reason}"
        return self.state


class FileQueue(QObject):
    """The queue of one window (``window`` is a ``MainWindow``). ``changed`` follows every change
    of an item; ``drained`` comes when the last item has finished."""

    changed = Signal()
    drained = Signal()

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self._window = window
        self.items: list[QueueItem] = []
        self._current: QueueItem | None = None
        self._job: Job | None = None
        self._starting = False  # True while the queue itself calls window.summarize()
        window.documentOpened.connect(self._on_opened)
        window.documentFailed.connect(self._on_open_failed)
        window.summaryStarted.connect(self._on_summary_started)

    # -- state -----------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """True while an item waits or runs."""
        return any(not item.finished for item in self.items)

    @property
    def current(self) -> QueueItem | None:
        """The item being opened or summarized now."""
        return self._current

    def counts(self) -> dict[str, int]:
        """How many items are in each state."""
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.state] = counts.get(item.state, 0) + 1
        return counts

    def outcome(self) -> str:
        """How the queue ended, in words: "Queue finished: 2 summarized, 1 failed"."""
        counts = self.counts()
        parts = [f"{counts.get('done', 0)} summarized"]
        parts += [
            f"{counts[state]} {state}" for state in ("failed", "cancelled") if state in counts
        ]
        return f"Queue finished: {', '.join(parts)}."

    def accepts(self, files: list[Path]) -> bool:
        """Whether a drop of ``files`` is taken now: while a summary runs, only by a queue."""
        return bool(files) and (not self._window.generating or self.active)

    # -- adding ----------------------------------------------------------------------------
    def add(self, paths: Iterable[str | Path]) -> bool:
        """Open one file, or queue several (or any, while a queue runs). False when nothing was
        opened or queued (no path, or one file while the window is busy)."""
        new = [Path(path) for path in paths]
        if not new:
            return False
        if len(new) == 1 and not self.active:
            return bool(self._window.open_file(new[0]))
        if not self.active:  # a new queue: the last one's finished items go
            self.items = []
        self.items.extend(QueueItem(path) for path in new)
        log.info("Queued %d file(s); %d waiting or running", len(new), self._active_count())
        self.changed.emit()
        self._next()
        return True

    def _active_count(self) -> int:
        return sum(1 for item in self.items if not item.finished)

    # -- cancelling ------------------------------------------------------------------------
    def cancel(self, item: QueueItem) -> None:
        """Cancel one item: a waiting one at once; the running one stops cleanly (its summary so
        far is kept, as a stopped summary always is), then the queue goes on."""
        if item.finished:
            return
        if item is not self._current or item.state == "waiting":
            self._finish(item, "cancelled", "")
            self.changed.emit()
            return
        item.cancel_requested = True
        if item.state == "opening":  # its document is not summarized when it arrives
            self._finish(item, "cancelled", "")
            self._advance()
        elif self._job is not None:
            self._window.stop()
        self.changed.emit()

    def cancel_all(self) -> None:
        """Cancel every waiting item, then the running one."""
        for item in self.items:
            if item.state == "waiting":
                self._finish(item, "cancelled", "")
        if self._current is not None:
            self.cancel(self._current)
        self.changed.emit()

    def clear_finished(self) -> None:
        """Forget the items that are done, failed or cancelled."""
        self.items = [item for item in self.items if not item.finished]
        self.changed.emit()

    # -- running ---------------------------------------------------------------------------
    def _closed(self) -> bool:
        """The window has closed (its engine thread has stopped): nothing more starts."""
        return not self._window.host.thread_handle.isRunning()

    def _next(self) -> None:
        if self._current is not None:
            return
        waiting = next((item for item in self.items if item.state == "waiting"), None)
        if waiting is None:
            if self.items:
                self._window.status.message(self.outcome(), 10000)
                self.drained.emit()
            return
        if self._closed():
            return
        window = self._window
        if window.generating or window.chat.busy:
            QTimer.singleShot(RETRY_MS, self, self._next)
            return
        self._current = waiting
        waiting.state = "opening"
        self.changed.emit()
        if not window.open_file(waiting.path):
            waiting.state = "waiting"
            self._current = None
            QTimer.singleShot(RETRY_MS, self, self._next)

    def _on_opened(self, document: Document) -> None:
        item = self._current
        if item is None or item.state != "opening":
            return
        if _same_file(document.path, item.path):
            item.state = "summarizing"
            self.changed.emit()
            # After every other receiver of documentOpened has shown the document.
            QTimer.singleShot(0, self, self._summarize)
        else:  # another document was opened by hand meanwhile: that one stays
            self._finish(item, "cancelled", f"{document.path.name} was opened instead")
            self._advance()

    def _on_open_failed(self, message: str) -> None:
        item = self._current
        if item is not None and item.state == "opening":
            self._finish(item, "failed", message)
            self._advance()

    def _summarize(self) -> None:
        item = self._current
        if item is None or item.state != "summarizing" or self._closed():
            return
        if item.cancel_requested:
            self._finish(item, "cancelled", "")
            self._advance()
            return
        window = self._window
        self._starting = True
        try:
            window.summarize()
        finally:
            self._starting = False
        if self._job is None:  # the window did not start it: say why, go on
            self._finish(item, "failed", self._why_not_started())
            self._advance()

    def _why_not_started(self) -> str:
        window = self._window
        if window.model_picker.choice() is None:
            return "no model is chosen"
        if not window.mode_picker.ready:
            return "the custom mode needs its instruction"
        return window.banner.text or "the summary could not start"

    def _on_summary_started(self, job: Job) -> None:
        if not self._starting or self._current is None:
            return  # a summary started by hand
        self._job = job
        item = self._current
        outcome: dict[str, Any] = {}
        job.success(lambda result: outcome.setdefault("result", result))
        job.failure(lambda exc: outcome.setdefault("error", exc))
        job.done(lambda: self._on_summary_done(item, job, outcome))

    def _on_summary_done(self, item: QueueItem, job: Job, outcome: dict[str, Any]) -> None:
        """The summary job has finished: its result was delivered and kept in the store."""
        if job is not self._job:
            return
        self._job = None
        result = outcome.get("result")
        error = outcome.get("error") or getattr(result, "error", None)
        reason = getattr(result, "reason", "error")
        if error is not None or reason == "error":
            message = user_message(error) if error is not None else "the summary failed"
            self._finish(item, "failed", message)
        elif reason == "stopped":
            why = "" if item.cancel_requested else "stopped with Stop"  # the queue goes on
            self._finish(item, "cancelled", why)
        else:
            self._finish(item, "done", "")
        self._advance()

    def _finish(self, item: QueueItem, state: ItemState, reason: str) -> None:
        item.state, item.reason = state, reason
        log.info("A queued file is %s", state)  # no reason: it may quote the file

    def _advance(self) -> None:
        """The current item has ended: the next one starts from the event loop."""
        self._current = None
        self.changed.emit()
        QTimer.singleShot(0, self, self._next)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b
