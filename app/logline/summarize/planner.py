"""Plan a summary: one pass when the document fits the model's usable context, else map-reduce.

The usable context is the smaller of the model's trained limit and what memory allows
(:func:`logline.models.fit.usable_context`). When the prompt frame, the whole marked document and
the answer fit it, the plan is a single pass. Otherwise the document is cut into chunks along
scene boundaries (pages for a generic document, see :mod:`logline.summarize.chunks`), each of
which gets a map prompt; the notes are then merged in consecutive groups (:func:`plan_reduce`)
until they fit one final prompt. Qt-free, MLX-free and tokenizer-agnostic: token counts come from
a ``count_tokens`` callable.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from logline.documents.model import Document
from logline.summarize.chunks import (
    UNIT_SEPARATOR,
    Chunk,
    CountTokens,
    Unit,
    build_chunks,
    document_units,
    marked,
    pack,
    unit_tokens,
)

__all__ = [
    "MIN_CHUNK_TOKENS",
    "PROMPT_MARGIN",
    "Chunk",
    "PlanError",
    "SummaryPlan",
    "plan_reduce",
    "plan_summary",
    "reduce_levels",
]

log = logging.getLogger(__name__)

Strategy = Literal["single", "map_reduce"]

# Below this a chunk holds a page or less of a screenplay: notes on it say little and the
# number of map prompts explodes.
MIN_CHUNK_TOKENS = 256
# Tokens kept free in every prompt: the chat template's joins and the marker of a split part
# tokenize a little differently inside a prompt than on their own.
PROMPT_MARGIN = 32
_MAX_ATTEMPTS = 6


class PlanError(ValueError):
    """The model's usable context is too small for any plan; the message can be shown as is."""


@dataclass(frozen=True)
class SummaryPlan:
    """How a document will be summarized.

    ``chunks`` is one chunk (the whole marked document) for ``"single"``. ``chunk_budget`` is
    the most tokens of chunk text a prompt may carry (for ``"single"``: the room the document
    had). ``reduce_budget`` is the room for notes in one reduce prompt and ``reduce_levels`` the
    number of prompts at each merge level up to the final one, assuming every note is as long
    as the map answer may be (real notes are usually shorter: the runner decides from their
    real sizes with :func:`plan_reduce`); empty when even that forecast cannot merge (a tiny
    context) and for a single pass.
    ``document_tokens`` counts the whole marked document; for a document that clearly does not
    fit it is summed scene by scene (or page by page), which is within a token or two per scene.
    """

    strategy: Strategy
    chunks: tuple[Chunk, ...]
    usable_context: int
    chunk_budget: int
    document_tokens: int
    reduce_budget: int = 0
    reduce_levels: tuple[int, ...] = ()

    def describe(self) -> str:
        """``single pass: 12,345 tokens in one prompt`` or ``map-reduce: 14 chunks of ≤ 3,000
        tokens, merged 14 → 3 → 1``, for logs and the status line."""
        if self.strategy == "single":
            return (
                f"single pass: {self.document_tokens:,} tokens in one prompt "
                f"(usable context {self.usable_context:,})"
            )
        count = len(self.chunks)
        noun = "chunk" if count == 1 else "chunks"
        text = f"map-reduce: {count} {noun} of ≤ {self.chunk_budget:,} tokens"
        if len(self.reduce_levels) > 1:
            text += ", merged " + " → ".join(str(n) for n in (count, *self.reduce_levels))
        return text


