"""Long prompts on a GPU: prefill speed and peak memory by chunk size, deep into the context.

    python3 bench/gpu/probe_long_prefill.py --model-path DIR [--depth 16384] [--span 8192]

Fills a KV cache to ``--depth`` tokens, then times the next ``--span`` tokens at each chunk
size, twice: every layer evaluated on its own (what Logline's prompt loop does, so Stop answers
between layers) and the whole model per chunk (mlx-lm's way). Prints tok/s and the peak memory
above what was in use before (weights and the cache), so the chunk-size rule of
``prompt_chunks.prefill_chunk`` can follow measurement rather than a guess.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "app"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-path", type=Path, required=True)
    parser.add_argument("--depth", type=int, default=16384)
    parser.add_argument("--span", type=int, default=8192)
    parser.add_argument("--chunks", default="64,256,1024,2048")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    import mlx.core as mx
    from mlx_lm import load
    from mlx_lm.models.cache import make_prompt_cache

    from logline.engine.cancel import CancelToken
    from logline.engine.kv_cache import fork_cache
    from logline.engine.swaps import layered_prefill

    model, _ = load(str(args.model_path))
    mx.eval(model.parameters())
    vocabulary = model.args.vocab_size
    tokens = [(i * 7919) % (vocabulary - 10) + 5 for i in range(args.depth + args.span)]
    mib = 2**20

    def fill(cache, start: int, end: int, chunk: int) -> None:
        done = start
        while done < end:
            n = min(chunk, end - done)
            model.model(mx.array(tokens[done : done + n])[None], cache=cache)
            mx.eval([c.state for c in cache])
            done += n

    base = make_prompt_cache(model)
    fill(base, 0, args.depth, 1024)
    rows = []
    for layered in (True, False):
        for chunk in [int(c) for c in args.chunks.split(",")]:
            cache = fork_cache(base)
            mx.clear_cache()
            before = mx.get_active_memory()
            mx.reset_peak_memory()
            started = time.perf_counter()
            if layered:
                with layered_prefill(model, CancelToken()):
                    fill(cache, args.depth, args.depth + args.span, chunk)
            else:
                fill(cache, args.depth, args.depth + args.span, chunk)
            seconds = time.perf_counter() - started
            kv_added = sum(c.keys[..., args.depth : c.offset, :].nbytes * 2 for c in cache)
            row = {
                "layered": layered,
                "chunk": chunk,
                "tok_s": args.span / seconds,
                "peak_above_mib": (mx.get_peak_memory() - before - kv_added) / mib,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            del cache
    if args.out:
        args.out.write_text(json.dumps({"depth": args.depth, "span": args.span, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
