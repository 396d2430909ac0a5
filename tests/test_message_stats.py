"""A chat answer's stats line reads the same live and after the store round trip."""

from __future__ import annotations

import json

from logline.chat.events import MessageStats


def test_the_stored_stats_line_equals_the_live_one() -> None:
    live = MessageStats(
        model="smollm2",
        prompt_tokens=666,
        cached_tokens=653,
        ttft_s=0.12495,
        generation_tokens=48,
        tokens_per_s=14.0485,  # rounded to 14.05 on the way in, it showed "14.1"
        peak_memory_bytes=643_532_516,
    )
    stored = MessageStats.from_json(json.loads(json.dumps(live.to_json())))
    assert stored.one_line() == live.one_line()
    assert "14.0 tok/s" in stored.one_line()


def test_a_server_answer_keeps_where_it_came_from_and_how_it_was_counted() -> None:
    live = MessageStats(
        model="llama-3.3-70b on render-01",
        prompt_tokens=1200,
        cached_tokens=0,
        ttft_s=0.5,
        generation_tokens=40,
        tokens_per_s=20.0,
        on_server=True,
        counts_from="estimate",
    )
    stored = MessageStats.from_json(json.loads(json.dumps(live.to_json())))
    assert stored == live and stored.on_server
    assert "about 1,200 prompt tokens" in stored.one_line()
    old = MessageStats.from_json({"model": "tiny", "prompt_tokens": 3})  # stored before servers
    assert not old.on_server and old.counts_from == "local"


def test_a_runs_stats_line_groups_thousands() -> None:
    """The status bar read "73067 prompt tokens" after a long summary."""
    from logline.engine.events import GenerationStats

    stats = GenerationStats(
        prompt_tokens=73067,
        prompt_seconds=36.5,
        generation_tokens=14800,
        generation_seconds=400.0,
        peak_memory_bytes=1 << 30,
    )
    line = stats.one_line()
    assert line.startswith("73,067 prompt tokens at 2,002 tok/s, 14,800 generated at 37.0 tok/s")
