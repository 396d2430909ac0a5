"""No repeated n-grams: a logits processor that bans the token completing an n-gram the
sequence has already generated (the idea of Hugging Face's ``no_repeat_ngram_size``).

Only the *generated* tokens count: an n-gram of the prompt may be written again (citations,
names and lines quoted from the script must stay possible). The processor learns where the
prompt ends from its first call: mlx-lm (``generate_step``) and ``batch_decode`` both pass every
token fed so far, the prompt (or, in the engine, its last token) first and then one more
generated token per step. So one instance serves exactly one sequence (``build_sampler`` makes
one per sequence).

Everything stays on the device: the banned tokens are every token that followed an earlier
occurrence of the sequence's last ``n - 1`` generated tokens, found by comparing those tokens
with every earlier window (``ban_repeated_ngrams``, a few array operations whatever the length).
Reading the tokens back to the host instead would make each decode step wait for the previous
one before the next could be queued (measured on a GPU: the device idles while the step is
built).
"""

from __future__ import annotations

from typing import Any


def ban_repeated_ngrams(generated: Any, logits: Any, size: int) -> Any:
    """``logits`` ([rows, vocabulary]) with -inf for each row's tokens that would complete an
    n-gram (``size`` tokens) already in that row's ``generated`` tokens ([rows, count])."""
    import mlx.core as mx  # lazy: MLX

    count = generated.shape[1]
    if count < size:
        return logits
    generated = generated.astype(mx.int32)
    starts = count - size + 1  # earlier n-grams: generated[j : j + size], j < starts
    offsets = mx.arange(starts)[:, None] + mx.arange(size - 1)[None, :]
    windows = generated[:, offsets]  # [rows, starts, size - 1]
    last = generated[:, None, count - size + 1 :]  # [rows, 1, size - 1]
    repeats = mx.all(windows == last, axis=-1)  # [rows, starts]
    followers = generated[:, size - 1 :]  # the token after each window
    vocabulary = logits.shape[-1]
    # Banned followers go to their own column, the others to a spare column dropped after.
    targets = mx.where(repeats, followers, vocabulary)
    spare = mx.zeros((logits.shape[0], 1), dtype=logits.dtype)
    widened = mx.concatenate([logits, spare], axis=-1)
    blocked = mx.full(targets.shape, -mx.inf, dtype=logits.dtype)
    return mx.put_along_axis(widened, targets, blocked, axis=-1)[:, :vocabulary]


class NoRepeatNGram:
    """``processor(tokens, logits) -> logits`` with -inf for every token that would complete
    an n-gram (``size`` tokens) already present in this sequence's generated tokens."""

    def __init__(self, size: int) -> None:
        if size < 2:
            raise ValueError("a no-repeat n-gram needs n >= 2")
        self.size = size
        self.prompt_tokens: int | None = None  # tokens of the first call: not generated

    def __call__(self, tokens: Any, logits: Any) -> Any:
        seen = int(tokens.size)  # the shape: known without waiting for the tokens
        if self.prompt_tokens is None:
            self.prompt_tokens = seen
        elif seen < self.prompt_tokens:
            raise RuntimeError("NoRepeatNGram serves one sequence: its tokens went back")
        generated = tokens.reshape(1, -1)[:, self.prompt_tokens :]
        return ban_repeated_ngrams(generated, logits, self.size)
