"""What a finished (or stopped, or failed) summary leaves: the answer, its notes, its accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from logline.engine.events import GenerationStats
from logline.summarize.citations import CitationReport
from logline.summarize.names import NameFlag
from logline.summarize.planner import SummaryPlan


@dataclass
class PhaseStats:
    phase: str
    items: int
    seconds: float
    prompt_tokens: int = 0
    generated_tokens: int = 0
    peak_memory_bytes: int = 0
    batch_size: int = 1  # sequences decoded (or requests sent) together
    budget_bytes: int = 0  # the memory budget that sized the batch (0: none, or a server)

    def to_json(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "items": self.items,
            "seconds": round(self.seconds, 3),
            "prompt_tokens": self.prompt_tokens,
            "generated_tokens": self.generated_tokens,
            "peak_memory_bytes": self.peak_memory_bytes,
            "batch_size": self.batch_size,
            "budget_bytes": self.budget_bytes,
            "generated_tps": round(self.generated_tokens / self.seconds, 2) if self.seconds else 0,
        }


@dataclass
class SummaryResult:
    text: str  # the answer with citations and names checked (flagged or removed)
    raw_text: str  # what the model wrote
    reason: str  # done / stopped / length / repetition / error
    mode: str
    plan: SummaryPlan | None
    notes: list[str] = field(default_factory=list)  # map outputs (long documents)
    citations: CitationReport | None = None
    # Names the document does not know; positions in the answer with citations checked.
    names: list[NameFlag] = field(default_factory=list)
    phases: list[PhaseStats] = field(default_factory=list)
    seconds: float = 0.0
    error: BaseException | None = None
    stats: GenerationStats | None = None  # the last generation's (the final answer's) stats
    # Map notes (their indices) that still copied the script after one rewrite.
    copied_notes: list[int] = field(default_factory=list)
    verdict: str | None = None  # a coverage report's Pass / Consider / Recommend
    # The loaded model's precision here and, where Logline chose it by measuring, why ("" on a
    # server).
    precision: str = ""
    precision_reason: str = ""

    @property
    def peak_memory_bytes(self) -> int:
        return max((p.peak_memory_bytes for p in self.phases), default=0)
