"""Summaries on a server, against the scripted stdlib server (``fault_server``): the remote
batch (concurrent requests, events on the caller's thread, Stop, a failure), the closed choice,
and a whole map-reduce summary through ``summarize`` with its prompts' shared prefix."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from fault_server import FaultServer, Reply, chunk, sse, status, usage_chunk
from logline.documents import load
from logline.engine.cancel import CancelToken
from logline.engine.events import EngineEvent, Finished, Generated
from logline.engine.remote import RemoteEngine
from logline.engine.remote_choice import named_option
from logline.engine.requests import GenerationRequest
from logline.engine.sampling import SamplingParams
from logline.resources_access import resource
from logline.summarize import modes
from logline.summarize.coverage import VERDICT_HEADING
from logline.summarize.events import ChunkText, PhaseStarted
from logline.summarize.runner import SummaryOptions, summarize
from timing import limit

CHAT = "/v1/chat/completions"
NOTE = [chunk("- A note "), chunk("(Sc. 1, p. 1).", finish="stop"), usage_chunk(40, 6)]


class InFlight:
    """Wraps a reply and counts the chat requests being answered at the same time."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.now = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            self.reply(handler, body)
        finally:
            with self.lock:
                self.now -= 1


def requests(count: int) -> list[GenerationRequest]:
    sampling = SamplingParams(max_tokens=16, temperature=0.0)
    return [
        GenerationRequest(messages=[{"role": "user", "content": f"Part {i}."}], sampling=sampling)
        for i in range(count)
    ]


def test_a_batch_runs_its_concurrency_at_once_and_emits_on_the_callers_thread() -> None:
    counted = InFlight(sse([0.3, *NOTE]))
    threads: set[int] = set()
    events: list[EngineEvent] = []

    def emit(event: EngineEvent) -> None:
        threads.add(threading.get_ident())
        events.append(event)

    with FaultServer({CHAT: [counted]}) as server:
        engine = RemoteEngine(server.url, "m", concurrency=3)
        results = engine.generate_batch(requests(5), CancelToken(), emit)
    assert threads == {threading.get_ident()}
    assert counted.most == 3  # never more than the concurrency, and that many at once
    assert [r.text for r in results] == ["- A note (Sc. 1, p. 1)."] * 5
    assert [r.reason for r in results] == ["done"] * 5
    ends = [e for e in events if isinstance(e, Generated) and e.finish_reason is not None]
    assert sorted(e.row for e in ends) == [0, 1, 2, 3, 4]
    assert isinstance(events[-1], Finished) and events[-1] is results.finished
    assert sum(isinstance(e, Finished) for e in events) == 1
    stats = results.stats
    assert stats is not None and stats.on_server and stats.counts_from == "server"
    assert (stats.prompt_tokens, stats.generation_tokens) == (200, 30)


def test_max_batch_one_sends_one_request_at_a_time() -> None:
    counted = InFlight(sse([0.05, *NOTE]))
    with FaultServer({CHAT: [counted]}) as server:
        engine = RemoteEngine(server.url, "m", concurrency=4)
        results = engine.generate_batch(requests(3), CancelToken(), lambda e: None, max_batch=1)
    assert counted.most == 1 and [r.reason for r in results] == ["done"] * 3


def test_stop_mid_batch_returns_within_a_second_keeping_each_rows_text() -> None:
    slow = sse([chunk("Begun"), 30.0, chunk(" never", finish="stop")])
    cancel = CancelToken()
    stopped_at: list[float] = []
    events: list[EngineEvent] = []

    def emit(event: EngineEvent) -> None:
        events.append(event)
        started = {e.row for e in events if isinstance(e, Generated) and e.text}
        if len(started) == 2 and not stopped_at:
            stopped_at.append(time.monotonic())
            cancel.cancel()

    with FaultServer({CHAT: [slow]}) as server:
        engine = RemoteEngine(server.url, "m", concurrency=2)
        results = engine.generate_batch(requests(4), cancel, emit)
        returned = time.monotonic()
    assert returned - stopped_at[0] < limit(1.0)
    assert results.finished.reason == "stopped"
    assert [r.reason for r in results] == ["stopped"] * 4
    assert [r.text for r in results] == ["Begun", "Begun", "", ""]


