"""The remote engine: chat completions streamed from an OpenAI-compatible server (Qt-free).

``RemoteEngine.generate`` has the local ``Engine.generate``'s signature and event stream:
``PromptProgress`` (from keep-alive comments), one ``Generated`` per piece of answer text, a last
``Generated`` with the finish reason, then ``Finished`` with ``GenerationStats``. The chat
template is the server's business. Reasoning text (``delta.reasoning`` or
``delta.reasoning_content``) is kept apart in ``last_reasoning``, never shown as answer text.
With ``SamplingParams.loop_guard`` the text passes Logline's ``LoopGuard`` as it arrives, as
on the local engine: an answer that repeats itself ends ``repetition`` (its repeated tail
withdrawn) and the stream is closed. Stop strings are the server's (``stop``); the n-gram ban
(``no_repeat_ngram``) cannot run on a server and is not sent.

The HTTP exchange runs on a reader thread that hands chunks over a queue, so the caller's
thread notices a Stop within a fraction of a second even while the server computes in silence
(prefill): it then shuts the connection down (servers that honour it stop computing) and
returns at once with the text so far. A stall longer than ``timeout_s`` between two reads, a
server that dies mid-answer, or a malformed chunk ends the call with reason ``error``, the
partial text kept, and a one-sentence ``RemoteError``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import httpx

from logline.engine.batch_decode import BatchResults
from logline.engine.cancel import CancelToken
from logline.engine.events import (
    EngineEvent,
    Finished,
    FinishReason,
    Generated,
    GenerationStats,
    PromptProgress,
)
from logline.engine.loop_guard import LoopGuard
from logline.engine.prompt_tokens import PromptTokenizer
from logline.engine.remote_http import (
    BUSY_RETRIES,
    Progress,
    RemoteError,
    busy_wait,
    endpoint,
    headers,
    read_events,
    status_error,
    transport_error,
)
from logline.engine.remote_probe import (
    REASONING_FIELDS,
    REJECTED_OPTION_STATUSES,
    TIMINGS_FIELDS,
    ServerCapabilities,
    probe,
)
from logline.engine.requests import GenerationRequest, Message
from logline.engine.sampling import SamplingParams

__all__ = ["RemoteEngine", "RemoteError", "ServerCapabilities", "probe"]

log = logging.getLogger(__name__)

Emit = Callable[[EngineEvent], None]
POLL_S = 0.05  # how often the caller's thread looks at the cancel token
# Tokens estimated from characters when neither the server nor a tokenizer counts them. Three,
# not four: English prose runs ~4 characters a token, but screenplay layout and names run
# shorter, and a plan that overestimates only makes chunks a little smaller.
CHARS_PER_TOKEN_ESTIMATE = 3
TEMPLATE_TOKENS_PER_MESSAGE = 8  # a chat template's role markers, estimated


class _End:
    """The reader thread's last item: the stream ended (``error`` None) or failed."""

    def __init__(self, error: RemoteError | None = None) -> None:
        self.error = error


