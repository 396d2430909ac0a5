"""Terminal-safe CLI output: every line the CLI writes passes through one escaping rule.

Document-derived text (titles, character names, locations, summaries that quote them) and file
names reach stdout and stderr through many ``print`` calls. Rather than trust each call site,
:func:`safe_streams` wraps ``sys.stdout``/``sys.stderr`` for the length of a command so that
every write goes through :func:`logline.display_text.escape_controls`: newline and tab pass,
every other control character and every bidi override is written as ``\\uXXXX``. The one
exception is a leading carriage return on stderr, which the progress lines use to redraw.

:func:`term` (same rule) and :func:`term_line` (newlines escaped too) are for text built for
one line, e.g. a file name inside an error sentence.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from logline.display_text import escape_controls, one_line

__all__ = ["SafeWriter", "safe_streams", "term", "term_line"]


def term(text: object) -> str:
    """``text`` with controls and bidi overrides escaped (newlines and tabs kept)."""
    return escape_controls(str(text))


def term_line(text: object) -> str:
    """``text`` escaped for a single line (newlines and tabs escaped too)."""
    return one_line(str(text))


class SafeWriter:
    """A text stream that escapes what is written to it before passing it on."""

    def __init__(self, inner: TextIO, *, redraw: bool = False) -> None:
        self.inner = inner
        self._redraw = redraw  # a leading "\r" redraws a progress line

    def write(self, text: str) -> int:
        if self._redraw and text.startswith("\r"):
            return self.inner.write("\r" + escape_controls(text[1:]))
        return self.inner.write(escape_controls(text))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, encoding, fileno, buffer…
        return getattr(self.inner, name)


@contextmanager
def safe_streams() -> Iterator[None]:
    """Escape everything written to stdout and stderr until the block ends."""
    out, err = sys.stdout, sys.stderr
    if isinstance(out, SafeWriter) or isinstance(err, SafeWriter):
        yield
        return
    # A windowed app may have no streams at all (None): print() then writes nowhere, as before.
    if out is not None:
        sys.stdout = SafeWriter(out)  # type: ignore[assignment]
    if err is not None:
        sys.stderr = SafeWriter(err, redraw=True)  # type: ignore[assignment]
    try:
        yield
    finally:
        if isinstance(sys.stdout, SafeWriter):
            sys.stdout = out
        if isinstance(sys.stderr, SafeWriter):
            sys.stderr = err
