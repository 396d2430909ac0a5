"""Issue 17, break 4 and the model parts of break 7: model import trusts nothing.

Each test here failed on main before the fix (a hostile file was imported and listed, or a
RecursionError/TypeError/ValueError escaped instead of a one-line ModelImportError).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import offline_cli
from hostile_models import (
    ARRAY,
    FLOAT64,
    STRING,
    UINT32,
    GGUFParts,
    encode_entry,
    encode_string,
    nested_array,
    read_safetensors,
    write_safetensors,
)
from logline.models.errors import (
    ChatTemplateError,
    ModelConfigError,
    ModelImportError,
    ModelSmokeTestError,
    ModelWeightsError,
    UnsafeModelFileError,
)
from logline.models.folder_import import import_model_folder
from logline.models.gguf_import import import_gguf
from logline.models.import_source import ImportRequest, classify_source, run_import
from logline.models.registry import installed_models
from tiny_models import write_tiny_llama_gguf

WEIGHTS = "model.safetensors"


@pytest.fixture
def drive_model(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A copy of the tiny MLX model as it arrives on a drive (no Logline manifest)."""
    folder = tmp_path / "drive" / "tiny"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "logline.json").unlink()
    return folder


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf", tensor_type="F16")


def _nothing_installed(root: Path) -> None:
    assert installed_models(root) == []
    assert not root.exists() or [p.name for p in root.iterdir()] == []


def _refused_folder(folder: Path, root: Path, error: type[ModelImportError]) -> str:
    with pytest.raises(error) as caught:
        import_model_folder(folder, root, model_id="hostile")
    message = str(caught.value)
    assert "\n" not in message and message.endswith((".", ")")), message
    _nothing_installed(root)
    return message


def _edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# --- symlinks, FIFOs ----------------------------------------------------------------------------


@pytest.mark.parametrize("absolute", [True, False], ids=["absolute", "relative"])
def test_a_symlink_out_of_the_folder_is_refused_with_its_path(
    drive_model: Path, tmp_path: Path, absolute: bool
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CANARY")
    target = secret if absolute else Path("../../secret.txt")
    (drive_model / "vocab.json").symlink_to(target)
    message = _refused_folder(drive_model, tmp_path / "models", UnsafeModelFileError)
    assert "vocab.json" in message


def test_a_symlink_to_a_file_inside_the_folder_is_allowed(drive_model: Path, tmp_path: Path):
    (drive_model / "merges.txt").write_text("#version: 0.2\n")
    (drive_model / "vocab.json").symlink_to("merges.txt")
    import_model_folder(drive_model, tmp_path / "models", model_id="linked")
    assert not (tmp_path / "models" / "linked" / "vocab.json").is_symlink()


def test_a_fifo_in_the_folder_is_refused(drive_model: Path, tmp_path: Path) -> None:
    fifo = drive_model / "merges.txt"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            import_model_folder(drive_model, tmp_path / "models", model_id="fifo")
            outcome.append(None)
        except BaseException as exc:  # reported below
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(20)
    if worker.is_alive():  # main hangs reading the FIFO: unblock it, then fail
        with open(fifo, "wb"):
            pass
        worker.join(20)
        pytest.fail("the import hung reading a FIFO")
    assert isinstance(outcome[0], UnsafeModelFileError), outcome
    assert "merges.txt" in str(outcome[0])


def test_a_fifo_given_as_the_source_is_named_as_such(tmp_path: Path) -> None:
    fifo = tmp_path / "model.gguf"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeModelFileError, match="not a regular file"):
        classify_source(fifo)


# --- config.json --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hidden_size", 10**9),
        ("num_hidden_layers", -2),
        ("vocab_size", 0),
        ("num_attention_heads", "4"),
        ("hidden_size", True),
        ("hidden_size", [64]),
        ("num_key_value_heads", 3),  # does not divide the 4 attention heads
        ("max_position_embeddings", float("nan")),
        ("rms_norm_eps", float("inf")),
    ],
)
def test_absurd_config_values_are_refused(
    drive_model: Path, tmp_path: Path, key: str, value: Any
) -> None:
    _edit_json(drive_model / "config.json", lambda c: c.__setitem__(key, value))
    message = _refused_folder(drive_model, tmp_path / "models", ModelConfigError)
    assert key in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hidden_size", 128),
        ("num_hidden_layers", 3),
        ("vocab_size", 558),
        ("intermediate_size", 96),
    ],
)
def test_a_config_that_disagrees_with_the_weights_is_refused(
    drive_model: Path, tmp_path: Path, key: str, value: int
) -> None:
    _edit_json(drive_model / "config.json", lambda c: c.__setitem__(key, value))
    message = _refused_folder(drive_model, tmp_path / "models", ModelWeightsError)
    assert "config.json" in message


