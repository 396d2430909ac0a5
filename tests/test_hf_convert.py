"""Converting a Hugging Face float safetensors folder to MLX (4/8-bit or float16) on import."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from logline.cli import main
from logline.engine.runtime import Engine, GenerationRequest
from logline.engine.sampling import SamplingParams
from logline.models import hf_convert
from logline.models.errors import ModelImportError
from logline.models.hf_convert import convert_model_folder, needs_conversion
from logline.models.registry import installed_models
from tiny_models import TRAINING_TEXT, write_tiny_hf_llama


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny float16 llama as a Hugging Face checkpoint arrives on a drive."""
    folder = write_tiny_hf_llama(tmp_path_factory.mktemp("drive") / "Tiny-Llama-HF")
    (folder / "README.md").write_text("not copied")
    (folder / "modeling_custom.py").write_text("raise SystemExit('never run')")
    return folder


@pytest.fixture(scope="module")
def converted(hf_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder converted once to 4-bit (module scope: several tests read it)."""
    root = tmp_path_factory.mktemp("models")
    convert_model_folder(hf_folder, root, model_id="tiny-hf-q4")
    return root / "tiny-hf-q4"


def _logits(folder: Path, text: str = TRAINING_TEXT[:300]):
    import mlx.core as mx
    from mlx_lm import load

    model, tokenizer = load(str(folder))
    model.set_dtype(mx.float32)  # float16 has no fast path on the CPU backend
    ids = mx.array([tokenizer.encode(text)])
    return model(ids)[0].astype(mx.float32)


def _agreement(reference, other) -> tuple[float, float]:
    """(mean cosine of the logit rows, share of positions with the same argmax)."""
    import mlx.core as mx

    cosine = (reference * other).sum(-1) / (
        mx.linalg.norm(reference, axis=-1) * mx.linalg.norm(other, axis=-1)
    )
    same = (reference.argmax(-1) == other.argmax(-1)).astype(mx.float32)
    return cosine.mean().item(), same.mean().item()


def test_float_folders_need_conversion_and_mlx_ones_do_not(
    hf_folder: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    assert needs_conversion(hf_folder)
    assert not needs_conversion(tiny_model_dir)  # already 4-bit MLX (imported from GGUF)
    bf16 = write_tiny_hf_llama(tmp_path / "bf16", dtype="bfloat16")
    assert needs_conversion(bf16)


def test_converted_4bit_is_installed_and_close_to_the_float_model(
    hf_folder: Path, converted: Path
) -> None:
    import mlx.core as mx

    models = installed_models(converted.parent)
    assert [m.model_id for m in models] == ["tiny-hf-q4"]
    manifest = models[0].manifest
    assert (manifest.source, manifest.format) == ("import", "mlx")
    assert manifest.quantization == "4-bit (group 64)"
    assert manifest.origin == str(hf_folder) and manifest.display_name == "Tiny-Llama-HF"
    assert manifest.context_length == 8192 and manifest.parameters > 100_000
    config = json.loads((converted / "config.json").read_text())
    assert config["quantization"]["bits"] == 4 and config["quantization"]["group_size"] == 64
    files = {p.name for p in converted.iterdir()}
    assert {"tokenizer.json", "tokenizer_config.json", "generation_config.json"} <= files
    assert not {"README.md", "modeling_custom.py"} & files
    assert not [p for p in converted.parent.iterdir() if p.name.startswith(".")]

    # Every quantized matrix is within 4-bit rounding error of the source (theory: ~9%).
    source = mx.load(str(hf_folder / "model.safetensors"))
    weights = mx.load(str(converted / "model.safetensors"))
    quantized = [name.removesuffix(".scales") for name in weights if name.endswith(".scales")]
    assert len(quantized) == len([n for n in source if source[n].ndim == 2])
    for module in quantized:
        restored = mx.dequantize(
            weights[f"{module}.weight"],
            weights[f"{module}.scales"],
            weights[f"{module}.biases"],
            group_size=64,
            bits=4,
        )
        original = source[f"{module}.weight"].astype(mx.float32)
        error = (mx.linalg.norm(restored - original) / mx.linalg.norm(original)).item()
        assert error < 0.12, module

    # End to end: the logits follow the float model's (two unrelated models: cosine ~0.0).
    cosine, _ = _agreement(_logits(hf_folder), _logits(converted))
    assert cosine > 0.6


def test_8bit_and_float16_conversions(hf_folder: Path, tmp_path: Path) -> None:
    root = tmp_path / "models"
    reference = _logits(hf_folder)
    eight = convert_model_folder(hf_folder, root, model_id="q8", bits=8, group_size=32)
    assert eight.quantization == "8-bit (group 32)"
    cosine, same = _agreement(reference, _logits(root / "q8"))
    assert cosine > 0.99 and same > 0.8

    fp16 = convert_model_folder(
        write_tiny_hf_llama(tmp_path / "f32", dtype="float32"), root, model_id="f16", bits=None
    )
    assert fp16.quantization == "fp16"
    config = json.loads((root / "f16" / "config.json").read_text())
    assert "quantization" not in config and config["torch_dtype"] == "float16"
    header = _safetensors_header(root / "f16" / "model.safetensors")
    assert {info["dtype"] for key, info in header.items() if key != "__metadata__"} == {"F16"}
    cosine, same = _agreement(reference, _logits(root / "f16"))
    assert cosine > 0.999 and same > 0.95


def _safetensors_header(path: Path) -> dict:
    raw = path.read_bytes()
    length = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8 : 8 + length])


def test_sharded_bf16_checkpoint_with_tied_embeddings(tmp_path: Path) -> None:
    """Two shards and their index, as transformers writes bigger checkpoints."""
    import mlx.core as mx

    folder = write_tiny_hf_llama(tmp_path / "sharded", dtype="bfloat16", tied=True)
    tensors = mx.load(str(folder / "model.safetensors"))
    (folder / "model.safetensors").unlink()
    names = sorted(tensors)
    weight_map = {}
    for number, part in enumerate((names[::2], names[1::2]), start=1):
        shard = f"model-{number:05d}-of-00002.safetensors"
        mx.save_safetensors(
            str(folder / shard), {n: tensors[n] for n in part}, metadata={"format": "pt"}
        )
        weight_map.update(dict.fromkeys(part, shard))
    index = {"metadata": {}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    assert needs_conversion(folder)

    convert_model_folder(folder, tmp_path / "models", model_id="sharded")
    out = tmp_path / "models" / "sharded"
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert set(index["weight_map"].values()) == {"model.safetensors"}
    assert "lm_head.weight" not in index["weight_map"]
    assert _agreement(_logits(folder), _logits(out))[0] > 0.6


def test_the_engine_loads_and_generates_with_the_converted_model(converted: Path) -> None:
    engine = Engine()
    engine.load("tiny-hf-q4", converted)
    events = []
    request = GenerationRequest(
        messages=[{"role": "user", "content": "Tell me the story."}],
        sampling=SamplingParams(max_tokens=5),
    )
    from logline.engine import CancelToken, Finished

    finished = engine.generate(request, CancelToken(), events.append)
    assert isinstance(finished, Finished) and finished.error is None
    assert 1 <= finished.stats.generation_tokens <= 5


def test_progress_reports_each_stage_in_order(hf_folder: Path, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    convert_model_folder(
        hf_folder, tmp_path / "models", model_id="tiny", progress=lambda *a: seen.append(a)
    )
    stages = [stage for stage, _, _ in seen]
    assert list(dict.fromkeys(stages)) == ["Reading", "Quantizing", "Writing"]
    for stage in ("Reading", "Quantizing", "Writing"):
        steps = [(done, total) for name, done, total in seen if name == stage]
        total = steps[0][1]
        assert all(t == total for _, t in steps) and steps[0][0] == 0 and steps[-1][0] == total
        assert [d for d, _ in steps] == sorted(d for d, _ in steps)
    quantizing = [total for name, _, total in seen if name == "Quantizing"]
    assert quantizing[0] >= 2 * 7  # at least one step per layer's projection


@pytest.mark.parametrize(("stage", "at"), [("Quantizing", 3), ("Writing", 0)])
def test_cancel_midway_leaves_nothing(hf_folder: Path, tmp_path: Path, stage: str, at: int) -> None:
    root = tmp_path / "models"
    cancel = threading.Event()

    def progress(name: str, done: int, _total: int) -> None:
        if name == stage and done == at:
            cancel.set()

    with pytest.raises(ModelImportError, match="cancelled"):
        convert_model_folder(hf_folder, root, model_id="tiny", progress=progress, cancel=cancel)
    assert list(root.iterdir()) == []


def test_refusals(hf_folder: Path, tiny_model_dir: Path, tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "models"
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    for name in ("config.json", "tokenizer.json"):
        shutil.copy(hf_folder / name, pickled / name)
    (pickled / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(ModelImportError, match="pickle"):
        needs_conversion(pickled)
    with pytest.raises(ModelImportError, match="pickle"):
        convert_model_folder(pickled, root, model_id="pickled")
    with pytest.raises(ModelImportError, match="not a folder"):
        convert_model_folder(tmp_path / "org" / "missing-repo", root, model_id="x")
    with pytest.raises(ModelImportError, match="already quantized"):
        convert_model_folder(tiny_model_dir, root, model_id="x")
    with pytest.raises(ModelImportError, match="Unsupported quantization"):
        convert_model_folder(hf_folder, root, model_id="x", bits=3)
    monkeypatch.setattr(hf_convert, "_free_bytes", lambda _folder: 1000)
    with pytest.raises(ModelImportError, match="Not enough disk space"):
        convert_model_folder(hf_folder, root, model_id="x")
    assert not root.exists() or list(root.iterdir()) == []


def test_cli_converts_a_float_folder(hf_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "import", str(hf_folder), "--id", "cli-q4", "--json"]) == 0
    imported = json.loads(capsys.readouterr().out)
    assert imported["model_id"] == "cli-q4" and imported["quantization"] == "4-bit (group 64)"
    assert imported["format"] == "mlx" and not imported["referenced"]

    assert main(["models", "import", str(hf_folder), "--id", "cli-f16", "--quantize", "none"]) == 0
    captured = capsys.readouterr()
    assert "Imported Tiny-Llama-HF as cli-f16" in captured.out
    assert "Quantizing" not in captured.err and "Writing" in captured.err
    listed = {m.model_id: m.manifest.quantization for m in installed_models()}
    assert listed == {"cli-q4": "4-bit (group 64)", "cli-f16": "fp16"}

    assert main(["models", "import", str(hf_folder), "--reference"]) == 1
    assert "without --reference" in capsys.readouterr().err


def test_cli_keeps_mlx_folders_as_they_are(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drive = tmp_path / "drive" / "tiny-mlx"
    shutil.copytree(tiny_model_dir, drive)
    assert main(["models", "import", str(drive), "--quantize", "8"]) == 1
    assert "already in MLX format" in capsys.readouterr().err
    assert main(["models", "import", str(drive), "--json"]) == 0
    imported = json.loads(capsys.readouterr().out)
    assert imported["model_id"] == "tiny-mlx"
    assert imported["quantization"] == "4-bit"  # copied as it is: no conversion


def _float_copy(mlx_folder: Path, folder: Path) -> Path:
    """An MLX-quantized model written back as a float16 Hugging Face-style folder."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm import load
    from mlx_lm.utils import dequantize_model

    model, _tokenizer = load(str(mlx_folder))
    model = dequantize_model(model)
    weights = {k: v.astype(mx.float16) for k, v in tree_flatten(model.parameters())}
    folder.mkdir(parents=True)
    mx.save_safetensors(str(folder / "model.safetensors"), weights, metadata={"format": "pt"})
    config = json.loads((mlx_folder / "config.json").read_text())
    for key in ("quantization", "quantization_config"):
        config.pop(key, None)
    config["torch_dtype"] = "float16"
    (folder / "config.json").write_text(json.dumps(config))
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(mlx_folder / name, folder / name)
    return folder


@pytest.mark.slow
def test_a_real_model_survives_conversion(smollm2_model_dir: Path, tmp_path: Path) -> None:
    """SmolLM2-135M (Q4_1/Q8_0 GGUF) written back as float16, then converted again.

    Its weights lie on a 4-bit (or 8-bit) grid of groups of 32, which 8-bit affine quantization
    with groups of 32 represents exactly: that conversion must give the float model's logits.
    4-bit with groups of 64 is lossy on such a small model, but must stay close.
    """
    source = _float_copy(smollm2_model_dir, tmp_path / "SmolLM2-f16")
    assert needs_conversion(source)
    root = tmp_path / "models"
    text = "INT. KITCHEN - NIGHT. The writer sits at the table and reads the script again."
    reference = _logits(source, text)
    convert_model_folder(source, root, model_id="smol-q8", bits=8, group_size=32)
    cosine, same = _agreement(reference, _logits(root / "smol-q8", text))
    assert cosine > 0.999 and same > 0.85, (cosine, same)
    convert_model_folder(source, root, model_id="smol-q4")
    cosine, _ = _agreement(reference, _logits(root / "smol-q4", text))
    assert cosine > 0.8, cosine
