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
from dataclasses import replace
from pathlib import Path
from typing import Any

from logline.engine import memory
from logline.engine.backend import current_device, plan_backend
from logline.engine.batch_generation import BatchGeneration
from logline.engine.cancel import CancelToken, GenerationCancelled
from logline.engine.checkpoints import (
    CheckpointFileError,
    Checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from logline.engine.choices import answer_tokens, continuation_scores, end_token_ids
from logline.engine.events import (
    EngineEvent,
    Finished,
    Generated,
    ModelLoaded,
    PromptProgress,
)
from logline.engine.gpu_precision import choose_gpu_precision
from logline.engine.kv_cache import PrefixCache, fork_cache, forkable
from logline.engine.mlx_runtime import import_mlx
from logline.engine.precision import choose_cpu_precision
from logline.engine.prompt_chunks import aligned, next_boundary
from logline.engine.prompt_tokens import PromptTokenizer
from logline.engine.requests import GenerationRequest, LoadedModel, Message
from logline.engine.stream import decode_stream
from logline.engine.swaps import prompt_blocks
from logline.engine.think_text import think_filter
from logline.engine.weights import check_prompt, describe_precision, materialize

log = logging.getLogger(__name__)

Emit = Callable[[EngineEvent], None]


class Engine(BatchGeneration):
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
        # Conversations' caches (prompt and answer tokens), kept by keep_cache requests.
        self.checkpoints = Checkpoints(memory.MAX_PREFIX_BYTES)
        # Prompt tokens actually run through the model by the last generate / generate_batch.
        self.last_prefilled_tokens = 0
        self._progress = (0, 0)
        self._tokens: PromptTokenizer | None = None  # the loaded tokenizer's control tokens

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
            return ModelLoaded(
                loaded.model_id,
                0.0,
                loaded.precision,
                loaded.context_length,
                loaded.precision_reason,
            )
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
        reason = ""
        if device == "cpu":
            precision = choose_cpu_precision(model, config) or precision
        else:
            budget = memory.weights_growth_budget(mx, model)
            choice = choose_gpu_precision(mx, model, budget_bytes=budget)
            precision, reason = choice.precision or precision, choice.reason
            log.info("GPU precision for %s: %s (%s)", model_id, precision, reason)
        materialize(mx, model, progress)
        memory.configure_for_model(mx, model)
        context = int(config.get("max_position_embeddings") or 4096)
        plan = plan_backend(
            model, device=device, prefill_step=self._prefill_step, fast_cpu=self.fast_cpu_attention
        )
        log.info("Backend plan for %s: %s", model_id, plan)
        self._loaded = LoadedModel(
            model_id, path, model, tokenizer, context, precision, plan, reason
        )
        seconds = time.perf_counter() - started
        log.info("Loaded %s (%s) in %.1f s", model_id, precision, seconds)
        return ModelLoaded(model_id, seconds, precision, context, reason)

    def unload(self) -> None:
        self._check_thread()
        if self._loaded is None:
            return
        self._loaded = None
        self._prefix = None
        self._tokens = None
        self.checkpoints.clear()
        memory.release_model(import_mlx())

    def clear_prefix_cache(self) -> None:
        """Forget the cached prompt prefix and the checkpoints (frees their KV caches)."""
        self._check_thread()
        self._prefix = None
        self.checkpoints.clear()

    # -- tokens -----------------------------------------------------------------------------
    def _require_model(self) -> LoadedModel:
        if self._loaded is None:
            raise RuntimeError("No model is loaded")
        return self._loaded

    def count_tokens(self, text: str) -> int:
        self._check_thread()
        return self._prompt_tokenizer().count(text)

    def render_prompt(self, messages: Sequence[Message]) -> list[int]:
        """Token ids of ``messages`` in the model's chat template, ready for generation; control
        tokens written in a message stay plain text (:mod:`.prompt_tokens`)."""
        self._check_thread()
        return self._prompt_tokenizer().render(messages)

    def prompt_length(self, messages: Sequence[Message]) -> int:
        """Tokens of ``messages`` rendered in the model's chat template."""
        return len(self.render_prompt(messages))

    is_remote = False  # text stays on this machine (``RemoteEngine.is_remote`` is True)

    def _prompt_tokenizer(self) -> PromptTokenizer:
        tokenizer = self._require_model().tokenizer
        if self._tokens is None or self._tokens.tokenizer is not tokenizer:
            self._tokens = PromptTokenizer(tokenizer)
        return self._tokens

    # -- generation -------------------------------------------------------------------------
    def generate(self, request: GenerationRequest, cancel: CancelToken, emit: Emit) -> Finished:
        """Prefill the prompt (in chunks, reporting progress), then stream tokens until done.

        Never raises for cancellation or model errors: the returned (and emitted) ``Finished``
        carries the reason, and the text generated so far has already been emitted. The prompt
        starts from the longest cached prefix (a checkpoint or the kept prefix); its stats say
        how many prompt tokens came from there (``cached_tokens``). With
        ``request.keep_cache`` the cache of the prompt and the answer is kept as a checkpoint
        (also after a Stop), for a follow-up that extends it.
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
        answer: list[int] = []
        base, cached = self._start_for(prompt, len(prompt) - 1)
        cache: list[Any] | None = None
        try:
            cache = self._prefill(loaded, prompt, cancel, emit, base, cached)
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
                answer,
                loaded.context_length,
                think_filter(loaded.tokenizer, prompt),
            )
            emit(Generated("", generated, 0, reason))  # type: ignore[arg-type]
        except GenerationCancelled:
            reason = "stopped"
            emit(Generated("", generated, 0, "stopped"))
        except Exception as exc:  # reported to the user as a Finished(error) event
            log.exception("Generation failed")
            reason, error = "error", exc
            emit(Generated("", generated, 0, "error"))
        finished_at = time.perf_counter()
        if cache is not None and error is None:
            # Kept after decoding: a copy kept before would hold the prompt's buffers while
            # decoding moves to larger ones (twice the KV cache at the peak).
            if request.keep_cache:
                self._keep_checkpoint(prompt + answer, cache)
            else:
                self._keep_prefix(prompt, cache)
        stats = memory.generation_stats(
            mx, len(prompt), decode_started - started, generated, finished_at - decode_started
        )
        finished = Finished(reason, replace(stats, cached_tokens=cached), error)  # type: ignore[arg-type]
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
        cache = self._prefill(
            loaded, prompt, cancel, emit, *self._start_for(prompt, len(prompt) - 1)
        )
        tokens = [answer_tokens(loaded.tokenizer, option) for option in options]
        ends = end_token_ids(loaded.tokenizer)
        return continuation_scores(loaded.model, cache, prompt[-1], tokens, ends)

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
        base: list[Any] | None = None,
        start: int = 0,
    ) -> list[Any]:
        """Run all prompt tokens but the last through the model, filling a KV cache.

        Starts from a copy of ``base`` cut to ``start`` tokens when given (a cached prefix of
        the prompt). Only the transformer body runs here: the vocabulary projection of every
        prompt position is skipped (mlx-lm computes and discards it), which matters on CPU.
        """
        from mlx_lm.models.cache import make_prompt_cache

        if base is not None and start > 0:
            cache = fork_cache(base, start)
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

    # -- checkpoints (conversations) --------------------------------------------------------
    def _start_for(self, prompt: Sequence[int], limit: int) -> tuple[list[Any] | None, int]:
        """The cache to start ``prompt`` from and how many of its tokens it already holds
        (at most ``limit``): the checkpoint or the kept prefix that shares the most."""
        checkpoint, shared = self.checkpoints.best(prompt, limit)
        prefix = self._prefix_for(prompt)
        if prefix is not None and len(prefix.tokens) <= limit and len(prefix.tokens) > shared:
            return prefix.cache, len(prefix.tokens)
        return (checkpoint.cache, shared) if checkpoint is not None else (None, 0)

    def _keep_checkpoint(self, tokens: Sequence[int], cache: list[Any]) -> None:
        """Keep what ``cache`` holds of ``tokens`` (decoding runs one token ahead or behind the
        text: the cache's offset says how many it holds)."""
        held = min(getattr(cache[0], "offset", 0), len(tokens)) if cache else 0
        if held and memory.kv_bytes_per_token(self._require_model().model) * held <= (
            memory.MAX_PREFIX_BYTES
        ):
            self.checkpoints.add(tokens[:held], cache)

    def read_prompt(self, tokens: Sequence[int], cancel: CancelToken, emit: Emit) -> int:
        """Make sure a checkpoint holds all of ``tokens`` (e.g. a conversation's script part),
        reading only what no cache holds yet; returns the tokens read (0: all were cached)."""
        self._check_thread()
        loaded = self._require_model()
        tokens = list(tokens)
        check_prompt(loaded.model, tokens)
        base, start = self._start_for(tokens, len(tokens))
        if start == len(tokens):
            return 0
        from mlx_lm.models.cache import make_prompt_cache

        cache = fork_cache(base, start) if base is not None and start else None
        if cache is None:
            cache, start = make_prompt_cache(loaded.model), 0
        total = len(tokens)
        emit(PromptProgress(start, total))
        self.last_prefilled_tokens = 0
        self._run_prompt(
            loaded, tokens, start, total, cache, cancel, lambda d: emit(PromptProgress(d, total))
        )
        self.checkpoints.add(tokens, cache)
        memory.clear_cache(import_mlx())
        return total - start

    def save_prompt_cache(self, tokens: Sequence[int], path: Path, metadata: dict[str, str]) -> int:
        """Write the checkpoint of ``tokens`` to ``path`` (``read_prompt`` them first); bytes."""
        self._check_thread()
        checkpoint = self.checkpoints.covering(tokens)
        if checkpoint is None:
            raise ValueError("No checkpoint holds these tokens: read them first")
        return save_checkpoint(checkpoint, len(tokens), path, metadata)

    def load_prompt_cache(self, path: Path) -> tuple[tuple[int, ...], dict[str, str]]:
        """Read a saved prompt cache into the checkpoints; (its tokens, its metadata).

        Raises ``CheckpointFileError`` when the file does not fit the loaded model.
        """
        self._check_thread()
        loaded = self._require_model()
        from mlx_lm.models.cache import make_prompt_cache

        tokens, cache, metadata = load_checkpoint(path, len(make_prompt_cache(loaded.model)))
        if metadata.get("model") not in (None, loaded.model_id):
            raise CheckpointFileError(f"{path.name} was saved for {metadata.get('model')}")
        self.checkpoints.add(tokens, cache)
        return tokens, metadata

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
                n = next_boundary(done, end, step, loaded.plan.prefill_span) - done
                forward(mx.array(list(prompt[done : done + n]))[None], cache=cache)
                mx.eval([c.state for c in cache])
                done += n
                self.last_prefilled_tokens += n
                progress(done)
