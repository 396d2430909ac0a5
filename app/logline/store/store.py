"""The ``Store``: one SQLite file, one connection per thread, the tables as attributes.

The window reads and lists on the GUI thread while the engine thread writes a streaming answer;
each thread gets its own connection (SQLite connections must not be shared between threads),
and WAL lets readers go on while a writer writes. Opening migrates the schema and marks answers
and summaries a crash left unfinished as stopped.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path

from logline import paths
from logline.store.connection import connect, make_private
from logline.store.conversations import Conversations, Messages
from logline.store.errors import StoreError
from logline.store.schema import migrate
from logline.store.tables import Documents, PromptCaches, Summaries

log = logging.getLogger(__name__)

FILE_NAME = "logline.sqlite3"


def default_path() -> Path:
    return paths.data_dir() / FILE_NAME


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connections: dict[int, sqlite3.Connection] = {}  # by thread id: see connection()
        self._closed = False
        self.documents = Documents(self)
        self.summaries = Summaries(self)
        self.conversations = Conversations(self)
        self.messages = Messages(self)
        self.prompt_caches = PromptCaches(self)

    @classmethod
    def open(cls, path: Path | None = None) -> Store:
        """Open (creating and upgrading as needed) the store at ``path`` (default: the data
        folder). Raises ``StoreError`` with a sentence saying what is wrong."""
        store = cls(path or default_path())
        conn = store.connection()
        try:
            before = migrate(conn, store.path)
            conn.execute("SELECT COUNT(*) FROM documents").fetchone()
        except sqlite3.DatabaseError as exc:
            store.close()
            raise StoreError(
                f"{store.path} is not a Logline database, or it is damaged ({exc}). Logline "
                "will not overwrite it: move it aside and Logline starts a new one."
            ) from exc
        except StoreError:
            store.close()
            raise
        if before and before != store.version:
            log.info("Store upgraded from version %d to %d", before, store.version)
        recovered = store.messages.recover_unfinished()
        if recovered:
            log.info("%d answer(s) left unfinished by a crash are marked stopped", recovered)
        recovered = store.summaries.recover_unfinished()
        if recovered:
            log.info("%d summary(ies) left unfinished by a crash are marked stopped", recovered)
        make_private(store.path)
        return store

    @property
    def version(self) -> int:
        return int(self.connection().execute("PRAGMA user_version").fetchone()[0])

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use).

        Kept by thread id, not in a ``threading.local``: a Qt thread (the window's engine
        thread) gets a new Python thread state for each job it runs, which empties a
        thread-local, so every summary and chat turn used to open one more connection, two file
        descriptors that stayed open until the app quit (found by bench/bench_soak.py). A new
        thread that gets an ended thread's id takes over its connection (SQLite checks the id).
        """
        if self._closed:
            raise StoreError("The store is closed")
        ident = threading.get_ident()
        with self._lock:
            conn = self._connections.get(ident)
        if conn is None:
            conn = connect(self.path)
            with self._lock:
                self._connections[ident] = conn
        return conn

    def close(self) -> None:
        """Close every thread's connection (call when the app quits)."""
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
            self._closed = True
        for conn in connections:
            # One made on another thread may refuse to close here; SQLite frees it with the
            # thread's objects.
            with contextlib.suppress(sqlite3.ProgrammingError):
                conn.close()

    def integrity_ok(self) -> bool:
        row = self.connection().execute("PRAGMA integrity_check").fetchone()
        return bool(row) and row[0] == "ok"

    def forget_document(self, document_id: int) -> int:
        """Delete the document, its summaries, conversations and prompt caches (records and
        files); bytes of cache files freed."""
        freed = 0
        for record in self.prompt_caches.for_document(document_id):  # type: ignore[attr-defined]
            freed += self.prompt_caches.delete(record.key)
        with self.connection() as db:
            db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
        self._scrub()
        return freed

    def _scrub(self) -> None:
        """Leave no copy of deleted rows on disk: the zeroed pages (``secure_delete``) are
        copied into the database file and the WAL, which still holds the old ones, is
        truncated. A reader in the middle of a transaction can hold the checkpoint back; the
        next forget (or the last connection's close) finishes it."""
        conn = self.connection()
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:
            log.warning("The store's journal could not be emptied yet (a reader is busy)")
