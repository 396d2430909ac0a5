"""The summary on screen: one object holds a running summary's state and drives the views.

:class:`SummaryPresenter` receives the events of one summary job (``Job.yielded``, on the GUI
thread) and its outcome, keeps the summary's state (mode, phase, chunk labels, result) and
drives the Summary and Notes tabs, the status bar, the pane's detail line and the banner. The
main window only builds the views, starts the job and wires the actions.

Token path, four hops from the engine to the screen: the engine's ``Generated`` is translated
into ``AnswerText`` by the summarize runner (``_Session.relay``) -> ``Job.yielded`` (queued to
the GUI thread) -> :meth:`SummaryPresenter.on_event` -> ``SummaryView.append_tokens`` (which
batches repaints).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from logline.engine.events import LoadProgress, ModelLoaded
from logline.messages import user_message
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
from logline.summarize.modes import MODES
from logline.summarize.names import names_message
from logline.summarize.result import SummaryResult
from logline.ui.engine_jobs import StatusText
from logline.ui.progress_text import notes_progress

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLabel, QTabWidget

    from logline.documents import Document
    from logline.ui.banner import Banner
    from logline.ui.jobs import Job
    from logline.ui.notes_view import NotesView
    from logline.ui.status_panel import StatusPanel
    from logline.ui.summary_view import SummaryView

log = logging.getLogger(__name__)

FINISH_LABELS = {
    "done": "Summary complete",
    "length": "Summary reached its length limit",
    "repetition": "Summary ended where the model began repeating itself",
    "stopped": "Stopped",
    "error": "Summary failed",
}
SUMMARY_TAB, NOTES_TAB = 0, 1
# What "Writing the …" names for each mode's final answer.
ANSWER_NAMES = {"scenes": "scene breakdown", "custom": "answer"}
READING = "Reading the document…"  # the status while a loaded model reads and plans


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


@dataclass
class SummaryScreen:
    """The views a summary is shown in (built by the main window)."""

    summary_view: SummaryView
    notes_view: NotesView
    tabs: QTabWidget
    status: StatusPanel
    banner: Banner
    detail: QLabel  # the Summary pane's detail line: model, precision, plan


class SummaryPresenter(QObject):
    """Shows one summary at a time. ``finished(SummaryResult)`` says how each one ended
    (``reason``, the final answer's ``stats``, ``error``), after the views show it."""

    finished = Signal(object)  # SummaryResult
    modelLoaded = Signal(object)  # ModelLoaded
    generatingChanged = Signal(bool)

    def __init__(self, screen: SummaryScreen, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.screen = screen
        self.job: Job | None = None
        self.document: Document | None = None
        self.mode = ""  # the mode of the summary running (or last run)
        self.phase = ""  # its current phase: single, map, merge or reduce
        self.chunk_labels: tuple[str, ...] = ()
        self.result: SummaryResult | None = None
        self.model_label = ""
        self._writing: set[int] = set()  # notes being written now (their indices)
        self._counts = (0, 0)  # notes done, of how many, in the current phase
        self._reading: tuple[int, int] | None = None  # the next batch's prompt tokens read
        self._phase_started = time.monotonic()
        self._show_notes_tab(False)

    @property
    def generating(self) -> bool:
        return self.job is not None

    # -- starting and stopping -------------------------------------------------------------
    def clear(self) -> None:
        """A new document: empty views, no notes."""
        self.screen.summary_view.start()
        self._reset_notes()
        self.screen.detail.clear()
        self.screen.status.set_stats("")

    def start(
        self,
        job: Job,
        document: Document,
        mode: str,
        model_label: str,
        instruction: str | None = None,
    ) -> None:
        """Show ``job``'s summary of ``document`` in ``mode`` from now on, then run it
        (``instruction``: the custom mode's question, whose words are known names)."""
        screen = self.screen
        screen.banner.dismiss()
        screen.summary_view.start(
            waiting="Reading the document…", document=document, instruction=instruction
        )
        self._reset_notes()
        self.document, self.mode, self.phase, self.result = document, mode, "", None
        self.model_label = model_label
        screen.status.set_stats("")
        screen.detail.setText(model_label)
        self.attach(job)
        screen.status.message("Starting…")
        job.run()

    def attach(self, job: Job) -> None:
        """Take ``job``'s events (the summary events, ending with ``SummaryFinished``) and its
        failure (an error before the summary began, e.g. the model did not load)."""
        self.job = job
        job.on_event(self.on_event).failure(self._on_failed)
        self.generatingChanged.emit(True)

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel.cancel()
            self.screen.status.message("Stopping…")

    # -- events ----------------------------------------------------------------------------
    def on_event(self, event: object) -> None:
        """One event of the summary job (GUI thread)."""
        if isinstance(event, AnswerText):
            self._on_tokens(event.text)
        elif isinstance(event, Reading):
            self._on_reading(event.done, event.total)
        elif isinstance(event, ChunkText):
            self.screen.notes_view.append(event.phase, event.index, event.text, event.retract)
            if event.index not in self._writing:  # one more note in progress: say so
                self._writing.add(event.index)
                self._reading = None  # notes are written once their prompts are read
                self._show_chunk_progress(event.phase, *self._counts)
        elif isinstance(event, ChunkDone):
            self._on_chunk_done(event)
        elif isinstance(event, PhaseStarted):
            self._on_phase_started(event.phase, event.items, event.level)
        elif isinstance(event, PlanChosen):
            self._on_plan_chosen(event)
        elif isinstance(event, SummaryFinished):
            self._on_summary_finished(event.result)
        elif isinstance(event, LoadProgress):
            percent = event.done * 100 // event.total if event.total else 100
            self.screen.status.message(f"Loading {self.model_label}… {percent}%")
        elif isinstance(event, StatusText):
            self.screen.status.message(event.text)
        elif isinstance(event, Notice):
            self.screen.banner.show_message(event.message, "notice")
        elif isinstance(event, ModelLoaded):
            self.screen.status.message(READING)  # next: the document is tokenized and planned
            self.modelLoaded.emit(event)
        else:
            log.debug("Unhandled summary event %s", type(event).__name__)

    def _on_reading(self, done: int, total: int) -> None:
        if self.phase in ("map", "merge"):  # the bar counts chunks there; the text says reading
            self._reading = (done, total) if done < total else None
            self._show_chunk_progress(self.phase, *self._counts)
            return
        label = "Reading the notes…" if self.phase == "reduce" else "Reading the document…"
        self.screen.status.show_progress(done, total, label)

    def _on_tokens(self, text: str) -> None:
        screen = self.screen
        first = not screen.summary_view.text
        if screen.status.reading or first:
            screen.status.hide_progress()
            screen.status.message(f"Writing the {answer_name(self.mode)}…")
        if first:  # only once: the user may look at the notes while the answer streams
            screen.tabs.setCurrentIndex(SUMMARY_TAB)
        screen.summary_view.append_tokens(text)

    def _on_plan_chosen(self, plan: PlanChosen) -> None:
        self.chunk_labels = plan.labels
        if plan.strategy == "map_reduce":
            detail = self.screen.detail
            detail.setText(f"{detail.text()} · {plan.description}")

    def _on_phase_started(self, phase: str, items: int, level: int) -> None:
        screen = self.screen
        self.phase = phase
        self._writing = set()
        self._reading = None
        self._phase_started = time.monotonic()
        self._counts = (0, items)
        if phase == "map":
            screen.notes_view.begin_phase("map", items, titles=self.chunk_labels)
            self._show_notes_tab(True)
            screen.tabs.setCurrentIndex(NOTES_TAB)
            screen.summary_view.setPlaceholderText(
                f"Taking notes on {items} parts of the document first (see the Notes tab); "
                f"the {answer_name(self.mode)} is written from them."
            )
            self._show_chunk_progress("map", 0, items)
        elif phase == "merge":
            screen.notes_view.begin_phase("merge", items, level)
            self._show_chunk_progress("merge", 0, items)
        else:
            screen.status.hide_progress()
            if phase == "reduce":
                screen.status.message(f"Writing the {answer_name(self.mode)}…")
                screen.summary_view.setPlaceholderText("Reading the notes…")
                screen.tabs.setCurrentIndex(SUMMARY_TAB)
        self._update_notes_tab()

    def _on_chunk_done(self, event: ChunkDone) -> None:
        self.screen.notes_view.mark_done(event.phase, event.index, event.reason)
        self._writing.discard(event.index)
        self._counts = (event.done, event.total)
        self._show_chunk_progress(event.phase, event.done, event.total)
        self._update_notes_tab()

    def _show_chunk_progress(self, phase: str, done: int, total: int) -> None:
        """What is written, what is in progress (or being read), the time so far and an
        estimate."""
        level = self.screen.notes_view.level
        elapsed = time.monotonic() - self._phase_started
        writing = len(self._writing)
        text = notes_progress(phase, done, writing, total, elapsed, level, self._reading)
        self.screen.status.show_steps(text, done, total)

    # -- the Notes tab ---------------------------------------------------------------------
    def _update_notes_tab(self) -> None:
        done, total = self.screen.notes_view.counts("map")
        self.screen.tabs.setTabText(NOTES_TAB, f"Notes ({done}/{total})" if total else "Notes")

    def _reset_notes(self) -> None:
        self.screen.notes_view.clear_notes()
        self.chunk_labels = ()
        self.phase = ""
        self.screen.tabs.setTabText(NOTES_TAB, "Notes")
        self._show_notes_tab(False)
        self.screen.tabs.setCurrentIndex(SUMMARY_TAB)

    def _show_notes_tab(self, shown: bool) -> None:
        """The Notes tab exists for long documents only; alone, the Summary tab shows no bar
        (other tabs, e.g. History, keep it)."""
        tabs = self.screen.tabs
        tabs.setTabVisible(NOTES_TAB, shown)
        tabs.tabBar().setVisible(shown or tabs.count() > NOTES_TAB + 1)

    # -- a saved summary -------------------------------------------------------------------
    def show_saved(self, header: str, text: str, notes: list[str], empty: str = "") -> bool:
        """Show a summary kept in the store (read-only, as every summary is): ``header`` in the
        pane's detail line, its text and its notes; False while a summary runs (it stays)."""
        if self.generating:
            return False
        screen = self.screen
        screen.banner.dismiss()
        screen.summary_view.start(waiting=empty or "This saved summary has no text.")
        screen.summary_view.finish(text)
        self._reset_notes()
        if notes:
            screen.notes_view.begin_phase("map", len(notes))
            for index, note in enumerate(notes):
                screen.notes_view.append("map", index, note)
                screen.notes_view.mark_done("map", index, "done")
            screen.notes_view.render()
            self._show_notes_tab(True)
            self._update_notes_tab()
        screen.detail.setText(header)
        screen.status.set_stats("")
        if not text.strip() and notes:
            screen.tabs.setCurrentIndex(NOTES_TAB)
        return True

    # -- the end ---------------------------------------------------------------------------
    def _on_summary_finished(self, result: SummaryResult) -> None:
        if result.plan is not None and result.plan.strategy == "map_reduce":
            self.screen.notes_view.set_titles([chunk.label for chunk in result.plan.chunks])
        if result.error is not None:
            self._show_error(user_message(result.error))
        self._finish(result, result.text)

    def _on_failed(self, exc: BaseException) -> None:
        if self.job is None:  # the summary had already finished
            return
        self._show_error(user_message(exc))
        self._finish(SummaryResult("", "", "error", self.mode, None, error=exc), None)

    def _show_error(self, message: str) -> None:
        self.screen.banner.show_message(message, "error")
        self.screen.status.message(message, 10000)

    def _finish(self, finished: SummaryResult, checked_text: str | None) -> None:
        """Show how the summary ended; ``checked_text`` is its answer with citations checked
        (None: no answer was written)."""
        screen = self.screen
        self.result = finished
        # The answer with its citations checked replaces what streamed, unless nothing of the
        # answer streamed (stopped while taking notes: the notes stay in their own tab).
        answered = bool(screen.summary_view.text) or finished.reason in (
            "done",
            "length",
            "repetition",
        )
        screen.summary_view.finish(checked_text if answered else None)
        if finished.reason in ("stopped", "error"):
            screen.notes_view.stop_writing(finished.reason)
        self._update_notes_tab()
        failed = finished.reason == "error"
        empty = "No summary was written."
        if finished.reason == "stopped" and screen.notes_view.sections:
            empty = "Stopped while taking notes: the notes written so far are in the Notes tab."
        screen.summary_view.setPlaceholderText("" if failed else empty)
        if not screen.summary_view.text and screen.notes_view.sections:
            screen.tabs.setCurrentIndex(NOTES_TAB)
        screen.status.hide_progress()
        self.job = None
        self.phase = ""
        self.generatingChanged.emit(False)
        label = FINISH_LABELS.get(finished.reason, finished.reason)
        written, planned = screen.notes_view.counts("map")
        if finished.reason == "stopped" and planned and not screen.summary_view.text:
            label = f"Stopped — {written} of {planned} notes written (see the Notes tab)"
        if finished.reason != "error":  # an error's own message stays in the status bar
            screen.status.message("")
        screenplay = self.document is not None and self.document.is_screenplay
        citations = len(screen.summary_view.flagged_citations())
        names = len(screen.summary_view.flagged_names())
        messages = [citations_message(citations, screenplay)] if citations else []
        if names:
            messages.append(names_message(names, "script" if screenplay else "document"))
        if messages and not failed:  # an error's banner is not replaced
            message = "; ".join(messages)
            label = f"{label} — {message}"
            screen.banner.show_message(f"{message}.", "notice")
        stats = finished.stats
        screen.status.set_stats(f"{label} — {stats.one_line()}" if stats else label)
        self.finished.emit(finished)
