"""How a conversation answers: the answer's length, sampling, the context cap, the checks."""

from __future__ import annotations

from dataclasses import dataclass

from logline.engine.sampling import SamplingParams


@dataclass(frozen=True)
class ChatOptions:
    answer_tokens: int = 512
    temperature: float = 0.0
    max_context: int | None = None  # read at most this many tokens at once (None: all usable)
    citation_policy: str = "flag"
    names_policy: str = "flag"
    facts_answers: bool = True  # answer parser questions from the facts

    def reserve(self, usable: int) -> int:
        """Tokens kept for an answer: ``answer_tokens``, at most half of what the model reads
        (an excessive ``--max-tokens`` never starves the script or reserves gigabytes)."""
        return max(1, min(self.answer_tokens, usable // 2))

    def sampling(self, usable: int | None = None) -> SamplingParams:
        return SamplingParams(
            max_tokens=self.answer_tokens if usable is None else self.reserve(usable),
            temperature=self.temperature,
            repetition_penalty=1.1,
            no_repeat_ngram=16,
            loop_guard=True,
        )


__all__ = ["ChatOptions"]
