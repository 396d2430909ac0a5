"""What the window's engine jobs run on the engine thread: load a model, summarize a document.

Plain callables of the :data:`~logline.ui.engine_worker.EngineWork` shape (no Qt), so a test can
run them with a stand-in ``emit``. Their events are the core's dataclasses, plus
:class:`StatusText` for the status bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from logline.engine.events import Finished, GenerationStats, ModelLoaded, Notice
from logline.models.choice import ModelChoice, resolve_choice
from logline.models.loading import load_model
from logline.summarize.runner import SummaryOptions, SummaryResult, summarize

if TYPE_CHECKING:
    from logline.documents import Document
    from logline.engine.runtime import Engine
    from logline.models.cancel_event import CancelEvent
    from logline.ui.engine_worker import EngineWork
    from logline.ui.jobs import Emit

__all__ = ["ModelChoice", "StatusText", "SummaryOutcome", "load_work", "summary_work"]

READING = "Reading the document…"


@dataclass(frozen=True)
class StatusText:
    """What the engine is doing, for the status bar ("Loading Tiny… 40%")."""

    text: str


@dataclass(frozen=True)
class SummaryOutcome:
    """What a summary job returns: the result (None when stopped before it began) and how it
    ended (reason, the final answer's generation stats, error)."""

    result: SummaryResult | None
    finished: Finished


def load_model_here(engine: Engine, choice: ModelChoice, emit: Emit) -> ModelLoaded:
    """Resolve and load ``choice`` (engine thread); emits StatusText, ModelLoaded, Notice."""
    model = resolve_choice(choice, lambda text: emit(StatusText(text)))
    loaded = engine.loaded
    if loaded is None or loaded.path != model.path:
        emit(StatusText(f"Loading {choice.label}…"))
    shown = -1

    def progress(done: int, total: int) -> None:
        nonlocal shown
        percent = done * 100 // total if total else 100
        if percent // 5 != shown // 5:  # a status update every 5 %
            shown = percent
            emit(StatusText(f"Loading {choice.label}… {percent}%"))

    outcome = load_model(engine, model, progress=progress)
    emit(outcome.loaded)
    if outcome.warning:
        emit(Notice(outcome.warning))
    return outcome.loaded


def load_work(choice: ModelChoice) -> EngineWork:
    """Load ``choice`` ahead of time; returns its ModelLoaded."""

    def work(engine: Engine, _cancel: CancelEvent, emit: Emit) -> ModelLoaded:
        return load_model_here(engine, choice, emit)

    return work


def summary_work(document: Document, choice: ModelChoice, options: SummaryOptions) -> EngineWork:
    """Load ``choice``, then summarize ``document``; returns a :class:`SummaryOutcome`.

    Its events are the runner's, less ``Finished`` and ``GenerationStats`` (carried by the
    outcome instead)."""

    def work(engine: Engine, cancel: CancelEvent, emit: Emit) -> SummaryOutcome:
        if not cancel.cancelled:
            load_model_here(engine, choice, emit)
        if cancel.cancelled:
            return SummaryOutcome(None, Finished("stopped"))
        emit(StatusText(READING))
        stats: GenerationStats | None = None

        def relay(event: object) -> None:
            nonlocal stats
            if isinstance(event, GenerationStats):
                stats = event  # the last one is the final answer's
            elif not isinstance(event, Finished):
                emit(event)

        result = summarize(engine, document, cancel, relay, options)
        return SummaryOutcome(result, Finished(result.reason, stats, result.error))  # type: ignore[arg-type]

    return work
