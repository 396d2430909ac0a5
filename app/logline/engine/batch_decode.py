"""Decoding several sequences together, with greedy results equal to one-at-a-time.

Why not mlx-lm's ``BatchGenerator``: it left-pads every sequence into one ``BatchKVCache``, and
with padding the attention reductions (softmax sums, the probabilities-times-values product) run
over shifted or longer rows, so batched logits differ from single-stream ones in the last bits
and greedy outputs drift apart after a near tie. It is also absent from the mlx-lm 0.30 / mlx
0.29 pair that macOS 13 needs. Here each step runs the model once on all sequences: the
projections, MLPs, norms and the vocabulary projection (most of the weights) batched, attention
per sequence or over one right-padded buffer per layer (``shared_kv``) that keeps each row's
keys where its single-stream cache would. The backend plan says which (``backend``).

Row-exact matrix products are the other half: a batched product must give each row the bits the
one-row product gives. OpenBLAS's AVX-512 (SkylakeX) kernels use a separate small-matrix kernel
for small products, which is not; its Haswell/Zen kernels are (``backend.row_exact_blas``).

Each row's text leaves through ``on_text(row, text, retract)``: stop strings held back and cut
(``StopText``) and, with ``SamplingParams.loop_guard``, a ``LoopGuard`` that ends a row repeating
itself (reason ``repetition``) and withdraws the repeated tail (``retract`` characters).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from logline.engine.backend import BackendPlan
from logline.engine.batch_processors import BatchProcessors
from logline.engine.cancel import CancelToken
from logline.engine.events import Finished, FinishReason, GenerationStats
from logline.engine.loop_guard import LoopGuard
from logline.engine.sampling import SamplingParams, build_sampler
from logline.engine.shared_kv import RowCaches, SharedKV, pipelines_kv_writes
from logline.engine.stop_text import StopText
from logline.engine.swaps import batch_blocks, decode_blocks
from logline.engine.think_text import think_filter

# When rows finish, the batch drops them (copying every remaining row's KV buffers) only once at
# most this share of its rows still decodes. A CPU's step costs in proportion to its rows, so it
# drops finished rows at once. A GPU's step costs about the same for any number of rows (each
# weight is read once), so finished rows stay in the batch, their tokens ignored, until half
# have finished: at most log2(rows) copies of the KV buffers and as many batch shapes, instead
# of one per finished row (58 map rows of an 8B model hold ~11 GB of KV).
COMPACT_SHARE = {"cpu": 1.0, "gpu": 0.5}


@dataclass(frozen=True)
class BatchItemResult:
    """One request's outcome in a batch: its text, tokens generated, and why it ended."""

    index: int
    text: str
    tokens: int
    reason: FinishReason


class BatchResults(list[BatchItemResult]):
    """``generate_batch``'s per-request results, in request order, plus the batch's totals."""

    def __init__(self, items: Sequence[BatchItemResult], finished: Finished) -> None:
        super().__init__(items)
        self.finished = finished

    @property
    def stats(self) -> GenerationStats | None:
        return self.finished.stats


@dataclass
class Row:
    """Decode state of one sequence."""

    index: int
    cache: list[Any]
    last_prompt_token: int
    max_tokens: int
    sampler: Any
    processors: list[Any]
    eos: frozenset[int]
    detokenizer: Any
    stop: StopText
    context: Any = None  # token ids the logits processors see (mx.array)
    count: int = 0
    reason: FinishReason | None = None
    guard: LoopGuard | None = None
    params: SamplingParams | None = None  # what ``sampler`` and ``processors`` were built from


# on_text(row, text, retract): drop ``retract`` characters of the row's text, then add ``text``.
OnText = Callable[[Row, str, int], None]


def new_row(
    index: int, cache: list[Any], prompt: Sequence[int], params: SamplingParams, tokenizer: Any
) -> Row:
    """The decode state of one request whose prompt (but its last token) is in ``cache``.
    Call on the engine thread: its sampler and logits processors are its own."""
    sampler, processors = build_sampler(params)
    return Row(
        index=index,
        cache=cache,
        last_prompt_token=prompt[-1],
        max_tokens=params.max_tokens,
        sampler=sampler,
        processors=processors,
        eos=frozenset(tokenizer.eos_token_ids),
        detokenizer=tokenizer.detokenizer,
        stop=StopText(params.stop_strings, think_filter(tokenizer, prompt)),
        guard=LoopGuard() if params.loop_guard else None,
        params=params,
    )


