"""A scripted OpenAI-compatible server on 127.0.0.1 (stdlib only) for the remote engine's tests.

It shows what a real ``mlx_lm.server`` cannot be made to do on demand: keep-alive comments,
either reasoning field, a rejected ``stream_options``, 401, 429 then success, a stall, a
malformed chunk, a ``/v1/models`` without a context length, a connection cut mid-answer.

``FaultServer(script)`` maps a path (``/v1/models``, ``/v1/chat/completions``) to a list of
responses, used in order (the last one repeats). Each response is a callable
``(handler, body) -> None``: ``json_reply``, ``sse``, ``status`` build them. Every request's
path and JSON body are recorded in ``requests``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]


def json_reply(data: Any, code: int = 200, headers: dict[str, str] | None = None) -> Reply:
    def reply(handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        payload = json.dumps(data).encode()
        handler.send_response(code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(payload)

    return reply


def status(code: int, message: str = "error", headers: dict[str, str] | None = None) -> Reply:
    return json_reply({"error": {"message": message, "code": code}}, code, headers)


def chunk(
    content: str | None = None,
    *,
    reasoning: str | None = None,
    reasoning_field: str = "reasoning",
    finish: str | None = None,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` object."""
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta[reasoning_field] = reasoning
    return {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def usage_chunk(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "object": "chat.completion.chunk",
        "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
    }


def sse(
    events: Iterable[dict[str, Any] | str | float],
    *,
    done: bool = True,
) -> Reply:
    """A streamed answer: a dict is sent as ``data: {json}``, a str as a raw line (a comment or
    a malformed chunk), a float is a pause in seconds. ``done=False`` cuts the connection without
    ``data: [DONE]`` (a server that died)."""
    items = list(events)

    def reply(handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        try:
            for item in items:
                if isinstance(item, float):
                    _sleep(handler, item)
                    continue
                line = item if isinstance(item, str) else f"data: {json.dumps(item)}"
                handler.wfile.write(f"{line}\n\n".encode())
                handler.wfile.flush()
            if done:
                handler.wfile.write(b"data: [DONE]\n\n")
                handler.wfile.flush()
        except OSError:
            handler.server.hung_up.set()  # type: ignore[attr-defined]

    return reply


def _sleep(handler: BaseHTTPRequestHandler, seconds: float) -> None:
    """Sleep, but not past the server's shutdown (tests end promptly)."""
    handler.server.closing.wait(seconds)  # type: ignore[attr-defined]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request a connection; a stream ends when it closes

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output quiet

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else {}
        server: FaultServer = self.server.owner  # type: ignore[attr-defined]
        server.requests.append((self.path, body, dict(self.headers)))
        reply = server.next_reply(self.path)
        if reply is None:
            status(404, f"no route {self.path}")(self, body)
        else:
            reply(self, body)

    do_GET = _serve
    do_POST = _serve


class FaultServer:
    """A ThreadingHTTPServer on 127.0.0.1:0 replaying ``script``; use as a context manager."""

    def __init__(self, script: dict[str, list[Reply]]) -> None:
        self.script = {path: list(replies) for path, replies in script.items()}
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self._lock = threading.Lock()
        self._used: dict[str, int] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.httpd.closing = threading.Event()  # type: ignore[attr-defined]
        self.httpd.hung_up = threading.Event()  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def hung_up(self) -> threading.Event:
        """Set when a stream's write failed: the client closed the connection."""
        return self.httpd.hung_up  # type: ignore[attr-defined, no-any-return]

    def next_reply(self, path: str) -> Reply | None:
        path = path.split("?", 1)[0]
        with self._lock:
            replies = self.script.get(path)
            if not replies:
                return None
            used = self._used.get(path, 0)
            self._used[path] = used + 1
            return replies[min(used, len(replies) - 1)]

    def chat_bodies(self) -> list[dict[str, Any]]:
        return [body for path, body, _ in self.requests if path.endswith("/chat/completions")]

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.closing.set()  # type: ignore[attr-defined]
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
        time.sleep(0)  # let daemon handlers see the closing flag
