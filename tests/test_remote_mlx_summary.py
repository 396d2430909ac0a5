"""A whole map-reduce summary on a real ``mlx_lm.server`` (the installed mlx-lm) on 127.0.0.1.

The server runs the tiny random model of ``tiny_model_dir``; the entry says a 2,048-token
context, so a corpus script goes through map-reduce, with 3 requests at once. Reads
``../shared/corpus`` when present (skips cleanly when not); nothing from it is copied here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from logline import config
from logline.documents import load
from logline.engine.cancel import CancelToken
from logline.models import servers
from logline.models.server_model import open_server
from logline.summarize import modes
from logline.summarize.events import ChunkDone, ChunkText, PhaseStarted
from logline.summarize.runner import SummaryOptions, summarize
from test_remote_mlx_server import MlxServer, start_server
from timing import limit

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "scripts" / "fountain"
SCRIPT = CORPUS / "printing-trouble.fountain"
ONLINE = config.Settings(offline=False)
OPTIONS = SummaryOptions(
    mode="synopsis",
    sampling=replace(modes.get_mode("synopsis").sampling, max_tokens=24),
    map_sampling=replace(modes.get_mode("synopsis").map_sampling, max_tokens=24),
)


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlxServer]:
    running = start_server(tiny_model_dir, tmp_path_factory.mktemp("mlx-summary") / "log")
    yield running
    running.stop()


@pytest.fixture
def script():
    if not SCRIPT.is_file():
        pytest.skip(f"corpus file {SCRIPT.name} is not present")
    return load(SCRIPT)


def engine_for(server: MlxServer):
    entry = servers.add_server(
        "mlx", server.url + "/v1", model=server.model, context_length=2048, concurrency=3
    )
    return open_server(entry, ONLINE)


def overlapping(events: list[object]) -> bool:
    """Whether some chunk's notes streamed while another chunk's were still streaming."""
    rows = [e.index for e in events if isinstance(e, ChunkText) and e.phase == "map" and e.text]
    spans = {row: (rows.index(row), len(rows) - 1 - rows[::-1].index(row)) for row in set(rows)}
    return any(a != b and spans[a][0] < spans[b][0] < spans[a][1] for a in spans for b in spans)


def test_a_corpus_script_is_summarized_on_the_server_three_chunks_at_a_time(
    server: MlxServer, script
) -> None:
    engine = engine_for(server)
    assert engine.counts_tokens_exactly  # the model is a folder here: its own tokenizer counts
    events: list[object] = []
    result = summarize(engine, script, CancelToken(), events.append, OPTIONS)
    assert result.error is None, result.error
    plan = result.plan
    assert plan is not None and plan.strategy == "map_reduce" and len(plan.chunks) >= 3
    assert plan.usable_context == 2048
    assert len(result.notes) == len(plan.chunks) and all(n.strip() for n in result.notes)
    done = [e for e in events if isinstance(e, ChunkDone) and e.phase == "map"]
    assert sorted(e.index for e in done) == list(range(len(plan.chunks)))
    assert result.raw_text.strip() and result.reason in ("done", "length", "repetition")
    assert overlapping(events)  # the server decoded several chunks' notes at once
    assert result.stats is not None and result.stats.on_server
    assert result.stats.counts_from in ("server", "local")  # exact: the server's, or ours
    phases = [e.phase for e in events if isinstance(e, PhaseStarted)]
    assert phases[0] == "map" and phases[-1] == "reduce"


def test_stop_mid_map_on_the_server_returns_within_a_second_keeping_partial_notes(
    server: MlxServer, script
) -> None:
    engine = engine_for(server)
    cancel = CancelToken()
    stopped_at: list[float] = []
    long_notes = replace(OPTIONS, map_sampling=replace(OPTIONS.map_sampling, max_tokens=400))

    def emit(event: object) -> None:
        if isinstance(event, ChunkText) and event.text and not stopped_at:
            stopped_at.append(time.monotonic())
            cancel.cancel()

    result = summarize(engine, script, cancel, emit, long_notes)
    returned = time.monotonic()
    assert returned - stopped_at[0] < limit(1.0)
    assert result.reason == "stopped" and result.error is None
    assert any(note for note in result.notes)  # the partial notes are kept
