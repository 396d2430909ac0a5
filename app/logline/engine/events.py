"""The engine's events: one small family of immutable dataclasses, handed to an ``emit`` callback.

A generation reports ``PromptProgress`` while it reads the prompt, one ``Generated`` per piece of
new text (in the spirit of mlx-lm's ``GenerationResponse``: the text, the tokens so far, the batch
row, and on a sequence's last event its finish reason), then one ``Finished`` for the whole call,
carrying its ``GenerationStats``. Loading a model reports ``LoadProgress`` and ``ModelLoaded``.
Nothing outside ``logline.engine`` creates ``Generated`` or ``Finished``: the summarizer
translates them into its own events (``logline.summarize.events``) at one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from logline.units import format_bytes

FinishReason = Literal["done", "stopped", "length", "repetition", "error"]
CountSource = Literal["local", "server", "estimate"]
# Every finish reason but "done" means the text ended early (cut off, trimmed, stopped, failed).


@dataclass(frozen=True)
class ModelLoaded:
    model_id: str
    seconds: float
    precision: str  # e.g. "float32 (dequantized for CPU)" or "4-bit"
    context_length: int


@dataclass(frozen=True)
class LoadProgress:
    """Model weights read into memory so far (bytes), while a model loads."""

    done: int
    total: int


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not an error (e.g. a document was shortened)."""

    message: str


@dataclass(frozen=True)
class PromptProgress:
    done: int
    total: int


@dataclass(frozen=True)
class Generated:
    """New text of one sequence.

    ``row`` is the request's index in a batch (0 for a single generation); ``tokens`` counts the
    sequence's generated tokens so far. A sequence's last event carries its ``finish_reason``
    (its text may be empty then): ``done`` (end of sequence or a stop string), ``length``,
    ``repetition`` (the loop guard ended it: ``SamplingParams.loop_guard``), ``stopped``
    (cancelled; the text so far is kept) or ``error``.

    ``retract`` is how many characters at the end of this sequence's text, as passed on by its
    earlier events, this event withdraws: a consumer drops them first, then appends ``text``.
    Only the loop guard withdraws text (the repeated tail it detected had already streamed), on
    the sequence's last event or the one just before it; it is 0 everywhere else.
    """

    text: str
    tokens: int = 0
    row: int = 0
    finish_reason: FinishReason | None = None
    retract: int = 0


@dataclass(frozen=True)
class GenerationStats:
    """Totals of one generate / generate_batch call (a value carried by ``Finished``)."""

    prompt_tokens: int
    prompt_seconds: float
    generation_tokens: int
    generation_seconds: float
    peak_memory_bytes: int
    active_memory_bytes: int = 0
    cache_memory_bytes: int = 0
    # Prompt tokens taken from a cache (a checkpoint or a kept prefix), not read again.
    cached_tokens: int = 0
    # Where the token counts come from: the local model ("local"), a server's usage figures
    # ("server"), or an estimate (a server that gave none: characters / 4, one token a chunk).
    counts_from: CountSource = "local"

    @property
    def prefilled_tokens(self) -> int:
        """Prompt tokens actually run through the model."""
        return self.prompt_tokens - self.cached_tokens

    @property
    def prompt_tps(self) -> float:
        return self.prefilled_tokens / self.prompt_seconds if self.prompt_seconds > 0 else 0.0

    @property
    def generation_tps(self) -> float:
        if self.generation_seconds <= 0:
            return 0.0
        return self.generation_tokens / self.generation_seconds

    @property
    def time_to_first_token(self) -> float:
        return self.prompt_seconds

    def one_line(self) -> str:
        about = "about " if self.counts_from == "estimate" else ""
        line = (
            f"{about}{self.prompt_tokens} prompt tokens at {self.prompt_tps:.0f} tok/s, "
            f"{about}{self.generation_tokens} generated at {self.generation_tps:.1f} tok/s, "
            f"first token after {self.time_to_first_token:.1f} s"
        )
        if self.counts_from != "local":
            return line + " (on the server" + (", token counts estimated)" if about else ")")
        return line + f", peak memory {format_bytes(self.peak_memory_bytes, memory=True)}"


@dataclass(frozen=True)
class Finished:
    """The end of one generate / generate_batch call (every sequence has ended by then)."""

    reason: FinishReason
    stats: GenerationStats | None = None
    error: BaseException | None = None


EngineEvent = ModelLoaded | LoadProgress | Notice | PromptProgress | Generated | Finished
