"""Notes that summarise, not copy: a map note that repeats its chunk verbatim is rewritten once.

A small model asked for notes often copies lines of the script instead. Each note's copy ratio
(:func:`logline.summarize.quality.copy_ratio`: the share of its 8-word runs found verbatim in its
chunk) is measured; the notes over :data:`COPY_THRESHOLD` are generated again, as one quiet batch,
with the stricter ``map.strict`` prompt. A rewrite is kept when it copies less; a note still over
the threshold is reported (``SummaryResult.copied_notes`` and a notice), never hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from logline.summarize.events import Notice
from logline.summarize.quality import copy_ratio

log = logging.getLogger(__name__)

COPY_THRESHOLD = 0.5
STRICT_TEMPLATE = "map.strict"


@dataclass
class Revision:
    notes: list[str]
    rewritten: list[int] = field(default_factory=list)
    still_copied: list[int] = field(default_factory=list)


def copied(notes: Sequence[str], chunks: Sequence[str], threshold: float) -> list[int]:
    """Indices of the notes whose copy ratio against their chunk exceeds ``threshold``."""
    return [
        index
        for index, (note, chunk) in enumerate(zip(notes, chunks, strict=True))
        if copy_ratio(note, chunk) > threshold
    ]


def revise_copied_notes(
    session: Any, notes: Sequence[str], chunks: Sequence[str], threshold: float | None = None
) -> Revision:
    """Rewrite the notes that copy their chunk, once; ``session`` is the summary's session
    (``messages`` and a ``batch`` that can run quietly, ``emit``, ``map_sampling``, ``mode``).
    ``threshold`` defaults to :data:`COPY_THRESHOLD`."""
    threshold = COPY_THRESHOLD if threshold is None else threshold
    revision = Revision(list(notes))
    over = copied(notes, chunks, threshold)
    if not over:
        return revision
    log.info("%d of %d notes copy their chunk; rewriting them", len(over), len(notes))
    if session.mode.needs_instruction:  # the strict prompt has no room for the user's request
        revision.still_copied = over
    else:
        prompts = [session.messages("map", chunks[i], template=STRICT_TEMPLATE) for i in over]
        rewrites, reason = session.batch("map", prompts, session.map_sampling, quiet=True)
        for index, text in zip(over, rewrites, strict=True):
            if reason not in ("stopped", "error") and copy_ratio(text, chunks[index]) < copy_ratio(
                revision.notes[index], chunks[index]
            ):
                revision.notes[index] = text
                revision.rewritten.append(index)
        revision.still_copied = copied(
            [revision.notes[i] for i in over], [chunks[i] for i in over], threshold
        )
        revision.still_copied = [over[i] for i in revision.still_copied]
    if revision.still_copied:
        session.emit(
            Notice(
                f"{len(revision.still_copied)} of {len(notes)} notes copy the script rather "
                "than summarise it, even after a rewrite."
            )
        )
    return revision
