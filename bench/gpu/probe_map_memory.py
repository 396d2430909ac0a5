"""Where the map phase's memory goes, step by step: Logline's first map prompts decoded together
through ``Engine.generate_batch``, with the peak above the weights recorded after each prompt is
prefilled, after the rows move into ``SharedKV``, after each KV-buffer growth, and over the
decode steps.

    python3 bench/gpu/probe_map_memory.py --model-path DIR --file SCRIPT.fountain [--rows 5]
        [--batch B]   (--rows 0 --batch 5: the whole map phase as the bench runs it)

Each line: the step, MiB in use after it, and the peak since the previous line (both above the
weights). The batch's KV buffers alone are rows x buffer length x KV bytes per token; what the
peaks show beyond that is temporaries.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "app"))

MIB = 2**20


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-path", type=Path, required=True)
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=5, help="map chunks (0: all)")
    parser.add_argument("--batch", type=int, default=0, help="decoded together (0: all rows)")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument(
        "--pipelined", action="store_true", help="always queue the next decode step early"
    )
    args = parser.parse_args()
    from logline.engine.mlx_runtime import import_mlx

    mx = import_mlx()
    from logline.documents import load
    from logline.engine import memory, shared_kv
    from logline.engine.cancel import CancelToken
    from logline.engine.runtime import Engine, GenerationRequest
    from logline.summarize import modes, runner
    from logline.summarize.planner import plan_summary

    if args.pipelined:
        shared_kv.PIPELINED_KV_SHARE = float("inf")
    engine = Engine()
    engine.load(args.model_path.name, args.model_path)
    model = engine.loaded.model
    weights = int(mx.get_active_memory())
    per_token = memory.kv_bytes_per_token(model)
    print(
        f"device {mx.default_device()}; weights {weights / MIB:,.0f} MiB; KV {per_token:,} "
        f"bytes a token ({engine.loaded.precision})"
    )
    mode = modes.get_mode("synopsis")
    options = runner.SummaryOptions(mode="synopsis", max_context=8192)
    sampling = runner.notes_sampling(mode, options)
    sampling = replace(sampling, max_tokens=args.max_tokens)
    plan = plan_summary(
        load(args.file),
        count_tokens=engine.count_tokens,
        usable_context=8192,
        frame_tokens=200,
        answer_tokens=700,
        map_frame_tokens=260,
        map_answer_tokens=sampling.max_tokens,
        max_chunk_tokens=1024,
    )
    requests = [
        GenerationRequest(
            messages=modes.map_messages(mode, title="Big Fish", kind="screenplay", chunk=c.text),
            sampling=sampling,
        )
        for c in plan.chunks[: args.rows or None]
    ]

    highest = {"peak": 0}

    def mark(label: str) -> None:
        if hasattr(mx, "synchronize"):
            mx.synchronize()
        active = int(mx.get_active_memory()) - weights
        peak = max(int(mx.get_peak_memory()) - weights, active)
        highest["peak"] = max(highest["peak"], peak)
        print(f"{label:<44} in use {active / MIB:8.1f} MiB   peak {peak / MIB:8.1f} MiB")
        mx.reset_peak_memory()

    steps = {"decode": 0}
    prefilled = Engine._prefilled_row
    shared_init = shared_kv.SharedKV.__init__
    begin_step = shared_kv.SharedKV.begin_step

    def prefilled_row(self: Any, loaded: Any, index: int, *rest: Any) -> Any:
        row = prefilled(self, loaded, index, *rest)
        mark(f"row {index} prefilled ({row.cache[0].offset} tokens)")
        return row

    def init(self: Any, caches: Any, **kwargs: Any) -> None:
        mark("before SharedKV")
        steps["decode"] = 0
        shared_init(self, caches, **kwargs)
        mark(f"SharedKV built (buffer {self.alloc} tokens)")

    def begin(self: Any) -> None:
        alloc = self.alloc
        begin_step(self)
        steps["decode"] += 1
        if self.alloc != alloc:
            mark(f"step {steps['decode']}: buffer grown to {self.alloc} tokens")
        elif steps["decode"] in (2, 16, 64):
            mark(f"decode steps up to {steps['decode'] - 1}")

    warm = [GenerationRequest(prompt_tokens=[5] * 40, sampling=replace(sampling, max_tokens=4))]
    engine.generate_batch(warm, CancelToken(), lambda event: None, max_batch=1)
    Engine._prefilled_row = prefilled_row  # type: ignore[method-assign]
    shared_kv.SharedKV.__init__ = init  # type: ignore[method-assign]
    shared_kv.SharedKV.begin_step = begin  # type: ignore[method-assign]
    mx.reset_peak_memory()
    mark("start")
    started = time.perf_counter()
    results = engine.generate_batch(
        requests, CancelToken(), lambda event: None, max_batch=args.batch or len(requests)
    )
    seconds = time.perf_counter() - started
    mark(f"end ({sum(r.tokens for r in results)} tokens, {seconds:.2f} s)")
    stats = results.finished.stats
    print(
        f"whole batch: peak {highest['peak'] / MIB:.1f} MiB above the weights; decode "
        f"{stats.generation_tokens / stats.generation_seconds:.0f} tok/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
