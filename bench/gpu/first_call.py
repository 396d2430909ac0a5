"""Time first and repeated decode steps and prompt passes (finds one-time kernel compilation).

python3 bench/gpu/first_call.py --model-path DIR [--lengths 899 899 700 1024 513 700]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "app"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-path", type=Path, required=True)
    parser.add_argument("--lengths", type=int, nargs="+", default=[899, 899, 700, 1024, 513, 700])
    parser.add_argument("--tails", type=int, nargs="*", default=[])
    parser.add_argument("--after", type=int, default=1024)
    parser.add_argument("--decode-rows", type=int, nargs="*", default=[1, 1, 2, 5, 8])
    args = parser.parse_args()
    from logline.engine.mlx_runtime import import_mlx

    mx = import_mlx()
    from mlx_lm import load
    from mlx_lm.models.cache import make_prompt_cache

    started = time.perf_counter()
    model, _ = load(str(args.model_path))
    print(f"load {time.perf_counter() - started:.2f} s", flush=True)
    for rows in args.decode_rows:
        cache = make_prompt_cache(model)
        mx.eval(model(mx.array([[5] * 16] * rows), cache=cache))
        started = time.perf_counter()
        mx.eval(model(mx.array([[7]] * rows), cache=cache))
        mx.synchronize()
        print(f"decode step, {rows} rows: {time.perf_counter() - started:7.3f} s", flush=True)
    body = model.model if hasattr(model, "model") else model
    for n in args.tails:
        cache = make_prompt_cache(model)
        mx.eval(body(mx.array([[3] * args.after]), cache=cache))
        started = time.perf_counter()
        mx.eval(body(mx.array([[1000 + i for i in range(n)]]), cache=cache))
        mx.synchronize()
        print(
            f"{n:5d} tokens after {args.after}: {time.perf_counter() - started:7.3f} s", flush=True
        )
    for n in args.lengths:
        cache = make_prompt_cache(model)
        tokens = mx.array([[1000 + (i * 7) % 5000 for i in range(n)]])
        started = time.perf_counter()
        out = model.model(tokens, cache=cache) if hasattr(model, "model") else model(tokens)
        mx.eval(out)
        mx.synchronize()
        print(f"prompt {n:5d} tokens: {time.perf_counter() - started:7.3f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