def test_a_failed_request_ends_the_batch_with_its_sentence_and_starts_no_more() -> None:
    with FaultServer({CHAT: [status(401, "bad token")]}) as server:
        engine = RemoteEngine(server.url, "m", concurrency=2)
        results = engine.generate_batch(requests(6), CancelToken(), lambda e: None)
        sent = len(server.chat_bodies())
    assert results.finished.reason == "error"
    assert "token" in str(results.finished.error)
    # The other request in flight fails too or is stopped; the unsent ones end "error".
    assert "error" in {r.reason for r in results[:2]} <= {"error", "stopped"}
    assert [r.reason for r in results[2:]] == ["error"] * 4
    assert sent <= 2


@pytest.mark.parametrize(
    ("reply", "chosen"),
    [
        ("Consider.", 1),
        ("I would say recommend, not pass", 2),
        ("**Pass**", 0),
        ("Passable", None),
        ("No idea", None),
    ],
)
def test_the_option_a_reply_names_first_is_chosen(reply: str, chosen: int | None) -> None:
    assert named_option(reply, ("Pass", "Consider", "Recommend")) == chosen


def test_choose_on_a_server_scores_the_named_option_and_streams_nothing() -> None:
    events: list[EngineEvent] = []
    with FaultServer({CHAT: [sse([chunk("Consider", finish="stop")])]}) as server:
        engine = RemoteEngine(server.url, "m")
        scores = engine.choose(
            [{"role": "user", "content": "Verdict?"}],
            ("Pass", "Consider", "Recommend"),
            CancelToken(),
            events.append,
        )
        body = server.chat_bodies()[0]
    assert scores == [0.0, 1.0, 0.0]
    assert not [e for e in events if isinstance(e, Generated)]
    assert body["temperature"] == 0.0 and body["max_tokens"] <= 16


# -- a whole summary on a server ---------------------------------------------------------------

FAST = replace(modes.get_mode("synopsis").sampling, max_tokens=24)
FAST_NOTES = replace(modes.get_mode("synopsis").map_sampling, max_tokens=24)


@pytest.fixture(scope="module")
def sample():
    return load(Path(str(resource("sample.fountain"))))


def map_reduce_options(**changes: object) -> SummaryOptions:
    base = SummaryOptions(mode="synopsis", sampling=FAST, map_sampling=FAST_NOTES, chunk_tokens=256)
    return replace(base, **changes)


def test_a_summary_on_a_server_maps_concurrently_with_one_shared_prompt_prefix(sample) -> None:
    counted = InFlight(sse([0.2, *NOTE]))
    events: list[object] = []
    with FaultServer({CHAT: [counted]}) as server:
        engine = RemoteEngine(server.url, "m", context_length=1024, concurrency=3)
        result = summarize(engine, sample, CancelToken(), events.append, map_reduce_options())
        bodies = server.chat_bodies()
    assert result.error is None and result.reason == "done", result.error
    plan = result.plan
    assert plan is not None and plan.strategy == "map_reduce" and len(plan.chunks) >= 3
    assert plan.usable_context == 1024
    assert result.notes == ["- A note (Sc. 1, p. 1)."] * len(plan.chunks)
    assert result.raw_text == "- A note (Sc. 1, p. 1)."
    assert counted.most == 3
    assert result.stats is not None and result.stats.on_server
    assert result.stats.counts_from == "server"
    # The map requests (in any order): the same system prompt and instructions, byte for byte,
    # each chunk last.
    prefixes = set()
    for piece in plan.chunks:
        (body,) = [b for b in bodies if b["messages"][-1]["content"].endswith(piece.text)]
        assert body["messages"][0] == bodies[0]["messages"][0]
        prefixes.add(body["messages"][1]["content"][: -len(piece.text)])
    assert len(prefixes) == 1 and len(prefixes.pop()) > 500
    assert len(bodies) == len(plan.chunks) + 1  # the notes fit one reduce: no merge


