"""Where the map phase's time goes: Logline's map prompts through ``Engine.generate_batch``,
prompt-processing and decoding seconds apart, at each batch width, then (``--profile``) the
widest under cProfile (top functions).

    python3 bench/gpu/profile_map.py --model-path DIR --file SCRIPT.fountain [--chunks 15]
        [--widths 5,16,64] [--map-tokens 128] [--profile] [--out FILE.json]
        [--variants base,full-buffer,pipelined]

Variants (patched here, for measuring only; the engine is unchanged): ``full-buffer`` gives the
fused attention the shared KV buffers whole, with the mask over every allocated position,
instead of a view cut to the batch's width (in case the GPU kernel copies such views);
``pipelined`` queues every decode step before the previous one ends, whatever the copy of the
KV buffers costs (``shared_kv.PIPELINED_KV_SHARE``).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "app"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-path", type=Path, required=True)
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--chunks", type=int, default=15)
    parser.add_argument("--widths", default="5", help="batch widths, comma-separated")
    parser.add_argument("--map-tokens", type=int, help="notes per chunk, at most (tokens)")
    parser.add_argument("--profile", action="store_true", help="cProfile the widest")
    parser.add_argument("--variants", default="base", help="base, full-buffer, pipelined")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import json
    from dataclasses import replace

    from logline.engine.mlx_runtime import import_mlx

    import_mlx()
    from logline.documents import load
    from logline.engine.cancel import CancelToken
    from logline.engine.events import Finished, GenerationStats
    from logline.engine.runtime import Engine, GenerationRequest
    from logline.summarize import modes, runner
    from logline.summarize.planner import plan_summary

    engine = Engine()
    engine.load(args.model_path.name, args.model_path)
    document = load(args.file)
    mode = modes.get_mode("synopsis")
    options = runner.SummaryOptions(mode="synopsis", max_context=8192)
    sampling = runner.notes_sampling(mode, options)
    if args.map_tokens:
        sampling = replace(sampling, max_tokens=args.map_tokens)
    print(f"precision: {engine.loaded.precision} ({engine.loaded.precision_reason})", flush=True)
    plan = plan_summary(
        document,
        count_tokens=engine.count_tokens,
        usable_context=8192,
        frame_tokens=200,
        answer_tokens=700,
        map_frame_tokens=200,
        map_answer_tokens=sampling.max_tokens,
        max_chunk_tokens=1024,
    )
    chunks = plan.chunks[: args.chunks]
    requests = [
        GenerationRequest(
            messages=modes.map_messages(mode, title="Big Fish", kind="screenplay", chunk=c.text),
            sampling=sampling,
        )
        for c in chunks
    ]
    warm = [GenerationRequest(prompt_tokens=[5] * 40, sampling=sampling.__class__(max_tokens=4))]
    engine.generate_batch(warm * 2, CancelToken(), lambda e: None)
    widths = [int(w) for w in args.widths.split(",")]
    runs = [(w, False, v) for v in args.variants.split(",") for w in widths]
    runs += [(max(widths), True, "base")] if args.profile else []
    figures = []
    for width, profiled, variant in runs:
        restore = apply_variant(variant)
        stats: list[GenerationStats] = []

        def emit(event: object, stats: list = stats) -> None:
            if isinstance(event, Finished) and event.stats is not None:
                stats.append(event.stats)

        engine.clear_prefix_cache()
        profiler = cProfile.Profile() if profiled else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        try:
            results = engine.generate_batch(requests, CancelToken(), emit, max_batch=width)
        finally:
            restore()
        if profiler:
            profiler.disable()
        s = stats[-1]
        steps = sum(
            max(r.tokens for r in results[i : i + width]) for i in range(0, len(requests), width)
        )
        row = {
            "width": width,
            "variant": variant,
            "profiled": profiled,
            "seconds": time.perf_counter() - started,
            "prompt_tokens": s.prompt_tokens,
            "prompt_seconds": s.prompt_seconds,
            "generated": s.generation_tokens,
            "decode_seconds": s.generation_seconds,
            "decode_steps": steps,
            "ms_per_step": 1000 * s.generation_seconds / max(steps, 1),
            "peak_gib": s.peak_memory_bytes / 2**30 if s.peak_memory_bytes else None,
        }
        figures.append(row)
        print(json.dumps(row), flush=True)
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    if args.out:
        args.out.write_text(json.dumps({"precision": engine.loaded.precision, "runs": figures}))
    return 0


def apply_variant(variant: str):
    """Patch the shared KV buffers for ``variant``; returns what undoes it."""
    from logline.engine import shared_kv

    if variant == "base":
        return lambda: None
    if variant == "pipelined":
        share = shared_kv.PIPELINED_KV_SHARE
        shared_kv.PIPELINED_KV_SHARE = float("inf")

        def undo_share() -> None:
            shared_kv.PIPELINED_KV_SHARE = share

        return undo_share
    if variant == "full-buffer":
        import mlx.core as mx

        begin, update = shared_kv.SharedKV.begin_step, shared_kv.SharedKV.update

        def begin_step(self) -> None:
            begin(self)
            positions = mx.arange(self.alloc, dtype=mx.int32)
            self.mask = (positions[None, :] <= self.offsets[:, None])[:, None, None, :]

        def whole(self, layer: int, keys, values):
            update(self, layer, keys, values)
            return self.keys[layer], self.values[layer]

        shared_kv.SharedKV.begin_step, shared_kv.SharedKV.update = begin_step, whole

        def undo_buffer() -> None:
            shared_kv.SharedKV.begin_step, shared_kv.SharedKV.update = begin, update

        return undo_buffer
    raise SystemExit(f"unknown variant {variant!r}")


if __name__ == "__main__":
    raise SystemExit(main())
