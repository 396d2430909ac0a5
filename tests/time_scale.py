"""Wall-clock limits in tests, scaled for slow machines.

Set ``LOGLINE_TEST_TIME_SCALE`` (a factor, default 1) to stretch every hard time limit a test
asserts, e.g. ``LOGLINE_TEST_TIME_SCALE=3`` on a loaded CI runner. Limits that only bound a wait
(a timeout that passes at once when things work) need no scaling; limits that state a
promise ("Stop ends within 0.5 s") do.
"""

from __future__ import annotations

import os


def time_scale() -> float:
    """The factor from ``LOGLINE_TEST_TIME_SCALE`` (1.0 when unset or not a positive number)."""
    try:
        factor = float(os.environ.get("LOGLINE_TEST_TIME_SCALE", "1"))
    except ValueError:
        return 1.0
    return factor if factor > 0 else 1.0


def scaled(seconds: float) -> float:
    """``seconds`` times the factor."""
    return seconds * time_scale()


def scaled_ms(milliseconds: int) -> int:
    """``milliseconds`` times the factor, for pytest-qt timeouts."""
    return round(milliseconds * time_scale())
