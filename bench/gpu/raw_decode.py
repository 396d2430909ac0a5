"""Raw mlx-lm decode and prefill speed of one model folder, as a fraction of the memory roofline.

::

    python bench/gpu/raw_decode.py --model-path /tmp/m/8b-4bit --out raw.json

Decoding one token reads every weight once (plus the KV cache, small at these prompt lengths), so
its speed is bounded by memory bandwidth: roofline tok/s = bandwidth / bytes read per token. Bytes
read per token = all parameter bytes, less the input embedding table when the output projection
is a separate matrix (a lookup reads one row of it); with tied embeddings the table is read whole
as the output projection. Bandwidth is given two ways: the datasheet figure of the GPU named by
``nvidia-smi`` and a device-to-device copy measured here through MLX (bytes read + written).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

# Datasheet memory bandwidth (bytes/s) by the name nvidia-smi prints.
DATASHEET = {
    "H100 80GB HBM3": 3.35e12,  # H100 SXM5
    "H100 PCIe": 2.0e12,
    "H100 NVL": 3.9e12,
    "H200": 4.8e12,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-path", type=Path, required=True)
    parser.add_argument("--prompt-tokens", type=int, default=512, help="prompt before decoding")
    parser.add_argument("--prefill-tokens", type=int, default=4096, help="prompt for prefill")
    parser.add_argument("--decode-tokens", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path)
    return parser.parse_args(argv)


def gpu_name() -> str:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.strip().splitlines()[0] if out.strip() else "unknown"


def datasheet_bandwidth(name: str) -> float | None:
    for key, value in DATASHEET.items():
        if key in name:
            return value
    return None


def measured_bandwidth(gib: int = 2, runs: int = 10) -> float:
    """Bytes/s of an elementwise pass over ``gib`` GiB (read ``gib`` + write ``gib``), median."""
    import mlx.core as mx

    n = gib * 2**30 // 4
    x = mx.random.uniform(shape=(n,), dtype=mx.float32)
    mx.eval(x)
    times = []
    for i in range(runs + 2):
        mx.synchronize()
        started = time.perf_counter()
        y = x + 1.0
        mx.eval(y)
        mx.synchronize()
        if i >= 2:  # warm-up
            times.append(time.perf_counter() - started)
        del y
    return 2 * n * 4 / statistics.median(times)


def bytes_per_token(model: Any, config: dict[str, Any]) -> tuple[int, int]:
    """(all parameter bytes, bytes read to decode one token)."""
    from mlx.utils import tree_flatten

    params = dict(tree_flatten(model.parameters()))
    total = sum(a.nbytes for a in params.values())
    read = total
    if not config.get("tie_word_embeddings", True):
        embedding = sum(a.nbytes for k, a in params.items() if "embed_tokens" in k)
        read -= embedding
    return total, read


def decode_runs(model: Any, tokenizer: Any, args: argparse.Namespace) -> dict[str, Any]:
    import mlx.core as mx
    from mlx_lm import stream_generate

    vocab = 128000
    prompt = mx.random.randint(0, vocab, (args.prompt_tokens,)).tolist()
    long_prompt = mx.random.randint(0, vocab, (args.prefill_tokens,)).tolist()
    decode, prefill, peaks = [], [], []
    for _ in range(args.runs + 1):  # the first run warms up (kernel compilation)
        mx.reset_peak_memory()
        stream = stream_generate(model, tokenizer, mx.array(prompt), max_tokens=args.decode_tokens)
        decode.append(deque(stream, maxlen=1)[0].generation_tps)
        stream = stream_generate(model, tokenizer, mx.array(long_prompt), max_tokens=1)
        prefill.append(deque(stream, maxlen=1)[0].prompt_tps)
        peaks.append(mx.get_peak_memory())
    decode, prefill = decode[1:], prefill[1:]
    return {
        "decode_tps": statistics.median(decode),
        "decode_tps_runs": [round(x, 2) for x in decode],
        "prefill_tps": statistics.median(prefill),
        "prefill_tps_runs": [round(x, 1) for x in prefill],
        "peak_memory_bytes": int(max(peaks)),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import mlx.core as mx
    from mlx_lm import load

    model, tokenizer, config = load(str(args.model_path), return_config=True)
    total, read = bytes_per_token(model, config)
    runs = decode_runs(model, tokenizer, args)
    name = gpu_name()
    sheet = datasheet_bandwidth(name)
    measured = measured_bandwidth()
    tps = runs["decode_tps"]
    figures = {
        "model": str(args.model_path),
        "device": str(mx.default_device()),
        "gpu": name,
        "mlx": mx.__version__,
        "weights_bytes": total,
        "bytes_read_per_token": read,
        "prompt_tokens": args.prompt_tokens,
        "prefill_tokens": args.prefill_tokens,
        "decode_tokens": args.decode_tokens,
        **runs,
        "bandwidth_datasheet": sheet,
        "bandwidth_measured_copy": measured,
        "roofline_tps_datasheet": sheet / read if sheet else None,
        "roofline_fraction_datasheet": tps * read / sheet if sheet else None,
        "roofline_tps_measured": measured / read,
        "roofline_fraction_measured": tps * read / measured,
    }
    print(
        f"{args.model_path.name}: decode {tps:.1f} tok/s, prefill {runs['prefill_tps']:.0f} tok/s"
        f" ({args.prefill_tokens} tokens), {read / 2**30:.2f} GiB read per token; roofline "
        + (f"{sheet / read:.0f} tok/s datasheet ({tps * read / sheet:.1%}), " if sheet else "")
        + f"{measured / read:.0f} tok/s measured copy ({tps * read / measured:.1%})"
    )
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
