"""What a chat turn reports while it runs: the one event stream the CLI and the window consume.

``chat.session.ChatSession`` translates the engine's events into these at one place, as the
summary runner does for summaries. A turn reports the context it uses (the meter), prompt reading
progress (only the tokens not already cached), the answer's text as it streams, notices (history
left out, the digest used, a model switch), and always ends with exactly one ``TurnFinished``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from logline.engine.events import Notice

__all__ = [
    "AnswerText",
    "ChatEvent",
    "ContextUse",
    "MessageStats",
    "Notice",
    "Reading",
    "ScriptMode",
    "TurnFinished",
    "TurnResult",
    "TurnStarted",
]

# How the script reaches the model: all of it, or the digest (notes, facts, retrieved scenes).
ScriptMode = Literal["whole", "digest"]


@dataclass(frozen=True)
class ContextUse:
    """The context meter: tokens of each part of the prompt against the usable context.

    ``script`` is the byte-stable first part (instructions, script facts, the script or its
    digest), ``history`` the earlier turns kept, ``question`` the new turn (with any retrieved
    scenes), ``reserve`` the room kept for the answer. ``dropped_turns`` counts earlier turns
    (question and answer pairs) left out because they no longer fit.
    """

    script: int
    history: int
    question: int
    reserve: int
    usable: int
    script_mode: ScriptMode = "whole"
    dropped_turns: int = 0

    @property
    def used(self) -> int:
        return self.script + self.history + self.question + self.reserve

    @property
    def fits(self) -> bool:
        return self.used <= self.usable

    @property
    def fraction(self) -> float:
        return self.used / self.usable if self.usable > 0 else 1.0

    def one_line(self) -> str:
        parts = f"script {self.script:,} + history {self.history:,} + question {self.question:,}"
        return f"{parts} + answer {self.reserve:,} of {self.usable:,} tokens"


@dataclass(frozen=True)
class MessageStats:
    """Per-answer figures kept with the message (shown under it, stored in the store)."""

    model: str
    prompt_tokens: int  # the whole prompt the model attended to
    cached_tokens: int  # of which came from a cache (not read again)
    ttft_s: float  # time to first token
    generation_tokens: int
    tokens_per_s: float
    peak_memory_bytes: int = 0
    on_server: bool = False  # answered by an inference server: the text left this machine
    counts_from: str = "local"  # local (the model's tokenizer), server (its usage), estimate

    @property
    def prefilled_tokens(self) -> int:
        return self.prompt_tokens - self.cached_tokens

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "cached_tokens": self.cached_tokens,
            # Unrounded: a stored answer's stats line must read as the live one did
            # (14.0485 tok/s rounded to 14.05 first showed "14.1" after a restart, "14.0" live).
            "ttft_s": self.ttft_s,
            "generation_tokens": self.generation_tokens,
            "tokens_per_s": self.tokens_per_s,
            "peak_memory_bytes": self.peak_memory_bytes,
            "on_server": self.on_server,
            "counts_from": self.counts_from,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MessageStats:
        return cls(
            model=str(data.get("model", "")),
            prompt_tokens=int(data.get("prompt_tokens", 0)),
            cached_tokens=int(data.get("cached_tokens", 0)),
            ttft_s=float(data.get("ttft_s", 0.0)),
            generation_tokens=int(data.get("generation_tokens", 0)),
            tokens_per_s=float(data.get("tokens_per_s", 0.0)),
            peak_memory_bytes=int(data.get("peak_memory_bytes", 0)),
            on_server=data.get("on_server") is True,
            counts_from=str(data.get("counts_from", "local")),
        )

    def one_line(self) -> str:
        cached = f" ({self.cached_tokens:,} cached)" if self.cached_tokens else ""
        about = "about " if self.counts_from == "estimate" else ""
        return (
            f"{self.model} · {about}{self.prompt_tokens:,} prompt tokens{cached} · "
            f"first token {self.ttft_s:.2f} s · {self.tokens_per_s:.1f} tok/s"
        )


@dataclass(frozen=True)
class TurnStarted:
    """A turn began: its question's and its answer's message ids in the store."""

    conversation_id: int
    user_message_id: int
    assistant_message_id: int
    model: str


@dataclass(frozen=True)
class Reading:
    """Prompt tokens read so far (``done`` of ``total``); only tokens no cache holds count.

    ``script`` is true while the script part itself is being read (the first time a document
    is opened with a model): the window shows its progress bar then.
    """

    done: int
    total: int
    script: bool = False


@dataclass(frozen=True)
class AnswerText:
    """More of the answer: drop ``retract`` characters from the end first, then append."""

    text: str
    retract: int = 0


@dataclass(frozen=True)
class TurnResult:
    """What a turn leaves: the checked answer and its accounts."""

    conversation_id: int
    message_id: int  # the assistant message (0 when nothing was stored)
    text: str  # the answer with citations and names checked
    raw_text: str  # what the model wrote (or the facts answer)
    reason: str  # done / stopped / length / repetition / error
    stats: MessageStats | None = None
    context: ContextUse | None = None
    source: Literal["model", "facts"] = "model"  # facts: answered from the parser's facts
    invalid_citations: int = 0
    unknown_names: list[str] = field(default_factory=list)
    error: BaseException | None = None


@dataclass(frozen=True)
class TurnFinished:
    result: TurnResult


ChatEvent = TurnStarted | ContextUse | Reading | AnswerText | Notice | TurnFinished
