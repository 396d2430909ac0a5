"""``none_refs_kept()``: a block of many Qt calls that does not leave ``None`` short of references.

PySide6 6.12 on Python 3.11 returns ``None`` from a void C++ method (``setIndent``,
``insertBlock``, ``setUserState``…) without a new reference, so each call takes one reference
from ``None`` for good (the same family of bug as the one :mod:`logline.ui.signal_emit` works
around for bools). Formatting a 128-page script makes ~10,000 such calls: enough for Python to
abort with "none_dealloc: deallocating None". The context manager counts the references ``None``
lost in its block and gives them back (:func:`keeps_none_refs` does so for every call of a
method: the streaming views' intake and renders, which otherwise abort Python after ~2
minutes of streaming); with Python 3.12+ (immortal ``None``) or a fixed PySide6
(checked once, at import) it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable
from contextlib import nullcontext
from typing import ParamSpec, TypeVar

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QTextBlockFormat

__all__ = ["VOID_CALLS_STEAL_NONE", "keep_none_alive", "keeps_none_refs", "none_refs_kept"]

P = ParamSpec("P")
R = TypeVar("R")


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


class _KeepNoneRefs:
    """The guard: counts ``None``'s references on entry and gives back what is missing on exit.

    ``slack`` adds the references the exit itself holds while it counts (its arguments), found
    by :func:`_calibrate`; giving one too many back is harmless (``None`` is never freed).
    """

    slack = 0

    def __enter__(self) -> None:
        self.before = sys.getrefcount(None)

    def __exit__(self, *exc: object) -> None:
        self.change = sys.getrefcount(None) - self.before
        lost = self.slack - self.change
        if lost > 0:
            _give_back(lost)


def _calibrate() -> int:
    """The references to ``None`` that the exit itself holds while it counts (its arguments):
    what an empty block seems to gain."""
    guard = _KeepNoneRefs()
    with guard:
        pass
    return max(guard.change, 0)


def none_refs_kept() -> _KeepNoneRefs | nullcontext[None]:
    """Give ``None`` back the references the Qt calls in the ``with`` block took from it."""
    return _KeepNoneRefs() if VOID_CALLS_STEAL_NONE else nullcontext()


def keeps_none_refs(method: Callable[P, R]) -> Callable[P, R]:
    """Decorate a method that makes Qt calls (a view's render, its token intake) so that each
    call of it gives ``None``'s references back (see the module docstring)."""
    if not VOID_CALLS_STEAL_NONE:
        return method

    @functools.wraps(method)
    def kept(*args: P.args, **kwargs: P.kwargs) -> R:
        before = sys.getrefcount(None)
        result = method(*args, **kwargs)
        # ``result`` holds one reference when it is None: not a loss.
        lost = before - sys.getrefcount(None) + (result is None)
        if lost > 0:
            _give_back(lost)
        return result

    return kept


def keep_none_alive(parent: QObject, interval_ms: int = 500) -> QTimer | None:
    """A timer on ``parent`` that tops ``None``'s references back up to today's count every
    ``interval_ms``, for the Qt calls no guard covers (paint events, other views). Giving back
    more than was taken is harmless; None when this build takes nothing."""
    if not VOID_CALLS_STEAL_NONE:
        return None
    floor = sys.getrefcount(None)

    def top_up() -> None:
        missing = floor - sys.getrefcount(None)
        if missing > 0:
            _give_back(missing)

    timer = QTimer(parent)
    timer.setObjectName("keepNoneAlive")
    timer.setInterval(interval_ms)
    timer.timeout.connect(top_up)
    timer.start()
    return timer


if VOID_CALLS_STEAL_NONE:
    _KeepNoneRefs.slack = _calibrate()
