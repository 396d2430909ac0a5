"""The fit advisor: KV-cache math by hand, verdicts at injected RAM sizes, usable context."""

from __future__ import annotations

import json
from pathlib import Path

from logline.models import catalog, fit

GiB = 1024**3
LLAMA_8B = {  # Meta-Llama-3.1-8B config.json (the fields that matter)
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "hidden_size": 4096,
    "max_position_embeddings": 131072,
}


def test_kv_math_matches_a_hand_computation() -> None:
    shape = fit.kv_shape(LLAMA_8B)
    assert shape == fit.KVShape(32, 8, 128)  # head_dim = 4096 / 32
    # 2 (K and V) * 32 layers * 8 kv heads * 128 dims * 2 bytes = 131,072 bytes per token
    assert shape.bytes_per_token == 131_072
    assert fit.kv_cache_bytes(shape, 8192) == 1 * GiB


def test_kv_shape_variants() -> None:
    # explicit head_dim (Gemma, Qwen3), no num_key_value_heads (plain multi-head attention)
    assert fit.kv_shape(
        {"num_hidden_layers": 2, "num_attention_heads": 8, "hidden_size": 64, "head_dim": 256}
    ) == fit.KVShape(2, 8, 256)
    nested = {
        "text_config": {
            "num_hidden_layers": 3,
            "num_attention_heads": 4,
            "num_key_value_heads": 1,
            "hidden_size": 512,
        }
    }
    assert fit.kv_shape(nested) == fit.KVShape(3, 1, 128)


def test_verdicts_small_and_large_ram() -> None:
    entry = catalog.find_entry("llama-3.1-8b-instruct")
    assert entry is not None
    small = fit.advise_for_catalog(entry, 8192, ram=8 * GiB)
    assert small.level == "refuse" and not small.ok
    assert small.kv_bytes == 1 * GiB
    assert small.available_bytes == int(8 * GiB * 2 / 3)
    assert "Llama 3.1 8B Instruct needs about 4.7 GB for weights plus 1 GB for an 8k context" in (
        small.message
    )
    assert "has 8 GB, of which about 5.3 GB can be used" in small.message
    assert small.message.endswith("Choose a smaller model or a shorter context.")

    big = fit.advise_for_catalog(entry, 8192, ram=64 * GiB)
    assert big.level == "ok" and big.available_bytes == 48 * GiB

    tight = fit.advise_for_catalog(entry, 8192, ram=16 * GiB, usable=int(small.needed_bytes * 1.05))
    assert tight.level == "warn" and "other apps may slow down" in tight.message


def test_folder_verdict_uses_config_and_weight_files(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_8B))
    (tmp_path / "model-00001-of-00002.safetensors").write_bytes(b"\0" * 3000)
    (tmp_path / "model-00002-of-00002.safetensors").write_bytes(b"\0" * 1000)
    (tmp_path / "tokenizer.json").write_bytes(b"\0" * 99999)  # not weights
    verdict = fit.advise_for_folder(tmp_path, 1024, ram=8 * GiB)
    assert verdict.weights_bytes == 4000
    assert verdict.needed_bytes == 4000 + fit.working_bytes(4000) + 1024 * 131_072
    assert verdict.level == "ok"


def test_usable_context() -> None:
    weights = 4 * GiB
    usable = weights + fit.working_bytes(weights) + 131_072 * 5000
    assert fit.usable_context(LLAMA_8B, None, 32768, weights=weights, usable=usable) == 4864
    assert fit.usable_context(LLAMA_8B, None, 4096, weights=weights, usable=usable) == 4096
    big = fit.usable_context(LLAMA_8B, 512 * GiB, 10**7, weights=weights)
    assert big == 131072  # capped by max_position_embeddings
    assert fit.usable_context(LLAMA_8B, None, 8192, weights=weights, usable=weights) == 0


def test_machine_memory_is_plausible() -> None:
    total, usable = fit.usable_memory()
    assert total > 256 * 1024**2 and 0 < usable <= total


def test_mlx_metal_working_set_is_used_when_mlx_is_loaded(monkeypatch) -> None:
    import sys
    import types

    fake = types.ModuleType("mlx.core")
    fake.metal = types.SimpleNamespace(  # type: ignore[attr-defined]
        is_available=lambda: True,
        device_info=lambda: {"max_recommended_working_set_size": 11 * GiB},
    )
    monkeypatch.setitem(sys.modules, "mlx.core", fake)
    assert fit.usable_memory()[1] == 11 * GiB
    fake.metal.is_available = lambda: False  # Linux / CUDA: the RAM fraction instead
    total, usable = fit.usable_memory()
    assert usable == int(total * fit.usable_fraction(total))
