"""One sequence, streamed: mlx-lm's ``stream_generate`` from a filled KV cache.

The decode loop of ``Engine.generate``: room for the answer reserved in the cache first (one
layer at a time), the plan's decode blocks swapped in, text passed on as ``Generated`` events
with stop strings held back and cut (``stop_text.StopText``, as every batch row does) and, with
``params.loop_guard``, through a ``LoopGuard`` that ends the sequence when it repeats itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from logline.engine.backend import BackendPlan
from logline.engine.cancel import CancelToken
from logline.engine.events import FinishReason, Generated
from logline.engine.kv_cache import reserve
from logline.engine.loop_guard import LoopGuard
from logline.engine.mlx_runtime import import_mlx
from logline.engine.sampling import SamplingParams, build_sampler
from logline.engine.stop_text import StopText
from logline.engine.swaps import decode_blocks
from logline.engine.think_text import ThinkText


def decode_stream(
    model: Any,
    tokenizer: Any,
    plan: BackendPlan,
    last_prompt_token: list[int],
    cache: list[Any],
    params: SamplingParams,
    cancel: CancelToken,
    emit: Callable[[Generated], None],
    token_ids: list[int] | None = None,
    context_length: int | None = None,
    think: ThinkText | None = None,
) -> tuple[int, FinishReason]:
    """Decode from ``cache`` (the prompt but its last token already read); (tokens, reason).

    ``token_ids``, when given, receives every sampled token id (what the cache holds after the
    prompt, up to its offset: a conversation keeps it as a checkpoint). ``context_length``
    (the model's) caps the room reserved ahead: an absurd ``max_tokens`` from a caller that
    bypasses the summarizer's bounds never reserves gigabytes (or crashes the allocator).
    ``think``: a reasoning model's think blocks are kept out of the text (:mod:`.think_text`).
    """
    mx = import_mlx()
    from mlx_lm import stream_generate  # lazy: mlx-lm

    sampler, processors = build_sampler(params)
    if cache:
        offset = getattr(cache[0], "offset", 0)
        ahead = offset + params.max_tokens + 1
        if context_length:
            ahead = min(ahead, max(context_length, offset + 1))
        reserve(cache, ahead)
    stop = StopText(params.stop_strings, think)
    guard = LoopGuard() if params.loop_guard else None
    count = 0
    reason: FinishReason = "length"

    def show(text: str) -> bool:
        """Pass ``text`` on through the guard; False once the guard has fired."""
        retract = 0
        if guard is not None and text:
            text, retract = guard.take(text)
        if text or retract:
            emit(Generated(text, count, retract=retract))
        return guard is None or not guard.fired

    with decode_blocks(model, plan):
        for response in stream_generate(
            model,
            tokenizer,
            mx.array(last_prompt_token),
            max_tokens=params.max_tokens,
            sampler=sampler,
            logits_processors=processors or None,
            prompt_cache=cache,
        ):
            if cancel.cancelled:
                reason = "stopped"
                break
            count = response.generation_tokens
            if token_ids is not None:
                token_ids.append(int(response.token))
            if response.finish_reason is not None:
                reason = "done" if response.finish_reason == "stop" else "length"
            if not show(stop.add(response.text)):
                return count, "repetition"
            if stop.stopped:
                reason = "done"
                break
    # What was held back for a stop string that never came.
    if not stop.stopped and not show(stop.flush()):
        return count, "repetition"
    if cancel.cancelled:
        return count, "stopped"
    if guard is not None and (retract := guard.finish()):  # its last sentence may close a loop
        emit(Generated("", count, retract=retract))
        return count, "repetition"
    return count, reason
