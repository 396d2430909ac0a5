"""Batch generation, the part of ``Engine`` that decodes several sequences together.

A mixin of ``runtime.Engine`` (kept apart so each module stays one readable size): it uses the
engine's prompt loop (``_run_prompt``), its kept prefix (``_prefix``) and its thread check.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from logline.engine import memory
from logline.engine.batch_budget import BatchBudget, batch_budget
from logline.engine.batch_decode import (
    BatchItemResult,
    BatchResults,
    Row,
    decode_group,
    new_row,
)
from logline.engine.cancel import CancelToken, GenerationCancelled
from logline.engine.events import EngineEvent, Finished, FinishReason, Generated, PromptProgress
from logline.engine.kv_cache import PrefixCache, forkable
from logline.engine.mlx_runtime import import_mlx
from logline.engine.prompt_chunks import common_prefix_length
from logline.engine.requests import GenerationRequest, LoadedModel
from logline.engine.weights import check_prompt

log = logging.getLogger(__name__)

# Shorter common prefixes are not worth a cache of their own.
MIN_SHARED_PREFIX = 32

Emit = Callable[[EngineEvent], None]


class BatchGeneration:
    """``Engine.generate_batch`` and its prefix sharing (mixed into ``Engine``)."""

    _prefix: PrefixCache | None
    _progress: tuple[int, int]
    last_prefilled_tokens: int

    # Provided by Engine.
    _check_thread: Callable[[], None]
    _require_model: Callable[[], LoadedModel]
    render_prompt: Callable[..., list[int]]
    _run_prompt: Callable[..., None]

    last_batch_budget: BatchBudget | None = None  # the last generate_batch call's figures

    def batch_budget(self, tokens_per_sequence: int, sequences: int) -> BatchBudget:
        """How many of ``sequences`` sequences of ``tokens_per_sequence`` tokens (prompt and
        answer) the memory budget lets decode together (:mod:`.batch_budget`)."""
        self._check_thread()
        loaded = self._require_model()
        return batch_budget(
            import_mlx(),
            loaded.model,
            device=loaded.plan.device,
            tokens_per_sequence=tokens_per_sequence,
            sequences=sequences,
        )

    def generate_batch(
        self,
        requests: Sequence[GenerationRequest],
        cancel: CancelToken,
        emit: Emit,
        *,
        max_batch: int | None = None,
    ) -> BatchResults:
        """Generate for several requests at once; greedy results equal ``generate``'s, token for
        token.

        The prompts' common token prefix is prefilled once (or taken from the prefix cache kept
        from the previous call) and kept for the next call; each prompt's remainder is prefilled
        from a copy of it; then up to ``max_batch`` sequences decode together (``batch``).
        Emits ``PromptProgress`` (tokens actually prefilled in this call), ``Generated`` events per
        request (``row`` = its index; its last one carries its finish reason) and a final
        ``Finished`` with the whole batch's stats. On cancel every unfinished request ends
        "stopped", its text so far kept.
        Sampled (temperature > 0) requests draw from one random stream seeded by the first
        request's seed, so they are reproducible but differ from one-at-a-time sampling.
        """
        self._check_thread()
        loaded = self._require_model()
        mx = import_mlx()
        if not requests:
            raise ValueError("No requests")
        prompts = [list(r.prompt_tokens) or self.render_prompt(r.messages) for r in requests]
        for prompt in prompts:
            check_prompt(loaded.model, prompt)
        seed = next((r.sampling.seed for r in requests if r.sampling.seed is not None), None)
        if seed is not None:
            mx.random.seed(seed)
        memory.reset_peak_memory(mx)
        started = time.perf_counter()
        texts = [""] * len(requests)
        results: dict[int, BatchItemResult] = {}
        generated = 0
        prompt_seconds = 0.0
        reason = "done"
        error: BaseException | None = None

        def on_text(row: Row, text: str, retract: int) -> None:
            texts[row.index] = texts[row.index][: len(texts[row.index]) - retract] + text
            emit(Generated(text, row.count, row.index, retract=retract))

        def on_finish(row: Row) -> None:
            results[row.index] = BatchItemResult(
                row.index, texts[row.index], row.count, row.reason or "stopped"
            )
            emit(Generated("", row.count, row.index, row.reason or "stopped"))

        self.last_prefilled_tokens = 0
        try:
            prefix = self._shared_prefix(loaded, prompts, cancel, emit)
            prompt_seconds = time.perf_counter() - started
            tokens = max(len(p) for p in prompts) + max(r.sampling.max_tokens for r in requests)
            self.last_batch_budget = self.batch_budget(tokens, len(requests))
            size = max_batch or self.last_batch_budget.size
            for first in range(0, len(requests), max(size, 1)):
                indices = list(range(first, min(first + size, len(requests))))
                group_started = time.perf_counter()
                rows = [
                    self._prefilled_row(loaded, i, prompts[i], requests[i], prefix, cancel, emit)
                    for i in indices
                ]
                prompt_seconds += time.perf_counter() - group_started
                generated += decode_group(
                    loaded.model, rows, loaded.plan, cancel, on_text, on_finish
                )
                if cancel.cancelled:
                    break
            if cancel.cancelled:
                reason = "stopped"
        except GenerationCancelled:
            reason = "stopped"
        except Exception as exc:  # reported to the user as a Finished(error) event
            log.exception("Batch generation failed")
            reason, error = "error", exc
        finished_at = time.perf_counter()
        final_reason = "stopped" if reason == "done" and cancel.cancelled else reason
        for index in range(len(requests)):
            if index not in results:  # never decoded (cancelled or failed before its turn)
                item_reason: FinishReason = "error" if final_reason == "error" else "stopped"
                results[index] = BatchItemResult(index, texts[index], 0, item_reason)
                emit(Generated("", 0, index, item_reason))  # type: ignore[arg-type]
        kv_bytes = memory.kv_bytes_per_token(loaded.model) * sum(len(p) for p in prompts)
        stats = memory.generation_stats(
            mx,
            sum(len(p) for p in prompts),
            prompt_seconds,
            generated,
            max(finished_at - started - prompt_seconds, 0.0),
        )
        if kv_bytes > memory.LARGE_JOB_BYTES:
            memory.clear_cache(mx)
        finished = Finished(final_reason, stats, error)  # type: ignore[arg-type]
        emit(finished)
        return BatchResults([results[i] for i in range(len(requests))], finished)

    def _shared_prefix(
        self,
        loaded: LoadedModel,
        prompts: Sequence[Sequence[int]],
        cancel: CancelToken,
        emit: Emit,
    ) -> PrefixCache | None:
        """The cache of the prompts' whole common prefix, reusing the kept one when it fits,
        extending it as needed; kept for the next call.

        The prefix is cut where the prompts part, not at a chunk boundary: summary prompts share
        a system prompt and instructions shorter than one CPU chunk (239 of 254 frame tokens
        with the embedded model), which a cut at a boundary would not share at all. Every
        request of the call starts from the same cut, so batch sizes do not change the outputs;
        against a fresh one-at-a-time prefill the chunk around the cut differs, which changes
        the cached keys only within float rounding (greedy text agrees in the tests).
        """
        from mlx_lm.models.cache import make_prompt_cache

        # Every prompt keeps at least its last token for decoding.
        shared = min(common_prefix_length(prompts), min(len(p) for p in prompts) - 1)
        length = shared if shared >= MIN_SHARED_PREFIX else 0
        if length and not forkable(make_prompt_cache(loaded.model)):
            length = 0  # caches that cannot be forked (rotating, recurrent): no sharing
        kept = self._prefix
        reuse = kept if kept is not None and 0 < len(kept.tokens) <= length else None
        if reuse is not None and tuple(prompts[0][: len(reuse.tokens)]) != reuse.tokens:
            reuse = None
        start = len(reuse.tokens) if reuse is not None else 0
        total = (length - start) + sum(len(p) - 1 - length for p in prompts)
        self._progress = (0, total)
        emit(PromptProgress(0, total))
        if length == 0:
            return None
        if reuse is not None and start == length:
            return reuse
        cache = reuse.fork() if reuse is not None else make_prompt_cache(loaded.model)

        def progress(done: int) -> None:
            self._progress = (done - start, total)
            emit(PromptProgress(done - start, total))

        self._run_prompt(loaded, prompts[0], start, length, cache, cancel, progress)
        self._prefix = PrefixCache(tuple(prompts[0][:length]), cache)
        return self._prefix

    def _prefilled_row(
        self,
        loaded: LoadedModel,
        index: int,
        prompt: list[int],
        request: GenerationRequest,
        prefix: PrefixCache | None,
        cancel: CancelToken,
        emit: Emit,
    ) -> Row:
        from mlx_lm.models.cache import make_prompt_cache

        if prefix is not None:
            cache, start = prefix.fork(), len(prefix.tokens)
        else:
            cache, start = make_prompt_cache(loaded.model), 0
        base, total = self._progress

        def progress(done: int) -> None:
            self._progress = (base + done - start, total)
            emit(PromptProgress(base + done - start, total))

        self._run_prompt(loaded, prompt, start, len(prompt) - 1, cache, cancel, progress)
        return new_row(index, cache, prompt, request.sampling, loaded.tokenizer)
