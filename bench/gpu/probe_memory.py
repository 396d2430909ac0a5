"""Where a model's memory goes beyond its weights: the peak of single steps, each measured alone.

    python3 bench/gpu/probe_memory.py --model-path /tmp/logline-models/llama-3.2-1b-4bit

Prints, for each step, its peak memory above what was in use before it (MiB): a prompt's
embedding, a body-only prefill chunk, the output projection on 1 and on 5 rows, one MLP
projection on many rows. Used to tell MLX's own temporaries (e.g. dequantized weights in a
quantized product) from what Logline holds (KV caches, prompt chunks).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "app"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-path", type=Path, required=True)
    parser.add_argument("--tokens", type=int, default=751)
    args = parser.parse_args()

    import mlx.core as mx
    from mlx_lm import load
    from mlx_lm.models.cache import make_prompt_cache

    model, _ = load(str(args.model_path))
    mx.eval(model.parameters())
    mib = 2**20
    print(f"weights {mx.get_active_memory() / mib:,.0f} MiB, device {mx.default_device()}")
    body = model.model
    head = model.lm_head if hasattr(model, "lm_head") else body.embed_tokens.as_linear
    tokens = mx.array([list(range(100, 100 + args.tokens))])

    def step(label: str, fn) -> None:
        mx.clear_cache()
        before = mx.get_active_memory()
        mx.reset_peak_memory()
        out = fn()
        mx.eval(out)
        print(
            f"{label:<48} peak +{(mx.get_peak_memory() - before) / mib:8.1f} MiB, "
            f"held +{(mx.get_active_memory() - before) / mib:8.1f} MiB"
        )
        return out

    step("embed prompt", lambda: body.embed_tokens(tokens))
    cache = make_prompt_cache(model)
    hidden = step(f"body prefill {args.tokens} tokens", lambda: body(tokens, cache=cache))
    step("output projection, 1 row", lambda: head(hidden[:, -1:, :]))
    step("output projection, 5 rows", lambda: head(mx.repeat(hidden[:, -1:, :], 5, axis=0)))
    step("output projection, 16 rows", lambda: head(mx.repeat(hidden[:, -1:, :], 16, axis=0)))
    mlp = body.layers[0].mlp
    step(f"gate_proj on {args.tokens} rows", lambda: mlp.gate_proj(hidden))
    step("gate_proj on 5 rows", lambda: mlp.gate_proj(hidden[:, :5, :]))
    step("decode step, 1 row", lambda: model(tokens[:, :1], cache=cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())