def plan_summary(
    document: Document,
    *,
    count_tokens: CountTokens,
    usable_context: int,
    frame_tokens: int,
    answer_tokens: int,
    map_frame_tokens: int,
    map_answer_tokens: int,
    max_chunk_tokens: int | None = None,
    reduce_frame_tokens: int | None = None,
    margin: int = PROMPT_MARGIN,
    single_pass: bool = True,
) -> SummaryPlan:
    """Choose single pass or map-reduce for ``document`` and cut its chunks.

    Single pass iff ``frame_tokens + document_tokens + answer_tokens + margin <=
    usable_context``, where ``document_tokens`` counts the document with its marker lines.
    Otherwise the chunk budget is ``usable_context - map_frame_tokens - map_answer_tokens -
    margin``, lowered to ``max_chunk_tokens`` when given. ``reduce_frame_tokens`` (default
    ``frame_tokens``) is the frame of the final prompt over the notes. Raises
    :class:`PlanError` when the context leaves less than :data:`MIN_CHUNK_TOKENS` per chunk.
    ``single_pass=False`` always cuts chunks (a mode whose answer is one entry per chunk).
    """
    units = document_units(document)
    sizes = unit_tokens(document, units, count_tokens)
    # Summed unit counts are within a token or two per unit of the whole text's count: only a
    # document that may fit is counted whole (a second pass over a long script is not free).
    document_tokens = sum(sizes)
    room = usable_context - frame_tokens - answer_tokens - margin
    if single_pass and document_tokens <= room + 2 * len(units):
        whole = UNIT_SEPARATOR.join(marked(document, unit) for unit in units)
        document_tokens = count_tokens(whole)
        if document_tokens <= room:
            return _single(document, units, whole, document_tokens, usable_context, room)

    budget = usable_context - map_frame_tokens - map_answer_tokens - margin
    if max_chunk_tokens is not None:
        budget = min(budget, max_chunk_tokens)
    if budget < MIN_CHUNK_TOKENS:
        raise PlanError(
            f"This document ({document_tokens:,} tokens) does not fit the model's usable "
            f"context of {usable_context:,} tokens, and splitting it would leave only "
            f"{max(budget, 0):,} tokens per part (at least {MIN_CHUNK_TOKENS} are needed). "
            "Use a model with a longer context, or free memory."
        )
    reduce_frame = frame_tokens if reduce_frame_tokens is None else reduce_frame_tokens
    reduce_budget = usable_context - reduce_frame - answer_tokens - margin
    chunks = _chunks_within(document, units, sizes, budget, count_tokens)
    try:
        levels = reduce_levels(len(chunks), note_tokens=map_answer_tokens, budget=reduce_budget)
    except ValueError:  # a forecast for notes of the longest length; real ones are shorter
        log.warning(
            "Notes of up to %d tokens may not merge: the final prompt has room for %d",
            map_answer_tokens,
            reduce_budget,
        )
        levels = []
    plan = SummaryPlan(
        "map_reduce",
        tuple(chunks),
        usable_context,
        budget,
        document_tokens,
        reduce_budget,
        tuple(levels),
    )
    log.debug("Planned %s", plan.describe())
    return plan


def _single(
    document: Document,
    units: Sequence[Unit],
    whole: str,
    tokens: int,
    usable_context: int,
    room: int,
) -> SummaryPlan:
    firsts = [unit.first_page for unit in units if unit.first_page is not None]
    lasts = [unit.last_page for unit in units if unit.last_page is not None]
    chunk = Chunk(
        0,
        whole,
        tokens,
        tuple(unit.scene for unit in units if unit.scene is not None),
        document.page_label(min(firsts)) if firsts else None,
        document.page_label(max(lasts)) if lasts else None,
        preamble=any(unit.preamble for unit in units),
    )
    return SummaryPlan("single", (chunk,), usable_context, room, tokens)


def _chunks_within(
    document: Document,
    units: Sequence[Unit],
    sizes: Sequence[int],
    budget: int,
    count_tokens: CountTokens,
) -> list[Chunk]:
    """Chunks whose exact token counts are within ``budget``.

    Pieces are counted one by one; where a concatenation tokenizes longer than its summed
    pieces (a merge across a join), the chunks are cut again against a budget lowered by the
    overshoot.
    """
    target = budget
    for _ in range(_MAX_ATTEMPTS):
        chunks = build_chunks(document, units, sizes, target, count_tokens)
        over = max((chunk.tokens - budget for chunk in chunks), default=0)
        if over <= 0:
            return chunks
        log.debug("Chunks overshoot the budget of %d by %d tokens; cutting again", budget, over)
        target -= over + 4
        if target < 1:
            break
    raise PlanError(f"Could not cut this document into chunks of at most {budget:,} tokens.")


def plan_reduce(note_tokens: Sequence[int], *, budget: int) -> list[list[int]]:
    """Consecutive groups of note indices whose summed tokens fit ``budget``.

    As few groups as possible, of even sizes (:func:`~logline.summarize.chunks.pack`). One
    level only: the caller merges each group and calls again until one group is left. Raises
    ``ValueError`` when a single note exceeds ``budget``.
    """
    if not note_tokens:
        return []
    largest = max(note_tokens)
    if largest > budget:
        raise ValueError(
            f"A note of {largest:,} tokens does not fit the merge budget of {budget:,} tokens."
        )
    return [list(range(start, end)) for start, end in pack(note_tokens, budget)]


def reduce_levels(count: int, *, note_tokens: int, budget: int) -> list[int]:
    """Prompts at each reduce level for ``count`` notes of ``note_tokens`` each, ending with 1
    (the final prompt); merged notes are assumed as long as the notes they replace.

    ``reduce_levels(14, note_tokens=300, budget=1500)`` is ``[3, 1]``: 14 notes merge in 3
    groups, whose 3 notes fit the final prompt. Raises ``ValueError`` when ``budget`` holds
    fewer than two notes (merging would never finish).
    """
    per_prompt = budget // max(1, note_tokens)
    if count > 1 and per_prompt < 2:
        raise ValueError(
            f"A budget of {budget:,} tokens holds fewer than two {note_tokens:,}-token notes."
        )
    levels: list[int] = []
    while True:
        count = max(1, math.ceil(count / per_prompt)) if count > 1 else 1
        levels.append(count)
        if count == 1:
            return levels
