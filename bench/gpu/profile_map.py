"""Where the map phase's time goes: Logline's map prompts through ``Engine.generate_batch``,
prompt-processing and decoding seconds apart, then the same under cProfile (top functions).

    python3 bench/gpu/profile_map.py --model-path DIR --file SCRIPT.fountain [--chunks 15]
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
    parser.add_argument("--batch", type=int, default=5)
    args = parser.parse_args()
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
    for label in ("profiled", "plain"):
        stats: list[GenerationStats] = []

        def emit(event: object, stats: list = stats) -> None:
            if isinstance(event, Finished) and event.stats is not None:
                stats.append(event.stats)

        engine.clear_prefix_cache()
        profiler = cProfile.Profile() if label == "profiled" else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        engine.generate_batch(requests, CancelToken(), emit, max_batch=args.batch)
        if profiler:
            profiler.disable()
        s = stats[-1]
        print(
            f"{label}: {time.perf_counter() - started:.2f} s; prompt {s.prompt_tokens} tokens in "
            f"{s.prompt_seconds:.2f} s; {s.generation_tokens} generated in "
            f"{s.generation_seconds:.2f} s",
            flush=True,
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
