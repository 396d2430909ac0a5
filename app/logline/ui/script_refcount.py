"""``none_refs_kept()``: a block of many Qt calls that does not leave ``None`` short of references.

PySide6 6.12 on Python 3.11 returns ``None`` from a void C++ method (``setIndent``,
``insertBlock``, ``setUserState``…) without a new reference, so each call takes one reference
from ``None`` for good (the same family of bug as the one :mod:`logline.ui.signal_emit` works
around for bools). Formatting a 128-page script makes ~10,000 such calls: enough for Python to
abort with "none_dealloc: deallocating None". The context manager counts the references ``None``
lost in its block and gives them back; with Python 3.12+ (immortal ``None``) or a fixed PySide6
(checked once, at import) it does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtGui import QTextBlockFormat

__all__ = ["VOID_CALLS_STEAL_NONE", "none_refs_kept"]


def _void_call_steals_none() -> bool:
    fmt = QTextBlockFormat()
    before = sys.getrefcount(None)
    for _ in range(8):
        fmt.setIndent(1)
    return sys.getrefcount(None) < before


VOID_CALLS_STEAL_NONE = _void_call_steals_none()


def _give_back(count: int) -> None:
    incref = ctypes.pythonapi.Py_IncRef
    none = ctypes.py_object(None)
    for _ in range(count):
        incref(none)


@contextmanager
def none_refs_kept() -> Iterator[None]:
    """Give ``None`` back the references the Qt calls in the block took from it."""
    if not VOID_CALLS_STEAL_NONE:
        yield
        return
    before = sys.getrefcount(None)
    try:
        yield
    finally:
        lost = before - sys.getrefcount(None)
        if lost > 0:
            _give_back(lost)
