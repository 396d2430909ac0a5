"""Files and folders Logline writes for the user (a batch's summaries and sidecars): private,
atomic and durable.

* Private: files 0600 and the folders Logline creates 0700, so other accounts on a shared Mac
  cannot read an NDA script's summary; ``shared=True`` (``--shared``) lets the user's umask
  decide instead. Folders that already exist are left as they are.
* Atomic: written to a hidden temporary file beside the target, flushed to disk, then renamed
  over it: a crash leaves the old file or the new one, never half of one.

Qt-free and MLX-free.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from logline.paths import user_umask

log = logging.getLogger(__name__)

PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700
SHARED_FILE, SHARED_FOLDER = 0o666, 0o777  # the umask takes its bits off these


def file_mode(shared: bool) -> int:
    return SHARED_FILE & ~user_umask() if shared else PRIVATE_FILE


def make_folder(path: Path, *, shared: bool = False) -> None:
    """Create ``path`` and its missing parents (0700 each unless ``shared``); a folder that
    exists is left untouched. Raises OSError (e.g. NotADirectoryError) when it cannot be made."""
    missing: list[Path] = []
    current = path
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=SHARED_FOLDER if shared else PRIVATE_FOLDER)
        except FileExistsError:
            if folder.is_dir():
                continue  # made meanwhile (by another process): not ours to change
            raise
        # Whatever the process umask (077 in the CLI) took away or left: private, or what
        # the user's own umask gives.
        os.chmod(folder, SHARED_FOLDER & ~user_umask() if shared else PRIVATE_FOLDER)


def write_atomic(path: Path, data: bytes, *, shared: bool = False) -> None:
    """Write ``data`` to ``path`` in one step (temp file, fsync, rename), 0600 unless ``shared``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # a stale one from a killed run with the same pid
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, file_mode(shared))
    os.fchmod(fd, file_mode(shared))  # the process umask (077 in the CLI) is not the user's
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        log.debug("Could not sync folder %s: %s", folder, exc)
    finally:
        os.close(fd)
