"""What a summary reports while it runs: the one event stream the CLI and the GUI consume.

The runner (:mod:`logline.summarize.runner`) translates the engine's events into these at one
place (``_Session.relay``); consumers never see the engine's ``Generated`` or ``Finished``. A
summary reports its plan, each phase as it starts, prompt reading progress, each chunk's notes
as they are written (map and merge phases), the final answer's text as it streams, notices, and
always ends with exactly one ``SummaryFinished`` carrying the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from logline.engine.events import Notice
from logline.summarize.result import SummaryResult

Phase = Literal["map", "merge", "reduce", "single"]

__all__ = [
    "AnswerText",
    "ChunkDone",
    "ChunkText",
    "Notice",
    "Phase",
    "PhaseStarted",
    "PlanChosen",
    "Reading",
    "SummaryEvent",
    "SummaryFinished",
]


@dataclass(frozen=True)
class PlanChosen:
    strategy: Literal["single", "map_reduce"]
    chunks: int
    description: str  # "map-reduce: 14 chunks of ≤ 3,000 tokens", for the status line and logs
    labels: tuple[str, ...] = ()  # each map chunk's span, e.g. "Sc. 12–14, pp. 34–40"


@dataclass(frozen=True)
class PhaseStarted:
    phase: Phase
    items: int  # chunks (map), groups (merge) or 1
    level: int = 0  # merge level (1, 2, …)


@dataclass(frozen=True)
class Reading:
    """Prompt tokens read so far in the current phase (``done`` of ``total``)."""

    phase: Phase
    done: int
    total: int


@dataclass(frozen=True)
class ChunkText:
    """More text of one item's notes in the map or merge phase (partial output, shown live).

    ``retract``: characters at the end of the item's notes so far to drop before adding
    ``text`` (the loop guard withdrawing a repeated tail; 0 otherwise)."""

    phase: Phase
    index: int
    text: str
    retract: int = 0


@dataclass(frozen=True)
class ChunkDone:
    """One item of the map or merge phase is finished: ``done`` of ``total`` in this phase."""

    phase: Phase
    index: int
    done: int
    total: int
    reason: str


@dataclass(frozen=True)
class AnswerText:
    """More text of the final answer (its citations not yet checked), as it is written.

    The result's ``text`` (``SummaryFinished``) is the answer: it lacks any repeated tail the
    loop guard trimmed after it streamed here."""

    text: str


@dataclass(frozen=True)
class SummaryFinished:
    """The last event of every summary: the result, whose ``reason`` and ``error`` say how it
    ended and whose ``text`` has its citations checked."""

    result: SummaryResult


SummaryEvent = (
    PlanChosen
    | PhaseStarted
    | Reading
    | ChunkText
    | ChunkDone
    | AnswerText
    | Notice
    | SummaryFinished
)
