"""The user's per-mode generation defaults: applied to that mode only, over its own values."""

from __future__ import annotations

from logline.config import Settings
from logline.summarize.modes import get_mode
from logline.summarize.user_defaults import mode_sampling


def test_saved_defaults_apply_to_their_mode_only() -> None:
    settings = Settings(generation={"synopsis": {"temperature": 0.9, "max_tokens": 333}})
    synopsis = mode_sampling("synopsis", settings)
    assert (synopsis.temperature, synopsis.max_tokens) == (0.9, 333)
    assert synopsis.top_p == get_mode("synopsis").sampling.top_p  # the rest is the mode's own
    other = next(mode for mode in ("logline", "beats", "coverage") if mode != "synopsis")
    assert mode_sampling(other, settings) == get_mode(other).sampling


def test_no_saved_defaults_is_the_mode_itself() -> None:
    assert mode_sampling("synopsis", Settings()) == get_mode("synopsis").sampling
