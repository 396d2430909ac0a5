"""Fuzzing model import (issue 17): hostile model folders and GGUF headers.

Starting from a tiny valid model, Hypothesis changes one thing at a time: a ``config.json`` value,
the shard index, a safetensors header entry (or the whole header), a GGUF metadata value, a GGUF
tensor's shape, type or offset, or cuts the file. Whatever it does, only
:class:`ModelImportError` subclasses may escape, and a failed import never leaves a model in the
installed list. Derandomized and bounded: the whole file runs in well under a minute on 2 cores.
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile_models import (
    ARRAY,
    BOOL,
    FLOAT32,
    FLOAT64,
    INT32,
    STRING,
    UINT8,
    UINT32,
    UINT64,
    GGUFParts,
    encode_entry,
    read_safetensors,
    write_safetensors,
)
from logline.models.errors import ModelImportError
from logline.models.folder_import import validate_model_folder
from logline.models.gguf_file import read_header
from logline.models.gguf_import import check_metadata, check_supported
from logline.models.import_source import ImportRequest, run_import
from logline.models.registry import installed_models
from tiny_models import write_tiny_llama_gguf

_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
}

WEIGHTS = "model.safetensors"
CONFIG_KEYS = (
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "vocab_size",
    "intermediate_size",
    "head_dim",
    "max_position_embeddings",
    "rms_norm_eps",
    "rope_theta",
    "model_type",
    "tie_word_embeddings",
    "quantization",
    "text_config",
    "rope_scaling",
)

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2, 63, 64, 65, 128, 557, 2**31, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
)
leaves = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12))
json_values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


hostile_json = st.one_of(json_values, st.integers(2_000, 5_000).map(_deep))


@pytest.fixture(scope="module")
def tiny_folder(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-source") / "tiny"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "logline.json").unlink()
    return folder


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama_gguf(tmp_path_factory.mktemp("fuzz-gguf") / "t.gguf", tensor_type="F16")


def _dump(value: Any) -> str:
    try:
        return json.dumps(value)
    except (RecursionError, ValueError):
        return "[" * 5000 + "]" * 5000


# --- model folders ------------------------------------------------------------------------------


@st.composite
def folder_mutations(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["config", "config-raw", "index", "tensor", "header-raw"]))
    if kind == "config":
        return kind, (draw(st.sampled_from(CONFIG_KEYS)), draw(hostile_json))
    if kind == "config-raw" or kind == "index":
        return kind, draw(hostile_json)
    if kind == "tensor":
        field = draw(st.sampled_from(["dtype", "shape", "data_offsets", "entry"]))
        return kind, (draw(st.integers(0, 200)), field, draw(hostile_json))
    return kind, draw(st.one_of(st.binary(max_size=64), hostile_json.map(_dump).map(str.encode)))


def _mutate_folder(folder: Path, mutation: tuple[str, Any]) -> None:
    kind, value = mutation
    if kind == "config":
        key, new = value
        config = json.loads((folder / "config.json").read_text())
        config[key] = new
        (folder / "config.json").write_text(_dump(config))
    elif kind == "config-raw":
        (folder / "config.json").write_text(_dump(value))
    elif kind == "index":
        (folder / "model.safetensors.index.json").write_text(_dump(value))
    elif kind == "tensor":
        number, field, new = value
        header, data = read_safetensors(folder / WEIGHTS)
        names = sorted(k for k in header if k != "__metadata__")
        name = names[number % len(names)]
        if field == "entry":
            header[name] = new
        else:
            header[name][field] = new
        write_safetensors(folder / WEIGHTS, None, data, raw_header=_dump(header).encode())
    else:
        _header, data = read_safetensors(folder / WEIGHTS)
        write_safetensors(folder / WEIGHTS, None, data, raw_header=value)


@settings(max_examples=150, **_SETTINGS)
@given(mutation=folder_mutations())
def test_validating_a_mutated_folder_raises_only_import_errors(
    tiny_folder: Path, mutation: tuple[str, Any]
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "tiny"
        shutil.copytree(tiny_folder, folder)
        _mutate_folder(folder, mutation)
        try:
            validate_model_folder(folder)
        except ModelImportError as exc:
            assert "\n" not in str(exc)


@settings(max_examples=25, **_SETTINGS)
@given(mutation=folder_mutations())
def test_importing_a_mutated_folder_never_lists_a_half_model(
    tiny_folder: Path, mutation: tuple[str, Any]
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder, root = Path(scratch) / "tiny", Path(scratch) / "models"
        shutil.copytree(tiny_folder, folder)
        _mutate_folder(folder, mutation)
        request = ImportRequest("mlx", folder, root, "fuzzed")
        try:
            run_import(request, lambda *_a: None, threading.Event())
        except ModelImportError:
            assert installed_models(root) == []
            assert not root.exists() or list(root.iterdir()) == []
        else:
            assert [m.model_id for m in installed_models(root)] == ["fuzzed"]


# --- GGUF headers -------------------------------------------------------------------------------

GGUF_KEYS = (
    "general.alignment",
    "general.name",
    "llama.block_count",
    "llama.embedding_length",
    "llama.feed_forward_length",
    "llama.attention.head_count",
    "llama.attention.head_count_kv",
    "llama.context_length",
    "llama.vocab_size",
    "llama.rope.freq_base",
    "llama.attention.layer_norm_rms_epsilon",
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.merges",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.chat_template",
    "general.unknown_key",
)

typed_values = st.one_of(
    st.tuples(st.just(UINT32), st.integers(0, 2**32 - 1)),
    st.tuples(st.just(INT32), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.just(UINT64), st.integers(0, 2**64 - 1)),
    st.tuples(st.just(FLOAT32), st.floats(width=32)),
    st.tuples(st.just(FLOAT64), st.floats()),
    st.tuples(st.just(BOOL), st.booleans()),
    st.tuples(st.just(STRING), st.text(max_size=20)),
    st.tuples(
        st.just(ARRAY), st.tuples(st.just(UINT32), st.lists(st.integers(0, 999), max_size=5))
    ),
    st.tuples(
        st.just(ARRAY), st.tuples(st.just(STRING), st.lists(st.text(max_size=5), max_size=5))
    ),
    st.tuples(
        st.just(ARRAY),
        st.tuples(
            st.just(ARRAY),
            st.lists(
                st.tuples(st.just(UINT8), st.lists(st.integers(0, 255), max_size=3)), max_size=3
            ),
        ),
    ),
)


@st.composite
def gguf_mutations(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["metadata", "tensor", "cut", "bytes"]))
    if kind == "metadata":
        return kind, (draw(st.sampled_from(GGUF_KEYS)), draw(typed_values))
    if kind == "tensor":
        field = draw(st.sampled_from(["shape", "type_id", "offset"]))
        values = {
            "shape": st.lists(st.integers(0, 2**64 - 1), min_size=0, max_size=6),
            "type_id": st.integers(0, 50),
            "offset": st.one_of(st.integers(0, 2**64 - 1), st.integers(0, 4096)),
        }
        return kind, (draw(st.integers(0, 100)), field, draw(values[field]))
    if kind == "cut":
        return kind, draw(st.floats(0, 1))
    return kind, (draw(st.floats(0, 0.2)), draw(st.binary(min_size=1, max_size=16)))


def _mutate_gguf(source: Path, target: Path, mutation: tuple[str, Any]) -> None:
    kind, value = mutation
    if kind in ("cut", "bytes"):
        raw = bytearray(source.read_bytes())
        if kind == "cut":
            raw = raw[: int(len(raw) * value)]
        else:
            where, patch = value
            at = int(len(raw) * where)
            raw[at : at + len(patch)] = patch
        target.write_bytes(bytes(raw))
        return
    parts = GGUFParts.read(source)
    if kind == "metadata":
        key, (value_type, new) = value
        parts.entries[key] = encode_entry(key, value_type, new)
    else:
        number, field, new = value
        tensor = parts.tensors[number % len(parts.tensors)]
        setattr(tensor, field, new)
    parts.build(target)


def _read_and_check(path: Path) -> None:
    header = read_header(path)
    check_supported(header)
    check_metadata(header)


@settings(max_examples=150, **_SETTINGS)
@given(mutation=gguf_mutations())
def test_reading_a_mutated_gguf_raises_only_import_errors(
    tiny_gguf: Path, tmp_path: Path, mutation: tuple[str, Any]
) -> None:
    path = tmp_path / "fuzzed.gguf"
    try:
        _mutate_gguf(tiny_gguf, path, mutation)
    except (struct.error, OverflowError):
        return  # a value the format cannot hold
    try:
        _read_and_check(path)
    except ModelImportError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=20, **_SETTINGS)
@given(mutation=gguf_mutations())
def test_importing_a_mutated_gguf_never_lists_a_half_model(
    tiny_gguf: Path, tmp_path: Path, mutation: tuple[str, Any]
) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        path, root = Path(scratch) / "fuzzed.gguf", Path(scratch) / "models"
        try:
            _mutate_gguf(tiny_gguf, path, mutation)
        except (struct.error, OverflowError):
            return
        request = ImportRequest("gguf", path, root, "fuzzed")
        try:
            run_import(request, lambda *_a: None, threading.Event())
        except ModelImportError:
            assert installed_models(root) == []
            assert not root.exists() or list(root.iterdir()) == []
        else:
            assert [m.model_id for m in installed_models(root)] == ["fuzzed"]
