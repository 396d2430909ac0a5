"""What the engine is asked to generate from, and the model it holds while it is loaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logline.engine.backend import BackendPlan
from logline.engine.sampling import SamplingParams

__all__ = ["GenerationRequest", "LoadedModel", "Message"]

Message = dict[str, str]


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate: chat messages (rendered with the model's template) or raw token ids."""

    messages: Sequence[Message] = ()
    prompt_tokens: Sequence[int] = ()
    sampling: SamplingParams = field(default_factory=SamplingParams)
    # Keep the cache of the prompt and the answer as a checkpoint (a conversation's next turn
    # extends it): see ``engine.checkpoints``.
    keep_cache: bool = False


@dataclass
class LoadedModel:
    model_id: str
    path: Path
    model: Any
    tokenizer: Any  # mlx_lm TokenizerWrapper
    context_length: int
    precision: str
    plan: BackendPlan  # how this model runs here, decided once at load
    precision_reason: str = ""  # why ``precision`` (a GPU's measured choice), when Logline chose

    @property
    def weights_bytes(self) -> int:
        """The parameters' bytes in memory, as loaded."""
        return self.plan.weights_bytes
