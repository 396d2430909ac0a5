"""Range-check a model's ``config.json`` and hold it against the shapes its weights really have.

A config that says ``hidden_size: 10**9``, ``num_hidden_layers: -2`` or ``vocab_size: 0`` would
have mlx-lm allocate absurd buffers, crash, or load garbage that "works" with exit code 0; one
that disagrees with its weights fails later with a cryptic shape error. Both are refused here,
before any weight is read, with a :class:`ModelConfigError` or a :class:`ModelWeightsError` that
names the key. Stdlib only (no MLX): GGUF metadata goes through the same checks
(:mod:`logline.models.gguf_import` builds a config from it first).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from logline.models.errors import ModelConfigError, ModelWeightsError

# key -> (aliases, upper bound); every key is a positive whole number when present.
SIZES: dict[str, tuple[tuple[str, ...], int]] = {
    "hidden_size": (("hidden_size", "n_embd", "d_model", "model_dim"), 1 << 16),
    "num_hidden_layers": (
        ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "num_transformer_layers"),
        1024,
    ),
    "vocab_size": (("vocab_size", "n_vocab", "padded_vocab_size"), 1 << 22),
    "num_attention_heads": (("num_attention_heads", "n_head", "num_heads"), 1024),
    "num_key_value_heads": (("num_key_value_heads", "n_head_kv", "num_kv_heads"), 1024),
    "head_dim": (("head_dim",), 4096),
    "intermediate_size": (("intermediate_size", "n_inner", "ffn_dim"), 1 << 20),
    "max_position_embeddings": (("max_position_embeddings", "n_positions", "n_ctx"), 1 << 24),
}
REQUIRED = ("hidden_size", "num_hidden_layers", "vocab_size")
# The language model's blocks (not a vision tower's "encoder.layers.N").
_LAYER = re.compile(r"(?:^|\.)(?:model\.layers|transformer\.h|backbone\.layers)\.(\d+)\.")
_EMBEDDINGS = ("embed_tokens.weight", "wte.weight", "tok_embeddings.weight", "lm_head.weight")
# Architectures whose projections have the plain llama shapes (others: the forward pass checks).
LLAMA_LIKE = frozenset({"llama", "mistral", "qwen2", "qwen3", "smollm3", "olmo2", "granite"})
_HIDDEN_NORMS = ("input_layernorm.weight", "post_attention_layernorm.weight", "model.norm.weight")


@dataclass(frozen=True)
class ModelShape:
    """The sizes a config promises (None: the config does not say)."""

    hidden_size: int
    num_hidden_layers: int
    vocab_size: int
    num_attention_heads: int | None = None
    num_key_value_heads: int | None = None
    head_dim: int | None = None
    intermediate_size: int | None = None
    max_position_embeddings: int | None = None
    extra_layers_allowed: bool = False  # multi-token-prediction layers beyond the count
    model_type: str = ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def text_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The language model's settings: ``text_config`` of a multimodal config over the top."""
    nested = config.get("text_config")
    return {**config, **nested} if isinstance(nested, dict) else dict(config)


