"""Time limits in tests, scaled for slow machines, and waiting on conditions instead of sleeping.

A test that asserts "Stop answers within 0.5 s" states a product promise measured on our 2-core
Linux machines; on a slower or busier machine the same code can take longer without being
wrong. ``LOGLINE_TEST_TIME_SCALE=3 make test`` multiplies every such limit by 3 (default 1), so
the limits stay strict where they were measured and a slow machine does not flake.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

ENV = "LOGLINE_TEST_TIME_SCALE"


def time_scale() -> float:
    """The factor from ``LOGLINE_TEST_TIME_SCALE`` (at least 1; 1 when unset or invalid)."""
    try:
        return max(1.0, float(os.environ.get(ENV, "") or 1))
    except ValueError:
        return 1.0


def limit(seconds: float) -> float:
    """A wall-clock limit of ``seconds`` on our machines, scaled for this one."""
    return seconds * time_scale()


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Return once ``predicate()`` is true; fail after ``timeout`` (scaled) seconds."""
    deadline = time.monotonic() + limit(timeout)
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not reached in time")
        time.sleep(0.01)