class _Answer:
    """What the chunks of one answer said so far: text pieces, reasoning, usage, the end."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.reasoning: list[str] = []
        self.usage: dict[str, Any] | None = None
        self.timings: dict[str, Any] | None = None
        self.first_at: float | None = None  # when the first text (or reasoning) came
        self.reason: FinishReason = "done"

    def take(self, chunk: dict[str, Any]) -> list[str]:
        """Read one ``chat.completion.chunk``; the new answer text in it (reasoning apart)."""
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for name in TIMINGS_FIELDS:  # a vendor's own figures (llama.cpp), the last ones kept
            if isinstance(chunk.get(name), dict):
                self.timings = chunk[name]
        texts: list[str] = []
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if not isinstance(delta, dict):
                continue
            for name in REASONING_FIELDS:
                thought = delta.get(name)
                if isinstance(thought, str) and thought:
                    self.reasoning.append(thought)
            text = delta.get("content")
            if isinstance(text, str) and text:
                self.pieces.append(text)
                texts.append(text)
            if self.reasoning or self.pieces:
                self.first_at = self.first_at or time.perf_counter()
            if choice.get("finish_reason") == "length":
                self.reason = "length"
        return texts


class RemoteEngine:
    """Generates with ``model`` on the server at ``base_url`` (one instance serves many threads)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        token: str | None = None,
        capabilities: ServerCapabilities | None = None,
        timeout_s: float = 60.0,
        tokenizer: PromptTokenizer | None = None,
        deadline_s: float | None = None,
        context_length: int | None = None,
        concurrency: int = 4,
        label: str = "",
    ) -> None:
        """``timeout_s`` bounds the silence between two reads; ``deadline_s`` (None: none) the
        whole answer, keep-alives included.

        ``tokenizer``: the model's own, when Logline has it: token counts are then exact
        ("local"), and control-token text inside messages is broken before it is sent, as the
        local engine does, so a document cannot open a chat turn of its own on the server."""
        self.base_url = base_url
        self.model = model
        self._token = token
        self.capabilities = capabilities
        self.timeout_s = timeout_s
        # None: not known yet (tried on the first request, remembered after a rejection).
        self._stream_options: bool | None = capabilities.stream_options if capabilities else None
        self.last_reasoning = ""
        self._tokens = tokenizer
        self.deadline_s = deadline_s
        # What summaries and chat plan with: the entry's context length (None: not known, so
        # nothing can be planned) and how many requests may run at once.
        self.context_length = context_length
        self.concurrency = max(1, concurrency)
        self.label = label or f"{model} at {base_url}"

    is_remote = True

    @property
    def counts_tokens_exactly(self) -> bool:
        """Whether token counts come from the model's own tokenizer (else an estimate)."""
        return self._tokens is not None

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text``: the model's tokenizer's count, else an estimate from characters
        (rounded up, so plans made with it err on the short side)."""
        if self._tokens is not None:
            return self._tokens.count(text)
        return -(-len(text) // CHARS_PER_TOKEN_ESTIMATE)

    def prompt_length(self, messages: Sequence[Message]) -> int:
        """Tokens of ``messages`` as the server will read them (the template estimated at
        ``TEMPLATE_TOKENS_PER_MESSAGE`` a message without the model's tokenizer)."""
        if self._tokens is not None:
            return len(self._tokens.render(messages))
        return sum(
            self.count_tokens(m.get("content", "")) + TEMPLATE_TOKENS_PER_MESSAGE for m in messages
        )

    def _messages(self, request: GenerationRequest) -> list[dict[str, str]]:
        tokens = self._tokens
        if tokens is None:
            return [dict(m) for m in request.messages]
        return [{**m, "content": tokens.neutralise(m["content"])} for m in request.messages]

    def body(self, request: GenerationRequest, *, stream_options: bool) -> dict[str, Any]:
        """The JSON body of a streamed chat-completions request for ``request``."""
        params: SamplingParams = request.sampling
        body: dict[str, Any] = {
            "model": self.model,
            "messages": self._messages(request),
            "stream": True,
            # Always sent: mlx_lm.server's default is 512.
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
        }
        if 0 < params.top_p < 1:
            body["top_p"] = params.top_p
        if params.seed is not None and params.temperature > 0:
            # Greedy needs no seed, and with one mlx_lm.server runs requests one at a time.
            body["seed"] = params.seed
        if params.top_k > 0:
            body["top_k"] = params.top_k
        if params.min_p > 0:
            body["min_p"] = params.min_p
        if params.repetition_penalty != 1.0:
            body["repetition_penalty"] = params.repetition_penalty
        if params.stop_strings:
            body["stop"] = list(params.stop_strings)
        if stream_options:
            body["stream_options"] = {"include_usage": True}
        return body

    def generate(self, request: GenerationRequest, cancel: CancelToken, emit: Emit) -> Finished:
        """Stream an answer to ``request.messages``; never raises (see the module docstring)."""
        if request.prompt_tokens and not request.messages:
            refused = RemoteError("A server takes chat messages, not token ids.")
            emit(Generated("", 0, 0, "error"))
            finished = Finished("error", None, refused)
            emit(finished)
            return finished
        self.last_reasoning = ""
        items: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()
        holder: dict[str, httpx.Response] = {}
        reader = threading.Thread(
            target=self._read, args=(request, items, stop, holder), daemon=True
        )
        started = time.perf_counter()
        answer = _Answer()
        # Logline's own loop guard runs here, on the text as it arrives (a server has none).
        guard = LoopGuard() if request.sampling.loop_guard else None
        reason: FinishReason = "done"
        error: RemoteError | None = None
        if not cancel.cancelled:  # a request stopped before it began sends nothing
            reader.start()
        deadline = started + self.deadline_s if self.deadline_s is not None else None
        while True:
            if cancel.cancelled:
                reason = "stopped"
                break
            if deadline is not None and time.perf_counter() > deadline:
                reason = "error"
                error = RemoteError(
                    f"The server at {self.base_url} did not finish within "
                    f"{self.deadline_s:g} s; the answer so far is kept."
                )
                break
            try:
                item = items.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if isinstance(item, _End):
                reason, error = ("error", item.error) if item.error else (answer.reason, None)
                break
            if isinstance(item, Progress):
                emit(PromptProgress(item.done, item.total))
                continue
            for text in answer.take(item):
                retract = 0
                if guard is not None:
                    text, retract = guard.take(text)
                if text or retract:
                    emit(Generated(text, len(answer.pieces), 0, retract=retract))
            if guard is not None and guard.fired:
                reason = "repetition"  # the rest would only repeat: hang up
                break
        if guard is not None and reason in ("done", "length") and (retract := guard.finish()):
            emit(Generated("", len(answer.pieces), 0, retract=retract))  # its last sentence
            reason = "repetition"
        if reason != "done" or error is not None:
            stop.set()
            _hang_up(holder)
        finished_at = time.perf_counter()
        self.last_reasoning = "".join(answer.reasoning)
        if error is not None:
            log.warning("Remote generation failed: %s", error.loggable)
        stats = self._stats(request, answer, started, finished_at)
        trimmed = guard is not None and guard.fired
        if self._tokens is not None and (stats.counts_from == "estimate" or trimmed):
            # The server's own counts win; the tokenizer counts when it sent none, or when the
            # loop guard withdrew text it had counted. (Counting decoded text again can differ:
            # a random-weight model's 700 tokens re-encoded as 7,400.)
            kept = guard.kept if guard is not None else "".join(answer.pieces)
            stats = self._count_locally(request, kept, stats)
        # The last event carries the best count there is (the server's or the tokenizer's).
        emit(Generated("", stats.generation_tokens, 0, reason))
        finished = Finished(reason, stats, error)
        emit(finished)
        return finished

    def generate_batch(
        self,
        requests: Sequence[GenerationRequest],
        cancel: CancelToken,
        emit: Emit,
        *,
        max_batch: int | None = None,
    ) -> BatchResults:
        """Up to ``min(concurrency, max_batch)`` requests in flight, the local engine's batch
        contract (:mod:`.remote_batch`); ``emit`` is called on this thread only."""
        from logline.engine.remote_batch import generate_batch

        return generate_batch(self, requests, cancel, emit, max_batch=max_batch)

    def choose(
        self, messages: Sequence[Message], options: Sequence[str], cancel: CancelToken, emit: Emit
    ) -> list[float]:
        """The option a short greedy reply names scores 1.0 (:mod:`.remote_choice`)."""
        from logline.engine.remote_choice import choose_by_reply

        return choose_by_reply(self.generate, messages, options, cancel, emit)

    def _stats(
        self, request: GenerationRequest, answer: _Answer, started: float, finished_at: float
    ) -> GenerationStats:
        first = answer.first_at if answer.first_at is not None else finished_at
        usage = answer.usage or _usage_from_timings(answer.timings)
        prompt_tokens = usage.get("prompt_tokens") if usage else None
        generated = usage.get("completion_tokens") if usage else None
        exact = isinstance(prompt_tokens, int) and isinstance(generated, int)
        if not exact:
            chars = sum(len(m.get("content", "")) for m in request.messages)
            prompt_tokens = max(1, chars // CHARS_PER_TOKEN_ESTIMATE)
            generated = len(answer.pieces)
        cached = 0
        details = usage.get("prompt_tokens_details") if usage else None
        if isinstance(details, dict) and isinstance(details.get("cached_tokens"), int):
            cached = min(details["cached_tokens"], int(prompt_tokens or 0))
        return GenerationStats(
            prompt_tokens=int(prompt_tokens or 0),
            prompt_seconds=first - started,
            generation_tokens=int(generated or 0),
            generation_seconds=finished_at - first,
            peak_memory_bytes=0,
            cached_tokens=cached,
            counts_from="server" if exact else "estimate",
            on_server=True,
        )

    def _count_locally(
        self, request: GenerationRequest, answer: str, stats: GenerationStats
    ) -> GenerationStats:
        """``stats`` with the token counts of the model's own tokenizer (the server's on error)."""
        tokens = self._tokens
        assert tokens is not None  # noqa: S101 - checked by the caller
        try:
            prompt = len(tokens.render(request.messages))
            generated = tokens.count(answer)
        except Exception:  # a tokenizer that cannot render these messages: keep the figures
            log.warning("Counting tokens locally failed", exc_info=True)
            return stats
        cached = min(stats.cached_tokens, prompt)
        return replace(
            stats,
            prompt_tokens=prompt,
            generation_tokens=generated,
            cached_tokens=cached,
            counts_from="local",
        )

    # -- the reader thread ------------------------------------------------------------------
    def _read(
        self,
        request: GenerationRequest,
        items: queue.Queue[Any],
        stop: threading.Event,
        holder: dict[str, httpx.Response],
    ) -> None:
        try:
            timeout = httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 10.0))
            with httpx.Client(timeout=timeout, headers=headers(self._token)) as client:
                self._exchange(client, request, items, stop, holder)
            items.put(_End())
        except Exception as exc:  # every failure becomes one sentence for the user
            if not stop.is_set():
                items.put(_End(transport_error(exc, self.base_url, self.timeout_s)))

    def _exchange(
        self,
        client: httpx.Client,
        request: GenerationRequest,
        items: queue.Queue[Any],
        stop: threading.Event,
        holder: dict[str, httpx.Response],
    ) -> None:
        url = endpoint(self.base_url, "chat/completions")
        busy = 0
        while not stop.is_set():
            with_options = self._stream_options is not False
            body = self.body(request, stream_options=with_options)
            with client.stream("POST", url, json=body) as answer:
                holder["response"] = answer
                if stop.is_set():  # stopped while connecting: leaving the block hangs up
                    return
                status = answer.status_code
                if status in REJECTED_OPTION_STATUSES and with_options:
                    log.info("The server rejected stream_options (HTTP %s): sent without", status)
                    self._stream_options = False
                    continue
                if status in (429, 503) and busy < BUSY_RETRIES:
                    wait = busy_wait(busy, answer.headers.get("retry-after"))
                    busy += 1
                    log.info("The server is busy (HTTP %s): retry %d in %.1f s", status, busy, wait)
                    stop.wait(wait)
                    continue
                if status != 200:
                    answer.read()
                    raise status_error(status, answer.text[:2000], self.base_url, self.model)
                if with_options:
                    self._stream_options = True
                for event in read_events(answer.iter_lines(), self.base_url):
                    if stop.is_set():
                        return
                    items.put(event)
                return


def _usage_from_timings(timings: dict[str, Any] | None) -> dict[str, Any] | None:
    """A usage table from llama.cpp's ``timings`` (``prompt_n`` counts only the prompt tokens
    it computed; ``cache_n`` those it took from its cache), or None."""
    if not timings:
        return None
    computed, cached, generated = (
        timings.get("prompt_n"),
        timings.get("cache_n", 0),
        timings.get("predicted_n"),
    )
    if not all(
        isinstance(v, int) and not isinstance(v, bool) for v in (computed, cached, generated)
    ):
        return None
    return {
        "prompt_tokens": computed + cached,
        "completion_tokens": generated,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


def _hang_up(holder: dict[str, httpx.Response]) -> None:
    """Shut the stream's socket down (the server sees the client gone; the reader wakes)."""
    response = holder.get("response")
    if response is None:
        return
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)
