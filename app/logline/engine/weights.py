"""A model's weights as they load: describe their format, read them in with progress, and the
check every prompt passes before it meets them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def check_prompt(model: Any, prompt: Sequence[int]) -> None:
    """Refuse prompts MLX cannot embed (an out-of-range id crashes the process, not raises)."""
    if not prompt:
        raise ValueError("Empty prompt")
    vocab = int(getattr(getattr(model, "args", None), "vocab_size", 0) or 0)
    if vocab and (min(prompt) < 0 or max(prompt) >= vocab):
        raise ValueError(f"Prompt token ids must be in the vocabulary (0..{vocab - 1})")


def describe_precision(config: dict[str, Any]) -> str:
    quant = config.get("quantization")
    if isinstance(quant, dict) and "bits" in quant:
        return f"{quant['bits']}-bit (group {quant.get('group_size', '?')})"
    return str(config.get("torch_dtype", "float16"))


def materialize(mx: Any, model: Any, progress: Callable[[int, int], None] | None) -> None:
    """Evaluate the (lazily loaded) weights in about 50 batches, reporting bytes done."""
    from mlx.utils import tree_flatten  # lazy: MLX

    arrays = [array for _, array in tree_flatten(model.parameters())]
    total = sum(int(array.nbytes) for array in arrays)
    if progress is None or total == 0:
        mx.eval(arrays)
        return
    step = max(total // 50, 1)
    done = 0
    progress(0, total)
    batch: list[Any] = []
    batch_bytes = 0
    for array in arrays:
        batch.append(array)
        batch_bytes += int(array.nbytes)
        if batch_bytes >= step:
            mx.eval(batch)
            done += batch_bytes
            progress(done, total)
            batch, batch_bytes = [], 0
    if batch:
        mx.eval(batch)
        progress(done + batch_bytes, total)
