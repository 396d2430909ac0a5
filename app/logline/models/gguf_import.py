"""Import a llama-family GGUF file into an MLX model folder that ``mlx_lm.load`` reads.

The folder gets ``model.safetensors`` (tensors renamed to mlx-lm's llama layout, quantized blocks
kept as MLX affine quantization), ``config.json`` built from the GGUF metadata, the tokenizer
files, and ``logline.json`` (where it came from). The import writes into a hidden staging folder
next to the destination and renames it into place at the end, so a failure never leaves a half
model behind.

Must run on the engine thread when called from the app (it uses MLX).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from logline.models.config_check import check_against_weights, check_config
from logline.models.errors import ModelImportError
from logline.models.gguf_file import GGUFHeader, read_header
from logline.models.gguf_tokenizer import (
    check_tokenizer_metadata,
    stop_token_ids,
    write_tokenizer_files,
)
from logline.models.import_checks import verify_by_running
from logline.models.manifest import MANIFEST_NAME, ModelManifest
from logline.models.model_folder import check_model_id, replace_folder
from logline.models.template_check import check_chat_template

log = logging.getLogger(__name__)

SUPPORTED_ARCHITECTURES = ("llama",)
SUPPORTED_TENSOR_TYPES = ("F32", "F16", "Q4_0", "Q4_1", "Q8_0")
QUANT_GROUP_SIZE = 32  # Q4_0, Q4_1 and Q8_0 all use blocks of 32

_GLOBAL_NAMES = {
    "token_embd": "model.embed_tokens",
    "output_norm": "model.norm",
    "output": "lm_head",
}
_BLOCK_NAMES = {
    "attn_norm": "input_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
_BLOCK_RE = re.compile(r"^blk\.(\d+)\.([a-z_]+)$")

ProgressCallback = Callable[[str, float], None]


def mlx_module_name(gguf_name: str) -> str:
    """``blk.3.attn_q`` -> ``model.layers.3.self_attn.q_proj`` (names without .weight)."""
    if gguf_name in _GLOBAL_NAMES:
        return _GLOBAL_NAMES[gguf_name]
    match = _BLOCK_RE.match(gguf_name)
    if match and match.group(2) in _BLOCK_NAMES:
        return f"model.layers.{match.group(1)}.{_BLOCK_NAMES[match.group(2)]}"
    raise ModelImportError(f"Unsupported tensor {gguf_name!r}: not part of the llama layout.")


def check_supported(header: GGUFHeader) -> None:
    """Raise a ModelImportError naming everything about this GGUF that Logline cannot import."""
    arch = header.architecture
    if arch not in SUPPORTED_ARCHITECTURES:
        raise ModelImportError(
            f"Unsupported model architecture {arch or 'unknown'!r} in {header.path.name}: "
            f"Logline imports llama-family GGUF files ({', '.join(SUPPORTED_ARCHITECTURES)})."
        )
    unsupported: dict[str, list[str]] = {}
    for tensor in header.tensors:
        if tensor.type_name not in SUPPORTED_TENSOR_TYPES:
            unsupported.setdefault(tensor.type_name, []).append(tensor.name)
    if unsupported:
        parts = [
            f"{kind} ({len(names)} tensor{'s' if len(names) > 1 else ''}, e.g. {names[0]})"
            for kind, names in sorted(unsupported.items())
        ]
        raise ModelImportError(
            f"Unsupported tensor types in {header.path.name}: {'; '.join(parts)}. "
            f"Logline imports GGUF tensors of types {', '.join(SUPPORTED_TENSOR_TYPES)}; "
            "re-export the model with one of those (e.g. Q4_0, Q8_0 or F16)."
        )
    names = {t.name.removesuffix(".weight") for t in header.tensors}
    if "rope_freqs" in names:
        raise ModelImportError(
            f"Unsupported in {header.path.name}: the rope_freqs tensor (Llama 3.1-style RoPE "
            "scaling) is not imported yet. Import the model's MLX or safetensors version instead."
        )
    for name in sorted(names):
        mlx_module_name(name)  # raises on tensors outside the llama layout


def _key(header: GGUFHeader, key: str) -> str:
    return f"{header.architecture}.{key}"


def build_config(header: GGUFHeader, tensors: dict[str, Any]) -> dict[str, Any]:
    """config.json for mlx-lm's llama model, with per-tensor quantization where bits differ.

    Every metadata value is type- and range-checked (:class:`ModelConfigError` names the key)."""
    arch = _key
    heads = header.integer(arch(header, "attention.head_count"), low=1, high=1024)
    hidden = header.integer(arch(header, "embedding_length"), low=1, high=1 << 16)
    tokens = header.texts("tokenizer.ggml.tokens")
    vocab_size = header.integer(arch(header, "vocab_size"), len(tokens) or None, 1, 1 << 22)
    stop_ids = stop_token_ids(header)
    config: dict[str, Any] = {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": hidden,
        "num_hidden_layers": header.integer(arch(header, "block_count"), low=1, high=1024),
        "intermediate_size": header.integer(
            arch(header, "feed_forward_length"), low=1, high=1 << 20
        ),
        "num_attention_heads": heads,
        "num_key_value_heads": header.integer(
            arch(header, "attention.head_count_kv"), heads, 1, 1024
        ),
        "head_dim": header.integer(arch(header, "attention.key_length"), hidden // heads or 1, 1),
        "rms_norm_eps": header.number(arch(header, "attention.layer_norm_rms_epsilon"), 1e-5),
        "rope_theta": header.number(arch(header, "rope.freq_base"), 10000.0),
        # llama.cpp permutes Q/K rows so that RoPE rotates adjacent pairs ("traditional" RoPE).
        "rope_traditional": True,
        "max_position_embeddings": header.integer(arch(header, "context_length"), 4096, 1, 1 << 24),
        "vocab_size": vocab_size,
        "tie_word_embeddings": "output.weight" not in {t.name for t in header.tensors},
        "attention_bias": False,
        "mlp_bias": False,
        "torch_dtype": "float16",
    }
    if header.get("tokenizer.ggml.bos_token_id") is not None:
        config["bos_token_id"] = header.integer("tokenizer.ggml.bos_token_id", high=vocab_size - 1)
    if stop_ids:
        config["eos_token_id"] = stop_ids if len(stop_ids) > 1 else stop_ids[0]
    scaling = header.text(arch(header, "rope.scaling.type"))
    if scaling == "linear":
        config["rope_scaling"] = {
            "type": "linear",
            "factor": header.number(arch(header, "rope.scaling.factor"), 1.0),
        }
    elif scaling not in (None, "none"):
        raise ModelImportError(f"Unsupported RoPE scaling {scaling[:40]!r} in {header.path.name}.")

    quantized = {name[: -len(".scales")] for name in tensors if name.endswith(".scales")}
    if quantized:
        bits_by_module = {}
        for module in quantized:
            packed = tensors[f"{module}.weight"].shape[-1] * 32
            groups = tensors[f"{module}.scales"].shape[-1]
            bits_by_module[module] = packed // (groups * QUANT_GROUP_SIZE)
        counts: dict[int, int] = {}
        for bits in bits_by_module.values():
            counts[bits] = counts.get(bits, 0) + 1
        default_bits = max(counts, key=lambda b: counts[b])
        quantization: dict[str, Any] = {"group_size": QUANT_GROUP_SIZE, "bits": default_bits}
        for module, bits in sorted(bits_by_module.items()):
            if bits != default_bits:
                quantization[module] = {"group_size": QUANT_GROUP_SIZE, "bits": bits}
        config["quantization"] = quantization
        config["quantization_config"] = quantization
    return config


def check_metadata(header: GGUFHeader) -> None:
    """The metadata's config is sane and agrees with the tensor table; the tokenizer and chat
    template are usable (all before MLX reads a tensor)."""
    config = build_config(header, {})
    shape = check_config(config, f"The metadata of {header.path.name}")
    shapes = {
        f"{mlx_module_name(t.name.removesuffix('.weight'))}.weight": tuple(reversed(t.shape))
        for t in header.tensors
    }
    check_against_weights(shape, shapes, header.path.name, "the GGUF metadata")
    check_tokenizer_metadata(header, config["vocab_size"])
    template = header.get("tokenizer.chat_template")
    if template is not None:
        check_chat_template(template, f"The chat template of {header.path.name}")


def rename_tensors(raw: dict[str, Any]) -> dict[str, Any]:
    renamed = {}
    for name, array in raw.items():
        stem, _, suffix = name.rpartition(".")
        if suffix not in ("weight", "scales", "biases"):
            raise ModelImportError(f"Unexpected tensor {name!r} in GGUF.")
        renamed[f"{mlx_module_name(stem)}.{suffix}"] = array
    return renamed


def file_sha256(path: Path, chunk: int = 8 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def default_model_id(path: Path) -> str:
    stem = path.name.removesuffix(".gguf")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "imported-model"


def import_gguf(
    gguf_path: str | Path,
    models_root: Path,
    *,
    model_id: str | None = None,
    display_name: str | None = None,
    source: str = "import",
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
) -> ModelManifest:
    """Convert ``gguf_path`` into ``models_root/<model_id>``; return the installed manifest."""
    gguf_path = Path(gguf_path).expanduser()
    report = progress or (lambda _stage, _fraction: None)
    header = read_header(gguf_path)
    check_supported(header)
    check_metadata(header)
    model_id = model_id or default_model_id(gguf_path)
    check_model_id(model_id)
    destination = models_root / model_id
    if destination.exists() and not overwrite:
        raise ModelImportError(f"A model named {model_id!r} is already installed at {destination}.")
    models_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model_id}.importing-", dir=models_root))
    staging.chmod(0o700)  # private like the rest of the cache
    started = time.perf_counter()
    try:
        report("Reading tensors", 0.05)
        from logline.engine.compat import load_gguf  # lazy: imports MLX
        from logline.engine.mlx_runtime import import_mlx

        mx = import_mlx()
        try:
            raw = load_gguf(gguf_path, header)
        except (RuntimeError, ValueError) as exc:
            raise ModelImportError(f"MLX could not read {gguf_path.name}: {exc}") from exc
        tensors = rename_tensors(raw)
        report("Writing weights", 0.45)
        config = build_config(header, tensors)
        mx.save_safetensors(str(staging / "model.safetensors"), tensors, metadata={"format": "mlx"})
        (staging / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        report("Building tokenizer", 0.75)
        write_tokenizer_files(header, staging, config["max_position_embeddings"])
        report("Checking file", 0.9)
        manifest = ModelManifest(
            model_id=model_id,
            display_name=display_name or (header.text("general.name") or model_id)[:120],
            source=source,
            origin=str(gguf_path),
            origin_sha256=file_sha256(gguf_path),
            format="gguf",
            quantization=_describe_quantization(header),
            context_length=config["max_position_embeddings"],
            parameters=_parameter_count(header),
        )
        report("Test run", 0.95)
        verify_by_running(staging, gguf_path.name)
        manifest.write(staging / MANIFEST_NAME)
        replace_folder(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report("Done", 1.0)
    log.info("Imported %s as %s in %.1f s", gguf_path.name, model_id, time.perf_counter() - started)
    return manifest


def _describe_quantization(header: GGUFHeader) -> str:
    counts: dict[str, int] = {}
    for tensor in header.tensors:
        if len(tensor.shape) > 1:
            counts[tensor.type_name] = counts.get(tensor.type_name, 0) + 1
    return "+".join(sorted(counts, key=lambda k: -counts[k]))[:40]


def _parameter_count(header: GGUFHeader) -> int:
    return sum(t.n_elements for t in header.tensors)
