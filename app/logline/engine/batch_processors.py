"""A batch's repetition penalty and no-repeat n-grams, for every row at once, on the device.

``sampling.build_sampler`` gives each sequence its own logits processors: mlx-lm's repetition
penalty and ``ngram.NoRepeatNGram``. Run per row in a batched decode step, they cost a few
small operations per row and step, and on a GPU a wide map batch would spend much of each step
building those per-row graphs.

When every row of a batch has the same penalties (all of a summary's map or merge requests
do; their lengths and stop strings may differ, those are each row's own),
:class:`BatchProcessors` applies them to the whole batch with a handful of array operations.
The results are the per-row processors' exactly:

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

from logline.engine.ngram import ban_repeated_ngrams
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
        """The batched processors for rows whose penalties are the same (their other
        parameters, such as ``max_tokens``, may differ), or None when they differ: then each
        row runs its own processors."""
        first = params[0] if params else None
        if first is None or any(p is None or _penalties(p) != _penalties(first) for p in params):
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
        generated = self.history[:, 1:]  # the first column is the rows' last prompt tokens
        return ban_repeated_ngrams(generated, logits, self.ngram)


def _penalties(params: SamplingParams) -> tuple[float, int, int]:
    """What the processors read of ``params``."""
    return (params.repetition_penalty, params.repetition_context_size, params.no_repeat_ngram)
