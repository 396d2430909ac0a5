"""The batch-wide repetition penalty and no-repeat n-grams equal each row's own processors."""

from __future__ import annotations

import random

import pytest

from logline.engine.batch_processors import BatchProcessors
from logline.engine.mlx_runtime import import_mlx
from logline.engine.sampling import SamplingParams, build_sampler

mx = import_mlx()

VOCABULARY = 50


def _histories(rows: int, steps: int, seed: int) -> list[list[int]]:
    """Token streams from a small alphabet, so n-grams repeat often; each row differs."""
    rng = random.Random(seed)
    histories = []
    for row in range(rows):
        alphabet = rng.sample(range(VOCABULARY), 3 + row % 3)
        stream = [rng.choice(alphabet) for _ in range(steps)]
        histories.append(stream)
    return histories


@pytest.mark.parametrize("dtype", [mx.float32, mx.bfloat16])
@pytest.mark.parametrize(
    "params",
    [
        SamplingParams(repetition_penalty=1.3, repetition_context_size=5, no_repeat_ngram=3),
        SamplingParams(repetition_penalty=1.05, repetition_context_size=64, no_repeat_ngram=0),
        SamplingParams(repetition_penalty=1.0, no_repeat_ngram=2),
        SamplingParams(repetition_penalty=0.8, repetition_context_size=3, no_repeat_ngram=4),
    ],
)
def test_every_step_equals_the_rows_own_processors(params: SamplingParams, dtype) -> None:
    rows, steps = 5, 40
    histories = _histories(rows, steps, seed=params.no_repeat_ngram)
    per_row = [build_sampler(params)[1] for _ in range(rows)]
    contexts: list[mx.array | None] = [None] * rows
    batched = BatchProcessors.for_rows([params] * rows)
    assert batched is not None and batched.active
    key = mx.random.key(7)
    banned_somewhere = False
    for step in range(steps):
        key, sub = mx.random.split(key)
        logits = (mx.random.normal((rows, VOCABULARY), key=sub) * 4).astype(dtype)
        inputs = mx.array([h[step] for h in histories], dtype=mx.uint32)
        expected = []
        for row in range(rows):
            token = inputs[row : row + 1]
            previous = contexts[row]
            contexts[row] = token if previous is None else mx.concatenate([previous, token])
            piece = logits[row : row + 1]
            for processor in per_row[row]:
                piece = processor(contexts[row], piece)
            expected.append(piece)
        got = batched(inputs, logits)
        want = mx.concatenate(expected)
        assert got.dtype == want.dtype
        assert mx.array_equal(got, want, equal_nan=True).item(), step
        banned_somewhere |= bool(mx.any(mx.isinf(want)).item())
    assert banned_somewhere or params.no_repeat_ngram == 0


def test_rows_that_leave_the_batch_leave_its_history() -> None:
    params = SamplingParams(repetition_penalty=1.2, repetition_context_size=4, no_repeat_ngram=2)
    histories = _histories(4, 30, seed=3)
    batched = BatchProcessors.for_rows([params] * 4)
    assert batched is not None
    alone = BatchProcessors.for_rows([params])
    assert alone is not None
    logits = mx.random.normal((4, VOCABULARY), key=mx.random.key(1))
    for step in range(30):
        if step == 12:
            batched.keep([2])
        rows = [2] if step >= 12 else [0, 1, 2, 3]
        got = batched(mx.array([histories[r][step] for r in rows]), logits[mx.array(rows)])
        want = alone(mx.array([histories[2][step]]), logits[2:3])
        assert mx.array_equal(got[rows.index(2)][None], want, equal_nan=True).item(), step


def test_rows_with_different_parameters_keep_their_own_processors() -> None:
    one, two = SamplingParams(no_repeat_ngram=3), SamplingParams(no_repeat_ngram=4)
    assert BatchProcessors.for_rows([one, two]) is None
    assert BatchProcessors.for_rows([one, None]) is None
    assert BatchProcessors.for_rows([]) is None
    assert not BatchProcessors(SamplingParams()).active
    penalised = SamplingParams(repetition_penalty=1.2)
    assert BatchProcessors.for_rows([penalised, SamplingParams(repetition_penalty=1.1)]) is None
    window = SamplingParams(repetition_penalty=1.2, repetition_context_size=32)
    assert BatchProcessors.for_rows([penalised, window]) is None


def test_rows_that_differ_only_in_what_the_processors_do_not_read_share_them() -> None:
    """``max_tokens``, stop strings and the loop guard are each row's own (its ``Row``), so
    rows that end at different lengths still share one set of processors."""
    guarded = SamplingParams(repetition_penalty=1.1, no_repeat_ngram=3, max_tokens=7)
    others = [
        SamplingParams(repetition_penalty=1.1, no_repeat_ngram=3, max_tokens=30),
        SamplingParams(
            repetition_penalty=1.1, no_repeat_ngram=3, stop_strings=("\n\n",), loop_guard=True
        ),
    ]
    batched = BatchProcessors.for_rows([guarded, *others])
    assert batched is not None
    assert (batched.penalty, batched.window, batched.ngram) == (1.1, 64, 3)
