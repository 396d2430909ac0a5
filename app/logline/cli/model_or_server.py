"""What ``--model NAME`` names: an installed model, or a server entry (``logline servers``).

One rule for every command that answers with a model (``chat``, ``ask``, ``summarize``): a model
installed here (or downloaded from the hub) called NAME wins; else a server entry called NAME;
else NAME stays a local name, and loading it says no such model is installed. No name means the
embedded default model. Nothing here connects anywhere or loads MLX: the caller opens the
server with ``models.server_model.open_server`` (offline mode is checked there).
"""

from __future__ import annotations

from typing import Literal

Where = Literal["local", "server"]


def resolve_model_or_server(name: str | None) -> tuple[Where, str]:
    """``("local", model_id)`` or ``("server", entry_name)`` for ``--model NAME``.

    A broken servers file is a ``ServerEntryError`` (one sentence), raised only when NAME is no
    local model."""
    from logline.models.registry import default_model_id, find_download, installed_models
    from logline.models.servers import list_servers

    if not name or name == default_model_id():
        return "local", default_model_id()
    if any(model.model_id == name for model in installed_models()):
        return "local", name
    if find_download(name) is not None:
        return "local", name
    for entry in list_servers():
        if entry.name.lower() == name.lower():
            return "server", entry.name
    return "local", name


__all__ = ["resolve_model_or_server"]
