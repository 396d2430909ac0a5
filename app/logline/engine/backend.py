"""The backend plan: every choice that depends on the machine and the model, made once at load.

Which device MLX runs on, whether this BLAS gives a row of a batched product the bits of the
one-row product, whether the model's blocks are mlx-lm's llama ones (so Logline's NumPy CPU
kernels and batched projections apply), whether a batch shares one KV buffer per layer, and
the prompt chunk size: :func:`plan_backend` decides them when a model loads, and the prompt,
decode and batch loops read the :class:`BackendPlan` instead of asking again per call or token.

Which code each plan runs:

============================  ======================================================
prompt (``prefill``)          every layer evaluated on its own, Stop checked between layers;
                              with ``numpy_prompts`` also NumPy exponentials in attention
                              and MLP (``layers.PrefillAttention``, ``layers.NumpyMLP``)
one stream (``stream``)       mlx-lm's ``stream_generate``; with ``numpy_kernels`` the
                              blocks ``layers.DecodeAttention`` / ``layers.NumpyMLP``
a batch (``batch_decode``)    ``share_kv``: one right-padded KV buffer per layer
                              (``shared_kv``), attention by NumPy (CPU float32), padded
                              MLX ops (other CPU dtypes) or MLX's fused kernel (GPU);
                              ``llama_blocks`` without ``share_kv``: batched projections,
                              attention per row; otherwise attention per row
                              (``layers.PerRowAttention``); ``batch_rows`` False: one
                              sequence after another through mlx-lm
============================  ======================================================
"""

from __future__ import annotations

import ctypes
import functools
from dataclasses import dataclass
from typing import Any, Literal

from logline.engine import memory
from logline.engine.mlx_runtime import blas_library, device_kind, import_mlx
from logline.engine.prompt_chunks import default_span, gpu_span

Device = Literal["cpu", "gpu"]

# Prompt chunks on the CPU: small ones keep Stop responsive (a 256-token chunk takes ~1 s there).
CPU_PREFILL_STEP = 256
# OpenBLAS cores whose small-matrix kernels make a one-row product differ (last bits) from the
# same row inside a larger product. Measured with OpenBLAS 0.3.21 on an AVX-512 AMD EPYC.
NOT_ROW_EXACT_CORES = frozenset({"skylakex", "cooperlake", "sapphirerapids"})


@dataclass(frozen=True)
class BackendPlan:
    """How the loaded model runs on this machine (see the module docstring for the code paths)."""

    device: Device
    prefill_step: int  # tokens per prompt chunk (chunks shrink far into long prompts)
    prefill_span: int  # the largest chunk x position product (``prompt_chunks.prefill_chunk``)
    row_exact: bool  # batched products give each row its one-row bits (CPU, row-exact BLAS)
    float32: bool  # the model computes in float32 (small models on a CPU)
    llama_blocks: bool  # every layer is mlx-lm's llama attention and MLP
    numpy_kernels: bool  # NumPy exponentials in decoding (CPU, float32, llama blocks)
    numpy_prompts: bool  # ... and in prompts (within float rounding of MLX's, not bit-equal)
    batch_rows: bool  # several sequences decode together (plain KV caches, self_attn layers)
    share_kv: bool  # a batch keeps one KV buffer per layer (llama blocks, row-offset RoPE)
    weights_bytes: int  # the parameters' bytes in memory, as loaded

    @property
    def fused_attention(self) -> bool:
        """A shared-buffer batch runs MLX's fused attention kernel (a GPU)."""
        return self.device == "gpu" and not self.row_exact


def plan_backend(
    model: Any, *, device: Device, prefill_step: int | None = None, fast_cpu: bool = True
) -> BackendPlan:
    """The plan for ``model`` (loaded and materialized) on ``device``.

    ``prefill_step`` overrides the prompt chunk size; ``fast_cpu=False`` keeps MLX's own CPU
    kernels for prompts (NumPy's exponentials there are within float rounding of MLX's, not
    bit-identical).
    """
    mx = import_mlx()
    weights = memory.model_bytes(model)
    on_cpu = device == "cpu"
    float32 = _computes_in_float32(mx, model)
    llama = llama_blocks(model)
    step = prefill_step or (CPU_PREFILL_STEP if on_cpu else memory.gpu_prefill_step(weights))
    return BackendPlan(
        device=device,
        prefill_step=step,
        prefill_span=default_span(step)
        if on_cpu
        else gpu_span(
            step,
            device_bytes=memory.device_memory_bytes(mx),
            weights_bytes=weights,
            heads=_attention_heads(model),
        ),
        row_exact=on_cpu and row_exact_blas(),
        float32=float32,
        llama_blocks=llama,
        numpy_kernels=on_cpu and float32 and llama,
        numpy_prompts=on_cpu and float32 and llama and fast_cpu,
        batch_rows=supports_row_batching(model),
        share_kv=llama and rope_takes_row_offsets() and _ropes_take_row_offsets(model),
        weights_bytes=weights,
    )


def _attention_heads(model: Any) -> int:
    args = getattr(model, "args", None)
    return int(getattr(args, "num_attention_heads", 0) or 32)


