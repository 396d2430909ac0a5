"""How a quantized matrix product scales with the number of rows on this GPU (MLX).

Batched decoding multiplies B rows (one token per sequence) by every weight matrix. On Metal and
for float weights on CUDA one product of B rows costs about what one row costs (the weights are
read once). This measures whether that holds for MLX's quantized products on CUDA, for the
projection shapes of a model folder: per shape, the time of one product of M rows against M
one-row products, and against dequantize-then-matmul.

    python3 bench/gpu/quantized_rows.py --model-path DIR [--rows 1 2 4 5 8 16] [--out FILE]
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
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 2, 4, 5, 8, 16, 64])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--out", type=Path)
    return parser.parse_args(argv)


def timed(mx, fn, repeat: int) -> float:
    """Median-free simple timing: ``repeat`` calls queued then evaluated, seconds per call."""
    for _ in range(3):
        mx.eval(fn())
    mx.synchronize()
    started = time.perf_counter()
    outs = [fn() for _ in range(repeat)]
    mx.eval(outs)
    mx.synchronize()
    return (time.perf_counter() - started) / repeat


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from logline.engine.mlx_runtime import import_mlx

    mx = import_mlx()
    import mlx.nn as nn
    from mlx_lm import load

    model, _ = load(str(args.model_path))
    layer = model.layers[0]
    linears = {
        "q_proj": layer.self_attn.q_proj,
        "k_proj": layer.self_attn.k_proj,
        "o_proj": layer.self_attn.o_proj,
        "gate_proj": layer.mlp.gate_proj,
        "down_proj": layer.mlp.down_proj,
    }
    results = []
    for name, linear in linears.items():
        quantized = isinstance(linear, nn.QuantizedLinear)
        k = linear.weight.shape[1] * (32 // linear.bits if quantized else 1)
        dtype = linear.scales.dtype if quantized else linear.weight.dtype
        dense = None
        if quantized:
            dense = mx.dequantize(
                linear.weight, linear.scales, linear.biases, linear.group_size, linear.bits
            )
            mx.eval(dense)
        for rows in args.rows:
            x = mx.random.normal((rows, 1, k)).astype(dtype)
            xs = [x[i : i + 1] for i in range(rows)]
            together = timed(mx, lambda x=x, f=linear: f(x), args.repeat)
            apart = timed(
                mx, lambda xs=xs, f=linear: mx.concatenate([f(r) for r in xs]), args.repeat
            )
            row = {
                "proj": name,
                "shape": [k, int(linear.weight.shape[0])],
                "quantized": quantized,
                "rows": rows,
                "one_product_us": together * 1e6,
                "row_by_row_us": apart * 1e6,
            }
            if dense is not None:
                row["dense_us"] = timed(mx, lambda x=x, w=dense: x @ w.T, args.repeat) * 1e6
            results.append(row)
            print(
                f"{name:9s} {k:5d}x{linear.weight.shape[0]:<6d} rows {rows:3d}: "
                f"one product {together * 1e6:8.1f} us, row by row {apart * 1e6:8.1f} us"
                + (f", dense {row['dense_us']:8.1f} us" if dense is not None else ""),
                flush=True,
            )
    if args.out:
        args.out.write_text(json.dumps({"device": str(mx.default_device()), "rows": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
