"""One answer streaming (engine events become chat events, the text goes to the store as it
comes), the history a turn carries, and the stats an answer keeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import pairwise
from typing import Any

from logline.chat.events import AnswerText, MessageStats, Reading
from logline.engine.events import EngineEvent, Generated, GenerationStats, PromptProgress

Emit = Callable[[object], None]
# The "model" of an answer Logline wrote from the parser's facts.
FACTS_MODEL = "script facts"


def history_pairs(path: list[Any]) -> list[tuple[str, str]]:
    """The question-and-answer pairs of a branch, each answer as the model wrote it (so the
    next prompt extends its checkpoint); answers that failed or are empty, and answers written
    from the facts (already in the script part), are left out with their question."""
    talk = [m for m in path if m.role in ("user", "assistant")]
    return [
        (question.content, answer.text_for_model)
        for question, answer in pairwise(talk)
        if question.role == "user"
        and answer.role == "assistant"
        and answer.content.strip()
        and answer.finish_reason != "error"
        and answer.model != FACTS_MODEL
    ]


def message_stats(model_id: str, stats: GenerationStats | None) -> MessageStats | None:
    """What an answer keeps of the engine's figures (None when the engine gave none)."""
    if stats is None:
        return None
    return MessageStats(
        model=model_id,
        prompt_tokens=stats.prompt_tokens,
        cached_tokens=stats.cached_tokens,
        ttft_s=stats.time_to_first_token,
        generation_tokens=stats.generation_tokens,
        tokens_per_s=stats.generation_tps,
        peak_memory_bytes=stats.peak_memory_bytes,
        on_server=stats.on_server,
        counts_from=stats.counts_from,
    )


class TurnStream:
    """One answer streaming: engine events become chat events, and the text goes to the store."""

    def __init__(self, writer: Any, emit: Emit) -> None:
        self.writer = writer
        self.emit = emit
        self.text = ""
        self._start: int | None = None
        self.first_token_at: float | None = None

    def relay(self, event: EngineEvent) -> None:
        if isinstance(event, PromptProgress):
            if self._start is None:
                self._start = event.done
            start = self._start
            self.emit(Reading(event.done - start, max(event.total - 1 - start, 0)))
        elif isinstance(event, Generated) and (event.text or event.retract):
            if event.retract:
                self.text = self.text[: max(len(self.text) - event.retract, 0)]
                self.writer.retract(event.retract)
            self.text += event.text
            self.writer.append(event.text)
            if self.first_token_at is None:
                self.first_token_at = time.perf_counter()
            self.emit(AnswerText(event.text, event.retract))


__all__ = ["FACTS_MODEL", "TurnStream", "history_pairs", "message_stats"]
