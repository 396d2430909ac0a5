"""Choose the numeric format a model runs in on MLX's CPU backend.

MLX's quantized and float16 CPU kernels are slow, while float32 matrix products go through BLAS
(OpenBLAS when ``mlx_runtime`` found one). Small models therefore run much faster on CPU when their
weights are expanded to float32 at load time: measured here, SmolLM2-135M prefilled ~9 tok/s at
4-bit and ~200 tok/s as float32 with OpenBLAS. Large models stay as they are (memory wins).
Metal and CUDA never take this path. ``LOGLINE_CPU_PRECISION=native`` turns it off.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from logline.units import format_bytes

log = logging.getLogger(__name__)

# Expand to float32 only while the float32 weights stay below this size (bytes).
MAX_FLOAT32_BYTES = 3 * 2**30


def float32_bytes(model: Any) -> int:
    """Bytes the model's weights would take as float32 (quantized layers counted unpacked)."""
    from mlx.utils import tree_flatten

    total = 0
    for name, array in tree_flatten(model.parameters()):
        if name.endswith((".scales", ".biases")) and _is_quant_aux(model, name):
            continue
        total += array.size
    # Packed quantized weights hold 32 / bits values per uint32 element.
    total += _packed_extra_elements(model)
    return total * 4


def _is_quant_aux(model: Any, name: str) -> bool:
    return name.rsplit(".", 1)[0] in _quantized_modules(model)


def _quantized_modules(model: Any) -> dict[str, Any]:
    import mlx.nn as nn

    return {
        path: module
        for path, module in model.named_modules()
        if isinstance(module, (nn.QuantizedLinear, nn.QuantizedEmbedding))
    }


def _packed_extra_elements(model: Any) -> int:
    extra = 0
    for module in _quantized_modules(model).values():
        extra += module.weight.size * (32 // module.bits - 1)
    return extra


def choose_cpu_precision(model: Any, config: dict[str, Any]) -> str | None:
    """Expand ``model`` to float32 in place when that is the faster CPU path; describe the result.

    Returns None when the model is left as it was.
    """
    if os.environ.get("LOGLINE_CPU_PRECISION", "auto").lower() == "native":
        return None
    import mlx.core as mx

    size = float32_bytes(model)
    if size > MAX_FLOAT32_BYTES:
        log.info("Keeping native precision on CPU: float32 would need %.1f GiB", size / 2**30)
        return None
    from mlx_lm.utils import dequantize_model

    quantized = bool(_quantized_modules(model))
    # Upcast first: scales and biases become float32, so dequantized weights are exact rather
    # than rounded through float16.
    model.set_dtype(mx.float32)
    if quantized:
        dequantize_model(model)
    source = "dequantized" if quantized else "upcast"
    return f"float32 ({source} for CPU, {format_bytes(size, memory=True)})"
