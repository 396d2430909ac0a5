"""A conversation written out: Markdown of the shown branch, or JSON of the whole tree.

Both read only the store (no model, no document file): ``logline history show/export``, the
chat's ``/export`` and the window's export use them.
"""

from __future__ import annotations

import time
from typing import Any

from logline.chat.events import MessageStats

# The note under an answer that did not end by itself (finish reasons of the store).
ENDINGS = {
    "stopped": "Stopped before the end.",
    "length": "Cut off at the length limit.",
    "repetition": "Ended where the model began repeating itself.",
    "error": "Failed.",
}
# The ``model`` of an answer Logline wrote from the parser's facts (chat.session.FACTS_MODEL).
FACTS_MODEL = "script facts"


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _conversation(store: Any, conversation_id: int) -> Any:
    conversation = store.conversations.get(conversation_id)
    if conversation is None:
        raise KeyError(f"No conversation {conversation_id}")
    return conversation


def branch_count(store: Any, conversation_id: int) -> int:
    """How many branches the conversation's tree has (its leaves; 0 when it is empty)."""
    messages = store.messages.all(conversation_id)
    parents = {m.parent_id for m in messages}
    return sum(1 for m in messages if m.id not in parents)


def _answer_lines(message: Any) -> list[str]:
    lines = ["### Answer", "", message.content.strip() or "*(no text)*", ""]
    # None: the answer was still streaming when the store was last written (a crash).
    ending = ENDINGS.get(message.finish_reason or "stopped")
    if ending:
        lines += [f"*{ending}*", ""]
    if message.model == FACTS_MODEL:
        lines += ["<sub>Answered from the script facts (no model).</sub>", ""]
    elif message.stats.get("prompt_tokens"):
        lines += [f"<sub>{MessageStats.from_json(message.stats).one_line()}</sub>", ""]
    return lines


def conversation_markdown(store: Any, conversation_id: int, *, leaf_id: int | None = None) -> str:
    """The conversation's shown branch (or the branch ending at ``leaf_id``) as Markdown: its
    title, document and model(s), each question and answer (citations as written), each
    answer's stats line and a note on answers that ended early, and how many other branches
    the conversation has."""
    conversation = _conversation(store, conversation_id)
    if leaf_id is not None:
        leaf = store.messages.get(leaf_id)
        if leaf is None or leaf.conversation_id != conversation_id:
            raise KeyError(f"No message {leaf_id} in conversation {conversation_id}")
    document = store.documents.get(conversation.document_id)
    leaf = leaf_id if leaf_id is not None else conversation.current_leaf_id
    thread = store.messages.path(leaf) if leaf is not None else []
    models = sorted(
        {m.model for m in thread if m.role == "assistant" and m.model and m.model != FACTS_MODEL}
    )
    lines = [f"# {conversation.title}", ""]
    if document is not None:
        lines.append(f"- Document: {document.title} (`{document.path.name}`)")
    if models:
        lines.append(f"- Model{'s' if len(models) > 1 else ''}: {', '.join(models)}")
    lines += [
        f"- Conversation #{conversation.id}, started {_when(conversation.created)}, "
        f"updated {_when(conversation.updated)}",
        "",
    ]
    for message in thread:
        if message.role == "user":
            lines += ["## Question", "", message.content.strip(), ""]
        elif message.role == "assistant":
            lines += _answer_lines(message)
        else:
            lines += [f"> {message.content.strip()}", ""]
    if not thread:
        lines += ["*No messages yet.*", ""]
    others = max(branch_count(store, conversation_id) - 1, 0)
    if others:
        what = "branch is" if others == 1 else "branches are"
        lines.append(
            f"*{others} other {what} not shown (`logline history export "
            f"{conversation.id} --format json` has them all).*"
        )
    return "\n".join(lines).rstrip() + "\n"


def conversation_json(store: Any, conversation_id: int) -> dict[str, Any]:
    """The whole conversation: every message of every branch, with parents, and the shown
    branch's message ids."""
    conversation = _conversation(store, conversation_id)
    document = store.documents.get(conversation.document_id)
    leaf = conversation.current_leaf_id
    shown = [m.id for m in store.messages.path(leaf)] if leaf is not None else []
    return {
        "id": conversation.id,
        "title": conversation.title,
        "model": conversation.model,
        "document": None
        if document is None
        else {
            "title": document.title,
            "path": str(document.path),
            "hash": document.content_hash,
            "format": document.format,
        },
        "current_leaf_id": leaf,
        "shown_branch": shown,
        "branches": branch_count(store, conversation_id),
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
                "updated": m.updated,
            }
            for m in store.messages.all(conversation_id)
        ],
    }
