"""A tiny OpenAI-compatible server on 127.0.0.1 for the ``logline servers`` tests (test helper).

It serves ``GET /v1/models`` (with vLLM's ``max_model_len`` when ``context_length`` is given,
else no context length at all, as mlx_lm.server, llama.cpp and Ollama do) and a streamed
``POST /v1/chat/completions`` (two content chunks, then ``[DONE]``).

``install_standin_probe()`` puts a minimal ``logline.engine.remote`` with the agreed interface
(``probe``, ``RemoteError``, ``ServerCapabilities.to_json()``) in ``sys.modules`` when the real
one is not in this checkout yet (the remote engine is built on another branch); the tests then
exercise the CLI against this server over real HTTP either way.
"""

from __future__ import annotations

import json
import sys
import threading
import types
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StubServer:
    def __init__(self, *, context_length: int | None = None, model: str = "tiny-model") -> None:
        self.context_length = context_length
        self.model = model
        self.requests: list[str] = []
        self.tokens: list[str | None] = []  # each request's Authorization header
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _json(self, status: int, data: Any) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                stub.requests.append(f"GET {self.path}")
                stub.tokens.append(self.headers.get("Authorization"))
                if self.path.rstrip("/") != "/v1/models":
                    return self._json(404, {"error": {"message": "not found"}})
                entry: dict[str, Any] = {"id": stub.model, "object": "model"}
                if stub.context_length is not None:
                    entry["max_model_len"] = stub.context_length
                return self._json(200, {"object": "list", "data": [entry]})

            def do_POST(self) -> None:
                stub.requests.append(f"POST {self.path}")
                stub.tokens.append(self.headers.get("Authorization"))
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._json(404, {"error": {"message": "not found"}})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for text in ("Hel", "lo"):
                    chunk = {"choices": [{"index": 0, "delta": {"content": text}}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- a stand-in probe with the agreed interface, for checkouts without engine/remote.py -----


class RemoteError(RuntimeError):
    pass


@dataclass
class ServerCapabilities:
    models: list[str] = field(default_factory=list)
    context_length: int | None = None
    stream_options: bool | None = None
    reasoning_field: str | None = None
    vendor: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _probe(
    base_url: str, *, token: str | None = None, model: str | None = None, timeout_s: float = 10.0
) -> ServerCapabilities:
    request = urllib.request.Request(base_url.rstrip("/") + "/models")  # noqa: S310
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            data = json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError) as exc:
        raise RemoteError(f"The server at {base_url} cannot be reached ({exc}).") from None
    entries = data.get("data") or []
    lengths = [e.get("max_model_len") for e in entries if e.get("max_model_len")]
    return ServerCapabilities(
        models=[e["id"] for e in entries], context_length=lengths[0] if lengths else None
    )


def standin_module() -> types.ModuleType:
    module = types.ModuleType("logline.engine.remote")
    module.probe = _probe  # type: ignore[attr-defined]
    module.RemoteError = RemoteError  # type: ignore[attr-defined]
    module.ServerCapabilities = ServerCapabilities  # type: ignore[attr-defined]
    return module


def real_probe_exists() -> bool:
    try:
        import logline.engine.remote  # noqa: F401
    except ImportError:
        return False
    return True


def install_standin_probe() -> None:
    """Put the stand-in in ``sys.modules`` when the real module is missing (subprocesses)."""
    if not real_probe_exists():
        sys.modules["logline.engine.remote"] = standin_module()
