"""The engine: one loaded model and the generation loop. Owned by exactly one thread.

``Engine`` is deliberately synchronous; its caller (``EngineThread`` or the GUI's engine QThread)
is the one long-lived thread every MLX call happens on. Results leave through an ``emit`` callback
so prompt-processing progress can be reported while the prompt is still being processed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from logline.engine import memory
from logline.engine.backend import current_device, plan_backend
from logline.engine.batch_decode import (
    BatchItemResult,
    BatchResults,
    Row,
    decode_group,
    new_row,
)
from logline.engine.cancel import CancelToken, GenerationCancelled
from logline.engine.choices import answer_tokens, continuation_scores, end_token_ids
from logline.engine.events import (
    EngineEvent,
    Finished,
    Generated,
    ModelLoaded,
    PromptProgress,
)
from logline.engine.kv_cache import PrefixCache, fork_cache, forkable
from logline.engine.mlx_runtime import import_mlx
from logline.engine.precision import choose_cpu_precision
from logline.engine.prompt_chunks import aligned, common_prefix_length, next_boundary
from logline.engine.requests import GenerationRequest, LoadedModel, Message
from logline.engine.stream import decode_stream
from logline.engine.swaps import prompt_blocks
from logline.engine.weights import check_prompt, describe_precision, materialize

log = logging.getLogger(__name__)

# Shorter common prefixes are not worth a cache of their own.
MIN_SHARED_PREFIX = 32

Emit = Callable[[EngineEvent], None]


class Engine:
    """Loads one model at a time and generates with it. Not thread-safe by design: one owner."""

    def __init__(self, *, prefill_step: int | None = None, fast_cpu_attention: bool = True) -> None:
        self._owner: int | None = None
        # On the CPU, prompts use NumPy's exp in attention (backend.BackendPlan.numpy_prompts):
        # much faster, and within 2e-6 of MLX's own CPU kernel rather than bit-identical to it.
        self.fast_cpu_attention = fast_cpu_attention
        self._loaded: LoadedModel | None = None
        self._prefill_step = prefill_step
        # The KV cache of the last shared prompt prefix (system prompt + instructions), reused by
        # the next batch or single generation whose prompt starts with the same tokens.
        self._prefix: PrefixCache | None = None
        # Prompt tokens actually run through the model by the last generate / generate_batch.
        self.last_prefilled_tokens = 0
        self._progress = (0, 0)

    # -- thread ownership -------------------------------------------------------------------
    def _check_thread(self) -> None:
        ident = threading.get_ident()
        if self._owner is None:
            self._owner = ident
        elif self._owner != ident:
            raise RuntimeError(
                "Engine used from a second thread: all MLX work must stay on the engine thread"
            )

    @property
    def loaded(self) -> LoadedModel | None:
        return self._loaded

    # -- loading ----------------------------------------------------------------------------
    def load(
        self,
        model_id: str,
        path: Path,
        progress: Callable[[int, int], None] | None = None,
    ) -> ModelLoaded:
        """Load the MLX model folder at ``path`` (safetensors only), replacing any loaded model.

        The previous model is released first (and MLX's buffer cache cleared), so two models are
        never in memory together. ``progress(done, total)`` reports weight bytes read.
        """
        self._check_thread()
        if self._loaded is not None and self._loaded.path == path:
            loaded = self._loaded
            return ModelLoaded(loaded.model_id, 0.0, loaded.precision, loaded.context_length)
        # mlx-lm treats a path that does not exist as a Hugging Face repo id and would go to the
        # network for it: refuse here instead.
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"No model folder at {path} (config.json is missing)")
        self.unload()
        mx = import_mlx()
        from mlx_lm import load as mlx_load

        started = time.perf_counter()
        # A local folder: mlx-lm reads it without any network access and never runs custom code.
        model, tokenizer, config = mlx_load(str(path), return_config=True)
        precision = describe_precision(config)
        device = current_device()
        if device == "cpu":
            precision = choose_cpu_precision(model, config) or precision
        materialize(mx, model, progress)
        memory.configure_for_model(mx, model)
        context = int(config.get("max_position_embeddings") or 4096)
        plan = plan_backend(
            model, device=device, prefill_step=self._prefill_step, fast_cpu=self.fast_cpu_attention
        )
        log.info("Backend plan for %s: %s", model_id, plan)
        self._loaded = LoadedModel(model_id, path, model, tokenizer, context, precision, plan)
        seconds = time.perf_counter() - started
        log.info("Loaded %s (%s) in %.1f s", model_id, precision, seconds)
        return ModelLoaded(model_id, seconds, precision, context)

    def unload(self) -> None:
        self._check_thread()
        if self._loaded is None:
            return
        self._loaded = None
        self._prefix = None
        memory.release_model(import_mlx())

    def clear_prefix_cache(self) -> None:
        """Forget the cached prompt prefix (frees its KV cache)."""
        self._check_thread()
        self._prefix = None

    # -- tokens -----------------------------------------------------------------------------
    def _require_model(self) -> LoadedModel:
        if self._loaded is None:
            raise RuntimeError("No model is loaded")
        return self._loaded

    def count_tokens(self, text: str) -> int:
        self._check_thread()
        return len(self._require_model().tokenizer.encode(text, add_special_tokens=False))

    def render_prompt(self, messages: Sequence[Message]) -> list[int]:
        """Token ids of ``messages`` in the model's chat template, ready for generation."""
        self._check_thread()
        tokenizer = self._require_model().tokenizer
        if getattr(tokenizer, "chat_template", None):
            # Render to text, then encode: the return type of tokenize=True differs across
            # transformers versions (a list, or a BatchEncoding since transformers 5).
            text = tokenizer.apply_chat_template(
                list(messages), add_generation_prompt=True, tokenize=False
            )
            return list(tokenizer.encode(text, add_special_tokens=False))
        text = "\n\n".join(m["content"] for m in messages)
        return list(tokenizer.encode(text))

    # -- generation -------------------------------------------------------------------------
    def generate(self, request: GenerationRequest, cancel: CancelToken, emit: Emit) -> Finished:
        """Prefill the prompt (in chunks, reporting progress), then stream tokens until done.

        Never raises for cancellation or model errors: the returned (and emitted) ``Finished``
        carries the reason, and the text generated so far has already been emitted.
        """
        self._check_thread()
        loaded = self._require_model()
        mx = import_mlx()
        prompt = list(request.prompt_tokens) or self.render_prompt(request.messages)
        check_prompt(loaded.model, prompt)
        params = request.sampling
        if params.seed is not None:
            mx.random.seed(params.seed)
        memory.reset_peak_memory(mx)
        started = time.perf_counter()
        generated = 0
        decode_started = started
        reason = "done"
        error: BaseException | None = None
        try:
            cache = self._prefill(loaded, prompt, cancel, emit, self._prefix_for(prompt))
            decode_started = time.perf_counter()
            generated, reason = decode_stream(
                loaded.model,
                loaded.tokenizer,
                loaded.plan,
                prompt[-1:],
                cache,
                params,
                cancel,
                emit,
            )
            emit(Generated("", generated, 0, reason))  # type: ignore[arg-type]
            # Kept after decoding: a copy kept before would hold the prompt's buffers while
            # decoding moves to larger ones (twice the KV cache at the peak).
            self._keep_prefix(prompt, cache)
        except GenerationCancelled:
            reason = "stopped"
            emit(Generated("", generated, 0, "stopped"))
        except Exception as exc:  # reported to the user as a Finished(error) event
            log.exception("Generation failed")
            reason, error = "error", exc
            emit(Generated("", generated, 0, "error"))
        finished_at = time.perf_counter()
        stats = memory.generation_stats(
            mx, len(prompt), decode_started - started, generated, finished_at - decode_started
        )
        finished = Finished(reason, stats, error)  # type: ignore[arg-type]
        emit(finished)
        return finished

    def choose(
        self, messages: Sequence[Message], options: Sequence[str], cancel: CancelToken, emit: Emit
    ) -> list[float]:
        """Each option's score as the whole answer to ``messages`` (:mod:`.choices`)."""
        self._check_thread()
        loaded = self._require_model()
        prompt = self.render_prompt(messages)
        check_prompt(loaded.model, prompt)
        cache = self._prefill(loaded, prompt, cancel, emit, self._prefix_for(prompt))
        tokens = [answer_tokens(loaded.tokenizer, option) for option in options]
        ends = end_token_ids(loaded.tokenizer)
        return continuation_scores(loaded.model, cache, prompt[-1], tokens, ends)

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
            size = max_batch or memory.default_max_batch(
                mx,
                loaded.model,
                max(len(p) for p in prompts) + max(r.sampling.max_tokens for r in requests),
            )
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
                item_reason = "error" if final_reason == "error" else "stopped"
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

    def _keep_prefix(self, prompt: Sequence[int], cache: list[Any]) -> None:
        """Keep this prompt's cache (cut to a chunk boundary) for a follow-up that extends it,
        e.g. the next chat turn. The kept copy is never decoded into."""
        length = aligned(len(prompt) - 1, self._prefill_step_size())
        if length == 0 or not forkable(cache):
            return
        if memory.kv_bytes_per_token(self._require_model().model) * length > (
            memory.MAX_PREFIX_BYTES
        ):
            self._prefix = None
            return
        kept = self._prefix
        if kept is not None and len(kept.tokens) == length and self._prefix_for(prompt) is kept:
            return
        self._prefix = PrefixCache(tuple(prompt[:length]), fork_cache(cache, length))

    def _prefix_for(self, prompt: Sequence[int]) -> PrefixCache | None:
        prefix = self._prefix
        return prefix if prefix is not None and prefix.matches(prompt) else None

    def _prefill_step_size(self) -> int:
        return self._require_model().plan.prefill_step

    def _prefill(
        self,
        loaded: LoadedModel,
        prompt: Sequence[int],
        cancel: CancelToken,
        emit: Emit,
        prefix: PrefixCache | None = None,
    ) -> list[Any]:
        """Run all prompt tokens but the last through the model, filling a KV cache.

        Starts from a copy of ``prefix``'s cache when given (its length is a chunk boundary, so
        the result is the same as without it). Only the transformer body runs here: the
        vocabulary projection of every prompt position is skipped (mlx-lm computes and discards
        it), which matters on CPU.
        """
        from mlx_lm.models.cache import make_prompt_cache

        if prefix is not None:
            cache, start = prefix.fork(), len(prefix.tokens)
        else:
            cache, start = make_prompt_cache(loaded.model), 0
        total = len(prompt)
        emit(PromptProgress(start, total))
        self.last_prefilled_tokens = 0

        def progress(done: int) -> None:
            emit(PromptProgress(done, total))

        self._run_prompt(loaded, prompt, start, total - 1, cache, cancel, progress)
        memory.clear_cache(import_mlx())
        return cache

    def _run_prompt(
        self,
        loaded: LoadedModel,
        prompt: Sequence[int],
        start: int,
        end: int,
        cache: list[Any],
        cancel: CancelToken,
        progress: Callable[[int], None],
    ) -> None:
        """Fill ``cache`` with ``prompt[start:end]`` in chunks (``next_boundary``): the step,
        smaller far into long prompts so attention's scratch memory stays bounded.

        Chunk boundaries are absolute positions, so a prompt split into a cached prefix cut at a
        boundary and the rest computes every position with the same chunk as a fresh run.
        """
        mx = import_mlx()
        model = loaded.model
        body = getattr(model, "model", None)
        forward = body if callable(body) else model
        step = loaded.plan.prefill_step
        done = start
        with prompt_blocks(model, loaded.plan, cancel):
            while done < end:
                cancel.raise_if_cancelled()
                n = next_boundary(done, end, step) - done
                forward(mx.array(list(prompt[done : done + n]))[None], cache=cache)
                mx.eval([c.state for c in cache])
                done += n
                self.last_prefilled_tokens += n
                progress(done)
