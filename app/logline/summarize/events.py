"""Events a summary emits besides the engine's own (token text, prompt progress, stats, finished).

The final answer streams as ``TokenText``; the map and merge phases report through these, so a
window can show "chunk 3 of 14" and each chunk's notes as they are written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Phase = Literal["map", "merge", "reduce", "single"]


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
class ChunkText:
    """More text of one item's notes in the map or merge phase (partial output, shown live)."""

    phase: Phase
    index: int
    text: str


@dataclass(frozen=True)
class ChunkDone:
    """One item of the map or merge phase is finished: ``done`` of ``total`` in this phase."""

    phase: Phase
    index: int
    done: int
    total: int
    reason: str


SummaryEvent = PlanChosen | PhaseStarted | ChunkText | ChunkDone