def decode_group(
    model: Any,
    rows: list[Row],
    plan: BackendPlan,
    cancel: CancelToken,
    on_text: OnText,
    on_finish: Callable[[Row], None],
) -> int:
    """Decode ``rows`` together, or one by one for models that cannot be batched exactly
    (``plan.batch_rows``); the tokens generated in all."""

    def cancelled() -> bool:
        return cancel.cancelled

    if plan.batch_rows:
        return decode_rows(
            model, rows, plan, cancelled=cancelled, on_text=on_text, on_finish=on_finish
        )
    total = 0
    for row in rows:
        total += decode_row_alone(
            model, row, plan, cancelled=cancelled, on_text=on_text, on_finish=on_finish
        )
        if cancel.cancelled:
            break
    return total


def decode_rows(
    model: Any,
    rows: list[Row],
    plan: BackendPlan,
    *,
    cancelled: Callable[[], bool],
    on_text: OnText,
    on_finish: Callable[[Row], None],
) -> int:
    """Decode all ``rows`` together until each ends; returns the tokens generated in all.

    Mirrors ``mlx_lm.generate_step`` per row (processors see the last prompt token and the tokens
    fed so far; log-probabilities are ``logits - logsumexp``), so a greedy row produces exactly
    the tokens a single-stream ``stream_generate`` would. Steps are pipelined like mlx-lm's: the
    next step is queued before the current tokens are read, unless that would copy the KV cache
    on a GPU (``PIPELINED_KV_SHARE`` of the weights: ``pipelines_kv_writes``). How the batch
    runs (shared buffers, which attention) is the backend plan's choice; when finished rows
    leave it, ``COMPACT_SHARE`` for the plan's device.
    """
    import mlx.core as mx  # lazy: MLX

    filled = bool(rows) and all(row.cache[0].keys is not None for row in rows)
    shared = None
    if filled and plan.share_kv:
        shared = SharedKV(
            [row.cache for row in rows], exact=plan.row_exact, fused=plan.fused_attention
        )

    # Rows with the same sampling parameters share one set of processors over the whole batch
    # (no per-row graphs, no host sync while the next step is queued: ``batch_processors``).
    batched = (
        BatchProcessors.for_rows([row.params for row in rows])
        if any(row.processors for row in rows)
        else None
    )

    def step(active: list[Row], inputs: Any) -> Any:
        if shared is not None:
            shared.begin_step()
            logits = model(inputs[:, None], cache=shared.layers())[:, -1, :]
            shared.end_step()
        else:
            groups = [RowCaches([row.cache[i] for row in active]) for i in range(len(model.layers))]
            logits = model(inputs[:, None], cache=groups)[:, -1, :]
        if batched is not None:
            logits = batched(inputs, logits)
        elif any(row.processors for row in active):
            parts = []
            for i, row in enumerate(active):
                piece = logits[i : i + 1]
                if row.processors:
                    token = inputs[i : i + 1]
                    row.context = (
                        token if row.context is None else mx.concatenate([row.context, token])
                    )
                    for processor in row.processors:
                        piece = processor(row.context, piece)
                parts.append(piece)
            logits = mx.concatenate(parts, axis=0)
        if len(active) == 1:
            logprobs = logits - mx.logsumexp(logits, keepdims=True)
        else:
            logprobs = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
        first = active[0].sampler
        if all(row.sampler is first for row in active):
            return first(logprobs)
        return mx.concatenate([row.sampler(logprobs[i : i + 1]) for i, row in enumerate(active)])

    generated = 0
    batch = list(rows)  # the rows in the device's batch, in order (finished ones may stay)
    live = list(range(len(batch)))  # positions in ``batch`` of the rows still decoding
    if not batch:
        return 0
    share = COMPACT_SHARE.get(plan.device, 1.0)

    with batch_blocks(model, plan):
        y = step(batch, mx.array([row.last_prompt_token for row in batch]))
        mx.async_eval(y)
        while live:
            if cancelled():
                break
            more = any(batch[i].count + 1 < batch[i].max_tokens for i in live)
            next_y = step(batch, y) if more else None
            wait = shared is not None and not pipelines_kv_writes(shared, plan.weights_bytes)
            if next_y is not None and not wait:
                mx.async_eval(next_y)
            tokens = y.tolist()
            if next_y is not None and wait:
                mx.async_eval(next_y)
            still: list[int] = []
            for i in live:
                row = batch[i]
                row.count += 1
                generated += 1
                if take_token(row, int(tokens[i]), on_text):
                    still.append(i)
                else:
                    on_finish(row)
            if generated and generated % (256 * max(len(rows), 1)) == 0:
                mx.clear_cache()
            live = still
            if not live or next_y is None:
                break
            if len(live) < len(batch) and len(live) <= len(batch) * share:
                next_y = next_y[mx.array(live)]
                if shared is not None:
                    shared.keep(live)
                if batched is not None:
                    batched.keep(live)
                batch = [batch[i] for i in live]
                live = list(range(len(batch)))
            y = next_y
    for i in live:  # cancelled (or ran out of steps while continuing)
        row = batch[i]
        if row.reason is None:
            finish_row(row, "stopped", on_text)
            on_finish(row)
    return generated


