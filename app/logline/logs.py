"""Logline's log: the details in one file of the data folder, one plain line on the console.

A user never sees a traceback. Every entry point (the CLI's ``main``, the window's launcher, the
worker threads) calls :func:`configure` once, then hands anything unexpected to
:func:`unexpected`, which writes the traceback to the log file and returns the one sentence to
show.

- **Console** (stderr): one line per record, never a traceback; a record that carries an
  exception names its type and where the details are.
- **File** (``<data>/logs/logline.log``; the file 0600 in a 0700 folder; rotated at 1 MB, three
  old files kept): records at INFO and above, with tracebacks. A traceback keeps the code
  locations and the exception *types*, but an exception's *message* only when Logline wrote it
  (its own error classes) or the operating system did (``OSError``): another library's message can
  quote the document (a tokenizer's or a parser's complaint), and document text never goes to a
  log. Callers never pass document text in a log message either.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import TextIO

from logline.paths import data_dir

__all__ = [
    "FILE_ONLY",
    "LOG_FILE_NAME",
    "configure",
    "log_file",
    "one_line",
    "scrubbed_traceback",
    "unexpected",
]

log = logging.getLogger(__name__)

LOG_FILE_NAME = "logline.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 3
# ``log.error(..., extra={FILE_ONLY: True})``: the record goes to the log file, not the console
# (the caller shows its own sentence instead).
FILE_ONLY = "logline_file_only"
CONSOLE_FORMAT = "%(levelname)s %(name)s: %(message)s"
FILE_FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"
# Built-in exceptions whose messages never quote data (the rest keep only their type).
_FIXED_MESSAGES = (OSError, MemoryError, RecursionError, KeyboardInterrupt, SystemExit)
_MAX_SENTENCE_DETAIL = 200
_MAX_CHAIN = 20


def log_dir() -> Path:
    return data_dir() / "logs"


def log_file() -> Path:
    """Where the details of every failure go (it exists once something has been logged)."""
    return log_dir() / LOG_FILE_NAME


def _message_is_ours(exc: BaseException) -> bool:
    """True when the exception's message was written by Logline or the OS (safe in a log)."""
    return isinstance(exc, _FIXED_MESSAGES) or type(exc).__module__.startswith("logline.")


def _headline(exc: BaseException) -> str:
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    text = str(exc)
    if not text:
        return f"{name}\n"
    if _message_is_ours(exc):
        return f"{name}: {text}\n"
    return f"{name}: <message withheld: {len(text)} characters>\n"


def _chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    """``exc`` and its causes, oldest first, each with the sentence that links it to the next."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen and len(chain) < _MAX_CHAIN:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "While handling the above exception:"
        else:
            current = None
    return chain[::-1]


def scrubbed_traceback(exc: BaseException) -> str:
    """A traceback of ``exc`` (and what caused it) without messages that could quote data."""
    parts: list[str] = []
    chain = _chain(exc)
    for index, (item, link) in enumerate(chain):
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.extract_tb(item.__traceback__).format())
        parts.append(_headline(item))
        if index + 1 < len(chain):
            parts.append(f"\n{link}\n\n")
    return "".join(parts).rstrip("\n")


class _FileFormatter(logging.Formatter):
    """Full records with scrubbed tracebacks (never the traceback text another handler cached)."""

    def formatException(
        self,
        ei: tuple[type[BaseException], BaseException, TracebackType | None]
        | tuple[None, None, None],
    ) -> str:
        return scrubbed_traceback(ei[1]) if ei[1] is not None else ""

    def format(self, record: logging.LogRecord) -> str:
        cached = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached


class _ConsoleFormatter(logging.Formatter):
    """One line per record: an exception is named by its type, its details are in the file."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        if record.exc_info and record.exc_info[0] is not None:
            line += f" ({record.exc_info[0].__name__}; details in {log_file()})"
        return line


class _ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (it may be replaced after set-up)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, FILE_ONLY, False) and bool(super().filter(record))


class _PrivateFileHandler(logging.handlers.RotatingFileHandler):
    """The log file, created 0600 in a 0700 folder when the first record arrives. A log that
    cannot be written is given up quietly (no "Logging error" traceback on the console)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, delay=True)
        self.failed = False

    def _open(self) -> io.TextIOWrapper:
        path = Path(self.baseFilename)
        for folder in reversed([path.parent, *path.parent.parents]):
            if not folder.exists():
                folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace")

    def handleError(self, record: logging.LogRecord) -> None:
        self.failed = True


def _is_ours(handler: logging.Handler) -> bool:
    return isinstance(handler, (_ConsoleHandler, _PrivateFileHandler))


def configure(verbose: int = 0) -> Path:
    """Console and file logging for a Logline process (again: replaces what it set before).

    The console shows warnings (``-v`` info, ``-vv`` debug); it is left alone when something
    else already handles the root logger (a test runner, an embedding app), as
    :func:`logging.basicConfig` would. The file takes INFO and above (``-vv``: debug too).
    Returns the log file's path.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if _is_ours(h)]:
        root.removeHandler(handler)
        handler.close()
    console_level = logging.WARNING - 10 * min(max(verbose, 0), 2)
    file_level = min(logging.INFO, console_level)
    if not root.handlers:
        console = _ConsoleHandler()
        console.setLevel(console_level)
        console.setFormatter(_ConsoleFormatter(CONSOLE_FORMAT))
        root.addHandler(console)
    path = log_file()
    file_handler = _PrivateFileHandler(path)
    file_handler.setLevel(file_level)
    file_handler.setFormatter(_FileFormatter(FILE_FORMAT))
    root.addHandler(file_handler)
    root.setLevel(file_level)
    return path


def one_line(text: str, limit: int = _MAX_SENTENCE_DETAIL) -> str:
    """``text`` on one line, control characters escaped, at most ``limit`` characters."""
    flat = " ".join(text.split())
    safe = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in flat)
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def unexpected(exc: BaseException, doing: str, logger: logging.Logger | None = None) -> str:
    """Log ``exc`` (an error nothing else handled, while ``doing`` something) with its
    traceback to the log file only; return the one sentence to show the user instead."""
    (logger or log).error(
        "Unexpected %s while %s", type(exc).__name__, doing, exc_info=exc, extra={FILE_ONLY: True}
    )
    where = log_file()
    if isinstance(exc, OSError):
        detail = exc.strerror or type(exc).__name__
        if exc.filename is not None:
            detail += f": {exc.filename}"
        return f"Could not finish {doing}: {one_line(detail)} (details in {where})."
    return (
        f"An unexpected problem ({type(exc).__name__}) stopped {doing}; "
        f"please report it with the log file {where}."
    )
