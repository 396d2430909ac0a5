"""Which engine a chat turn runs on, this machine's or a server's, and what follows from that.

A conversation answers on the local :class:`~logline.engine.runtime.Engine` (the model is an
``InstalledModel``; the script part's KV cache is read once and kept) or on a
:class:`~logline.engine.remote.RemoteEngine` (the model is the ``ServerEntry`` it was opened
from, or None; every turn sends its whole messages, and the server reuses the unchanged prefix
itself). The rest of the chat code asks this module, not the engine's type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from logline.engine.remote import RemoteEngine
    from logline.engine.runtime import Engine
    from logline.models.registry import InstalledModel
    from logline.models.servers import ServerEntry

    ChatEngine: TypeAlias = Engine | RemoteEngine
    # The model a turn answers with: installed here, or the server entry (None: the engine's).
    ChatModel: TypeAlias = InstalledModel | ServerEntry | None


class NoContextLengthError(ValueError):
    """A server engine without a context length: nothing can be planned against it."""


def is_remote(engine: Any) -> bool:
    """Whether ``engine`` sends the text to a server (another machine, maybe)."""
    return bool(getattr(engine, "is_remote", False))


def answering_model(engine: ChatEngine, model: ChatModel) -> str:
    """The name an answer is stored under: the installed model's id, or the server's label
    ("llama-3.3-70b on render-01")."""
    if is_remote(engine):
        return str(engine.label)  # type: ignore[union-attr]
    if model is None or not hasattr(model, "model_id"):
        raise ValueError("A local engine needs an installed model")
    return str(model.model_id)


def usable_context(engine: ChatEngine, cap: int | None = None) -> int:
    """The most tokens one prompt and its answer may use: the server's context length for a
    remote engine (its memory is its business), else what fits the loaded model here."""
    if is_remote(engine):
        length = engine.context_length  # type: ignore[union-attr]
        if not length:
            raise NoContextLengthError(
                f"The context length of {engine.label} is not known; set it with "  # type: ignore[union-attr]
                "`logline servers add NAME URL --context N --replace`."
            )
        return min(length, cap) if cap else int(length)
    from logline.summarize.runner import usable_context as local_usable

    return local_usable(engine, cap)  # type: ignore[arg-type]


__all__ = [
    "NoContextLengthError",
    "answering_model",
    "is_remote",
    "usable_context",
]