@pytest.mark.parametrize(
    "text",
    ["[" * 50_000 + "]" * 50_000, '{"model_type": "llama", "x": ' + "[" * 5000 + "]" * 5000 + "}"],
    ids=["nested-list", "nested-value"],
)
def test_deeply_nested_config_is_a_one_line_error(drive_model: Path, tmp_path: Path, text: str):
    (drive_model / "config.json").write_text(text)
    _refused_folder(drive_model, tmp_path / "models", ModelConfigError)


@pytest.mark.parametrize(
    "index",
    [
        {"weight_map": {"a": ["x"]}},
        {"weight_map": ["a"]},
        "[" * 5000 + "]" * 5000,
        {"weight_map": {"a": "../../etc/passwd"}},
    ],
    ids=["unhashable", "list", "nested", "escaping-name"],
)
def test_a_wrongly_typed_index_is_a_one_line_error(drive_model: Path, tmp_path: Path, index: Any):
    text = index if isinstance(index, str) else json.dumps(index)
    (drive_model / "model.safetensors.index.json").write_text(text)
    _refused_folder(drive_model, tmp_path / "models", ModelWeightsError)


# --- safetensors headers ------------------------------------------------------------------------


def _overlap(header: dict[str, Any]) -> None:
    first, second = sorted(k for k in header if k.endswith("layernorm.weight"))[:2]
    header[second]["data_offsets"] = header[first]["data_offsets"]


def _wrong_size(header: dict[str, Any]) -> None:
    name = next(k for k in header if k.endswith("input_layernorm.weight"))
    header[name]["shape"] = [32]


def _backwards(header: dict[str, Any]) -> None:
    name = next(k for k in header if k.endswith("input_layernorm.weight"))
    begin, end = header[name]["data_offsets"]
    header[name]["data_offsets"] = [end, begin]


def _string_offsets(header: dict[str, Any]) -> None:
    name = next(k for k in header if k.endswith("input_layernorm.weight"))
    header[name]["data_offsets"] = ["0", "256"]


def _negative_shape(header: dict[str, Any]) -> None:
    name = next(k for k in header if k.endswith("input_layernorm.weight"))
    header[name]["shape"] = [-64]


def _unknown_dtype(header: dict[str, Any]) -> None:
    name = next(k for k in header if k.endswith("input_layernorm.weight"))
    header[name]["dtype"] = "PICKLE"


@pytest.mark.parametrize(
    "lie", [_overlap, _wrong_size, _backwards, _string_offsets, _negative_shape, _unknown_dtype]
)
def test_a_safetensors_header_that_lies_is_refused(
    drive_model: Path, tmp_path: Path, lie: Callable[[dict[str, Any]], None]
) -> None:
    header, data = read_safetensors(drive_model / WEIGHTS)
    lie(header)
    write_safetensors(drive_model / WEIGHTS, header, data)
    _refused_folder(drive_model, tmp_path / "models", ModelWeightsError)


@pytest.mark.parametrize(
    "raw",
    [b"[1, 2, 3]", b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", b'{"a": 5}', b"\xff\xfe"],
    ids=["list", "nested", "entry-not-object", "not-utf8"],
)
def test_a_malformed_safetensors_header_is_a_one_line_error(
    drive_model: Path, tmp_path: Path, raw: bytes
) -> None:
    _header, data = read_safetensors(drive_model / WEIGHTS)
    write_safetensors(drive_model / WEIGHTS, None, data, raw_header=raw)
    _refused_folder(drive_model, tmp_path / "models", ModelWeightsError)


# --- the forward pass ---------------------------------------------------------------------------


def test_a_model_whose_logits_are_not_finite_is_not_installed(drive_model: Path, tmp_path: Path):
    header, data = read_safetensors(drive_model / WEIGHTS)
    begin, end = header["model.norm.weight"]["data_offsets"]
    nan = struct.pack("<f", float("nan"))
    data = data[:begin] + nan * ((end - begin) // 4) + data[end:]
    write_safetensors(drive_model / WEIGHTS, header, data)
    message = _refused_folder(drive_model, tmp_path / "models", ModelSmokeTestError)
    assert "finite" in message


def test_a_referenced_model_is_checked_too(drive_model: Path, tmp_path: Path) -> None:
    _edit_json(drive_model / "config.json", lambda c: c.__setitem__("hidden_size", 128))
    with pytest.raises(ModelWeightsError):
        import_model_folder(drive_model, tmp_path / "models", model_id="ref", reference=True)
    _nothing_installed(tmp_path / "models")


# --- chat templates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{{ raise_exception('no system role') }}",
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "{% set s = namespace(t='ab') %}{% for i in range(64) %}"
        "{% set s.t = s.t ~ s.t %}{% endfor %}{{ s.t }}",
        "{{ 'a' * 10000000000 }}",
        "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
        "{{ messages.__class__.__mro__ }}",
        "{% for m in messages %}",
        "{{ 'x' }}" * 200_000,
    ],
    ids=["raises", "loops", "doubles", "huge-product", "recursion", "dunder", "syntax", "huge"],
)
def test_a_hostile_chat_template_is_one_sentence(
    drive_model: Path, tmp_path: Path, template: str
) -> None:
    _edit_json(
        drive_model / "tokenizer_config.json", lambda c: c.__setitem__("chat_template", template)
    )
    message = _refused_folder(drive_model, tmp_path / "models", ChatTemplateError)
    assert "chat template" in message


