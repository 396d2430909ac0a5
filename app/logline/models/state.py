"""Logline's own record of each model: when it was last used and whether it is pinned.

Stored in ``paths.data_dir()/models.sqlite3`` (stdlib sqlite3, WAL). The key is the own model id
(a folder under ``paths.models_dir()``) or the hub repo id (``org/name``) of a download. File
access times are unreliable, so LRU eviction uses ``last_used`` from here, set when a model is
loaded. Which models are in use right now is runtime-only state (``mark_in_use``/``release``).

The file is created 0600 in a 0700 folder. Several processes (CLI runs, the window) may create
it at the same moment: switching a new database to WAL then fails at once with "database is
locked" (SQLite's busy timeout does not cover it), so the set-up is retried for a while.
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from logline import paths

log = logging.getLogger(__name__)

DB_NAME = "models.sqlite3"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS models (
    key TEXT PRIMARY KEY,
    last_used REAL,
    pinned INTEGER NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True)
class ModelRecord:
    key: str
    last_used: float | None
    pinned: bool


def db_path() -> Path:
    return paths.data_dir() / DB_NAME


_init_lock = threading.Lock()
_initialized: set[Path] = set()


def _initialize(conn: sqlite3.Connection, path: Path) -> None:
    """Create the schema once per database and process (WAL mode persists in the file).

    Done under a lock (threads) and retried with a random backoff (other processes): concurrent
    first connections race on ``journal_mode``, which fails at once with "database is locked"
    instead of waiting.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            _create_schema(conn, path)
            return
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or time.monotonic() > deadline:
                raise
            log.debug("%s is busy while being set up; trying again", path.name)
            time.sleep(delay * (1 + random.random()))  # noqa: S311 (jitter, not a secret)
            delay = min(delay * 2, 0.2)


def _create_schema(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(_SCHEMA)
    with conn:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        elif row[0] > SCHEMA_VERSION:
            raise RuntimeError(
                f"{path} was written by a newer Logline (schema {row[0]}); please update Logline."
            )


@contextmanager
def _connect() -> Iterator[sqlite3.Connection]:
    """A short-lived connection (safe from any thread), committed on success."""
    path = db_path()
    paths.private_folder(path.parent)
    _create_private(path)
    with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)) as conn:
        if path not in _initialized:
            with _init_lock:
                if path not in _initialized:
                    _initialize(conn, path)
                    _initialized.add(path)
        with conn:
            yield conn


def _create_private(path: Path) -> None:
    """Create the database file empty and 0600 if missing: SQLite gives its -wal and -shm files
    the main file's mode."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def touch(key: str, when: float | None = None) -> None:
    """Record that ``key`` was used (loaded) now, or at ``when`` (seconds since the epoch)."""
    stamp = time.time() if when is None else when
    with _connect() as conn:
        conn.execute(
            "INSERT INTO models (key, last_used) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET last_used = excluded.last_used",
            (key, stamp),
        )


def set_pinned(key: str, pinned: bool) -> None:
    """Pinned models are never evicted to make room."""
    with _connect() as conn:
        conn.execute(
            "INSERT INTO models (key, pinned) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET pinned = excluded.pinned",
            (key, int(pinned)),
        )


def pinned() -> set[str]:
    with _connect() as conn:
        return {row[0] for row in conn.execute("SELECT key FROM models WHERE pinned = 1")}


def is_pinned(key: str) -> bool:
    with _connect() as conn:
        row = conn.execute("SELECT pinned FROM models WHERE key = ?", (key,)).fetchone()
    return bool(row and row[0])


def last_used(key: str) -> float | None:
    with _connect() as conn:
        row = conn.execute("SELECT last_used FROM models WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def records() -> dict[str, ModelRecord]:
    """Every recorded model by key."""
    with _connect() as conn:
        rows = conn.execute("SELECT key, last_used, pinned FROM models").fetchall()
    return {key: ModelRecord(key, used, bool(pin)) for key, used, pin in rows}


def forget(key: str) -> None:
    """Drop the record (after the model is deleted)."""
    with _connect() as conn:
        conn.execute("DELETE FROM models WHERE key = ?", (key,))


# --- runtime only: models loaded right now ---------------------------------------------------

_in_use: dict[str, int] = {}
_in_use_lock = threading.Lock()


def mark_in_use(key: str) -> None:
    """Count one more user of ``key`` (the engine calls this when it loads a model)."""
    with _in_use_lock:
        _in_use[key] = _in_use.get(key, 0) + 1


def release(key: str) -> None:
    with _in_use_lock:
        count = _in_use.get(key, 0) - 1
        if count > 0:
            _in_use[key] = count
        else:
            _in_use.pop(key, None)


@contextmanager
def using(key: str) -> Iterator[None]:
    """Mark ``key`` in use (and touch it) for the duration of the block."""
    touch(key)
    mark_in_use(key)
    try:
        yield
    finally:
        release(key)


def forget_in_use() -> None:
    """Forget every in-use mark (a fresh process's state; tests isolate themselves with it)."""
    with _in_use_lock:
        _in_use.clear()


def in_use() -> frozenset[str]:
    with _in_use_lock:
        return frozenset(_in_use)
