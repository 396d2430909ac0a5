"""HTTP pieces shared by the remote engine and its probe: errors, headers, the SSE stream reader.

OpenAI-compatible servers stream ``chat.completion.chunk`` objects as server-sent events
(``data: {...}`` lines, ``data: [DONE]`` at the end). Other lines are tolerated: comments such
as mlx_lm.server's ``: keepalive 3/10`` (read as prompt progress), blank lines, ``event:`` or
``id:`` fields. Every failure becomes a ``RemoteError`` with a one-sentence message.
"""

from __future__ import annotations

import contextlib
import json
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

# How a 429 or 503 (the server is busy) is retried: this many times, waiting this long first
# (doubled each time; a shorter Retry-After from the server wins; never longer than the cap).
BUSY_RETRIES = 3
BUSY_FIRST_WAIT_S = 0.5
BUSY_MAX_WAIT_S = 8.0

_KEEPALIVE = re.compile(r"^:\s*keepalive\s+(\d+)\s*/\s*(\d+)")


class RemoteError(Exception):
    """A remote server failed; ``str(error)`` is one sentence for the user.

    ``loggable`` is the same sentence without the server's own words, which may quote the
    request (document text never goes to the logs).
    """

    def __init__(self, message: str, *, loggable: str | None = None) -> None:
        super().__init__(message)
        self.loggable = loggable if loggable is not None else message


@dataclass(frozen=True)
class Progress:
    """Prompt tokens the server has read so far (from a keep-alive comment or a progress field)."""

    done: int
    total: int


def endpoint(base_url: str, path: str) -> str:
    """``base_url`` (with or without a trailing ``/v1``) joined with ``/v1/<path>``."""
    base = base_url.rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    return f"{base}/v1/{path.lstrip('/')}"


def headers(token: str | None) -> dict[str, str]:
    result = {"Accept": "application/json, text/event-stream"}
    if token:
        result["Authorization"] = f"Bearer {token}"
    return result


def transport_error(exc: BaseException, base_url: str, timeout_s: float) -> RemoteError:
    """The sentence for a failure below HTTP (no status received, or the stream cut)."""
    if isinstance(exc, RemoteError):
        return exc
    if _is_tls(exc):
        return RemoteError(
            f"The secure connection to {base_url} failed (TLS certificate or protocol error)."
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return RemoteError(f"Cannot reach the server at {base_url}: connecting timed out.")
    if isinstance(exc, httpx.ConnectError):
        return RemoteError(f"Cannot reach the server at {base_url}; is it running?")
    if isinstance(exc, httpx.TimeoutException):
        return RemoteError(
            f"The server at {base_url} sent nothing for {timeout_s:g} s (timed out)."
        )
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return RemoteError(f"The connection to {base_url} closed in the middle of the answer.")
    return RemoteError(f"The request to {base_url} failed ({type(exc).__name__}).")


def _is_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        text = str(seen)
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text.split(":", 1)[0]:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def status_error(status: int, body: str, base_url: str, model: str | None) -> RemoteError:
    """The sentence for an HTTP error status (``body``: the start of the server's answer)."""
    if status in (401, 403):
        return RemoteError(
            f"The server at {base_url} refused the request (HTTP {status}): the token is wrong "
            "or missing."
        )
    if status == 404:
        if model:
            return RemoteError(f"The model '{model}' is not on the server at {base_url}.")
        return RemoteError(f"The server at {base_url} has no OpenAI-compatible API (HTTP 404).")
    if status in (429, 503):
        return RemoteError(
            f"The server at {base_url} is busy (HTTP {status}) and still was after "
            f"{BUSY_RETRIES} retries."
        )
    detail = _error_detail(body)
    suffix = f": {detail}" if detail else ""
    return RemoteError(
        f"The server at {base_url} answered HTTP {status}{suffix}.",
        loggable=f"The server at {base_url} answered HTTP {status}.",
    )


def _error_detail(body: str) -> str:
    """The server's own error message, shortened to one clause."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip().splitlines()[0][:160] if body.strip() else ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    if error is None and isinstance(data, dict):
        error = data.get("detail") or data.get("message")
    return str(error).strip().rstrip(".")[:160] if error else ""


def busy_wait(attempt: int, retry_after: str | None) -> float:
    """Seconds to wait before retry ``attempt`` (0-based) of a busy server."""
    wait = min(BUSY_FIRST_WAIT_S * (2**attempt), BUSY_MAX_WAIT_S)
    if retry_after:
        with contextlib.suppress(ValueError):  # an HTTP date: keep our own backoff
            wait = min(max(float(retry_after), 0.0), BUSY_MAX_WAIT_S)
    return wait


def read_events(lines: Iterator[str], base_url: str) -> Iterator[dict[str, Any] | Progress]:
    """The chunks (and progress reports) of an SSE stream, up to ``data: [DONE]``.

    Raises ``RemoteError`` on a chunk that is not JSON, on an error object in the stream, and
    when the stream ends with neither ``[DONE]`` nor a finish reason (the server went away).
    """
    finished = False
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.startswith(":"):
            match = _KEEPALIVE.match(line)
            if match:
                yield Progress(int(match.group(1)), int(match.group(2)))
            continue
        if not line.startswith("data:"):
            continue  # event:, id:, retry: fields
        payload = line[len("data:") :].strip()
        if payload == "[DONE]":
            return
        try:
            chunk = json.loads(payload)
        except ValueError:
            raise RemoteError(f"The server at {base_url} sent a malformed stream chunk.") from None
        if not isinstance(chunk, dict):
            raise RemoteError(f"The server at {base_url} sent a malformed stream chunk.")
        if "error" in chunk and not chunk.get("choices"):
            detail = _error_detail(json.dumps(chunk))
            raise RemoteError(
                f"The server at {base_url} failed mid-answer: {detail or 'error'}.",
                loggable=f"The server at {base_url} failed mid-answer.",
            )
        progress = chunk.get("prompt_progress")  # llama.cpp's llama-server
        if isinstance(progress, dict) and "total" in progress and "processed" in progress:
            yield Progress(int(progress["processed"]), int(progress["total"]))
        choices = chunk.get("choices")
        if isinstance(choices, list):
            finished = finished or any(
                isinstance(c, dict) and c.get("finish_reason") for c in choices
            )
        yield chunk
    if not finished:
        raise RemoteError(f"The connection to {base_url} closed in the middle of the answer.")
