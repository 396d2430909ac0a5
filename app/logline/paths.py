"""Where Logline keeps its files, per platform (via platformdirs).

macOS: models in ``~/Library/Caches/Logline/models``,
       data in ``~/Library/Application Support/Logline``.
Linux: models in ``~/.cache/Logline/models``, data in ``~/.local/share/Logline``.

``LOGLINE_HOME`` overrides both roots (tests, portable installs): cache in ``$LOGLINE_HOME/cache``,
data in ``$LOGLINE_HOME/data``.

Everything Logline writes there is private to the user (issue 17: summaries of scripts under NDA
on a shared Mac): folders 0700 and files 0600. The entry point runs under
:func:`private_files` (umask 077, so every file and folder the process creates, SQLite's journals
and huggingface_hub's blobs included, is private) and calls :func:`tighten_roots` (a data or
cache folder an older version left 0755 becomes 0700); writers that must not depend on the
umask use :func:`private_folder`.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from platformdirs import user_cache_path, user_data_path

from logline import APP_NAME


def _home_override() -> Path | None:
    value = os.environ.get("LOGLINE_HOME")
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """Root of re-creatable files (models). Large; may be cleaned by the OS or the user."""
    home = _home_override()
    return home / "cache" if home else user_cache_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """Root of the user's own data (settings, the SQLite store, editable prompts)."""
    home = _home_override()
    return home / "data" if home else user_data_path(APP_NAME, appauthor=False)


def models_dir() -> Path:
    """Every model Logline can load lives below this folder, one folder per model."""
    return cache_dir() / "models"


def hub_cache_dir() -> Path:
    """Downloads from a Hugging Face-compatible hub: huggingface_hub's cache layout
    (``models--org--name/blobs|snapshots|refs``), passed as ``cache_dir=``."""
    return cache_dir() / "hub"


def hf_home_dir() -> Path:
    """``HF_HOME`` for huggingface_hub, so nothing is written below ``~/.cache/huggingface``."""
    return cache_dir() / "hf-home"


PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def private_folder(folder: Path) -> Path:
    """Create ``folder`` and its missing parents 0700 (no umask change: threads may be
    creating files meanwhile), and make ``folder`` itself 0700 if it was wider; ``folder``."""
    missing = []
    level = folder
    while not level.exists() and level != level.parent:
        missing.append(level)
        level = level.parent
    for level in reversed(missing):
        with contextlib.suppress(FileExistsError):
            level.mkdir(mode=PRIVATE_FOLDER)
    _tighten(folder, PRIVATE_FOLDER)
    return folder


def _tighten(path: Path, mode: int) -> None:
    """Drop group/other permissions from ``path`` (if it exists and is not a link)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) & ~mode:
        os.chmod(path, stat.S_IMODE(info.st_mode) & mode)


def tighten_roots() -> None:
    """Make the data and cache folders 0700 where they exist (the files below stay unreadable
    to other users, whatever their own modes); creates nothing."""
    for root in (data_dir(), cache_dir()):
        with contextlib.suppress(OSError):
            _tighten(root, PRIVATE_FOLDER)


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Run the block with umask 077: what the process creates meanwhile is 0600/0700.

    The umask is process-wide: the CLI and the window run their whole session inside this.
    """
    global _USER_UMASK
    old = os.umask(0o077)
    _USER_UMASK = old
    try:
        yield
    finally:
        os.umask(old)
        _USER_UMASK = None


_USER_UMASK: int | None = None


def user_umask() -> int:
    """The user's own umask (what it was before :func:`private_files`): what ``--shared``
    outputs honour."""
    if _USER_UMASK is not None:
        return _USER_UMASK
    current = os.umask(0o022)
    os.umask(current)
    return current
