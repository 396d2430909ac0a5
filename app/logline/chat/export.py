"""A conversation written out: Markdown of the shown branch, or JSON of the whole tree."""

from __future__ import annotations

import time
from typing import Any

from logline.chat.events import MessageStats

ENDINGS = {
    "stopped": "Stopped before the end.",
    "length": "Cut off at the length limit.",
    "repetition": "Ended where the model began repeating itself.",
    "error": "Failed.",
}


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def conversation_markdown(store: Any, conversation_id: int, *, leaf_id: int | None = None) -> str:
    """The conversation's shown branch (or the branch ending at ``leaf_id``) as Markdown."""
    conversation = store.conversations.get(conversation_id)
    if conversation is None:
        raise KeyError(f"No conversation {conversation_id}")
    document = store.documents.get(conversation.document_id)
    leaf = leaf_id if leaf_id is not None else conversation.current_leaf_id
    thread = store.messages.path(leaf) if leaf is not None else []
    models = sorted({m.model for m in thread if m.role == "assistant" and m.model})
    lines = [f"# {conversation.title}", ""]
    if document is not None:
        lines.append(f"- Document: {document.title} (`{document.path.name}`)")
    if models:
        lines.append(f"- Model{'s' if len(models) > 1 else ''}: {', '.join(models)}")
    lines += [f"- Updated: {_when(conversation.updated)}", ""]
    branches = 0
    for message in thread:
        others = len(store.messages.siblings(message.id)) - 1
        branches += max(others, 0)
        if message.role == "user":
            lines += ["## Question", "", message.content.strip(), ""]
        elif message.role == "assistant":
            lines += ["### Answer", "", message.content.strip() or "*(no text)*", ""]
            ending = ENDINGS.get(message.finish_reason or "stopped")
            if ending:
                lines += [f"*{ending}*", ""]
            if message.stats.get("prompt_tokens"):
                lines += [f"<sub>{MessageStats.from_json(message.stats).one_line()}</sub>", ""]
        else:
            lines += [f"> {message.content.strip()}", ""]
    if branches:
        lines.append(f"*{branches} other branch(es) of this conversation are not shown.*")
    return "\n".join(lines).rstrip() + "\n"


def conversation_json(store: Any, conversation_id: int) -> dict[str, Any]:
    """The whole conversation: every message of every branch, with parents."""
    conversation = store.conversations.get(conversation_id)
    if conversation is None:
        raise KeyError(f"No conversation {conversation_id}")
    document = store.documents.get(conversation.document_id)
    return {
        "id": conversation.id,
        "title": conversation.title,
        "document": None
        if document is None
        else {"title": document.title, "path": str(document.path), "hash": document.content_hash},
        "current_leaf_id": conversation.current_leaf_id,
        "created": conversation.created,
        "updated": conversation.updated,
        "messages": [
            {
                "id": m.id,
                "parent_id": m.parent_id,
                "role": m.role,
                "content": m.content,
                "model": m.model,
                "finish_reason": m.finish_reason,
                "stats": m.stats,
                "created": m.created,
            }
            for m in store.messages.all(conversation_id)
        ],
    }