def test_the_chat_template_is_checked_in_gguf_files_too(tmp_path: Path, tiny_gguf: Path) -> None:
    parts = GGUFParts.read(tiny_gguf)
    parts.entries["tokenizer.chat_template"] = encode_entry(
        "tokenizer.chat_template",
        STRING,
        "{% for x in range(99999) %}{% for y in range(99999) %}{% endfor %}{% endfor %}",
    )
    path = parts.build(tmp_path / "looping.gguf")
    with pytest.raises(ChatTemplateError):
        import_gguf(path, tmp_path / "models", model_id="looping")
    _nothing_installed(tmp_path / "models")


# --- GGUF ---------------------------------------------------------------------------------------


def _gguf_refused(path: Path, root: Path, error: type[ModelImportError]) -> str:
    with pytest.raises(error) as caught:
        import_gguf(path, root, model_id="hostile")
    message = str(caught.value)
    assert "\n" not in message, message
    _nothing_installed(root)
    return message


def test_gguf_tensors_that_overlap_are_refused(tmp_path: Path, tiny_gguf: Path) -> None:
    parts = GGUFParts.read(tiny_gguf)
    parts.tensor("blk.0.ffn_norm.weight").offset = parts.tensor("blk.0.attn_norm.weight").offset
    message = _gguf_refused(
        parts.build(tmp_path / "o.gguf"), tmp_path / "models", ModelWeightsError
    )
    assert "overlap" in message


def test_gguf_tensors_that_are_not_aligned_are_refused(tmp_path: Path, tiny_gguf: Path) -> None:
    parts = GGUFParts.read(tiny_gguf)
    norm = parts.tensor("output_norm.weight")
    size = 64 * 4
    # Move the tensor to the end of the data, 4 bytes past an aligned offset: in bounds, alone.
    parts.extra_tail = b"\0" * (-len(parts.data) % 32 + 4) + parts.data[norm.offset :][:size]
    norm.offset = len(parts.data) + (-len(parts.data) % 32) + 4
    message = _gguf_refused(
        parts.build(tmp_path / "u.gguf"), tmp_path / "models", ModelWeightsError
    )
    assert "align" in message


@pytest.mark.parametrize(
    ("key", "value_type", "value"),
    [
        ("llama.embedding_length", STRING, "sixty-four"),
        ("llama.embedding_length", ARRAY, (UINT32, [64, 64])),
        ("llama.block_count", UINT32, 10**9),
        ("llama.attention.head_count", UINT32, 0),
        ("general.alignment", STRING, "x"),
        ("general.alignment", UINT32, 24),
        ("tokenizer.ggml.tokens", UINT32, 7),
        ("tokenizer.ggml.bos_token_id", UINT32, 10**6),
        ("tokenizer.ggml.merges", ARRAY, (STRING, ["nospace"])),
    ],
)
def test_gguf_metadata_of_the_wrong_type_or_range_is_refused(
    tmp_path: Path, tiny_gguf: Path, key: str, value_type: int, value: Any
) -> None:
    parts = GGUFParts.read(tiny_gguf)
    parts.entries[key] = encode_entry(key, value_type, value)
    message = _gguf_refused(parts.build(tmp_path / "m.gguf"), tmp_path / "models", ModelImportError)
    assert key in message or "alignment" in message


