"""Documents, summaries and prompt-cache records: the store's plain tables.

Every method runs on the calling thread's own connection (``Store.connection``); each write is
one short transaction.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Protocol

from logline.store.records import DocumentRecord, PromptCacheRecord, SummaryRecord

# The finish reason of a summary still being written (or left so by a crash, until the store
# is opened again and marks it ``stopped``).
RUNNING = "running"


class Store(Protocol):
    """What a table needs of ``store.Store``: this thread's connection (and, for messages,
    the conversations table)."""

    def connection(self) -> sqlite3.Connection: ...


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Table:
    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _db(self) -> sqlite3.Connection:
        return self._store.connection()


class Documents(Table):
    def upsert(
        self,
        path: Path,
        content_hash: str,
        title: str,
        format: str,
        structure: str | None = None,
    ) -> DocumentRecord:
        """The document with this content (created, or its path, title and opened time
        refreshed: the same script moved or renamed stays one document)."""
        now = time.time()
        with self._db as db:
            db.execute(
                "INSERT INTO documents (path, content_hash, title, format, structure, created, "
                "opened) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(content_hash) DO UPDATE SET "
                "path = excluded.path, title = excluded.title, format = excluded.format, "
                "structure = COALESCE(excluded.structure, documents.structure), "
                "opened = excluded.opened",
                (str(path), content_hash, title, format, structure, now, now),
            )
        found = self.by_hash(content_hash)
        assert found is not None  # noqa: S101 - an invariant: the row was just written
        return found

    def get(self, document_id: int) -> DocumentRecord | None:
        row = self._db.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()
        return DocumentRecord.of(row) if row else None

    def by_hash(self, content_hash: str) -> DocumentRecord | None:
        row = self._db.execute(
            "SELECT * FROM documents WHERE content_hash = ?", (content_hash,)
        ).fetchone()
        return DocumentRecord.of(row) if row else None

    def by_path(self, path: Path) -> list[DocumentRecord]:
        """Documents last opened from ``path`` (the file may have changed since: several)."""
        rows = self._db.execute(
            "SELECT * FROM documents WHERE path = ? ORDER BY opened DESC", (str(path),)
        ).fetchall()
        return [DocumentRecord.of(r) for r in rows]

    def list(self) -> list[DocumentRecord]:
        rows = self._db.execute("SELECT * FROM documents ORDER BY opened DESC, id DESC")
        return [DocumentRecord.of(r) for r in rows.fetchall()]


class Summaries(Table):
    def add(
        self,
        document_id: int,
        *,
        mode: str,
        model: str,
        parameters: dict[str, Any],
        text: str,
        notes: list[str],
        stats: dict[str, Any],
        citations: Any,
        finish_reason: str,
        names: list[str] | None = None,
    ) -> SummaryRecord:
        with self._db as db:
            cursor = db.execute(
                "INSERT INTO summaries (document_id, mode, model, parameters, text, notes, stats, "
                "citations, names, finish_reason, created) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    document_id,
                    mode,
                    model,
                    dumps(parameters),
                    text,
                    dumps(notes),
                    dumps(stats),
                    dumps(citations),
                    dumps(names or []),
                    finish_reason,
                    time.time(),
                ),
            )
        found = self.get(int(cursor.lastrowid or 0))
        assert found is not None  # noqa: S101 - an invariant: the row was just written
        return found

    def begin(
        self, document_id: int, *, mode: str, model: str, parameters: dict[str, Any]
    ) -> SummaryRecord:
        """A summary that starts now: an empty record marked ``RUNNING`` until it ends."""
        return self.add(
            document_id,
            mode=mode,
            model=model,
            parameters=parameters,
            text="",
            notes=[],
            stats={},
            citations={},
            finish_reason=RUNNING,
        )

    def set_text(self, summary_id: int, text: str, notes: list[str] | None = None) -> None:
        """The text (and notes) streamed so far, of a summary still running."""
        with self._db as db:
            if notes is None:
                db.execute("UPDATE summaries SET text = ? WHERE id = ?", (text, summary_id))
            else:
                db.execute(
                    "UPDATE summaries SET text = ?, notes = ? WHERE id = ?",
                    (text, dumps(notes), summary_id),
                )

    def complete(
        self,
        summary_id: int,
        *,
        text: str,
        notes: list[str],
        stats: dict[str, Any],
        citations: Any,
        finish_reason: str,
        names: list[str] | None = None,
    ) -> None:
        """The summary ended: its final text, notes, stats, citations and finish reason."""
        with self._db as db:
            db.execute(
                "UPDATE summaries SET text = ?, notes = ?, stats = ?, citations = ?, names = ?, "
                "finish_reason = ? WHERE id = ?",
                (
                    text,
                    dumps(notes),
                    dumps(stats),
                    dumps(citations),
                    dumps(names or []),
                    finish_reason,
                    summary_id,
                ),
            )

    def delete(self, summary_id: int) -> None:
        with self._db as db:
            db.execute("DELETE FROM summaries WHERE id = ?", (summary_id,))

    def recover_unfinished(self) -> int:
        """Mark summaries a crash left running as stopped (their text is what was kept)."""
        with self._db as db:
            cursor = db.execute(
                "UPDATE summaries SET finish_reason = 'stopped' WHERE finish_reason = ?",
                (RUNNING,),
            )
        return cursor.rowcount

    def get(self, summary_id: int) -> SummaryRecord | None:
        row = self._db.execute("SELECT * FROM summaries WHERE id = ?", (summary_id,)).fetchone()
        return SummaryRecord.of(row) if row else None

    def latest(
        self, document_id: int, *, model: str | None = None, mode: str | None = None
    ) -> SummaryRecord | None:
        """The newest summary of the document with an answer (by ``model`` / in ``mode`` when
        given): one stopped, or cut by a crash, while it took notes has none, and its notes
        may be partial (it is listed, never the latest)."""
        query = "SELECT * FROM summaries WHERE document_id = ? AND text != ''"
        values: list[Any] = [document_id]
        if model is not None:
            query += " AND model = ?"
            values.append(model)
        if mode is not None:
            query += " AND mode = ?"
            values.append(mode)
        row = self._db.execute(query + " ORDER BY created DESC, id DESC LIMIT 1", values).fetchone()
        return SummaryRecord.of(row) if row else None

    def list(self, document_id: int) -> list[SummaryRecord]:
        rows = self._db.execute(
            "SELECT * FROM summaries WHERE document_id = ? ORDER BY created DESC, id DESC",
            (document_id,),
        ).fetchall()
        return [SummaryRecord.of(r) for r in rows]


class PromptCaches(Table):
    def record(
        self,
        key: str,
        *,
        document_id: int | None,
        model: str,
        template_hash: str,
        document_hash: str,
        prompt_version: str,
        path: Path,
        size_bytes: int,
        tokens: int,
    ) -> PromptCacheRecord:
        """Remember a prompt-cache file (replacing an older record of the same key)."""
        now = time.time()
        with self._db as db:
            db.execute(
                "INSERT OR REPLACE INTO prompt_caches (key, document_id, model, template_hash, "
                "document_hash, prompt_version, path, size_bytes, tokens, created, last_used) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    key,
                    document_id,
                    model,
                    template_hash,
                    document_hash,
                    prompt_version,
                    str(path),
                    size_bytes,
                    tokens,
                    now,
                    now,
                ),
            )
        found = self.get(key)
        assert found is not None  # noqa: S101 - an invariant: the row was just written
        return found

    def get(self, key: str) -> PromptCacheRecord | None:
        row = self._db.execute("SELECT * FROM prompt_caches WHERE key = ?", (key,)).fetchone()
        return PromptCacheRecord.of(row) if row else None

    def touch(self, key: str) -> None:
        with self._db as db:
            db.execute("UPDATE prompt_caches SET last_used = ? WHERE key = ?", (time.time(), key))

    def list(self) -> list[PromptCacheRecord]:
        """Least recently used first."""
        rows = self._db.execute("SELECT * FROM prompt_caches ORDER BY last_used, key").fetchall()
        return [PromptCacheRecord.of(r) for r in rows]

    # (mypy reads `list` below as the method above: rename it to tidy this ignore away)
    def for_document(self, document_id: int) -> list[PromptCacheRecord]:  # type: ignore[valid-type]
        rows = self._db.execute(
            "SELECT * FROM prompt_caches WHERE document_id = ?", (document_id,)
        ).fetchall()
        return [PromptCacheRecord.of(r) for r in rows]

    def delete(self, key: str) -> int:
        """Forget the record and delete its file; bytes freed."""
        found = self.get(key)
        if found is None:
            return 0
        freed = _unlink(found.path)
        with self._db as db:
            db.execute("DELETE FROM prompt_caches WHERE key = ?", (key,))
        return freed

    def total_bytes(self) -> int:
        row = self._db.execute("SELECT COALESCE(SUM(size_bytes), 0) FROM prompt_caches")
        return int(row.fetchone()[0])


def _unlink(path: Path) -> int:
    try:
        size = path.stat().st_size
        path.unlink()
        return size
    except OSError:
        return 0