def decode_row_alone(
    model: Any,
    row: Row,
    plan: BackendPlan,
    *,
    cancelled: Callable[[], bool],
    on_text: OnText,
    on_finish: Callable[[Row], None],
) -> int:
    """One row through mlx-lm's own single-stream decoding: for models ``decode_rows`` cannot
    batch exactly (``plan.batch_rows`` False)."""
    import mlx.core as mx  # lazy: MLX
    from mlx_lm.generate import generate_step

    with decode_blocks(model, plan):
        for token, _ in generate_step(
            mx.array([row.last_prompt_token]),
            model,
            max_tokens=row.max_tokens,
            sampler=row.sampler,
            logits_processors=row.processors or None,
            prompt_cache=row.cache,
        ):
            if cancelled():
                break
            row.count += 1
            if not take_token(row, int(token), on_text):
                on_finish(row)
                return row.count
    finish_row(row, "stopped" if cancelled() else "length", on_text)
    on_finish(row)
    return row.count


def take_token(row: Row, token: int, on_text: OnText) -> bool:
    """Take one sampled token; return False when the row has finished."""
    if token in row.eos:
        finish_row(row, "done", on_text)
        return False
    row.detokenizer.add_token(token)
    if row.count >= row.max_tokens:
        finish_row(row, "length", on_text)
        return False
    if not show(row, row.stop.add(row.detokenizer.last_segment), on_text):
        return False
    if row.stop.stopped:
        end_row(row, "done", on_text)
        return False
    return True


def finish_row(row: Row, reason: FinishReason, on_text: OnText) -> None:
    """End ``row`` with ``reason``, passing on the text its detokenizer and stop strings held."""
    row.detokenizer.finalize()
    if not show(row, row.stop.add(row.detokenizer.last_segment), on_text):
        return
    if row.stop.stopped:
        reason = "done"
    elif not show(row, row.stop.flush(), on_text):
        return
    end_row(row, reason, on_text)


def show(row: Row, text: str, on_text: OnText) -> bool:
    """Pass ``text`` on through the row's loop guard; False (the row ended, ``repetition``)
    once the guard has fired."""
    retract = 0
    if row.guard is not None and text:
        text, retract = row.guard.take(text)
    if text or retract:
        on_text(row, text, retract)
    if row.guard is not None and row.guard.fired:
        row.reason = "repetition"
        return False
    return True


def end_row(row: Row, reason: FinishReason, on_text: OnText) -> None:
    """The row's text is complete: its last sentence may still close a loop (not when
    cancelled)."""
    if reason != "stopped" and row.guard is not None and (retract := row.guard.finish()):
        on_text(row, "", retract)
        reason = "repetition"
    row.reason = reason
