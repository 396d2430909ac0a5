"""Decode throughput of ``Engine.generate_batch`` against the number of sequences decoded together.

For a model folder: B prompts of ~900 tokens (a shared 128-token prefix, then distinct tokens),
128 greedy tokens each, B = 1, 2, 4, 8; prints generated tokens per second of decoding (from the
first streamed token to the end) for each B, so one can see where batching stops paying.

    python3 bench/gpu/batch_decode.py --model-path DIR [--batches 1 2 4 8] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "app"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-path", type=Path, required=True)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--prompt-tokens", type=int, default=900)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--out", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from logline.engine.mlx_runtime import import_mlx

    import_mlx()
    from logline.engine.cancel import CancelToken
    from logline.engine.events import Generated
    from logline.engine.runtime import Engine, GenerationRequest
    from logline.engine.sampling import SamplingParams

    engine = Engine()
    engine.load(args.model_path.name, args.model_path)
    prefix = list(range(1000, 1128))
    rows = []
    for batch in args.batches:
        requests = [
            GenerationRequest(
                prompt_tokens=prefix
                + [2000 + 13 * i + j for j in range(args.prompt_tokens - len(prefix))],
                sampling=SamplingParams(max_tokens=args.tokens),
            )
            for i in range(batch)
        ]
        marks: dict[str, float] = {}

        def emit(event: object, marks: dict[str, float] = marks) -> None:
            if isinstance(event, Generated) and event.text and "first" not in marks:
                marks["first"] = time.perf_counter()

        engine.clear_prefix_cache()
        started = time.perf_counter()
        results = engine.generate_batch(requests, CancelToken(), emit, max_batch=batch)
        ended = time.perf_counter()
        tokens = sum(r.tokens for r in results)
        decode = ended - marks.get("first", started)
        row = {
            "batch": batch,
            "tokens": tokens,
            "prefill_s": marks.get("first", ended) - started,
            "decode_s": decode,
            "decode_tps": tokens / decode if decode > 0 else 0.0,
        }
        rows.append(row)
        print(
            f"batch {batch}: {tokens} tokens, decode {row['decode_tps']:.1f} tok/s "
            f"({decode / max(args.tokens, 1) * 1e3:.1f} ms a step), "
            f"prefill {row['prefill_s']:.2f} s",
            flush=True,
        )
    if args.out:
        args.out.write_text(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