def test_gguf_metadata_nested_thousands_deep_is_refused(tmp_path: Path, tiny_gguf: Path) -> None:
    parts = GGUFParts.read(tiny_gguf)
    parts.entries["evil.nested"] = encode_string("evil.nested") + nested_array(5000)
    _gguf_refused(parts.build(tmp_path / "n.gguf"), tmp_path / "models", ModelConfigError)


@pytest.mark.parametrize(
    ("value_type", "value"),
    [(FLOAT64, 1.5), (ARRAY, (FLOAT64, [1.0, 2.0]))],
    ids=["scalar", "array"],
)
def test_gguf_float64_metadata_is_refused_before_it_crashes_mlx(
    tmp_path: Path, tiny_gguf: Path, value_type: int, value: Any
) -> None:
    """MLX's GGUF reader segfaults on float64 metadata (found by the fuzz harness)."""
    parts = GGUFParts.read(tiny_gguf)
    parts.entries["general.extra"] = encode_entry("general.extra", value_type, value)
    message = _gguf_refused(parts.build(tmp_path / "f.gguf"), tmp_path / "models", ModelConfigError)
    assert "float64" in message


def test_gguf_duplicate_keys_are_refused(tmp_path: Path, tiny_gguf: Path) -> None:
    parts = GGUFParts.read(tiny_gguf)
    entry = parts.entries["llama.block_count"]
    parts.entries["duplicate"] = entry.replace(
        struct.pack("<I", 2), struct.pack("<I", 9), 1
    )  # the same key again
    _gguf_refused(parts.build(tmp_path / "d.gguf"), tmp_path / "models", ModelImportError)


@pytest.mark.parametrize(
    ("key", "value"), [("llama.embedding_length", 128), ("llama.feed_forward_length", 256)]
)
def test_gguf_metadata_that_disagrees_with_the_tensors_is_refused(
    tmp_path: Path, tiny_gguf: Path, key: str, value: int
) -> None:
    parts = GGUFParts.read(tiny_gguf)
    parts.entries[key] = encode_entry(key, UINT32, value)
    _gguf_refused(parts.build(tmp_path / "x.gguf"), tmp_path / "models", ModelWeightsError)


# --- never pickle, never remote code, never a half model listed ---------------------------------


def test_pickle_weights_are_never_loaded(drive_model: Path, tmp_path: Path) -> None:
    (drive_model / WEIGHTS).rename(drive_model / "pytorch_model.bin")
    message = _refused_folder(drive_model, tmp_path / "models", ModelImportError)
    assert "pickle" in message


def test_model_code_is_never_run(drive_model: Path, tmp_path: Path) -> None:
    canary = tmp_path / "code-ran"
    _edit_json(
        drive_model / "config.json",
        lambda c: c.__setitem__("auto_map", {"AutoModelForCausalLM": "custom.Model"}),
    )
    (drive_model / "custom.py").write_text(f"open({str(canary)!r}, 'w').write('ran')\n")
    import_model_folder(drive_model, tmp_path / "models", model_id="custom")
    assert not canary.exists()
    assert not (tmp_path / "models" / "custom" / "custom.py").exists()


def test_a_failed_import_never_lists_a_half_model(drive_model: Path, tmp_path: Path) -> None:
    header, data = read_safetensors(drive_model / WEIGHTS)
    _overlap(header)
    write_safetensors(drive_model / WEIGHTS, header, data)
    root = tmp_path / "models"
    request = ImportRequest("mlx", drive_model, root, "half")
    with pytest.raises(ModelImportError):
        run_import(request, lambda *_a: None, threading.Event())
    _nothing_installed(root)


def test_the_cli_says_one_sentence_for_a_hostile_folder(drive_model: Path, tmp_path: Path):
    _edit_json(drive_model / "config.json", lambda c: c.__setitem__("num_hidden_layers", -1))
    home = tmp_path / "home"
    result = offline_cli.run(home, "models", "import", str(drive_model), "--id", "x")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "num_hidden_layers" in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr


def test_loading_an_installed_model_rechecks_its_files(tiny_model_dir: Path, tmp_path: Path):
    """A hub download or an older install never passed the import checks: loading checks it."""
    from logline.engine.runtime import Engine
    from logline.models.loading import load_model

    root = tmp_path / "models"
    shutil.copytree(tiny_model_dir, root / "tiny")
    _edit_json(root / "tiny" / "config.json", lambda c: c.__setitem__("num_hidden_layers", 10**6))
    with pytest.raises(ModelConfigError, match="num_hidden_layers"):
        load_model(Engine(), installed_models(root)[0])


