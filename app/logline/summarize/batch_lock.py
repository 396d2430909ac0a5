"""One batch at a time per output folder: ``logline summarize … --out DIR`` holds a lock on DIR.

The lock is an exclusive ``flock`` on the folder itself (nothing is added to it); where a
system cannot lock a folder, on a hidden ``DIR/.logline.lock`` file instead (which then stays:
deleting it while a run holds it would let a second run in). The system releases the lock when
the process ends, however it ends (even SIGKILL): a lock is never left stale. A second run into
the same folder does not wait: it says so in one sentence and exits with an error, so two runs
can never interleave their writes or undo each other's resume state.

Qt-free and MLX-free.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from logline.summarize.output_files import file_mode, make_folder

log = logging.getLogger(__name__)

LOCK_NAME = ".logline.lock"


class OutputFolderBusy(RuntimeError):
    """Another run holds the output folder; the message can be shown as is."""


@contextmanager
def lock_output_folder(folder: Path, *, shared: bool = False) -> Iterator[Path]:
    """Create ``folder`` if needed (private unless ``shared``) and hold its lock while inside.

    Raises :class:`OutputFolderBusy` when another process holds it, OSError when the folder
    cannot be made or opened.
    """
    make_folder(folder, shared=shared)
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        locked = _take(fd, folder)
    except BaseException:
        os.close(fd)
        raise
    if not locked:  # this system cannot lock a folder: a lock file instead
        os.close(fd)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(folder / LOCK_NAME, flags, file_mode(shared))
        try:
            _take(fd, folder)
        except BaseException:
            os.close(fd)
            raise
    try:
        yield folder
    finally:
        os.close(fd)  # closing it releases the lock


def _take(fd: int, folder: Path) -> bool:
    """Lock ``fd`` (raises OutputFolderBusy when held elsewhere); False when it cannot be."""
    try:
        import fcntl
    except ImportError:  # no flock on this system (Windows): run unguarded
        log.warning("No file locks on this system; %s is not guarded against a second run", folder)
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputFolderBusy(
            f"another logline summarize is writing to {folder}; wait for it to finish, "
            "or choose another --out folder"
        ) from None
    except OSError as exc:
        log.debug("Cannot lock %s itself (%s)", folder, exc)
        return False
    return True
