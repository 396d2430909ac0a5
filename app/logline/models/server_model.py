"""A server entry opened as a model: the remote engine that summaries and chat run on.

:func:`open_server` is the one way the core turns a :class:`~logline.models.servers.ServerEntry`
into a :class:`~logline.engine.remote.RemoteEngine`. It checks offline mode first (deciding from
the address alone, so a refused server sees no connection at all), takes the token from the
keychain, and refuses an entry whose context length is unknown: plans are made against it, and a
guess would cut scripts silently. When Logline has the model's own tokenizer (the entry's model
is a folder here, or the id of an installed model), token counts are exact; otherwise they are
estimates, and the stats say so.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from logline.config import Settings, effective_settings
from logline.models.choice import ModelChoice
from logline.models.server_policy import check_allowed, text_leaves_machine
from logline.models.servers import ServerEntry, ServerEntryError, get_server, get_server_token

if TYPE_CHECKING:
    from logline.engine.prompt_tokens import PromptTokenizer
    from logline.engine.remote import RemoteEngine

__all__ = ["open_server", "server_choice", "server_model_id", "text_leaves_machine"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 120.0  # silence allowed between two reads (long prompts prefill in silence)


def server_model_id(entry: ServerEntry) -> str | None:
    """The model the entry asks for: its own, else the only one its probe found, else None."""
    if entry.model:
        return entry.model
    found = (entry.capabilities or {}).get("models") or []
    return found[0] if len(found) == 1 and isinstance(found[0], str) else None


def server_choice(entry: ServerEntry) -> ModelChoice:
    """How a picker or the CLI names a model on a server ("llama-3.3-70b on render-01")."""
    return ModelChoice(server_model_id(entry) or "", display_name=entry.label(), server=entry.name)


def _resolve(entry_or_name: ServerEntry | str) -> ServerEntry:
    return entry_or_name if isinstance(entry_or_name, ServerEntry) else get_server(entry_or_name)


def open_server(
    entry_or_name: ServerEntry | str,
    settings: Settings | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    deadline_s: float | None = None,
) -> RemoteEngine:
    """The remote engine for a server entry (or its name), ready for summaries and chat.

    Raises ``OfflineRefusedError`` (offline mode forbids it; nothing was opened) or
    ``ServerEntryError`` (no such entry, no model named, no context length): one sentence each.
    Opens no connection itself."""
    entry = _resolve(entry_or_name)
    check_allowed(entry, effective_settings(settings))
    model = server_model_id(entry)
    if model is None:
        raise ServerEntryError(
            f"The server {entry.name!r} serves several models (or did not say which); name one "
            f"with `logline servers add {entry.name} {entry.base_url} --model ID --replace`."
        )
    context = entry.effective_context_length()
    if context is None:
        raise ServerEntryError(
            f"The server {entry.name!r} does not report its context length; set it with "
            f"`logline servers add {entry.name} {entry.base_url} --context N --replace`."
        )
    from logline.engine.remote import RemoteEngine, ServerCapabilities

    capabilities = ServerCapabilities.from_json(entry.capabilities) if entry.capabilities else None
    return RemoteEngine(
        entry.base_url,
        model,
        token=get_server_token(entry.name),
        capabilities=capabilities,
        timeout_s=timeout_s,
        tokenizer=local_tokenizer(model),
        deadline_s=deadline_s,
        context_length=context,
        concurrency=entry.concurrency,
        label=entry.label(),
    )


def local_tokenizer(model: str) -> PromptTokenizer | None:
    """The model's own tokenizer when Logline has it: ``model`` is a model folder on this
    machine, or the id of an installed model. None otherwise (counts are then estimated)."""
    folder = _local_folder(model)
    if folder is None:
        return None
    try:
        from mlx_lm.utils import load_tokenizer

        from logline.engine.prompt_tokens import PromptTokenizer

        return PromptTokenizer(load_tokenizer(folder))
    except Exception as exc:  # a broken or unusual tokenizer: estimate instead
        log.warning("No local tokenizer for the server's model (%s)", type(exc).__name__)
        return None


def _local_folder(model: str) -> Path | None:
    candidate = Path(model).expanduser()
    if candidate.is_absolute() and (candidate / "tokenizer_config.json").is_file():
        return candidate
    from logline.models.registry import installed_models

    for installed in installed_models():
        if installed.model_id == model and (installed.path / "tokenizer_config.json").is_file():
            return installed.path
    return None
