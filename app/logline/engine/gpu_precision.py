"""Choose, on a GPU, whether a quantized model runs as stored or as a dequantized copy.

Batched decoding multiplies several rows (one token per sequence) by every weight matrix. With
float weights, one product of 16 rows costs about what one row costs: the weights are read once.
MLX's quantized products on CUDA read the weights again for every few rows (measured on an
H200 with ``bench/gpu/quantized_rows.py``: Llama-3-8B's ``gate_proj`` took 40 µs for one row and
414 µs for 16 at 4-bit, 55 to 62 µs for 1 to 16 in bf16), so a 4-bit model batches poorly there, and
even one sequence decoded faster in bf16 (190 against 144 tok/s). On Apple GPUs the quantized
kernels batch well, and the smaller weights win.

Rather than a rule per backend, :func:`choose_gpu_precision` measures, once at load: the
model's own projections of its first layer (attention and MLP, each once), at one row and at
:data:`BATCH_ROWS` rows, quantized and dequantized, summed over the layer as a decode step runs
them. The copy is made only when it is clearly faster for a batch (:data:`MIN_BATCH_GAIN`), not
slower for one sequence, and fits the memory budget beside everything else; the returned text
says what was chosen and why, and the summary statistics show it. One projection alone misleads:
on the H200 the 8B's wide MLP gate was faster quantized for one row (40 against 62 µs: fewer
bytes) while its attention projections were slower (q: 61 against 16 µs), and the whole model
decoded one sequence faster in bf16; summed over the layer the two paths are within 5% for one
row and the copy is 4.9x faster for 16 (``tests/test_gpu_precision.py`` reads those figures).
The copy is in the activations' own type (that of the quantization scales: bf16 for most MLX
models, else float16), so only the product kernels change and greedy text stays the same
(tested on the embedded model). ``LOGLINE_GPU_PRECISION=native`` keeps the
stored weights, ``=dense`` forces the copy (where it fits).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from logline.units import format_bytes

log = logging.getLogger(__name__)

BATCH_ROWS = 16  # rows in the batched product measured (a map batch decodes about this many)
MIN_BATCH_GAIN = 1.3  # the copy must make the batched product at least this much faster...
MAX_ONE_ROW_LOSS = 1.1  # ... and one row at most this much slower
REPEAT = 20  # products timed per measurement (after a warm-up)
ENV = "LOGLINE_GPU_PRECISION"


@dataclass(frozen=True)
class ProductTimes:
    """Seconds per product of one projection, as stored (quantized) and as a dense copy."""

    quantized_one: float
    quantized_batch: float
    dense_one: float
    dense_batch: float

    def __add__(self, other: ProductTimes) -> ProductTimes:
        return ProductTimes(
            self.quantized_one + other.quantized_one,
            self.quantized_batch + other.quantized_batch,
            self.dense_one + other.dense_one,
            self.dense_batch + other.dense_batch,
        )

    @property
    def batch_gain(self) -> float:
        return self.quantized_batch / self.dense_batch if self.dense_batch > 0 else 0.0

    @property
    def one_row_ratio(self) -> float:
        return self.dense_one / self.quantized_one if self.quantized_one > 0 else float("inf")

    def dense_wins(self) -> bool:
        return self.batch_gain >= MIN_BATCH_GAIN and self.one_row_ratio <= MAX_ONE_ROW_LOSS


@dataclass(frozen=True)
class PrecisionChoice:
    dequantized: bool
    precision: str | None  # the new description when dequantized (else the stored one stands)
    reason: str  # one clause for the stats: what was measured or why nothing was


def quantized_modules(model: Any) -> list[Any]:
    import mlx.nn as nn  # lazy: MLX

    return [
        m
        for _, m in model.named_modules()
        if isinstance(m, (nn.QuantizedLinear, nn.QuantizedEmbedding))
    ]


def dense_bytes(model: Any) -> int:
    """The model's parameters as a dense copy in the activations' type."""
    from logline.engine.precision import float32_bytes

    quantized = quantized_modules(model)
    item = int(quantized[0].scales.dtype.size) if quantized else 4
    return float32_bytes(model) // 4 * item


def probe_linears(model: Any) -> list[Any]:
    """The projections measured: the first layer's quantized ones (attention and MLP), else
    any one quantized linear layer."""
    import mlx.nn as nn  # lazy: MLX

    layers = getattr(getattr(model, "model", model), "layers", None) or []
    if layers:
        first = [m for _, m in layers[0].named_modules() if isinstance(m, nn.QuantizedLinear)]
        if first:
            return first
    linear = next((m for m in quantized_modules(model) if isinstance(m, nn.QuantizedLinear)), None)
    return [linear] if linear is not None else []


def _seconds(mx: Any, product: Callable[[], Any]) -> float:
    mx.eval(product())
    mx.synchronize()
    started = time.perf_counter()
    mx.eval([product() for _ in range(REPEAT)])
    mx.synchronize()
    return (time.perf_counter() - started) / REPEAT


def measure(mx: Any, linears: list[Any]) -> ProductTimes:
    """Time ``linears`` (``nn.QuantizedLinear``) against their dequantized weights, summed."""
    total = ProductTimes(0.0, 0.0, 0.0, 0.0)
    for linear in linears:
        total = total + measure_one(mx, linear)
    return total


def measure_one(mx: Any, linear: Any) -> ProductTimes:
    """Time ``linear`` (an ``nn.QuantizedLinear``) against its dequantized weight."""
    dense = mx.dequantize(
        linear.weight, linear.scales, linear.biases, linear.group_size, linear.bits
    )
    mx.eval(dense)
    width = int(dense.shape[1])
    dtype = linear.scales.dtype
    one = mx.random.normal((1, 1, width)).astype(dtype)
    batch = mx.random.normal((BATCH_ROWS, 1, width)).astype(dtype)
    transposed = dense.T
    return ProductTimes(
        quantized_one=_seconds(mx, lambda: linear(one)),
        quantized_batch=_seconds(mx, lambda: linear(batch)),
        dense_one=_seconds(mx, lambda: one @ transposed),
        dense_batch=_seconds(mx, lambda: batch @ transposed),
    )


def choose_gpu_precision(
    mx: Any,
    model: Any,
    *,
    budget_bytes: int,
    times: ProductTimes | None = None,
) -> PrecisionChoice:
    """Dequantize ``model`` in place when that is the faster batched path here and the copy
    fits ``budget_bytes`` (what the weights may grow by); ``times`` skips the measurement."""
    setting = os.environ.get(ENV, "auto").strip().lower()
    if not quantized_modules(model):
        return PrecisionChoice(False, None, "weights stored unquantized")
    if setting == "native":
        return PrecisionChoice(False, None, f"stored weights kept ({ENV}=native)")
    from logline.engine import memory

    grows_by = dense_bytes(model) - memory.model_bytes(model)
    if grows_by > budget_bytes:
        return PrecisionChoice(
            False,
            None,
            f"stored weights kept: a dense copy needs {format_bytes(grows_by, memory=True)} more "
            f"than the {format_bytes(budget_bytes, memory=True)} available",
        )
    if setting != "dense":
        linears = probe_linears(model)
        if not linears:
            return PrecisionChoice(False, None, "stored weights kept (nothing to measure)")
        times = times or measure(mx, linears)
        log.info("Quantized vs dense products here: %s", times)
        if not times.dense_wins():
            return PrecisionChoice(
                False,
                None,
                f"stored weights kept: a layer's {BATCH_ROWS}-row products are "
                f"{times.batch_gain:.2f}x as fast dequantized, one row {times.one_row_ratio:.2f}x "
                "as long (not worth the memory)",
            )
        why = (
            f"a layer's {BATCH_ROWS}-row products measured {times.batch_gain:.1f}x faster than "
            "the stored weights'"
        )
    else:
        why = f"{ENV}=dense"
    name = _dequantize(mx, model)
    size = format_bytes(memory.model_bytes(model), memory=True)
    return PrecisionChoice(True, f"{name} (dequantized for this GPU, {size})", why)


def _dequantize(mx: Any, model: Any) -> str:
    """Replace the quantized layers by dense ones in the activations' own type (that of the
    scales: float16 or bf16), so that only the product kernels change; that type's name."""
    from mlx_lm.utils import dequantize_model  # lazy: mlx-lm

    dtype = quantized_modules(model)[0].scales.dtype
    dequantize_model(model)
    return {mx.float16: "float16", mx.bfloat16: "bf16", mx.float32: "float32"}.get(dtype, "dense")
