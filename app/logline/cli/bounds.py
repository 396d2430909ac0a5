"""Argparse types for the generation flags: a bad value is refused while the arguments are
parsed, as one line naming the flag and the value (argparse's ``error: argument --seed: …``,
exit code 2), before any model or document is loaded.

The bounds are the core's (:mod:`logline.engine.sampling`, :mod:`logline.summarize.bounds`,
the settings' ``GENERATION_LIMITS``): the CLI refuses early what the core would refuse later.
A ``--max-tokens`` above what the model can write is not an error: the summarizer lowers it to
what the model's context and the memory allow, with a notice.
"""

from __future__ import annotations

import argparse
import math


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None


def max_tokens(text: str) -> int:
    """``--max-tokens``: at least 1 (an excessive value is lowered later, with a notice)."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 token, not {text}")
    return value


def temperature(text: str) -> float:
    """``--temperature``: a finite number within the settings' range (0 to 2)."""
    from logline.config import GENERATION_LIMITS

    low, high = GENERATION_LIMITS["temperature"]
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be a number from {low:g} to {high:g}, not {text}")
    return value


def seed(text: str) -> int:
    """``--seed``: a whole number from 0 up (what the random generator accepts)."""
    from logline.engine.sampling import MAX_SEED

    value = _whole(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_SEED}, not {text}")
    return value


def context(text: str) -> int:
    """``--context``: at least the smallest context a summary can be planned in."""
    from logline.summarize.bounds import MIN_CONTEXT_TOKENS

    value = _whole(text)
    if value < MIN_CONTEXT_TOKENS:
        raise argparse.ArgumentTypeError(
            f"must be at least {MIN_CONTEXT_TOKENS} tokens (leave it out to use all the model "
            f"can), not {text}"
        )
    return value


def batch(text: str) -> int:
    """``--batch``: at least 1 (1: one chunk after another)."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value