def current_device() -> Device:
    """Where MLX runs here (asked once per load: the plan keeps it)."""
    return "gpu" if device_kind() == "gpu" else "cpu"


def _computes_in_float32(mx: Any, model: Any) -> bool:
    """Whether activations are float32: the type of the floating-point parameters (a quantized
    model's scales and norms are in the activation type too)."""
    from mlx.utils import tree_flatten  # lazy: MLX

    for _, array in tree_flatten(model.parameters()):
        dtype = getattr(array, "dtype", None)
        if dtype is not None and mx.issubdtype(dtype, mx.floating):
            return dtype == mx.float32
    return False


# -- the model's blocks -----------------------------------------------------------------------
@functools.cache
def llama_block_types() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(attention classes, MLP classes) of mlx-lm's llama family: projections, RoPE at the
    cache offset, cache update, SDPA, output projection; ``down(silu(gate(x)) * up(x))``. The
    same in mlx-lm 0.28 (macOS 13's) and 0.32."""
    attention: list[type] = []
    mlp: list[type] = []
    for name in ("llama", "qwen2"):
        try:
            module = __import__(f"mlx_lm.models.{name}", fromlist=["Attention", "MLP"])
        except ImportError:
            continue
        attention.append(module.Attention)
        mlp.append(module.MLP)
    return tuple(attention), tuple(mlp)


def _layers(model: Any) -> list[Any]:
    body = getattr(model, "model", model)
    return list(getattr(body, "layers", None) or getattr(model, "layers", None) or [])


def llama_blocks(model: Any) -> bool:
    """Whether every layer's attention and MLP are mlx-lm's llama blocks."""
    attention, mlp = llama_block_types()
    layers = _layers(model)
    return bool(layers) and all(
        type(getattr(layer, "self_attn", None)) in attention
        and type(getattr(layer, "mlp", None)) in mlp
        for layer in layers
    )


def supports_row_batching(model: Any) -> bool:
    """Whether ``batch_decode`` can batch this model exactly: plain KV caches for every layer
    and a ``self_attn`` block in each."""
    from mlx_lm.models.cache import KVCache, make_prompt_cache  # lazy: mlx-lm

    layers = getattr(model, "layers", None)
    if not layers:
        return False
    cache = make_prompt_cache(model)
    if len(cache) != len(layers) or not all(type(c) is KVCache for c in cache):
        return False
    return all(hasattr(layer, "self_attn") for layer in layers)


def _array_offset_ropes() -> tuple[type, ...]:
    """RoPE classes whose ``__call__`` passes ``offset`` straight to ``mx.fast.rope``."""
    import mlx.nn as nn  # lazy: MLX

    ropes: list[type] = [nn.RoPE]
    try:
        from mlx_lm.models import rope_utils
    except ImportError:
        return tuple(ropes)
    for name in ("Llama3RoPE", "SuScaledRoPE"):
        cls = getattr(rope_utils, name, None)
        if isinstance(cls, type):
            ropes.append(cls)
    return tuple(ropes)


def _ropes_take_row_offsets(model: Any) -> bool:
    ropes = _array_offset_ropes()
    return all(type(layer.self_attn.rope) in ropes for layer in _layers(model))


@functools.cache
def rope_takes_row_offsets() -> bool:
    """Feature check: ``mx.fast.rope`` with a vector offset equals per-row int offsets."""
    mx = import_mlx()
    if not hasattr(mx, "put_along_axis"):
        return False
    x = mx.random.normal((3, 2, 1, 16), key=mx.random.key(0))
    offsets = [0, 5, 300]
    try:
        together = mx.fast.rope(
            x, 16, traditional=False, base=10000.0, scale=1.0, offset=mx.array(offsets)
        )
    except (TypeError, ValueError, RuntimeError):
        return False
    apart = mx.concatenate(
        [
            mx.fast.rope(x[i : i + 1], 16, traditional=False, base=10000.0, scale=1.0, offset=n)
            for i, n in enumerate(offsets)
        ]
    )
    return bool(mx.array_equal(together, apart).item())


# -- the BLAS ---------------------------------------------------------------------------------
def blas_core() -> str | None:
    """The kernel family OpenBLAS chose (``openblas_get_corename``), or None without OpenBLAS."""
    path = blas_library()
    if path is None:
        return None
    try:
        get = ctypes.CDLL(path).openblas_get_corename
    except (OSError, AttributeError):
        return None
    get.restype = ctypes.c_char_p
    return (get() or b"").decode().strip().lower() or None


def row_exact_blas() -> bool:
    """Whether this CPU's BLAS computes each row of a product the same way whatever the number
    of rows (OpenBLAS's Haswell, Zen, ... kernels; ``OPENBLAS_CORETYPE=Haswell`` selects them on
    AVX-512 CPUs). Then batched decoding reproduces single-stream logits bit for bit; elsewhere
    (AVX-512 kernels, Metal, CUDA) logits can differ in the last bits, and greedy outputs still
    agree unless two tokens are within ~1e-5 of each other."""
    core = blas_core()
    return core is not None and core not in NOT_ROW_EXACT_CORES
