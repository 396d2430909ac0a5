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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logline.engine.cancel import CancelToken, GenerationCancelled
from logline.engine.events import (
    EngineEvent,
    Finished,
    GenerationStats,
    ModelLoaded,
    PromptProgress,
    TokenText,
)
from logline.engine.mlx_runtime import device_kind, import_mlx
from logline.engine.precision import choose_cpu_precision
from logline.engine.sampling import SamplingParams, build_sampler

log = logging.getLogger(__name__)

Emit = Callable[[EngineEvent], None]
Message = dict[str, str]


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate: chat messages (rendered with the model's template) or raw token ids."""

    messages: Sequence[Message] = ()
    prompt_tokens: Sequence[int] = ()
    sampling: SamplingParams = field(default_factory=SamplingParams)


@dataclass
class LoadedModel:
    model_id: str
    path: Path
    model: Any
    tokenizer: Any  # mlx_lm TokenizerWrapper
    context_length: int
    precision: str


class Engine:
    """Loads one model at a time and generates with it. Not thread-safe by design: one owner."""

    def __init__(self, *, prefill_step: int | None = None) -> None:
        self._owner: int | None = None
        self._loaded: LoadedModel | None = None
        self._prefill_step = prefill_step

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
        precision = _describe_precision(config)
        if device_kind() == "cpu":
            precision = choose_cpu_precision(model, config) or precision
        _materialize(mx, model, progress)
        context = int(config.get("max_position_embeddings") or 4096)
        self._loaded = LoadedModel(model_id, path, model, tokenizer, context, precision)
        seconds = time.perf_counter() - started
        log.info("Loaded %s (%s) in %.1f s", model_id, precision, seconds)
        return ModelLoaded(model_id, seconds, precision, context)

    def unload(self) -> None:
        self._check_thread()
        if self._loaded is None:
            return
        self._loaded = None
        mx = import_mlx()
        mx.clear_cache()

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
        if not prompt:
            raise ValueError("Empty prompt")
        params = request.sampling
        if params.seed is not None:
            mx.random.seed(params.seed)
        _reset_peak_memory(mx)
        started = time.perf_counter()
        generated = 0
        decode_started = started
        reason = "done"
        error: BaseException | None = None
        try:
            cache = self._prefill(loaded, prompt, cancel, emit)
            decode_started = time.perf_counter()
            generated, reason = self._decode(loaded, prompt[-1:], cache, params, cancel, emit)
        except GenerationCancelled:
            reason = "stopped"
        except Exception as exc:  # reported to the user as a Finished(error) event
            log.exception("Generation failed")
            reason, error = "error", exc
        finished_at = time.perf_counter()
        stats = GenerationStats(
            prompt_tokens=len(prompt),
            prompt_seconds=decode_started - started,
            generation_tokens=generated,
            generation_seconds=finished_at - decode_started,
            peak_memory_bytes=_memory(mx, "get_peak_memory"),
            active_memory_bytes=_memory(mx, "get_active_memory"),
            cache_memory_bytes=_memory(mx, "get_cache_memory"),
        )
        emit(stats)
        finished = Finished(reason, stats, error)  # type: ignore[arg-type]
        emit(finished)
        return finished

    def _prefill_step_size(self) -> int:
        if self._prefill_step:
            return self._prefill_step
        # Small chunks on CPU keep Stop responsive (a 256-token chunk takes ~1 s there).
        return 256 if device_kind() == "cpu" else 1024

    def _prefill(
        self, loaded: LoadedModel, prompt: list[int], cancel: CancelToken, emit: Emit
    ) -> list[Any]:
        """Run all prompt tokens but the last through the model, filling a fresh KV cache.

        Only the transformer body runs here: the vocabulary projection of every prompt position
        is skipped (mlx-lm computes and discards it), which matters on CPU.
        """
        mx = import_mlx()
        from mlx_lm.models.cache import make_prompt_cache

        model = loaded.model
        cache = make_prompt_cache(model)
        body = getattr(model, "model", None)
        forward = body if callable(body) else model
        total = len(prompt)
        step = self._prefill_step_size()
        emit(PromptProgress(0, total))
        done = 0
        while total - done > 1:
            cancel.raise_if_cancelled()
            n = min(step, total - 1 - done)
            chunk = mx.array(prompt[done : done + n])[None]
            forward(chunk, cache=cache)
            mx.eval([c.state for c in cache])
            done += n
            emit(PromptProgress(done, total))
        mx.clear_cache()
        return cache

    def _decode(
        self,
        loaded: LoadedModel,
        last_prompt_token: list[int],
        cache: list[Any],
        params: SamplingParams,
        cancel: CancelToken,
        emit: Emit,
    ) -> tuple[int, str]:
        mx = import_mlx()
        from mlx_lm import stream_generate

        sampler, processors = build_sampler(params)
        stops = params.stop_strings
        hold_back = max((len(s) for s in stops), default=0)
        text = ""
        sent = 0
        count = 0
        reason = "length"
        for response in stream_generate(
            loaded.model,
            loaded.tokenizer,
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
            if response.finish_reason is not None:
                reason = "done" if response.finish_reason == "stop" else "length"
            if response.text:
                if not stops:
                    emit(TokenText(response.text))
                    continue
                text += response.text
                cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
                if cut >= 0:
                    if cut > sent:
                        emit(TokenText(text[sent:cut]))
                    sent = cut
                    reason = "done"
                    break
                safe = len(text) - hold_back
                if safe > sent:
                    emit(TokenText(text[sent:safe]))
                    sent = safe
        if stops and reason != "done" and len(text) > sent:
            emit(TokenText(text[sent:]))
        if cancel.cancelled:
            reason = "stopped"
        return count, reason


def _describe_precision(config: dict[str, Any]) -> str:
    quant = config.get("quantization")
    if isinstance(quant, dict) and "bits" in quant:
        return f"{quant['bits']}-bit (group {quant.get('group_size', '?')})"
    return str(config.get("torch_dtype", "float16"))


def _memory(mx: Any, name: str) -> int:
    fn = getattr(mx, name, None) or getattr(getattr(mx, "metal", None), name, None)
    try:
        return int(fn()) if fn else 0
    except Exception:  # memory stats are best effort on every backend
        return 0


def _reset_peak_memory(mx: Any) -> None:
    fn = getattr(mx, "reset_peak_memory", None) or getattr(mx.metal, "reset_peak_memory", None)
    if fn:
        fn()


def _materialize(mx: Any, model: Any, progress: Callable[[int, int], None] | None) -> None:
    """Evaluate the (lazily loaded) weights in about 50 batches, reporting bytes done."""
    from mlx.utils import tree_flatten

    arrays = [array for _, array in tree_flatten(model.parameters())]
    total = sum(int(array.nbytes) for array in arrays)
    if progress is None or total == 0:
        mx.eval(arrays)
        return
    step = max(total // 50, 1)
    done = 0
    progress(0, total)
    batch: list[Any] = []
    batch_bytes = 0
    for array in arrays:
        batch.append(array)
        batch_bytes += int(array.nbytes)
        if batch_bytes >= step:
            mx.eval(batch)
            done += batch_bytes
            progress(done, total)
            batch, batch_bytes = [], 0
    if batch:
        mx.eval(batch)
        progress(done + batch_bytes, total)
