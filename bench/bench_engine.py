"""Engine speed: Logline's streaming path against raw ``mlx_lm.stream_generate``, in one run.

Usage: ``make bench`` or ``.venv/bin/python bench/bench_engine.py [--runs N] [--max-tokens N]``

For the embedded model and one summary prompt (Brick & Steel from ../shared/corpus when present,
else the sample script shipped in resources/), it measures, all in this process and on the engine
thread, each path timed the same way from outside (wall clock to the first token, then per token):

  raw mlx-lm, 4-bit  mlx_lm.load + stream_generate on the imported weights as stored (quantized)
  raw mlx-lm, same   stream_generate on exactly the weights Logline runs (float32 on Linux CPU)
  Logline engine     Engine.generate (chunked body-only prefill, then streamed decode)

and prints prompt tok/s, decode tok/s, and the ratios Logline / raw.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS_SCRIPT = (
    ROOT.parent / "shared" / "corpus" / "scripts" / "fountain" / "brick-and-steel.fountain"
)


@dataclass
class Timing:
    prompt_tokens: int
    first_token_s: float
    decode_tokens: int
    decode_s: float

    @property
    def prompt_tps(self) -> float:
        return self.prompt_tokens / self.first_token_s

    @property
    def decode_tps(self) -> float:
        return self.decode_tokens / self.decode_s if self.decode_s > 0 else 0.0


def time_stream(prompt_tokens: int, responses: Iterable[object]) -> Timing:
    """Time mlx-lm's stream: wall clock to the first response, then the rest until it ends.

    Each ``GenerationResponse`` is one generated token.
    """
    started = time.perf_counter()
    first = None
    count = 0
    for _ in responses:
        if first is None:
            first = time.perf_counter()
        count += 1
    ended = time.perf_counter()
    if first is None:
        raise RuntimeError("nothing was generated")
    return Timing(prompt_tokens, first - started, count - 1, ended - first)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions of the fast paths")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--skip-4bit", action="store_true", help="skip the slow quantized path")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sys.path.insert(0, str(ROOT / "app"))

    from logline.documents import load
    from logline.engine import CancelToken, Generated, SamplingParams
    from logline.engine.mlx_runtime import blas_library, import_mlx
    from logline.engine.runtime import Engine, GenerationRequest
    from logline.engine.worker import EngineThread
    from logline.models.registry import ensure_embedded_model
    from logline.resources_access import resource
    from logline.summarize import modes
    from logline.summarize.planner import plan_summary

    source = CORPUS_SCRIPT if CORPUS_SCRIPT.exists() else Path(str(resource("sample.fountain")))
    document = load(source)
    worker = EngineThread(Engine())
    model = worker.call(lambda e: ensure_embedded_model())
    loaded = worker.call(lambda e: e.load(model.model_id, model.path))
    mode = modes.get_mode("synopsis")
    title = document.title or document.path.stem
    kind = "screenplay" if document.is_screenplay else "document"

    def single_pass_prompt(engine: Engine) -> list[int]:
        """The prompt the summary runner sends for this script in one pass (the planner cuts
        it to the model's context when it does not fit, so the bench always has one prompt)."""

        def frame(build, **value: str) -> int:
            return len(engine.render_prompt(build(mode, title=title, kind=kind, **value)))

        plan = plan_summary(
            document,
            count_tokens=engine.count_tokens,
            usable_context=engine.loaded.context_length,
            frame_tokens=frame(modes.single_messages, document=""),
            answer_tokens=mode.sampling.max_tokens,
            map_frame_tokens=frame(modes.map_messages, chunk=""),
            map_answer_tokens=mode.map_sampling.max_tokens,
        )
        text = plan.chunks[0].text
        messages = modes.single_messages(mode, title=title, kind=kind, document=text)
        return engine.render_prompt(messages)

    ids = worker.call(single_pass_prompt)
    sampling = SamplingParams(max_tokens=args.max_tokens)
    mx = import_mlx()

    def raw_run(model_obj: object, tokenizer: object) -> Timing:
        from mlx_lm import stream_generate

        return time_stream(
            len(ids),
            stream_generate(model_obj, tokenizer, ids, max_tokens=args.max_tokens),
        )

    def logline_run(engine: Engine) -> Timing:
        marks: list[float] = []

        def emit(event: object) -> None:
            if isinstance(event, Generated) and event.text and not marks:
                marks.append(time.perf_counter())

        # Every run processes the whole prompt, as raw mlx-lm does: without this, the prefix
        # the engine keeps for a follow-up would serve the next run's prompt.
        engine.clear_prefix_cache()
        started = time.perf_counter()
        finished = engine.generate(
            GenerationRequest(prompt_tokens=ids, sampling=sampling), CancelToken(), emit
        )
        ended = time.perf_counter()
        assert finished.error is None, finished.error
        assert finished.stats is not None
        # Same outside view as time_stream: wall clock to the first text, then the rest until
        # generate() returns; the token count is the engine's (text pieces can span tokens).
        tokens = finished.stats.generation_tokens
        return Timing(len(ids), marks[0] - started, tokens - 1, ended - marks[0])

    def median(runs: list[Timing]) -> Timing:
        return Timing(
            len(ids),
            statistics.median(r.first_token_s for r in runs),
            runs[0].decode_tokens,
            statistics.median(r.decode_s for r in runs),
        )

    results: dict[str, Timing] = {}
    same_raw: list[Timing] = []
    ours: list[Timing] = []
    for run in range(args.runs):  # interleaved, alternating order: drift hits both alike

        def raw_same(e: Engine) -> Timing:
            return raw_run(e.loaded.model, e.loaded.tokenizer)

        if run % 2:
            ours.append(worker.call(logline_run))
            same_raw.append(worker.call(raw_same))
        else:
            same_raw.append(worker.call(raw_same))
            ours.append(worker.call(logline_run))
    if not args.skip_4bit:

        def quantized(_: Engine) -> Timing:
            from mlx_lm import load as mlx_load

            q_model, q_tokenizer = mlx_load(str(model.path))
            try:
                return raw_run(q_model, q_tokenizer)
            finally:
                del q_model
                mx.clear_cache()

        results["raw mlx-lm, weights as stored (4-bit)"] = worker.call(quantized)
    results["raw mlx-lm, same weights as Logline"] = median(same_raw)
    results["Logline engine"] = median(ours)
    worker.close()

    print(f"\nModel: {loaded.model_id} [{loaded.precision}]  BLAS: {blas_library() or 'bundled'}")
    print(
        f"Prompt: {source.name} summary, {len(ids)} tokens; decode {args.max_tokens} tokens "
        f"greedy; CPU cores: {os.cpu_count()}; runs: {args.runs} (median)\n"
    )
    print(f"{'path':40} {'prompt tok/s':>13} {'decode tok/s':>13} {'first token':>12}")
    for name, t in results.items():
        print(f"{name:40} {t.prompt_tps:13.1f} {t.decode_tps:13.1f} {t.first_token_s:11.2f}s")
    ours_t = results["Logline engine"]
    same_t = median(same_raw)
    prompt_ratio = ours_t.prompt_tps / same_t.prompt_tps
    decode_ratio = ours_t.decode_tps / same_t.decode_tps
    print(
        f"\nLogline / raw mlx-lm (same weights): prompt {prompt_ratio:.2f}x, "
        f"decode {decode_ratio:.2f}x"
    )
    pairs = [
        (o.decode_tps / r.decode_tps, o.prompt_tps / r.prompt_tps)
        for o, r in zip(ours, same_raw, strict=True)
    ]
    print(
        f"  median of per-run ratios (each pair ran back to back): decode "
        f"{statistics.median(d for d, _ in pairs):.2f}x, prompt "
        f"{statistics.median(p for _, p in pairs):.2f}x"
    )
    print(
        "  per-run ratios: decode "
        + ", ".join(f"{d:.2f}" for d, _ in pairs)
        + "; prompt "
        + ", ".join(f"{p:.2f}" for _, p in pairs)
    )
    quant = next((t for n, t in results.items() if "4-bit" in n), None)
    if quant:
        print(
            f"Logline / raw mlx-lm (4-bit as stored): prompt "
            f"{ours_t.prompt_tps / quant.prompt_tps:.1f}x, decode "
            f"{ours_t.decode_tps / quant.decode_tps:.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
