"""Is the model hub reachable? The automatic half of offline mode.

Editing bays are often offline. Rather than let a download spend its retries and timeouts on a
network that is not there, Logline first opens one TCP connection to the hub (or to the proxy the
environment names for it) with a short timeout. No bytes are sent. When that fails, Logline works
offline: cached models keep working and an uncached one gets a clear message at once.

The probe itself is a network connection, so it is never made when offline mode is switched on
(the setting, ``LOGLINE_OFFLINE`` or ``HF_HUB_OFFLINE``). Results are remembered for a short while
so a window refreshing its model list does not probe on every repaint.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
PROBE_TIMEOUT_S = 3.0
REMEMBER_S = 30.0


@dataclass(frozen=True)
class Reachability:
    reachable: bool
    host: str
    port: int
    via_proxy: bool = False
    reason: str = ""  # why not, in words, when unreachable

    def message(self) -> str:
        if self.reachable:
            return f"{self.host} is reachable"
        through = " (through the proxy)" if self.via_proxy else ""
        return f"Logline cannot reach {self.host}{through}: {self.reason}. Working offline."


def probe_target(endpoint: str | None) -> tuple[str, int, bool]:
    """(host, port, via_proxy) that a request to ``endpoint`` would connect to first."""
    url = urlsplit((endpoint or DEFAULT_ENDPOINT).rstrip("/"))
    scheme = url.scheme or "https"
    host = url.hostname or ""
    port = url.port or (443 if scheme == "https" else 80)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme) or proxies.get("all")
    if proxy and host and not urllib.request.proxy_bypass(host):
        purl = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if purl.hostname:
            return purl.hostname, purl.port or (443 if purl.scheme == "https" else 80), True
    return host, port, False


def probe(endpoint: str | None, timeout_s: float = PROBE_TIMEOUT_S) -> Reachability:
    """Open (and close) one TCP connection towards ``endpoint``; never raises."""
    host, port, via_proxy = probe_target(endpoint)
    if not host:
        return Reachability(False, str(endpoint), 0, via_proxy, "the address has no host name")
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except socket.gaierror:
        reason = "its name does not resolve (no network or no DNS)"
        return Reachability(False, host, port, via_proxy, reason)
    except TimeoutError:
        reason = f"no answer within {timeout_s:g} s"
        return Reachability(False, host, port, via_proxy, reason)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return Reachability(False, host, port, via_proxy, reason.lower())
    return Reachability(True, host, port, via_proxy)


_lock = threading.Lock()
_remembered: dict[str, tuple[float, Reachability]] = {}


def reachability(
    endpoint: str | None, *, timeout_s: float = PROBE_TIMEOUT_S, fresh: bool = False
) -> Reachability:
    """:func:`probe`, remembered for ``REMEMBER_S`` seconds per endpoint (thread-safe)."""
    key = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
    now = time.monotonic()
    with _lock:
        hit = _remembered.get(key)
        if hit is not None and not fresh and now - hit[0] < REMEMBER_S:
            return hit[1]
    result = probe(endpoint, timeout_s)
    if not result.reachable:
        log.info("%s", result.message())
    with _lock:
        _remembered[key] = (time.monotonic(), result)
    return result


def forget() -> None:
    """Drop remembered results (after the user changes the endpoint, and in tests)."""
    with _lock:
        _remembered.clear()
