"""Opening the SQLite file: WAL, foreign keys, a busy timeout, private permissions.

The folder is made 0700 and the database with its ``-wal`` and ``-shm`` files 0600: the store
holds questions and answers about scripts under NDA. ``secure_delete`` is on for every
connection, whatever SQLite was built with: a forgotten script's rows are overwritten with zeros.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from logline.store.errors import StoreError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def _private_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
        os.chmod(folder, PRIVATE_FOLDER)
    except OSError as exc:
        raise StoreError(
            f"Logline cannot create its data folder {folder} ({exc.strerror or exc}). "
            "Check that the folder is writable, or set LOGLINE_HOME to one that is."
        ) from exc


def make_private(path: Path) -> None:
    """0600 on the database and its journal files (those that exist)."""
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if candidate.exists():
                os.chmod(candidate, PRIVATE_FILE)
        except OSError as exc:
            log.warning("Could not make %s private: %s", candidate.name, exc)


def connect(path: Path) -> sqlite3.Connection:
    """A new connection to ``path`` with Logline's settings (the file is created if needed)."""
    _private_folder(path.parent)
    old_umask = os.umask(0o077)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=True)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")  # deleted rows are zeroed, not just unlinked
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("SQLite journal mode is %s, not WAL", mode)
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is not a Logline database, or it is damaged ({exc}). Logline will not "
            "overwrite it: move it aside and Logline starts a new one."
        ) from exc
    except sqlite3.Error as exc:
        raise StoreError(
            f"Logline cannot open its database {path} ({exc}). Check that the folder is "
            "writable, or set LOGLINE_HOME to one that is."
        ) from exc
    finally:
        os.umask(old_umask)
    make_private(path)
    return conn
