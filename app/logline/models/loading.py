"""Load an installed model into the engine: memory check first, then the app's usage record.

Every caller that loads a model (the CLI, the GUI's engine worker) goes through
:func:`load_model`, so that

* the fit advisor runs *before* any weight is read: a model that cannot fit this machine is
  refused with a specific message instead of swapping the machine to a standstill, and a tight
  fit comes back as a warning the caller shows;
* the folder's files are checked again (``config.json`` ranges, safetensors headers against the
  config, the chat template; no forward pass): a hub download or a model installed by an older
  Logline never got the import checks, and a hostile one must fail with one sentence, not crash
  MLX;
* the model is recorded as used now (``state.touch``: the least-recently-used order eviction
  follows) and as in use while it stays loaded (never evicted or deleted from under the engine).

Runs on the engine thread (it calls ``Engine.load``); the engine itself knows nothing of this.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from logline.engine.events import EngineEvent, LoadProgress, ModelLoaded, Notice
from logline.models import fit, state
from logline.models.errors import ModelError
from logline.models.folder_checks import (
    check_chat_templates,
    check_folder_entries,
    check_tokenizer_files,
    check_weights,
    read_config,
)

if TYPE_CHECKING:
    from logline.engine.runtime import Engine
    from logline.models.registry import InstalledModel

log = logging.getLogger(__name__)

DEFAULT_CONTEXT = 8192  # what the check assumes when the caller has no better figure
MINIMUM_CONTEXT = 2048  # below this a model is of no use for summaries


class ModelDoesNotFitError(ModelError):
    """The model needs more memory than this machine can give it."""


@dataclass(frozen=True)
class LoadOutcome:
    loaded: ModelLoaded
    verdict: fit.FitVerdict | None  # None when the check could not run (unreadable config)

    @property
    def warning(self) -> str | None:
        """A sentence to show the user when the fit is tight (or the context had to shrink)."""
        if self.verdict is None or self.verdict.level == "ok":
            return None
        return self.verdict.message


def check_fit(model: InstalledModel, context: int | None = None) -> fit.FitVerdict | None:
    """The advisor's verdict for ``model`` at ``context`` (default: 8k or the model's limit).

    When the full context does not fit but a short one does, the verdict for the short one is
    returned as a warning: the summarizer then plans with less context rather than refusing.
    """
    wanted = context or min(DEFAULT_CONTEXT, model.manifest.context_length or DEFAULT_CONTEXT)
    try:
        verdict = fit.advise_for_folder(model.path, wanted)
        if verdict.level != "refuse" or wanted <= MINIMUM_CONTEXT:
            return verdict
        short = fit.advise_for_folder(model.path, MINIMUM_CONTEXT)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("No memory check for %s: %s", model.model_id, type(exc).__name__)
        return None
    if short.level == "refuse":
        return verdict
    return fit.FitVerdict(
        "warn",
        short.needed_bytes,
        short.available_bytes,
        f"{verdict.message.rsplit('. ', 1)[0]}. Logline will read it with a shorter context, so "
        "long documents take more steps.",
        short.weights_bytes,
        short.kv_bytes,
        short.context,
    )


def check_files(model: InstalledModel) -> None:
    """The import checks that need no MLX, on an installed model's folder (links into a hub
    cache's blobs are fine here: the hub layout is made of them)."""
    folder = model.path
    if model.manifest.source != "download":
        check_folder_entries(folder)  # a referenced folder may have changed since its import
    config = read_config(folder)
    weights = sorted(folder.glob("model*.safetensors")) or sorted(folder.glob("*.safetensors"))
    check_weights(folder, weights, config)
    check_tokenizer_files(folder)
    check_chat_templates(folder, refusals_ok=True)


def load_model(
    engine: Engine,
    model: InstalledModel,
    *,
    context: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> LoadOutcome:
    """Check the fit, load ``model`` (replacing the loaded one) and record its use.

    Raises :class:`ModelDoesNotFitError` when the advisor refuses, unless ``force``.
    """
    previous = engine.loaded.model_id if engine.loaded is not None else None
    already = engine.loaded is not None and engine.loaded.path == model.path
    if not already:
        check_files(model)
    verdict = None if already else check_fit(model, context)
    if verdict is not None and verdict.level == "refuse" and not force:
        raise ModelDoesNotFitError(verdict.message)
    loaded = engine.load(model.model_id, model.path, progress)
    if previous != model.model_id:
        if previous is not None:
            state.release(previous)
        state.mark_in_use(model.model_id)
    try:
        state.touch(model.model_id)
    except (OSError, sqlite3.Error) as exc:  # a read-only data folder must not stop loading
        log.warning("Could not record the use of %s: %s", model.model_id, exc)
    return LoadOutcome(loaded, verdict)


def load_with_events(
    engine: Engine,
    model: InstalledModel,
    emit: Callable[[EngineEvent], None],
    *,
    context: int | None = None,
    force: bool = False,
) -> LoadOutcome:
    """:func:`load_model`, reported as events: ``LoadProgress`` while the weights are read, then
    ``ModelLoaded``, then a ``Notice`` when the fit is tight. What the CLI and the GUI run before
    a summary."""
    outcome = load_model(
        engine,
        model,
        context=context,
        progress=lambda done, total: emit(LoadProgress(done, total)),
        force=force,
    )
    emit(outcome.loaded)
    if outcome.warning:
        emit(Notice(outcome.warning))
    return outcome


def unload_model(engine: Engine) -> None:
    """Unload the engine's model and release its in-use mark."""
    if engine.loaded is not None:
        key = engine.loaded.model_id
        engine.unload()
        state.release(key)