def test_every_modes_map_prompt_puts_the_chunk_last() -> None:
    for mode in modes.MODES.values():
        options = {"instruction": "Who is the hero?"} if mode.needs_instruction else {}
        first, second = (
            modes.map_messages(mode, title="T", kind="screenplay", chunk=c, facts="F", **options)
            for c in ("CHUNK ONE", "CHUNK TWO")
        )
        assert first[0] == second[0], mode.id
        assert first[1]["content"].endswith("CHUNK ONE"), mode.id
        assert first[1]["content"][:-9] == second[1]["content"][:-9], mode.id


def test_stop_mid_map_on_a_server_returns_within_a_second_keeping_partial_notes(sample) -> None:
    slow = sse([chunk("- Half a note"), 30.0, chunk(" (Sc. 1).", finish="stop")])
    cancel = CancelToken()
    stopped_at: list[float] = []

    def emit(event: object) -> None:
        if isinstance(event, ChunkText) and event.text and not stopped_at:
            stopped_at.append(time.monotonic())
            cancel.cancel()

    with FaultServer({CHAT: [slow]}) as server:
        engine = RemoteEngine(server.url, "m", context_length=1024, concurrency=3)
        result = summarize(engine, sample, cancel, emit, map_reduce_options())
        returned = time.monotonic()
    assert returned - stopped_at[0] < limit(1.0)
    assert result.reason == "stopped" and result.error is None
    assert "- Half a note" in result.notes
    assert result.raw_text.startswith("- Half a note")


def test_a_server_that_refuses_the_token_fails_the_summary_with_its_sentence(sample) -> None:
    events: list[object] = []
    with FaultServer({CHAT: [status(401, "bad token")]}) as server:
        engine = RemoteEngine(server.url, "m", context_length=1024, concurrency=3)
        result = summarize(engine, sample, CancelToken(), events.append, map_reduce_options())
    assert result.reason == "error" and result.error is not None
    assert "token" in str(result.error)
    assert [e.phase for e in events if isinstance(e, PhaseStarted)] == ["map"]


LOOP = [chunk("Mavis runs the diner. "), chunk("Edward leaves town. ")] * 4 + [
    chunk("Never shown.", finish="stop")
]


def test_the_loop_guard_ends_a_repeating_answer_on_a_server_and_withdraws_the_tail() -> None:
    events: list[EngineEvent] = []
    guarded = GenerationRequest(
        messages=[{"role": "user", "content": "Notes."}],
        sampling=SamplingParams(max_tokens=64, loop_guard=True),
    )
    with FaultServer({CHAT: [sse(LOOP)]}) as server:
        engine = RemoteEngine(server.url, "m", concurrency=2)
        single = engine.generate(guarded, CancelToken(), events.append)
        results = engine.generate_batch([guarded, guarded], CancelToken(), events.append)
    assert single.reason == "repetition"
    shown = ""
    for event in events:
        if isinstance(event, Generated) and event.row == 0:
            shown = shown[: len(shown) - event.retract] + event.text
        if event is single:
            break
    assert shown.strip() == "Mavis runs the diner. Edward leaves town."
    assert [r.reason for r in results] == ["repetition"] * 2
    assert [r.text.strip() for r in results] == [shown.strip()] * 2


def test_a_coverage_report_on_a_server_writes_its_sections_and_chooses_a_verdict(sample) -> None:
    answer = sse([chunk("Consider.", finish="stop")])
    events: list[object] = []
    options = SummaryOptions(mode="coverage", sampling=replace(FAST, max_tokens=16))
    with FaultServer({CHAT: [answer]}) as server:
        engine = RemoteEngine(server.url, "m", context_length=8192)
        result = summarize(engine, sample, CancelToken(), events.append, options)
        bodies = server.chat_bodies()
    assert result.error is None and result.plan is not None
    assert result.plan.strategy == "single"
    assert result.verdict == "Consider"
    assert f"## {VERDICT_HEADING}" in result.raw_text
    # Every turn re-sends the conversation so far, the briefing first, byte for byte.
    briefing = bodies[0]["messages"][1]["content"]
    assert all(b["messages"][1]["content"] == briefing for b in bodies[1:])
