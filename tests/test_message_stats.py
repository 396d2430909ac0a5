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
