"""The remote engine against a real ``mlx_lm.server`` (the installed mlx-lm) on 127.0.0.1.

The server runs the tiny random model of ``tiny_model_dir`` (``HF_HUB_OFFLINE=1``: the request's
``model`` never triggers a download). Skipped, with the reason, when the server cannot start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from logline.engine.cancel import CancelToken
from logline.engine.events import EngineEvent, Finished, Generated, PromptProgress
from logline.engine.remote import RemoteEngine, probe
from logline.engine.requests import GenerationRequest
from logline.engine.sampling import SamplingParams
from mlx_server import MlxServer, start_server

pytestmark = pytest.mark.slow

MESSAGES = [{"role": "user", "content": "The quick brown fox jumps over the lazy dog."}]


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlxServer]:
    running = start_server(tiny_model_dir, tmp_path_factory.mktemp("mlx-server") / "log")
    yield running
    running.stop()


def request(max_tokens: int) -> GenerationRequest:
    return GenerationRequest(
        messages=MESSAGES, sampling=SamplingParams(max_tokens=max_tokens, temperature=0.0)
    )


def collect(engine: RemoteEngine, req: GenerationRequest, cancel: CancelToken | None = None):
    events: list[EngineEvent] = []
    finished = engine.generate(req, cancel or CancelToken(), events.append)
    return "".join(e.text for e in events if isinstance(e, Generated)), finished, events


def test_probe_and_a_streamed_chat_answer(server: MlxServer) -> None:
    caps = probe(server.url)
    assert server.model in caps.models
    assert caps.context_length is None  # mlx_lm.server does not say: the user is asked
    assert caps.stream_options is True
    engine = RemoteEngine(server.url, server.model, capabilities=caps)
    text, finished, events = collect(engine, request(12))
    assert finished.reason in ("done", "length") and finished.error is None
    assert text and sum(isinstance(e, Generated) and bool(e.text) for e in events) >= 2
    # mlx_lm.server's ": keepalive N/M" comments during prefill arrive as prompt progress.
    progress = [e for e in events if isinstance(e, PromptProgress)]
    assert progress and progress[-1].done == progress[-1].total
    assert finished.stats is not None and finished.stats.counts_from == "server"
    assert finished.stats.generation_tokens == 12 or finished.reason == "done"


def test_stop_mid_stream_returns_within_a_second_with_the_partial_text(server: MlxServer) -> None:
    cancel = CancelToken()
    cancelled_at: list[float] = []

    def stop() -> None:
        cancelled_at.append(time.monotonic())
        cancel.cancel()

    events: list[EngineEvent] = []

    def emit(event: EngineEvent) -> None:
        events.append(event)
        if isinstance(event, Generated) and event.tokens == 3 and event.text:
            stop()

    engine = RemoteEngine(server.url, server.model)
    finished = engine.generate(request(4000), cancel, emit)
    returned_at = time.monotonic()
    text = "".join(e.text for e in events if isinstance(e, Generated))
    assert finished.reason == "stopped", finished
    assert text and returned_at - cancelled_at[0] < 1.0


def test_greedy_text_through_the_server_equals_the_local_engine(
    server: MlxServer, tiny_model_dir: Path
) -> None:
    from logline.engine.runtime import Engine
    from logline.engine.worker import EngineThread

    remote_text, _, _ = collect(RemoteEngine(server.url, server.model), request(16))
    worker = EngineThread(Engine(prefill_step=64))
    try:
        worker.call(lambda engine: engine.load("tiny", tiny_model_dir))
        local = list(
            worker.stream(lambda e, c, emit: e.generate(request(16), c, emit), CancelToken())
        )
    finally:
        worker.close()
    local_text = "".join(e.text for e in local if isinstance(e, Generated))
    assert any(isinstance(e, Finished) for e in local)
    assert remote_text and remote_text == local_text


def test_a_server_killed_mid_stream_is_a_clear_error_keeping_the_partial_text(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    own = start_server(tiny_model_dir, tmp_path / "log")
    try:
        events: list[EngineEvent] = []

        def emit(event: EngineEvent) -> None:
            events.append(event)
            if isinstance(event, Generated) and event.tokens == 3 and event.text:
                threading.Thread(target=own.process.kill, daemon=True).start()

        engine = RemoteEngine(own.url, own.model, timeout_s=20)
        finished = engine.generate(request(4000), CancelToken(), emit)
    finally:
        own.stop()
    text = "".join(e.text for e in events if isinstance(e, Generated))
    assert finished.reason == "error" and text
    assert "closed in the middle of the answer" in str(finished.error)