def _check_finite(config: Mapping[str, Any], where: str) -> None:
    stack: list[tuple[str, Any]] = list(config.items())
    while stack:
        key, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise ModelConfigError(f"{where}: {key} is {value}, which is not a usable number.")
        if isinstance(value, dict):
            stack.extend((f"{key}.{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((key, v) for v in value)


def check_config(config: Mapping[str, Any], where: str) -> ModelShape:
    """The checked sizes of ``config``; ``where`` opens every message ('The config.json of "x"')."""
    _check_finite(config, where)
    settings = text_config(config)
    values: dict[str, int] = {}
    for key, (aliases, bound) in SIZES.items():
        alias = next((a for a in aliases if settings.get(a) is not None), None)
        if alias is None:
            if key in REQUIRED:
                raise ModelConfigError(f"{where} does not give the model's {key}.")
            continue
        value = settings[alias]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= bound:
            raise ModelConfigError(
                f"{where}: {alias} must be a whole number from 1 to {bound:,}, not {_short(value)}."
            )
        values[key] = value
    heads, kv_heads = values.get("num_attention_heads"), values.get("num_key_value_heads")
    if heads and kv_heads and heads % kv_heads:
        raise ModelConfigError(
            f"{where}: num_key_value_heads ({kv_heads}) must divide num_attention_heads ({heads})."
        )
    if heads and "head_dim" not in values and values["hidden_size"] % heads:
        raise ModelConfigError(
            f"{where}: hidden_size ({values['hidden_size']}) is not a multiple of "
            f"num_attention_heads ({heads})."
        )
    _check_quantization(settings, where)
    extra = any(settings.get(k) for k in ("num_nextn_predict_layers", "mtp_num_hidden_layers"))
    model_type = str(settings.get("model_type") or "")
    return ModelShape(**values, extra_layers_allowed=bool(extra), model_type=model_type)


def _check_quantization(settings: Mapping[str, Any], where: str) -> None:
    for key in ("quantization", "quantization_config"):
        quantization = settings.get(key)
        if quantization is None:
            continue
        if not isinstance(quantization, dict):
            raise ModelConfigError(f"{where}: {key} must be a JSON object.")
        bits, group = quantization.get("bits"), quantization.get("group_size")
        for name, value, low, high in (("bits", bits, 1, 8), ("group_size", group, 8, 1024)):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high
            ):
                raise ModelConfigError(
                    f"{where}: {key}.{name} must be a whole number from {low} to {high}."
                )


def _group_size(quantization: Any, module: str) -> int | None:
    if not isinstance(quantization, dict):
        return None
    override = quantization.get(module)
    group = override.get("group_size") if isinstance(override, dict) else None
    group = group or quantization.get("group_size")
    return group if isinstance(group, int) and not isinstance(group, bool) else None


def logical_shapes(
    tensors: Mapping[str, tuple[tuple[int, ...], str]], quantization: Any
) -> dict[str, tuple[int, ...]]:
    """``{name: shape}`` with packed MLX-quantized weights (uint32 + ``.scales``) unpacked to
    their logical columns (``scales`` columns x the module's group size); others as they are."""
    shapes: dict[str, tuple[int, ...]] = {}
    for name, (shape, dtype) in tensors.items():
        module = name.removesuffix(".weight")
        scales = tensors.get(module + ".scales")
        if name.endswith(".weight") and scales is not None and dtype == "U32":
            group_size = _group_size(quantization, module)
            if group_size is None or len(shape) < 2:
                continue  # unknown packing: the forward pass checks it
            shape = (*shape[:-1], scales[0][-1] * group_size)
        shapes[name] = tuple(shape)
    return shapes


def check_against_weights(
    shape: ModelShape, tensors: Mapping[str, tuple[int, ...]], where: str, source: str
) -> None:
    """Refuse weights whose shapes disagree with ``shape`` (``source``: 'config.json' or 'the
    GGUF metadata'); ``tensors`` maps mlx-lm names to (logical, numpy-order) shapes."""

    def refuse(key: str, value: int, name: str, found: tuple[int, ...]) -> None:
        raise ModelWeightsError(
            f"{where}: {source} disagrees with the weights: {key} is {value} but tensor "
            f"{name[:80]!r} has shape {found}."
        )

    hidden, vocab = shape.hidden_size, shape.vocab_size
    heads = shape.num_attention_heads
    head_dim = shape.head_dim or (hidden // heads if heads else None)
    expected_rows = {
        "embed_tokens.weight": ("vocab_size", vocab),
        "wte.weight": ("vocab_size", vocab),
        "tok_embeddings.weight": ("vocab_size", vocab),
        "lm_head.weight": ("vocab_size", vocab),
        "mlp.gate_proj.weight": ("intermediate_size", shape.intermediate_size),
        "mlp.up_proj.weight": ("intermediate_size", shape.intermediate_size),
        "self_attn.q_proj.weight": ("num_attention_heads", heads and head_dim and heads * head_dim),
        "self_attn.k_proj.weight": (
            "num_key_value_heads",
            shape.num_key_value_heads and head_dim and shape.num_key_value_heads * head_dim,
        ),
    }
    expected_cols = {
        "embed_tokens.weight": ("hidden_size", hidden),
        "lm_head.weight": ("hidden_size", hidden),
        "mlp.gate_proj.weight": ("hidden_size", hidden),
        "mlp.down_proj.weight": ("intermediate_size", shape.intermediate_size),
        "self_attn.q_proj.weight": ("hidden_size", hidden),
    }
    llama_like = shape.model_type in LLAMA_LIKE
    layers: set[int] = set()
    for name, dims in tensors.items():
        found = _LAYER.search(name)
        if found:
            layers.add(int(found.group(1)))
        if name.endswith(_HIDDEN_NORMS) and len(dims) == 1 and dims != (hidden,):
            refuse("hidden_size", hidden, name, dims)
        if not llama_like and not name.endswith(_EMBEDDINGS):
            continue
        suffix = next((s for s in expected_rows if name.endswith(s)), None)
        if suffix and len(dims) == 2:
            key, rows = expected_rows[suffix]
            if rows and dims[0] != rows:
                refuse(key, rows, name, dims)
        suffix = next((s for s in expected_cols if name.endswith(s)), None)
        if suffix and len(dims) == 2:
            key, cols = expected_cols[suffix]
            if cols and dims[1] != cols:
                refuse(key, cols, name, dims)
    count = shape.num_hidden_layers
    if layers and (
        not set(range(count)) <= layers or (max(layers) >= count and not shape.extra_layers_allowed)
    ):
        raise ModelWeightsError(
            f"{where}: {source} disagrees with the weights: num_hidden_layers is {count} but the "
            f"weights hold {len(layers)} layers."
        )
