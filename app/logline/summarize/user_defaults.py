"""The user's per-mode generation defaults (Settings ▸ Generation) applied to a mode's sampling.

One place for the window and the CLI: a mode's own :class:`SamplingParams` with the values the
user saved for it (temperature, the final answer's length); explicit values given for one run
(the CLI's flags, a test's sampling) are applied on top by the caller.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from logline.config import Settings, load_settings
from logline.summarize.modes import get_mode

if TYPE_CHECKING:
    from logline.engine.sampling import SamplingParams


def mode_sampling(mode_id: str, settings: Settings | None = None) -> SamplingParams:
    """``mode_id``'s final-answer sampling with the user's saved defaults for it."""
    sampling = get_mode(mode_id).sampling
    overrides = (settings or load_settings()).generation.get(mode_id)
    # (the settings file's loader checked these names and values)
    return replace(sampling, **overrides) if overrides else sampling  # type: ignore[arg-type]
