"""A batch's repetition penalty and no-repeat n-grams, for every row at once, on the device.

``sampling.build_sampler`` gives each sequence its own logits processors: mlx-lm's repetition
penalty and ``ngram.NoRepeatNGram``, which reads the newest token back to the host. Run per row
in a batched decode step, they cost a few small operations and one host sync per row and step,
and the sync stops the next step from being queued while the current one runs: on a GPU a wide
map batch spent most of each step building those per-row graphs with the device idle.

When every row of a batch has the same sampling parameters (all of a summary's map or merge
requests do), :class:`BatchProcessors` applies the same penalties to the whole batch with a
handful of array operations and no sync. The results are the per-row processors' exactly:

- repetition penalty: the same gather, sign-aware scaling and scatter as mlx-lm's processor,
  over each row's last ``repetition_context_size`` tokens (rows decoded together have fed the
  same number of tokens, so one window width fits all);
- no-repeat n-grams: the tokens ``NoRepeatNGram`` bans, namely every token that followed an
  earlier occurrence of the row's last ``n - 1`` generated tokens, found by comparing those
  tokens with every earlier window of the row's generated tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from logline.engine.sampling import SamplingParams


class BatchProcessors:
    """``processors(inputs, logits) -> logits`` for a batch of rows that share ``params``.

    ``inputs`` are the tokens fed in this step (one per row), in row order; the first call's are
    the rows' last prompt tokens, as for the per-row processors (which see the tokens fed so far,
    the last prompt token first). ``keep`` follows the batch when rows leave it.
    """

    def __init__(self, params: SamplingParams) -> None:
        self.penalty = float(params.repetition_penalty)
        self.window = int(params.repetition_context_size)
        self.ngram = int(params.no_repeat_ngram)
        self.history: Any = None  # [rows, steps] tokens fed so far (mx.array)

    @classmethod
    def for_rows(cls, params: Sequence[SamplingParams | None]) -> BatchProcessors | None:
        """The batched processors for rows with these parameters, or None when the rows differ
        (or this MLX lacks ``put_along_axis``): then each row runs its own processors."""
        import mlx.core as mx  # lazy: MLX

        first = params[0] if params else None
        if first is None or any(p != first for p in params):
            return None
        if not hasattr(mx, "put_along_axis"):
            return None
        return cls(first)

    @property
    def active(self) -> bool:
        """Whether these parameters change logits at all."""
        return self.penalty != 1.0 or self.ngram >= 2

    def __call__(self, inputs: Any, logits: Any) -> Any:
        import mlx.core as mx  # lazy: MLX

        fed = inputs.reshape(-1, 1)
        self.history = fed if self.history is None else mx.concatenate([self.history, fed], 1)
        if self.penalty != 1.0:
            logits = self._penalize(logits)
        if self.ngram >= 2:
            logits = self._ban_repeats(logits)
        return logits

    def keep(self, indices: Sequence[int]) -> None:
        """Keep only the rows at ``indices`` (the others finished)."""
        import mlx.core as mx  # lazy: MLX

        if self.history is not None:
            self.history = self.history[mx.array(list(indices), dtype=mx.int32)]

    def _penalize(self, logits: Any) -> Any:
        import mlx.core as mx  # lazy: MLX

        recent = self.history[:, -self.window :].astype(mx.int32)
        selected = mx.take_along_axis(logits, recent, axis=-1)
        selected = mx.where(selected < 0, selected * self.penalty, selected / self.penalty)
        return mx.put_along_axis(logits, recent, selected, axis=-1)

    def _ban_repeats(self, logits: Any) -> Any:
        import mlx.core as mx  # lazy: MLX

        n = self.ngram
        generated = self.history[:, 1:].astype(mx.int32)  # the first column is the prompt's
        count = generated.shape[1]
        if count < n:
            return logits
        starts = count - n + 1  # earlier n-grams: generated[j : j + n], j < starts
        offsets = mx.arange(starts)[:, None] + mx.arange(n - 1)[None, :]
        windows = generated[:, offsets]  # [rows, starts, n - 1]
        last = generated[:, None, count - n + 1 :]  # [rows, 1, n - 1]
        repeats = mx.all(windows == last, axis=-1)  # [rows, starts]
        followers = generated[:, n - 1 :]  # what came after each window
        vocabulary = logits.shape[-1]
        # Banned followers go to their column, the others to one spare column dropped after.
        targets = mx.where(repeats, followers, vocabulary)
        spare = mx.zeros((logits.shape[0], 1), dtype=logits.dtype)
        widened = mx.concatenate([logits, spare], axis=-1)
        blocked = mx.full(targets.shape, -mx.inf, dtype=logits.dtype)
        widened = mx.put_along_axis(widened, targets, blocked, axis=-1)
        return widened[:, :vocabulary]
