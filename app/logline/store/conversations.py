"""Conversations and their messages, a tree: a regenerate or an edit adds a sibling branch.

A conversation shows one branch at a time: ``current_leaf_id`` is its last message, and the
branch is the path from the root down to it (``Messages.path``). Adding a message moves the
leaf to it; deleting a message deletes its whole subtree (foreign keys cascade) and moves the
leaf to the newest remaining leaf.
"""

from __future__ import annotations

import time
from typing import Any

from logline.store.records import ConversationRecord, MessageRecord
from logline.store.streaming import MessageWriter
from logline.store.tables import Table, dumps

ROLES = ("user", "assistant", "notice")


class Conversations(Table):
    def create(self, document_id: int, title: str, model: str = "") -> ConversationRecord:
        now = time.time()
        with self._db as db:
            cursor = db.execute(
                "INSERT INTO conversations (document_id, title, model, created, updated) "
                "VALUES (?, ?, ?, ?, ?)",
                (document_id, title, model, now, now),
            )
        found = self.get(int(cursor.lastrowid or 0))
        assert found is not None  # noqa: S101 - an invariant: the row was just written
        return found

    def get(self, conversation_id: int) -> ConversationRecord | None:
        row = self._db.execute(
            "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        return ConversationRecord.of(row) if row else None

    def list(self, document_id: int) -> list[ConversationRecord]:
        """The document's conversations, most recently updated first."""
        rows = self._db.execute(
            "SELECT * FROM conversations WHERE document_id = ? ORDER BY updated DESC, id DESC",
            (document_id,),
        ).fetchall()
        return [ConversationRecord.of(r) for r in rows]

    def _set(self, conversation_id: int, column: str, value: Any) -> None:
        with self._db as db:
            db.execute(
                # `column` is one of this class's own names (title, model), never user input.
                f"UPDATE conversations SET {column} = ?, updated = ? WHERE id = ?",  # noqa: S608
                (value, time.time(), conversation_id),
            )

    def rename(self, conversation_id: int, title: str) -> None:
        title = title.strip()
        if not title:
            raise ValueError("A conversation needs a title")
        self._set(conversation_id, "title", title)

    def set_model(self, conversation_id: int, model: str) -> None:
        self._set(conversation_id, "model", model)

    def set_leaf(self, conversation_id: int, message_id: int | None) -> None:
        self._set(conversation_id, "current_leaf_id", message_id)

    def delete(self, conversation_id: int) -> None:
        with self._db as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def message_count(self, conversation_id: int) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()
        return int(row[0])


class Messages(Table):
    def add(
        self,
        conversation_id: int,
        parent_id: int | None,
        role: str,
        content: str,
        *,
        model: str | None = None,
        finish_reason: str | None = None,
        stats: dict[str, Any] | None = None,
        model_text: str | None = None,
    ) -> MessageRecord:
        """A new message under ``parent_id`` (None: a first message); the conversation now
        shows its branch."""
        if role not in ROLES:
            raise ValueError(f"Unknown message role {role!r}")
        now = time.time()
        with self._db as db:
            cursor = db.execute(
                "INSERT INTO messages (conversation_id, parent_id, role, content, model, "
                "finish_reason, stats, created, updated, model_text) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    conversation_id,
                    parent_id,
                    role,
                    content,
                    model,
                    finish_reason,
                    dumps(stats or {}),
                    now,
                    now,
                    model_text,
                ),
            )
            message_id = int(cursor.lastrowid or 0)
            db.execute(
                "UPDATE conversations SET current_leaf_id = ?, updated = ? WHERE id = ?",
                (message_id, now, conversation_id),
            )
        found = self.get(message_id)
        assert found is not None  # noqa: S101 - an invariant: the row was just written
        return found

    def get(self, message_id: int) -> MessageRecord | None:
        row = self._db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        return MessageRecord.of(row) if row else None

    def children(self, message_id: int) -> list[MessageRecord]:
        rows = self._db.execute(
            "SELECT * FROM messages WHERE parent_id = ? ORDER BY id", (message_id,)
        ).fetchall()
        return [MessageRecord.of(r) for r in rows]

    def roots(self, conversation_id: int) -> list[MessageRecord]:
        rows = self._db.execute(
            "SELECT * FROM messages WHERE conversation_id = ? AND parent_id IS NULL ORDER BY id",
            (conversation_id,),
        ).fetchall()
        return [MessageRecord.of(r) for r in rows]

    def siblings(self, message_id: int) -> list[MessageRecord]:
        """The message and the other branches at its place (same parent), oldest first."""
        found = self.get(message_id)
        if found is None:
            return []
        if found.parent_id is None:
            return self.roots(found.conversation_id)
        return self.children(found.parent_id)

    def path(self, leaf_id: int) -> list[MessageRecord]:
        """The branch from the root down to ``leaf_id``."""
        rows = self._db.execute(
            "WITH RECURSIVE up(id, parent_id, depth) AS ("
            " SELECT id, parent_id, 0 FROM messages WHERE id = ?"
            " UNION ALL SELECT m.id, m.parent_id, up.depth + 1"
            " FROM messages m JOIN up ON m.id = up.parent_id)"
            " SELECT messages.* FROM up JOIN messages ON messages.id = up.id"
            " ORDER BY up.depth DESC",
            (leaf_id,),
        ).fetchall()
        return [MessageRecord.of(r) for r in rows]

    def leaf_of(self, message_id: int) -> MessageRecord | None:
        """The newest leaf below ``message_id`` (itself when it has no children): the branch
        to show when the user picks this message."""
        current = self.get(message_id)
        while current is not None:
            children = self.children(current.id)
            if not children:
                return current
            current = max(children, key=lambda m: (m.updated, m.id))
        return None

    def all(self, conversation_id: int) -> list[MessageRecord]:
        rows = self._db.execute(
            "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        ).fetchall()
        return [MessageRecord.of(r) for r in rows]

    def set_content(self, message_id: int, content: str, *, model_text: str | None = None) -> None:
        with self._db as db:
            db.execute(
                "UPDATE messages SET content = ?, model_text = COALESCE(?, model_text), "
                "updated = ? WHERE id = ?",
                (content, model_text, time.time(), message_id),
            )

    def finish(self, message_id: int, finish_reason: str, stats: dict[str, Any]) -> None:
        with self._db as db:
            db.execute(
                "UPDATE messages SET finish_reason = ?, stats = ?, updated = ? WHERE id = ?",
                (finish_reason, dumps(stats), time.time(), message_id),
            )

    def delete(self, message_id: int) -> None:
        """Delete the message and everything below it; the conversation shows another leaf."""
        found = self.get(message_id)
        if found is None:
            return
        with self._db as db:
            db.execute("DELETE FROM messages WHERE id = ?", (message_id,))
        conversations = self._store.conversations  # type: ignore[attr-defined]
        conversation = conversations.get(found.conversation_id)
        if conversation is None:
            return
        leaf = conversation.current_leaf_id
        if leaf is not None and self.get(leaf) is not None:
            return
        remaining = self.all(found.conversation_id)
        newest = None
        if found.parent_id is not None and self.get(found.parent_id) is not None:
            newest = self.leaf_of(found.parent_id)
        elif remaining:
            newest = self.leaf_of(max(remaining, key=lambda m: m.id).id)
        conversations.set_leaf(found.conversation_id, newest.id if newest else None)

    def stream(self, message_id: int, flush_interval: float = 0.1) -> MessageWriter:
        """A writer that appends streamed text to the message in small transactions."""
        return MessageWriter(self, message_id, flush_interval)

    def recover_unfinished(self) -> int:
        """Mark answers a crash left streaming (no finish reason) as stopped; how many."""
        with self._db as db:
            cursor = db.execute(
                "UPDATE messages SET finish_reason = 'stopped' "
                "WHERE role = 'assistant' AND finish_reason IS NULL"
            )
        return cursor.rowcount
