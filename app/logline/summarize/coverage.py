"""The coverage report, section by section, in the order and shape a studio reader expects.

Logline writes the facts block, every heading and the verdict line; the model writes each
section's text in one bounded turn of a :class:`~logline.summarize.structured.Conversation`. The
verdict is a constrained choice: the model's scores over exactly Pass / Consider / Recommend,
never parsed from free text; then one more turn gives the reasons for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from logline.engine.sampling import SamplingParams
from logline.summarize import modes
from logline.summarize.quality import VERDICTS
from logline.summarize.structured import Conversation, as_bullets, bounded

__all__ = ["SECTIONS", "Section", "verdict_line", "write_coverage"]


@dataclass(frozen=True)
class Section:
    """One section: its heading, the template of its turn and its bound in tokens."""

    heading: str
    template: str
    max_tokens: int
    bullets: bool = False


SECTIONS: tuple[Section, ...] = (
    Section("Logline", "coverage.logline", 80),
    Section("Synopsis", "coverage.synopsis", 450),
    Section("Characters", "coverage.characters", 260, bullets=True),
    Section("Strengths", "coverage.strengths", 220, bullets=True),
    Section("Weaknesses", "coverage.weaknesses", 220, bullets=True),
)
VERDICT_HEADING = "Verdict"
REASONS_TOKENS = 150


def answer_tokens() -> int:
    """The most tokens the model writes in a whole report (what the planner reserves)."""
    return sum(section.max_tokens for section in SECTIONS) + REASONS_TOKENS


def verdict_line(verdict: str) -> str:
    return f"**Verdict: {verdict}**"


def write_coverage(
    talk: Conversation,
    sampling: SamplingParams,
    *,
    title: str,
    kind: str,
    header: str = "",
    cast_table: str = "",
) -> str | None:
    """Write the report into ``talk``; the verdict chosen (None when the report was cut short).

    ``header`` (the facts block) opens the report; ``cast_table`` (Logline's character table)
    opens the Characters section, before the model's bullets.
    """
    if header:
        talk.write(header.strip() + "\n\n")
    for index, section in enumerate(SECTIONS):
        if talk.ended:
            return None
        talk.write(("\n\n" if index else "") + f"## {section.heading}\n\n")
        if section.heading == "Characters" and cast_table:
            talk.write(cast_table.strip() + "\n\n")
        instruction = modes.turn_text(section.template, title=title, kind=kind)
        shape = as_bullets if section.bullets else None
        talk.ask(instruction, bounded(sampling, section.max_tokens), shape)
    if talk.ended:
        return None
    talk.write(f"\n\n## {VERDICT_HEADING}\n\n")
    question = modes.turn_text("coverage.verdict", title=title, kind=kind)
    verdict = talk.choose(question, VERDICTS)
    talk.write(verdict_line(verdict) + "\n\n")
    reasons = modes.turn_text("coverage.reasons", title=title, kind=kind, verdict=verdict)
    talk.ask(reasons, bounded(sampling, REASONS_TOKENS))
    return verdict
