"""``emit(signal, *args)``: emit a Qt signal without losing a reference to ``True``.

PySide6 6.12 on Python 3.11 returns the result of ``SignalInstance.emit`` (a bool) without a new
reference, so every emit takes one reference from ``True`` (or ``False``) for good. A stream of
a few thousand tokens is enough for Python to abort with "bool_dealloc: deallocating True or
False". :func:`emit` gives the reference back when this build of PySide6 is found to need it
(checked once, at import); with Python 3.12+ (immortal bools) or a fixed PySide6 it is a plain
emit. Every signal the background jobs send goes through it.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance

__all__ = ["emit"]


class _Probe(QObject):
    ping = Signal()


def _emit_steals_a_bool() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True) + sys.getrefcount(False)
    probe.ping.emit()
    return sys.getrefcount(True) + sys.getrefcount(False) < before


_STEALS = _emit_steals_a_bool()


def emit(signal: SignalInstance, *args: object) -> None:
    """``signal.emit(*args)``, returning the reference PySide6 takes from a bool."""
    result = signal.emit(*args)
    if _STEALS and isinstance(result, bool):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
