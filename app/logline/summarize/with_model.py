"""What both front ends run on the engine thread for one summary: load the model, then summarize.

The CLI (``logline summarize``) and the window's summary job call :func:`summarize_with_model`,
so they report the same events in the same order: the load's (``LoadProgress``, ``ModelLoaded``,
a ``Notice`` for a tight fit), then the summary's (:mod:`~logline.summarize.events`), always
ending with one ``SummaryFinished``.
"""

from __future__ import annotations

from collections.abc import Callable

from logline.documents import Document
from logline.engine.cancel import CancelToken
from logline.engine.runtime import Engine
from logline.models.loading import load_with_events
from logline.models.registry import InstalledModel
from logline.summarize.events import SummaryFinished
from logline.summarize.modes import get_mode
from logline.summarize.result import SummaryResult
from logline.summarize.runner import SummaryOptions, summarize

__all__ = ["summarize_with_model"]


def summarize_with_model(
    engine: Engine,
    model: InstalledModel,
    document: Document,
    cancel: CancelToken,
    emit: Callable[[object], None],
    options: SummaryOptions | None = None,
    *,
    force_load: bool = False,
) -> SummaryResult:
    """Load ``model`` (a no-op when it is loaded) and summarize ``document`` with it.

    A cancel that arrives before the summary starts ends it ``stopped`` at once (with its
    ``SummaryFinished``); a model that cannot be loaded raises (no summary events then).
    """
    options = options or SummaryOptions()
    if not cancel.cancelled:
        load_with_events(engine, model, emit, force=force_load)
    if cancel.cancelled:
        result = SummaryResult("", "", "stopped", get_mode(options.mode).id, None)
        emit(SummaryFinished(result))
        return result
    return summarize(engine, document, cancel, emit, options)
