"""What the window's engine jobs run on the engine thread: load a model, summarize a document.

Plain callables of the :data:`~logline.ui.engine_worker.EngineWork` shape (no Qt), so a test can
run them with a stand-in ``emit``. Their events are the core's: loading reports through
:func:`logline.models.loading.load_with_events` (``LoadProgress``, ``ModelLoaded``, ``Notice``),
a summary through :func:`logline.summarize.runner.summarize` (the summary events, ending with
``SummaryFinished``); :class:`StatusText` adds what the status bar says in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from logline.engine.events import LoadProgress, ModelLoaded
from logline.models.choice import ModelChoice, resolve_choice
from logline.models.loading import load_with_events
from logline.models.registry import InstalledModel
from logline.summarize.result import SummaryResult
from logline.summarize.runner import SummaryOptions
from logline.summarize.with_model import summarize_with_model

if TYPE_CHECKING:
    from logline.documents import Document
    from logline.engine.cancel import CancelToken
    from logline.engine.runtime import Engine
    from logline.ui.engine_worker import EngineWork
    from logline.ui.jobs import Emit

__all__ = ["StatusText", "load_model_here", "load_work", "resolve_model", "summary_work"]

LOAD_STEP_PERCENT = 5  # loading progress is passed on in steps of this many percent


@dataclass(frozen=True)
class StatusText:
    """What the engine is doing, for the status bar ("Loading Tiny…")."""

    text: str


def _in_steps(emit: Emit) -> Callable[[object], None]:
    """``emit``, passing ``LoadProgress`` on only when it crosses a step (fewer queued events)."""
    shown = -1

    def relay(event: object) -> None:
        nonlocal shown
        if isinstance(event, LoadProgress):
            percent = event.done * 100 // event.total if event.total else 100
            if percent // LOAD_STEP_PERCENT == shown // LOAD_STEP_PERCENT:
                return
            shown = percent
        emit(event)

    return relay


def resolve_model(engine: Engine, choice: ModelChoice, emit: Emit) -> InstalledModel:
    """The installed model ``choice`` names (engine thread: it may install the embedded one),
    saying what happens next in the status bar."""
    model = resolve_choice(choice, lambda text: emit(StatusText(text)))
    loaded = engine.loaded
    if loaded is None or loaded.path != model.path:
        emit(StatusText(f"Loading {choice.label}…"))
    return model


def load_model_here(engine: Engine, choice: ModelChoice, emit: Emit) -> ModelLoaded:
    """Resolve and load ``choice`` (engine thread); emits StatusText, then LoadProgress,
    ModelLoaded and a Notice for a tight fit."""
    model = resolve_model(engine, choice, emit)
    return load_with_events(engine, model, _in_steps(emit)).loaded


def load_work(choice: ModelChoice) -> EngineWork:
    """Load ``choice`` ahead of time; returns its ModelLoaded."""

    def work(engine: Engine, _cancel: CancelToken, emit: Emit) -> ModelLoaded:
        return load_model_here(engine, choice, emit)

    return work


def summary_work(document: Document, choice: ModelChoice, options: SummaryOptions) -> EngineWork:
    """Load ``choice``, then summarize ``document``; returns the SummaryResult, which the last
    event, ``SummaryFinished``, also carries (a summary stopped before it began included)."""

    def work(engine: Engine, cancel: CancelToken, emit: Emit) -> SummaryResult:
        model = resolve_model(engine, choice, emit)
        return summarize_with_model(engine, model, document, cancel, _in_steps(emit), options)

    return work
