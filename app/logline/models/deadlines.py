"""Total deadlines for every HTTP request the hub library makes: a slow drip cannot extend them.

A socket read timeout restarts on every byte, so a server that sends one byte every few seconds
never trips it. Here the network stream under httpx (httpcore's backend) is wrapped and checks a
per-request budget on every read:

- until a response's headers are complete, the request has ``timeout_s`` in all (connect, send,
  wait, headers), however the bytes trickle in;
- while the body streams, the bytes received over the last ``rate_window_s`` of waiting on the
  socket must reach ``min_bytes_per_s`` on average once that much waiting has passed. So a file
  of ``n`` bytes arrives within about ``rate_window_s + n / min_bytes_per_s`` seconds of network
  time or fails (time the reader spends elsewhere, e.g. writing to disk, is not counted).

The budget lives in a thread-local set by the transport for each request (httpcore's sync
client reads a response on the thread that sent it). Violations raise httpcore's ``ReadTimeout``
subclasses below; httpx maps them to its own ``ReadTimeout`` with this exception as the cause,
and :func:`violation` finds it again for the user's message.

The floor and window come from ``LOGLINE_NET_MIN_BPS`` and ``LOGLINE_NET_RATE_WINDOW_S`` (tests
use short ones); defaults are 1 KB/s over 30 s.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from logline.models.errors import DownloadError

MIN_BPS_ENV = "LOGLINE_NET_MIN_BPS"
WINDOW_ENV = "LOGLINE_NET_RATE_WINDOW_S"
DEFAULT_MIN_BPS = 1024.0
DEFAULT_WINDOW_S = 30.0


@dataclass(frozen=True)
class NetworkLimits:
    timeout_s: float = 30.0  # connect + total time until a response's headers are complete
    min_bytes_per_s: float = DEFAULT_MIN_BPS
    rate_window_s: float = DEFAULT_WINDOW_S

    @classmethod
    def from_env(cls, timeout_s: float) -> NetworkLimits:
        """Limits with ``timeout_s`` and the floor/window the environment sets (or defaults)."""
        return cls(
            timeout_s=_positive("timeout", timeout_s),
            min_bytes_per_s=_env_number(MIN_BPS_ENV, DEFAULT_MIN_BPS),
            rate_window_s=_env_number(WINDOW_ENV, DEFAULT_WINDOW_S),
        )


def _positive(name: str, value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise DownloadError(
            f"The network {name} must be a positive number of seconds, not {value}."
        )
    return float(value)


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise DownloadError(f"{name}={raw!r} is not a positive number; fix it or unset it.")
    return value


class FirstByteTimeout(Exception):
    """Marker mixed into the ReadTimeout raised when headers did not arrive in time."""


class TooSlow(Exception):
    """Marker mixed into the ReadTimeout raised when a body fell under the rate floor."""


_errors: dict[str, type[Exception]] = {}


def _error(kind: type[Exception]) -> type[Exception]:
    """A subclass of httpcore2's ReadTimeout carrying ``kind`` (made lazily: httpcore2 is big)."""
    if kind.__name__ not in _errors:
        import httpcore2

        _errors[kind.__name__] = type(kind.__name__, (kind, httpcore2.ReadTimeout), {})
    return _errors[kind.__name__]


class Budget:
    """The deadlines of one request, checked on every read of its connection."""

    def __init__(self, limits: NetworkLimits) -> None:
        self.limits = limits
        self.headers_by = time.monotonic() + limits.timeout_s
        self.body_since: float | None = None  # set once the headers are in
        self._waited = 0.0  # seconds spent waiting on the network since then
        self._window: deque[tuple[float, int]] = deque()  # (waited, bytes) per read
        self._in_window = 0

    def headers_done(self) -> None:
        self.body_since = time.monotonic()

    def read_timeout(self, requested: float | None) -> float:
        """The socket timeout for the next read; raises once the headers are overdue."""
        wanted = self.limits.timeout_s if requested is None else requested
        if self.body_since is not None:
            return min(wanted, self.limits.timeout_s)
        left = self.headers_by - time.monotonic()
        if left <= 0:
            raise _error(FirstByteTimeout)(f"no complete answer within {self.limits.timeout_s:g} s")
        return min(wanted, left)

    def received(self, nbytes: int, waited_s: float) -> None:
        """Count body bytes that took ``waited_s`` to arrive; raises when the network time of
        the last window averaged under the floor. Only time spent waiting in reads counts, so
        a reader that paused (a slow disk, a full queue) is not blamed on the server."""
        if self.body_since is None:
            return
        self._waited += waited_s
        now = self._waited
        window = self.limits.rate_window_s
        self._window.append((now, nbytes))
        self._in_window += nbytes
        while self._window and self._window[0][0] < now - window:
            self._in_window -= self._window.popleft()[1]
        if now >= window and self._in_window < self.limits.min_bytes_per_s * window:
            raise _error(TooSlow)(
                f"{self._in_window} bytes in the last {window:g} s "
                f"(the floor is {self.limits.min_bytes_per_s:g} bytes/s)"
            )


_local = threading.local()
_answers = 0  # responses whose headers arrived, process-wide (see answers())
_answers_lock = threading.Lock()


def begin(limits: NetworkLimits) -> Budget:
    """Start the budget of a request about to be sent on this thread."""
    budget = Budget(limits)
    _local.budget = budget
    return budget


def answered(budget: Budget) -> None:
    """The request's headers are in: from now on its body is held to the rate floor."""
    global _answers
    budget.headers_done()
    with _answers_lock:
        _answers += 1


def answers() -> int:
    """How many responses have arrived so far; a caller compares two readings."""
    return _answers


def _current() -> Budget | None:
    return getattr(_local, "budget", None)


def violation(error: BaseException) -> BaseException | None:
    """The FirstByteTimeout/TooSlow behind ``error`` (through causes and contexts), if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, (FirstByteTimeout, TooSlow)):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class DeadlineStream:
    """A network stream whose reads honour the current thread's :class:`Budget`."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        budget = _current()
        if budget is None:
            return self._inner.read(max_bytes, timeout)
        timeout = budget.read_timeout(timeout)
        started = time.monotonic()
        data = self._inner.read(max_bytes, timeout)
        budget.received(len(data), time.monotonic() - started)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        budget = _current()
        self._inner.write(buffer, timeout if budget is None else budget.read_timeout(timeout))

    def start_tls(self, *args: Any, **kwargs: Any) -> DeadlineStream:
        return DeadlineStream(self._inner.start_tls(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:  # close, get_extra_info
        return getattr(self._inner, name)


class DeadlineBackend:
    """httpcore's network backend, with every stream it opens wrapped in :class:`DeadlineStream`."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(self, *args: Any, **kwargs: Any) -> DeadlineStream:
        budget = _current()
        if budget is not None and len(args) < 3:  # the connect counts against the headers' time
            kwargs["timeout"] = budget.read_timeout(kwargs.get("timeout"))
        return DeadlineStream(self._inner.connect_tcp(*args, **kwargs))

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> DeadlineStream:
        return DeadlineStream(self._inner.connect_unix_socket(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:  # sleep
        return getattr(self._inner, name)


def wrap_pool(pool: Any) -> None:
    """Make an httpcore connection pool (direct or proxy) open deadline-checked streams."""
    backend = getattr(pool, "_network_backend", None)  # httpcore2 has no public setter
    if backend is not None and not isinstance(backend, DeadlineBackend):
        pool._network_backend = DeadlineBackend(backend)
