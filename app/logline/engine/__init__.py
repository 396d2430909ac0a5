"""Qt-free inference engine: load an MLX model, stream tokens, cancel, report stats.

Every MLX call happens on one long-lived thread (MLX streams belong to the thread that made them):
``EngineThread`` in the CLI, the engine ``QThread`` in the GUI. Both drive the same ``Engine``.
"""

from logline.engine.cancel import CancelToken, GenerationCancelled
from logline.engine.events import (
    EngineEvent,
    Finished,
    Generated,
    GenerationStats,
    LoadProgress,
    ModelLoaded,
    Notice,
    PromptProgress,
)
from logline.engine.sampling import SamplingParams

__all__ = [
    "CancelToken",
    "EngineEvent",
    "Finished",
    "Generated",
    "GenerationCancelled",
    "GenerationStats",
    "LoadProgress",
    "ModelLoaded",
    "Notice",
    "PromptProgress",
    "SamplingParams",
]
