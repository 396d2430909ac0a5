"""Where a server wrote an answer (Qt-free): the badge "on render-01 · sent to 10.0.0.5".

Every answer produced on an inference server carries a visible badge: the Summary pane shows
it above the text (a live summary and a saved one shown from History alike), each chat answer
in its title line. The badge says which server wrote it and whether the document's text left
this machine (:func:`logline.models.server_policy.text_leaves_machine`): "on render-01 · sent
to 10.0.0.5", or "on this machine's server · local-mlx" for a loopback address.

What the badge needs is kept with the answer (:func:`server_record`: the entry's name, host and
whether the text left), so a stored answer keeps its badge after its entry is removed: a
summary keeps it in its ``parameters["server"]``, a chat answer in its ``stats["server"]``.
A stored answer without that record but with ``stats["on_server"]`` (the core's flag) shows a
plain "on a server" badge.
"""

from __future__ import annotations

from typing import Any

from logline.models.server_policy import text_leaves_machine
from logline.models.servers import ServerEntry, ServerEntryError, get_server

__all__ = [
    "SERVER_KEY",
    "badge_from_record",
    "badge_text",
    "choice_badge",
    "mark_stored_answer",
    "server_record",
    "stored_answer_badge",
]

SERVER_KEY = "server"  # where a stored answer keeps its server record


def server_record(entry: ServerEntry) -> dict[str, Any]:
    """What an answer keeps of the server that wrote it (no token, no model text)."""
    return {"name": entry.name, "host": entry.host, "leaves": text_leaves_machine(entry)}


def badge_from_record(record: Any) -> str:
    """The badge text for a kept server record; "" for anything that is not one."""
    if not isinstance(record, dict) or not isinstance(record.get("name"), str):
        return ""
    name, host = record["name"], str(record.get("host") or "")
    if record.get("leaves", True):
        return f"on {name} · sent to {host}" if host else f"on {name} · sent to another machine"
    return f"on this machine's server · {name}"


def badge_text(entry: ServerEntry) -> str:
    """The badge for an answer being written on ``entry`` now."""
    return badge_from_record(server_record(entry))


def stored_answer_badge(stats: Any, parameters: Any = None) -> str:
    """The badge of a stored answer (a summary's parameters, a chat answer's stats); "" for an
    answer written on this machine."""
    for place in (parameters, stats):
        if isinstance(place, dict):
            text = badge_from_record(place.get(SERVER_KEY))
            if text:
                return text
    last = stats.get("last") if isinstance(stats, dict) else None
    flags = [stats, last]
    if any(isinstance(f, dict) and f.get("on_server") for f in flags):
        return "on a server · the text was sent to it"
    return ""


def mark_stored_answer(store: Any, message_id: int, record: dict[str, Any]) -> None:
    """Keep the server ``record`` with stored chat answer ``message_id`` (in its stats), so
    History shows its badge later, even once the entry is removed."""
    message = store.messages.get(message_id)
    if message is None or message.finish_reason is None:  # gone, or still streaming
        return
    stats = dict(message.stats or {})
    if stats.get(SERVER_KEY) == record:
        return
    stats[SERVER_KEY] = record
    store.messages.finish(message_id, message.finish_reason, stats)


def choice_badge(choice: Any) -> str:
    """The badge for answers written with ``choice`` now ("" for a local model, or an entry
    that is gone: the job then fails with the reason)."""
    if getattr(choice, "server", None) is None:
        return ""
    try:
        return badge_text(get_server(choice.server))
    except (ServerEntryError, OSError):
        return ""
