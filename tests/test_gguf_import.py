"""GGUF import: tiny random llama files in every supported tensor type, and every way to fail."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from logline.engine.mlx_runtime import import_mlx
from logline.models.errors import ModelImportError
from logline.models.gguf_import import import_gguf, mlx_module_name
from logline.models.manifest import MANIFEST_NAME, ModelManifest
from tiny_models import GGUF_TENSOR_TYPES, IM_END_ID, tiny_vocab, write_tiny_llama_gguf

gguf = pytest.importorskip("gguf")
mx = import_mlx()

QUANTIZED_BITS = {"Q4_0": 4, "Q4_1": 4, "Q8_0": 8}
MODEL_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    MANIFEST_NAME,
)
PROMPT_IDS = [5, 300, 17, 42, 260, 99, 7, 500, 3, 11, 80, 400, 271, 64, 290, 35]


def _entries(folder: Path) -> list[str]:
    """Everything in ``folder``, hidden entries (staging folders) included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _tree_digest(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _import(tmp_path: Path, tensor_type: str, **options: Any) -> tuple[Path, Path]:
    gguf_path = write_tiny_llama_gguf(
        tmp_path / f"tiny-{tensor_type}.gguf", tensor_type=tensor_type, **options
    )
    manifest = import_gguf(gguf_path, tmp_path / "models", model_id=f"tiny-{tensor_type.lower()}")
    return gguf_path, tmp_path / "models" / manifest.model_id


# --- A float64 llama forward pass over the dequantized GGUF weights (the reference) ----------


def _gguf_weights(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    reader = gguf.GGUFReader(str(path))
    weights = {}
    for tensor in reader.tensors:
        shape = tuple(reversed([int(dim) for dim in tensor.shape]))  # ggml order is reversed
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        weights[tensor.name] = values.reshape(shape).astype(np.float64)
    metadata = {k: f.contents() for k, f in reader.fields.items() if not k.startswith("tokenizer.")}
    return weights, metadata


def _rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def _rope(x: np.ndarray, theta: float, adjacent_pairs: bool) -> np.ndarray:
    """Rotate ``x`` (tokens, heads, head_dim) by position.

    llama.cpp's converter permutes Q/K rows so that RoPE rotates adjacent pairs (2i, 2i+1) of the
    GGUF weights; Hugging Face rotates halves (i, i + d/2) of the unpermuted ones.
    """
    tokens, _, dim = x.shape
    angles = np.arange(tokens)[:, None] * theta ** (-np.arange(0, dim, 2) / dim)[None, :]
    cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
    if adjacent_pairs:
        a, b = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = a * cos - b * sin
        out[..., 1::2] = a * sin + b * cos
        return out
    a, b = x[..., : dim // 2], x[..., dim // 2 :]
    return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)


def reference_logits(gguf_path: Path, ids: list[int], *, adjacent_pairs: bool = True) -> np.ndarray:
    """Logits (tokens, vocab) of the llama the GGUF describes, computed in float64 with numpy."""
    w, meta = _gguf_weights(gguf_path)
    arch = meta["general.architecture"]
    n_layers = int(meta[f"{arch}.block_count"])
    heads = int(meta[f"{arch}.attention.head_count"])
    kv_heads = int(meta[f"{arch}.attention.head_count_kv"])
    eps = float(meta[f"{arch}.attention.layer_norm_rms_epsilon"])
    theta = float(meta[f"{arch}.rope.freq_base"])
    embed = w["token_embd.weight"]
    x = embed[ids]
    tokens, dim = len(ids), x.shape[1] // heads
    mask = np.triu(np.full((tokens, tokens), -np.inf), 1)
    for layer in range(n_layers):
        p = f"blk.{layer}."
        h = _rms_norm(x, w[p + "attn_norm.weight"], eps)
        q = _rope((h @ w[p + "attn_q.weight"].T).reshape(tokens, heads, dim), theta, adjacent_pairs)
        k = _rope(
            (h @ w[p + "attn_k.weight"].T).reshape(tokens, kv_heads, dim), theta, adjacent_pairs
        )
        v = (h @ w[p + "attn_v.weight"].T).reshape(tokens, kv_heads, dim)
        k, v = np.repeat(k, heads // kv_heads, axis=1), np.repeat(v, heads // kv_heads, axis=1)
        scores = np.einsum("thd,shd->hts", q, k) / np.sqrt(dim) + mask
        probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs /= probs.sum(axis=-1, keepdims=True)
        attn = np.einsum("hts,shd->thd", probs, v).reshape(tokens, heads * dim)
        x = x + attn @ w[p + "attn_output.weight"].T
        h = _rms_norm(x, w[p + "ffn_norm.weight"], eps)
        gate = h @ w[p + "ffn_gate.weight"].T
        x = (
            x
            + (gate / (1 + np.exp(-gate)) * (h @ w[p + "ffn_up.weight"].T))
            @ w[p + "ffn_down.weight"].T
        )
    x = _rms_norm(x, w["output_norm.weight"], eps)
    return x @ w.get("output.weight", embed).T


def mlx_logits(model_dir: Path, ids: list[int]) -> np.ndarray:
    import mlx_lm

    model, _ = mlx_lm.load(str(model_dir))
    logits = model(mx.array([ids])).astype(mx.float32)
    mx.eval(logits)
    return np.array(logits)[0]


# --- Successful imports ------------------------------------------------------------------------


@pytest.mark.parametrize("tensor_type", GGUF_TENSOR_TYPES)
def test_import_makes_a_model_mlx_lm_loads_and_runs(tmp_path: Path, tensor_type: str) -> None:
    import mlx_lm
    from mlx_lm.generate import generate_step

    gguf_path, model_dir = _import(tmp_path, tensor_type)
    for name in MODEL_FILES:
        assert (model_dir / name).is_file(), name
    assert _entries(tmp_path / "models") == [model_dir.name]  # no staging folder left

    config = json.loads((model_dir / "config.json").read_text())
    vocab_size = len(tiny_vocab()[0])
    assert config["model_type"] == "llama"
    assert config["rope_traditional"] is True
    assert config["vocab_size"] == vocab_size >= 300
    assert (config["num_attention_heads"], config["num_key_value_heads"]) == (4, 2)
    assert config["tie_word_embeddings"] is True
    assert config["eos_token_id"] == IM_END_ID
    if tensor_type in QUANTIZED_BITS:
        assert config["quantization"] == {"group_size": 32, "bits": QUANTIZED_BITS[tensor_type]}
    else:
        assert "quantization" not in config

    manifest = ModelManifest.read(model_dir / MANIFEST_NAME)
    assert manifest.format == "gguf"
    assert manifest.quantization == tensor_type
    assert manifest.origin_sha256 == hashlib.sha256(gguf_path.read_bytes()).hexdigest()

    model, tokenizer = mlx_lm.load(str(model_dir))
    prompt = tokenizer.encode("The writer read the script.")
    assert len(prompt) > 1
    steps = generate_step(mx.array(prompt), model, max_tokens=6)
    generated = [int(token) for (token, _logprobs), _ in zip(steps, range(6), strict=False)]
    assert len(generated) == 6
    assert all(0 <= token < vocab_size for token in generated)


@pytest.mark.parametrize("tensor_type", GGUF_TENSOR_TYPES)
def test_imported_weights_equal_gguf_dequantized_weights(tmp_path: Path, tensor_type: str) -> None:
    gguf_path, model_dir = _import(tmp_path, tensor_type, tied=False)
    config = json.loads((model_dir / "config.json").read_text())
    saved = mx.load(str(model_dir / "model.safetensors"))
    reference, _ = _gguf_weights(gguf_path)
    assert len(saved) == len(reference) + 2 * sum(k.endswith(".scales") for k in saved)
    for name, expected in reference.items():
        module = mlx_module_name(name.removesuffix(".weight"))
        if f"{module}.scales" in saved:
            bits = config["quantization"].get(module, config["quantization"])["bits"]
            weight = mx.dequantize(
                saved[f"{module}.weight"],
                saved[f"{module}.scales"],
                saved[f"{module}.biases"],
                group_size=32,
                bits=bits,
            )
        else:
            weight = saved[f"{module}.weight"]
        actual = np.array(weight.astype(mx.float32))
        assert actual.shape == expected.shape, name
        # MLX dequantizes into the scales' dtype (float16): allow float16 rounding, nothing more.
        tolerance = 2e-3 * np.abs(expected).max() if tensor_type != "F32" else 0.0
        np.testing.assert_allclose(actual, expected, rtol=0, atol=tolerance, err_msg=name)


@pytest.mark.parametrize(
    ("tensor_type", "tied"),
    [(t, True) for t in GGUF_TENSOR_TYPES] + [("Q4_1", False), ("Q8_0", False)],
)
def test_logits_match_numpy_reference(tmp_path: Path, tensor_type: str, tied: bool) -> None:
    gguf_path, model_dir = _import(tmp_path, tensor_type, tied=tied, seed=3)
    expected = reference_logits(gguf_path, PROMPT_IDS)
    actual = mlx_logits(model_dir, PROMPT_IDS)
    assert actual.shape == expected.shape == (len(PROMPT_IDS), len(tiny_vocab()[0]))
    scale = float(expected.std())
    assert scale > 1.0  # the tiny model is not degenerate
    # Quantized weights are exact up to float16 rounding, but activations then run in float16:
    # measured max |Δ| is 1-2% of the logits' spread (a wrong RoPE layout gives over 100%).
    tolerance = 0.05 * scale if tensor_type in QUANTIZED_BITS else 1e-4 * scale
    worst = float(np.abs(actual - expected).max())
    assert worst <= tolerance, f"max |Δlogit| {worst:.4f} > {tolerance:.4f}"
    assert (actual.argmax(-1) == expected.argmax(-1)).mean() >= 0.8


def test_reference_comparison_detects_wrong_rope_layout(tmp_path: Path) -> None:
    """Negative control: a RoPE on halves (unpermuted layout) gives logits far off the import's."""
    gguf_path, model_dir = _import(tmp_path, "Q8_0", seed=3)
    actual = mlx_logits(model_dir, PROMPT_IDS)
    right = reference_logits(gguf_path, PROMPT_IDS, adjacent_pairs=True)
    wrong = reference_logits(gguf_path, PROMPT_IDS, adjacent_pairs=False)
    # Position 0 is not rotated, so it agrees either way; every later one must differ.
    np.testing.assert_allclose(wrong[0], right[0], atol=1e-9)
    assert np.abs(actual - right).max() < 0.05 * right.std()
    assert np.abs(actual - wrong)[1:].max(axis=-1).min() > 0.25 * right.std()


def test_q8_0_import_is_close_to_f32_import_of_the_same_weights(tmp_path: Path) -> None:
    _, f32_dir = _import(tmp_path / "f32", "F32", seed=5)
    _, q8_dir = _import(tmp_path / "q8", "Q8_0", seed=5)
    _, q4_dir = _import(tmp_path / "q4", "Q4_0", seed=5)
    exact = mlx_logits(f32_dir, PROMPT_IDS)
    q8_error = np.abs(mlx_logits(q8_dir, PROMPT_IDS) - exact)
    q4_error = np.abs(mlx_logits(q4_dir, PROMPT_IDS) - exact)
    # Measured: median |Δ| is ~2% of the logits' spread for Q8_0 and ~27% for Q4_0.
    assert np.median(q8_error) < 0.04 * exact.std()
    assert q8_error.max() < 0.5 * exact.std()
    assert 5 * np.median(q8_error) < np.median(q4_error)  # 8-bit blocks are much closer


def test_session_tiny_model_fixture(tiny_model_dir: Path) -> None:
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["quantization"]["bits"] == 4
    tokenizer_config = json.loads((tiny_model_dir / "tokenizer_config.json").read_text())
    assert tokenizer_config["eos_token"] == "<|im_end|>"
    assert tokenizer_config["bos_token"] == "<|im_start|>"
    assert "<|im_start|>" in tokenizer_config["chat_template"]


# --- Failures leave nothing behind -------------------------------------------------------------


@pytest.fixture
def models_root(tmp_path: Path) -> Path:
    """A models folder that already holds one unrelated model folder."""
    root = tmp_path / "models"
    (root / "keep").mkdir(parents=True)
    (root / "keep" / "config.json").write_text("{}")
    return root


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama_gguf(tmp_path_factory.mktemp("gguf") / "whole.gguf", tensor_type="Q4_0")


def test_unsupported_tensor_type_is_rejected_by_name(tmp_path: Path, models_root: Path) -> None:
    path = write_tiny_llama_gguf(tmp_path / "mixed.gguf", extra_unsupported_type="Q4_K")
    with pytest.raises(ModelImportError, match="Q4_K") as caught:
        import_gguf(path, models_root, model_id="mixed")
    assert "ffn_down" in str(caught.value)
    assert _entries(models_root) == ["keep"]


def _cut_points(data: bytes, path: Path) -> dict[str, int]:
    """Offsets inside each part of a GGUF file, checked against its layout as gguf-py reads it."""
    reader = gguf.GGUFReader(str(path))
    metadata_at = data.index(b"tokenizer.ggml.merges") + 40
    table_at = data.index(b"blk.0.attn_q.weight") + 8
    first = min(reader.tensors, key=lambda t: t.data_offset)
    last = max(reader.tensors, key=lambda t: t.data_offset)
    first_at = first.data_offset + first.n_bytes // 2
    last_at = last.data_offset + last.n_bytes - 10
    assert 17 < metadata_at < data.index(b"token_embd.weight") < table_at < reader.data_offset
    assert reader.data_offset < first_at < last_at < len(data) == last.data_offset + last.n_bytes
    return {
        "in the version": 6,
        "in the counts": 17,
        "in the metadata": metadata_at,
        "in the tensor table": table_at,
        "in the first tensor's data": first_at,
        "in the last tensor's data": last_at,
    }


@pytest.mark.parametrize(
    "where",
    [
        "in the version",
        "in the counts",
        "in the metadata",
        "in the tensor table",
        "in the first tensor's data",
        "in the last tensor's data",
    ],
)
def test_truncated_gguf_is_rejected(
    tmp_path: Path, models_root: Path, tiny_gguf: Path, where: str
) -> None:
    data = tiny_gguf.read_bytes()
    cut = _cut_points(data, tiny_gguf)[where]
    path = tmp_path / "cut.gguf"
    path.write_bytes(data[:cut])
    with pytest.raises(ModelImportError) as caught:
        import_gguf(path, models_root, model_id="cut")
    message = str(caught.value).lower()
    assert "truncated" in message or "corrupt" in message, message
    assert _entries(models_root) == ["keep"]


def test_corrupt_counts_are_rejected(tmp_path: Path, models_root: Path, tiny_gguf: Path) -> None:
    data = bytearray(tiny_gguf.read_bytes())
    data[8:16] = (2**62).to_bytes(8, "little")  # tensor count
    path = tmp_path / "corrupt.gguf"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelImportError, match="corrupt"):
        import_gguf(path, models_root, model_id="corrupt")
    assert _entries(models_root) == ["keep"]


@pytest.mark.parametrize("content", [b"", b"GG", b"hello, I am a text file\n" * 10, b"\0" * 4096])
def test_non_gguf_file_is_rejected(tmp_path: Path, models_root: Path, content: bytes) -> None:
    path = tmp_path / "notes.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelImportError, match="not a GGUF file"):
        import_gguf(path, models_root)
    assert _entries(models_root) == ["keep"]


def test_missing_file_is_rejected(tmp_path: Path, models_root: Path) -> None:
    with pytest.raises(ModelImportError, match="Cannot open"):
        import_gguf(tmp_path / "absent.gguf", models_root)
    assert _entries(models_root) == ["keep"]


@pytest.mark.parametrize("arch", ["gpt2", "qwen2"])
def test_unsupported_architecture_is_rejected(tmp_path: Path, models_root: Path, arch: str) -> None:
    path = write_tiny_llama_gguf(tmp_path / f"{arch}.gguf", arch=arch)
    with pytest.raises(ModelImportError, match="Unsupported model architecture") as caught:
        import_gguf(path, models_root, model_id=arch)
    assert repr(arch) in str(caught.value)
    assert "llama" in str(caught.value)
    assert _entries(models_root) == ["keep"]


def test_existing_model_is_kept_without_overwrite(tmp_path: Path, models_root: Path) -> None:
    first = write_tiny_llama_gguf(tmp_path / "first.gguf", seed=1)
    second = write_tiny_llama_gguf(tmp_path / "second.gguf", seed=2)
    import_gguf(first, models_root, model_id="tiny")
    before = _tree_digest(models_root / "tiny")

    with pytest.raises(ModelImportError, match="already installed"):
        import_gguf(second, models_root, model_id="tiny")
    assert _tree_digest(models_root / "tiny") == before
    assert _entries(models_root) == ["keep", "tiny"]

    import_gguf(second, models_root, model_id="tiny", overwrite=True)
    after = _tree_digest(models_root / "tiny")
    assert after["model.safetensors"][0] != before["model.safetensors"][0]
    manifest = ModelManifest.read(models_root / "tiny" / MANIFEST_NAME)
    assert manifest.origin == str(second)
    assert _entries(models_root) == ["keep", "tiny"]


def test_failed_overwrite_keeps_the_installed_model(tmp_path: Path, models_root: Path) -> None:
    good = write_tiny_llama_gguf(tmp_path / "good.gguf", seed=1)
    import_gguf(good, models_root, model_id="tiny")
    before = _tree_digest(models_root / "tiny")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(good.read_bytes()[:-100])
    with pytest.raises(ModelImportError, match="truncated"):
        import_gguf(bad, models_root, model_id="tiny", overwrite=True)
    assert _tree_digest(models_root / "tiny") == before
    assert _entries(models_root) == ["keep", "tiny"]
