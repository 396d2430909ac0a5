"""What an OpenAI-compatible server offers: its models, context length and streaming quirks.

``probe`` asks ``/v1/models``, then sends one tiny streamed request (one token) to learn whether
``stream_options: {include_usage: true}`` is accepted (some servers reject it with 400 or 422)
and which field carries reasoning text. The context length is taken only where the server says
it (vLLM's ``max_model_len``, llama.cpp's ``meta.n_ctx_train``, ...): never guessed, so None
means the user must set it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from logline.engine.remote_http import (
    Progress,
    RemoteError,
    endpoint,
    headers,
    read_events,
    status_error,
    transport_error,
)

log = logging.getLogger(__name__)

# Where servers put the context length in a /v1/models entry, most specific first.
_CONTEXT_KEYS = (
    "context_length",
    "max_model_len",
    "context_window",
    "max_context_length",
    "n_ctx",
)
_META_CONTEXT_KEYS = ("n_ctx", "n_ctx_train", "context_length")
REASONING_FIELDS = ("reasoning_content", "reasoning")
TIMINGS_FIELDS = ("timings",)  # llama.cpp's llama-server
REJECTED_OPTION_STATUSES = (400, 422)
FIRST_ANSWER_TIMEOUT_S = 120.0  # a cold server loads its model on the first request


@dataclass(frozen=True)
class ServerCapabilities:
    models: tuple[str, ...]
    context_length: int | None
    stream_options: bool  # the server accepts stream_options.include_usage
    reasoning_field: str | None  # "reasoning" or "reasoning_content", when seen
    vendor: str | None  # e.g. "vllm", "llamacpp" (from the model entry's owned_by)
    # A vendor's own timing object in the stream's chunks (llama.cpp: "timings", with prompt_n,
    # prompt_ms, predicted_n, predicted_ms), when seen: token counts come from it when the
    # server sends no usage.
    timings_field: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "models": list(self.models)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerCapabilities:
        context = data.get("context_length")
        reasoning = data.get("reasoning_field")
        vendor = data.get("vendor")
        return cls(
            models=tuple(str(m) for m in data.get("models", ())),
            context_length=int(context) if context is not None else None,
            stream_options=bool(data.get("stream_options", False)),
            reasoning_field=str(reasoning) if reasoning else None,
            vendor=str(vendor) if vendor else None,
            timings_field=str(data["timings_field"]) if data.get("timings_field") else None,
        )


def context_length_of(entry: dict[str, Any]) -> int | None:
    """The context length a ``/v1/models`` entry states, or None."""
    for key in _CONTEXT_KEYS:
        value = entry.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    meta = entry.get("meta")
    if isinstance(meta, dict):
        for key in _META_CONTEXT_KEYS:
            value = meta.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


def probe(
    base_url: str,
    *,
    token: str | None = None,
    model: str | None = None,
    timeout_s: float = 10.0,
    answer_timeout_s: float = FIRST_ANSWER_TIMEOUT_S,
) -> ServerCapabilities:
    """Ask the server at ``base_url`` what it offers (raises ``RemoteError``).

    ``timeout_s`` bounds connecting and the model list; ``answer_timeout_s`` the one-token
    answer, which a server that has just started may give only once it has loaded the model
    (mlx_lm.server lists models at once but loads on the first request: 8B weights and GPU
    kernels took over 10 s on an H200)."""
    try:
        with httpx.Client(timeout=timeout_s, headers=headers(token)) as client:
            return _probe(client, base_url, model, max(timeout_s, answer_timeout_s))
    except RemoteError:
        raise
    except httpx.HTTPError as exc:
        raise transport_error(exc, base_url, timeout_s) from exc


def _probe(
    client: httpx.Client, base_url: str, model: str | None, answer_timeout_s: float
) -> ServerCapabilities:
    response = client.get(endpoint(base_url, "models"))
    if response.status_code != 200:
        raise status_error(response.status_code, response.text[:2000], base_url, None)
    try:
        listing = response.json()
    except ValueError:
        # mlx_lm.server sends an empty body when the Hugging Face cache folder is missing: not
        # fatal when the model is named (the chat request below tells whether it is there).
        if model is None:
            raise RemoteError(
                f"The server at {base_url} sent a malformed model list; name the model."
            ) from None
        log.warning("The server's /v1/models answer is not JSON; probing %s directly", model)
        listing = {}
    entries = listing.get("data") if isinstance(listing, dict) else None
    entries = [e for e in entries or () if isinstance(e, dict) and e.get("id")]
    models = tuple(str(e["id"]) for e in entries)
    chosen = next((e for e in entries if e["id"] == model), entries[0] if entries else None)
    context = context_length_of(chosen) if chosen else None
    vendor = _vendor(chosen)
    target = model or (models[0] if models else None)
    if model is not None and models and model not in models:
        raise RemoteError(f"The model '{model}' is not on the server at {base_url}.")
    stream_options, seen = True, _Seen()
    if target is not None:
        stream_options, seen = _probe_stream(client, base_url, target, answer_timeout_s)
    return ServerCapabilities(models, context, stream_options, seen.reasoning, vendor, seen.timings)


@dataclass
class _Seen:
    """Optional fields a streamed answer used: the reasoning one, the vendor's timings."""

    reasoning: str | None = None
    timings: str | None = None


def _vendor(entry: dict[str, Any] | None) -> str | None:
    """The serving software as the model entry names it (vLLM: "vllm", llama.cpp: "llamacpp")."""
    owner = entry.get("owned_by") if entry else None
    if isinstance(owner, str) and owner and owner not in ("system", "organization-owner"):
        return owner
    return None


def _probe_stream(
    client: httpx.Client, base_url: str, model: str, timeout_s: float
) -> tuple[bool, _Seen]:
    """(whether stream_options is accepted, the optional fields seen) from a 1-token request."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 1,
        "temperature": 0.0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    for with_options in (True, False):
        if not with_options:
            body.pop("stream_options")
        url = endpoint(base_url, "chat/completions")
        with client.stream("POST", url, json=body, timeout=timeout_s) as answer:
            if answer.status_code in REJECTED_OPTION_STATUSES and with_options:
                log.info("The server rejected stream_options (HTTP %s)", answer.status_code)
                continue
            if answer.status_code != 200:
                answer.read()
                raise status_error(answer.status_code, answer.text[:2000], base_url, model)
            return with_options, _fields_seen(answer, base_url)
    return False, _Seen()  # not reached: the second pass returns or raises


def _fields_seen(answer: httpx.Response, base_url: str) -> _Seen:
    seen = _Seen()
    for event in read_events(answer.iter_lines(), base_url):
        if isinstance(event, Progress):
            continue
        for name in TIMINGS_FIELDS:
            if isinstance(event.get(name), dict):
                seen.timings = name
        for choice in event.get("choices") or ():
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if isinstance(delta, dict):
                for name in REASONING_FIELDS:
                    if delta.get(name) and seen.reasoning is None:
                        seen.reasoning = name
    return seen


def describe(capabilities: ServerCapabilities) -> str:
    """The probe's result in a few lines (for ``logline servers test``)."""
    context = capabilities.context_length
    return json.dumps(capabilities.to_json(), indent=2) + (
        "\n(the server does not state its context length: set it for this server)"
        if context is None
        else ""
    )
