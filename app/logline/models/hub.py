"""Set up huggingface_hub for Logline: environment before its first import, forced timeouts.

huggingface_hub reads ``HF_HOME``, ``HF_HUB_OFFLINE``, ``HF_ENDPOINT`` and the telemetry switch at
import time, so :func:`configure_environment` must run before anything imports it; :func:`load_hub`
does both in the right order and is the only way the rest of Logline reaches the library.

huggingface_hub 2.x talks HTTP through one shared ``httpx2.Client`` built by a factory whose
default has ``timeout=None``: a server that accepts a connection and never answers blocks forever.
:func:`install_timeouts` replaces the factory with one whose transport forces a timeout on every
request, including those made with an explicit ``timeout=None``, and wraps the connections in
:mod:`~logline.models.deadlines` so that those timeouts are totals a slow drip cannot extend.
"""

from __future__ import annotations

import logging
import os
import sys
from types import ModuleType
from typing import Any

from logline import paths
from logline.models import deadlines

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0

_installed_timeout: float | None = None
_installed_limits: deadlines.NetworkLimits | None = None
_installed_proxies: dict[str, str | None] | None = None


def configure_environment(*, endpoint: str | None = None, offline: bool = False) -> None:
    """Write the ``HF_*`` settings huggingface_hub reads when it is first imported.

    Idempotent. Only ``endpoint``/``offline`` given here override what the user already set.
    """
    os.environ["HF_HOME"] = str(paths.hf_home_dir())
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_HUB_ENABLE_HF_TRANSFER"] = "0"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    if endpoint:
        os.environ["HF_ENDPOINT"] = endpoint.rstrip("/")
    if offline:
        os.environ["HF_HUB_OFFLINE"] = "1"


def load_hub(*, endpoint: str | None = None, offline: bool = False) -> ModuleType:
    """Import huggingface_hub (configured first) and return it.

    When the library was already imported, the import-time constants are patched instead so a
    later call with ``offline=True`` still blocks the network.
    """
    already = "huggingface_hub" in sys.modules
    if not already:
        configure_environment(endpoint=endpoint, offline=offline)
    import huggingface_hub
    from huggingface_hub import constants

    constants.HF_HUB_DISABLE_TELEMETRY = True
    if offline:
        constants.HF_HUB_OFFLINE = True
    timeout_s = DEFAULT_TIMEOUT_S if _installed_timeout is None else _installed_timeout
    install_timeouts(timeout_s, _installed_limits)
    return huggingface_hub


def install_timeouts(timeout_s: float, limits: deadlines.NetworkLimits | None = None) -> None:
    """Force ``timeout_s`` (connect, read, write, pool) on every request huggingface_hub makes.

    ``timeout_s`` is also each request's total time until its headers are complete; ``limits``
    (default: :meth:`NetworkLimits.from_env`) adds the bytes-per-second floor for bodies.
    """
    global _installed_timeout, _installed_limits, _installed_proxies
    limits = limits or deadlines.NetworkLimits.from_env(timeout_s)
    chosen: deadlines.NetworkLimits = limits
    proxies = _environment_proxies()
    if (_installed_timeout, _installed_limits, _installed_proxies) == (timeout_s, limits, proxies):
        return
    import httpx2
    from huggingface_hub.utils import _http, close_session, set_client_factory

    class _ForcedTimeoutTransport(httpx2.HTTPTransport):
        def __init__(self, proxy: str | None = None) -> None:
            super().__init__(proxy=proxy)
            deadlines.wrap_pool(self._pool)

        def handle_request(self, request: httpx2.Request) -> httpx2.Response:
            request.extensions["timeout"] = _clamp(request.extensions.get("timeout"), timeout_s)
            budget = deadlines.begin(chosen)
            response = super().handle_request(request)
            deadlines.answered(budget)
            return response

    def factory() -> httpx2.Client:
        # httpx ignores HTTP(S)_PROXY once a transport is given: mount the same proxies (and
        # NO_PROXY exceptions) the environment names, each under the same deadlines.
        mounts = {
            pattern: None if url is None else _ForcedTimeoutTransport(proxy=url)
            for pattern, url in proxies.items()
        }
        return httpx2.Client(
            transport=_ForcedTimeoutTransport(),
            mounts=mounts,
            event_hooks={"request": [_http.hf_request_event_hook]},
            follow_redirects=True,
            timeout=httpx2.Timeout(timeout_s),
        )

    set_client_factory(factory)  # also closes the previous shared client
    close_session()
    _installed_timeout, _installed_limits, _installed_proxies = timeout_s, limits, proxies
    log.debug("huggingface_hub requests now time out after %.1f s", timeout_s)


def _environment_proxies() -> dict[str, str | None]:
    """httpx's reading of HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY: pattern -> proxy URL
    (None: connect directly)."""
    from httpx2._utils import get_environment_proxies  # the reading httpx itself would do

    return get_environment_proxies()


def _clamp(current: Any, limit: float) -> dict[str, float]:
    """httpx stores a request's timeout as a dict of phase -> seconds or None; cap every phase."""
    phases = ("connect", "read", "write", "pool")
    values = current if isinstance(current, dict) else {}
    out: dict[str, float] = {}
    for phase in phases:
        value = values.get(phase)
        out[phase] = limit if value is None else min(float(value), limit)
    return out
