"""The schema and its migrations, versioned with ``PRAGMA user_version``.

Each migration moves the database from version ``n`` to ``n + 1`` inside one transaction. Never
edit a released migration: add the next one. Version 1 was the first store (documents,
summaries, conversations and their message trees); version 2 added prompt-cache records and
each answer's model text (what the model wrote, before the checks marked it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from logline.store.errors import StoreError

V1 = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    format TEXT NOT NULL,
    structure TEXT,
    created REAL NOT NULL,
    opened REAL NOT NULL
);
CREATE TABLE summaries (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    mode TEXT NOT NULL,
    model TEXT NOT NULL,
    parameters TEXT NOT NULL DEFAULT '{}',
    text TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '[]',
    stats TEXT NOT NULL DEFAULT '{}',
    citations TEXT NOT NULL DEFAULT '{}',
    names TEXT NOT NULL DEFAULT '[]',
    finish_reason TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX summaries_by_document ON summaries(document_id, created);
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    current_leaf_id INTEGER,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX conversations_by_document ON conversations(document_id, updated);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'notice')),
    content TEXT NOT NULL DEFAULT '',
    model TEXT,
    finish_reason TEXT,
    stats TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX messages_by_parent ON messages(conversation_id, parent_id, id);
"""

V2 = """
ALTER TABLE messages ADD COLUMN model_text TEXT;
CREATE TABLE prompt_caches (
    key TEXT PRIMARY KEY,
    document_id INTEGER REFERENCES documents(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    template_hash TEXT NOT NULL,
    document_hash TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    path TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    created REAL NOT NULL,
    last_used REAL NOT NULL
);
CREATE INDEX prompt_caches_by_use ON prompt_caches(last_used);
"""

# Migration n (0-based) takes a database from version n to n + 1.
MIGRATIONS: tuple[str, ...] = (V1, V2)
SCHEMA_VERSION = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the database up to ``SCHEMA_VERSION``; the version it had before."""
    before = version(conn)
    if before > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer Logline (store version {before}, this one reads up "
            f"to {SCHEMA_VERSION}). Update Logline; the database is left as it is."
        )
    for number in range(before, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(number):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise StoreError(
                f"Upgrading {path} to store version {number + 1} failed: {exc}"
            ) from exc
    return before


def _statements(number: int) -> list[str]:
    script = MIGRATIONS[number]
    return [s.strip() for s in script.split(";") if s.strip()]