def test_loading_refuses_a_looping_template_but_not_a_refusing_one(tiny_model_dir: Path, tmp_path):
    from logline.models.loading import check_files

    root = tmp_path / "models"
    shutil.copytree(tiny_model_dir, root / "tiny")
    model = installed_models(root)[0]
    config = root / "tiny" / "tokenizer_config.json"
    _edit_json(config, lambda c: c.__setitem__("chat_template", "{{ raise_exception('no') }}"))
    check_files(model)  # the author's refusal: summaries will say so, loading is not hostile
    looping = "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
    _edit_json(config, lambda c: c.__setitem__("chat_template", looping))
    with pytest.raises(ChatTemplateError, match="runs too long"):
        check_files(model)


def test_shape_checks_ignore_a_vision_tower_and_honour_per_module_groups() -> None:
    """No false refusal: a multimodal model's vision layers are not counted as text layers, and
    a module quantized with its own group size is unpacked with that size."""
    from logline.models.config_check import check_against_weights, check_config, logical_shapes

    config = {
        "model_type": "gemma3",
        "text_config": {"hidden_size": 64, "num_hidden_layers": 1, "vocab_size": 10},
        "quantization": {
            "group_size": 64,
            "bits": 4,
            "language_model.model.embed_tokens": {"group_size": 32, "bits": 8},
        },
    }
    shape = check_config(config, "test")
    tensors = {
        "language_model.model.embed_tokens.weight": ((10, 16), "U32"),
        "language_model.model.embed_tokens.scales": ((10, 2), "F16"),
        "language_model.model.layers.0.input_layernorm.weight": ((64,), "F32"),
        "vision_tower.encoder.layers.7.mlp.fc1.weight": ((8, 8), "F32"),
    }
    check_against_weights(shape, logical_shapes(tensors, config["quantization"]), "t", "config")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("tokenizer.json", '{"model": ' + "[" * 3000 + "]" * 3000 + "}"),
        ("tokenizer.json", '{"version": "1.0", "model": {"type": "BPE", "vocab": 5}}'),
        ("generation_config.json", "[" * 3000 + "]" * 3000),
        ("special_tokens_map.json", '["not", "an", "object"]'),
    ],
    ids=["tokenizer-nested", "tokenizer-typed", "generation-nested", "special-list"],
)
def test_tokenizer_files_that_transformers_reads_are_checked(
    drive_model: Path, tmp_path: Path, name: str, text: str
) -> None:
    (drive_model / name).write_text(text)
    message = _refused_folder(drive_model, tmp_path / "models", ModelConfigError)
    assert name in message


def test_the_cli_ends_the_progress_line_before_a_refusal(tmp_path: Path, tiny_gguf: Path):
    parts = GGUFParts.read(tiny_gguf)
    parts.entries["llama.block_count"] = encode_entry("llama.block_count", STRING, "many")
    path = parts.build(tmp_path / "typed.gguf")
    result = offline_cli.run(tmp_path / "home", "models", "import", str(path), "--id", "x")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("logline: ") and "llama.block_count" in last, result.stderr


@pytest.mark.parametrize(
    "text",
    ["[" * 5000 + "]" * 5000, '{"model_id": ["x"], "display_name": 5}', "[1]"],
    ids=["nested", "typed", "list"],
)
def test_a_broken_manifest_is_skipped_not_a_crash(tiny_model_dir: Path, tmp_path: Path, text):
    root = tmp_path / "models"
    shutil.copytree(tiny_model_dir, root / "broken")
    shutil.copytree(tiny_model_dir, root / "good")
    (root / "broken" / "logline.json").write_text(text)
    assert [m.path.name for m in installed_models(root)] == ["good"]


def test_weights_saved_by_mlx_without_metadata_are_accepted(drive_model: Path, tmp_path: Path):
    """MLX's own ``save_safetensors`` writes ``"__metadata__": null``: a model re-saved with it
    (as bench_gui.py does, and as a user's own MLX tooling may) was refused as malformed."""
    from logline.engine.mlx_runtime import import_mlx

    mx = import_mlx()
    for path in drive_model.glob("*.safetensors"):
        weights = dict(mx.load(str(path)).items())
        mx.save_safetensors(str(path), weights)
        length = struct.unpack("<Q", path.read_bytes()[:8])[0]
        header = json.loads(path.read_bytes()[8 : 8 + length])
        assert header.get("__metadata__", "absent") in (None, "absent")
    root = tmp_path / "models"
    import_model_folder(drive_model, root, model_id="resaved")
    assert "resaved" in {model.model_id for model in installed_models(root)}
