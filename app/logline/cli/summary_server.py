"""``logline summarize --model NAME`` where NAME is a server entry: which one, and opening it.

``--model`` takes an installed model's id or a server entry's name (``logline servers add``).
An installed model (or the embedded default, or a hub download here) with that id wins; a
server entry is used only when no local model has the name (the rule ``chat`` and ``ask``
follow too). Everything here runs on the main thread before any summary
starts, and opens no connection: offline mode refuses a server from its address alone.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from logline.cli.terminal_text import term_line

if TYPE_CHECKING:
    from logline.engine.remote import RemoteEngine
    from logline.models.servers import ServerEntry

__all__ = ["RemoteTarget", "remote_target"]


class RemoteTarget:
    """The server a summary runs on: its entry, its engine, and the key summaries are kept under."""

    def __init__(self, entry: ServerEntry, engine: RemoteEngine) -> None:
        self.entry = entry
        self.engine = engine

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def model_key(self) -> str:
        """What a kept summary names as its model ("llama-3.3-70b on render-01")."""
        return self.engine.label

    def announce(self) -> None:
        """Say on stderr where the text goes (whether it leaves this machine), and how tokens
        are counted."""
        from logline.models.server_model import text_leaves_machine

        where = (
            f"the text goes to {self.entry.host}, another machine"
            if text_leaves_machine(self.entry)
            else "the server is on this machine"
        )
        counts = "" if self.engine.counts_tokens_exactly else "; token counts are estimates"
        print(
            term_line(f"Summarizing on server {self.name} ({self.model_key}): {where}{counts}."),
            file=sys.stderr,
        )


def server_entry_named(model: str | None) -> ServerEntry | None:
    """The server entry ``--model`` names, when no installed model (nor the default) has that
    id; None otherwise. A broken servers file is an error only when no local model matches."""
    if not model:
        return None
    from logline.models.registry import default_model_id, find_download, installed_models

    if model == default_model_id() or any(m.model_id == model for m in installed_models()):
        return None
    if find_download(model) is not None:  # a hub download here is a local model too
        return None
    from logline.models.servers import list_servers

    return next((e for e in list_servers() if e.name.lower() == model.lower()), None)


def remote_target(model: str | None) -> RemoteTarget | None:
    """The server ``--model`` names, opened (no connection yet), or None for a local model.

    Raises ``OfflineRefusedError`` or ``ServerEntryError`` (one sentence each)."""
    entry = server_entry_named(model)
    if entry is None:
        return None
    from logline.models.server_model import open_server

    return RemoteTarget(entry, open_server(entry))
