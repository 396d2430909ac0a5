"""Convert a Hugging Face safetensors model folder to an MLX folder: 4- or 8-bit, or float16.

What ``mlx_lm.convert`` does, built from mlx-lm's own pieces (``load_model``, ``quantize_model``,
``make_shards``, ``save_config``) but local-only and staged:

* the folder is validated first (``folder_import.validate_model_folder``: safetensors only, pickle
  refused) and must exist, so mlx-lm never takes the path for a hub repo id and never goes to the
  network; the tokenizer is not loaded at all (its files are copied), and no custom model code runs;
* the weights are read lazily, cast to ``dtype`` (float16 by default) and quantized; every
  module is then evaluated in turn, so progress is reported and ``cancel`` is checked per module;
* everything is written into a hidden staging folder ``models_root/.<id>.partial-…`` that is renamed
  into place only at the end: a failure or a cancel leaves nothing behind.

Progress is ``progress(stage, done, total)`` with the stages ``"Reading"`` (0/1 then 1/1),
``"Quantizing"`` (``"Converting"`` without quantization; modules evaluated) and ``"Writing"``
(bytes written).

This uses MLX: call it on the engine thread. The CLI calls it on its main thread (the CLI's only
MLX thread); the GUI must call it through the engine worker.

Works with mlx-lm 0.32 and with the Ventura pair (mlx 0.29.3 / mlx-lm 0.30): ``quantize_model`` is
called with the arguments both versions take, and ``load_model`` gets ``trust_remote_code=False``
only where it accepts that argument (0.30 never runs custom code).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from logline.models.errors import ModelImportError
from logline.models.folder_import import COPIED_PATTERNS, validate_model_folder
from logline.models.import_checks import verify_by_running
from logline.models.manifest import MANIFEST_NAME, ModelManifest
from logline.models.model_folder import check_model_id, replace_folder
from logline.models.safetensors_check import read_safetensors_header
from logline.units import format_bytes

log = logging.getLogger(__name__)

StageProgress = Callable[[str, int, int], None]  # (stage, done, total)

SUPPORTED_BITS = (4, 8, None)
SUPPORTED_GROUP_SIZES = (32, 64, 128)
FLOAT_DTYPES = frozenset({"BF16", "F16", "F32", "F64"})
OUTPUT_DTYPES = ("float16", "bfloat16", "float32")
# Written by the converter itself; everything else COPIED_PATTERNS names is copied from the source.
_GENERATED = ("config.json", "model.safetensors.index.json")
_DISK_MARGIN = 1.05  # a little headroom over the estimated output size


def needs_conversion(folder: str | Path) -> bool:
    """True for a valid model folder whose weights are plain floats (bf16/f16/f32), not quantized.

    Raises :class:`ModelImportError` when the folder is not a valid model folder (the same checks
    as a folder import). Reads only config.json and the safetensors headers; no MLX.
    """
    folder = Path(folder).expanduser()
    config = validate_model_folder(folder)
    if _is_quantized(config):
        return False
    dtypes = {dtype for path in _weight_files(folder) for dtype in _matrix_dtypes(path)}
    return bool(dtypes) and dtypes <= FLOAT_DTYPES


def convert_model_folder(
    source: str | Path,
    models_root: Path,
    *,
    model_id: str,
    display_name: str | None = None,
    bits: int | None = 4,
    group_size: int = 64,
    dtype: str = "float16",
    overwrite: bool = False,
    progress: StageProgress | None = None,
    cancel: threading.Event | None = None,
) -> ModelManifest:
    """Convert the float model folder ``source`` into ``models_root/<model_id>`` (MLX format).

    ``bits`` is 4 or 8 (affine quantization with ``group_size``), or None to keep the weights in
    ``dtype`` (float16 by default) without quantization. Raises :class:`ModelImportError` for an
    invalid or already quantized folder, an id in use (unless ``overwrite``), too little disk
    space, a failure inside mlx-lm, or a cancel; nothing is left behind in those cases.
    Uses MLX: run it on the engine thread.
    """
    source = Path(source).expanduser().resolve()
    _check_request(source, model_id, bits, group_size, dtype)
    destination = models_root / model_id
    if destination.exists() and not overwrite:
        raise ModelImportError(f"A model named {model_id!r} is already installed at {destination}.")
    report = progress or (lambda _stage, _done, _total: None)
    stop = cancel or threading.Event()

    models_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model_id}.partial-", dir=models_root))
    staging.chmod(0o700)  # private like the rest of the cache
    try:
        report("Reading", 0, 1)
        model, mlx_config = _load_float_model(source)
        parameters = _parameter_count(model)
        _cast(model, dtype)
        report("Reading", 1, 1)
        _check_cancel(stop)
        if bits is None:
            stage = "Converting"
            for key in ("quantization", "quantization_config"):
                mlx_config.pop(key, None)
        else:
            stage = "Quantizing"
            model, mlx_config = _quantize(model, mlx_config, bits, group_size)
        mlx_config["torch_dtype"] = dtype
        extra_files = _extra_files(source)
        _check_disk_space(model, extra_files, models_root)
        _evaluate(model, stage, report, stop)
        _write(model, mlx_config, parameters, extra_files, staging, report, stop)
        manifest = ModelManifest(
            model_id=model_id,
            display_name=display_name or source.name,
            source="import",
            origin=str(source),
            format="mlx",
            quantization=_describe(bits, group_size, dtype),
            context_length=_context_length(mlx_config),
            parameters=parameters,
        )
        _check_cancel(stop)
        verify_by_running(staging, source.name)
        manifest.write(staging / MANIFEST_NAME)
        _check_cancel(stop)
        replace_folder(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        model = None
        _release_memory()
    log.info("Converted %s into %s (%s)", source.name, model_id, manifest.quantization)
    return manifest


def _check_request(
    source: Path, model_id: str, bits: int | None, group_size: int, dtype: str
) -> None:
    """Everything that can be refused before MLX is touched (a missing path above all: mlx-lm
    would take it for a hub repo id)."""
    if bits not in SUPPORTED_BITS:
        raise ModelImportError(f"Unsupported quantization: {bits} bits (use 4, 8 or none).")
    if group_size not in SUPPORTED_GROUP_SIZES:
        raise ModelImportError(f"Unsupported group size {group_size} (use 32, 64 or 128).")
    if dtype not in OUTPUT_DTYPES:
        raise ModelImportError(f"Unsupported dtype {dtype!r} (use one of {OUTPUT_DTYPES}).")
    check_model_id(model_id)
    if not source.is_dir():
        raise ModelImportError(f'"{source}" is not a folder.')
    config = validate_model_folder(source)
    if _is_quantized(config):
        raise ModelImportError(
            f'"{source.name}" is already quantized: import it as it is, without conversion.'
        )
    if config.get("model_file") or config.get("auto_map"):
        raise ModelImportError(
            f'"{source.name}" needs its own Python code to build the model; Logline never runs '
            "code that comes with a model."
        )


# -- reading the folder (no MLX) ---------------------------------------------------------------
def _is_quantized(config: dict[str, Any]) -> bool:
    text_config = config.get("text_config")
    nested = text_config if isinstance(text_config, dict) else {}
    return any(
        bool(c.get("quantization") or c.get("quantization_config")) for c in (config, nested)
    )


def _weight_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("model*.safetensors")) or sorted(folder.glob("*.safetensors"))


def _matrix_dtypes(path: Path) -> set[str]:
    """The dtypes of the tensors with two or more dimensions (the weights, not the buffers)."""
    header = read_safetensors_header(path)  # checked already by validate_model_folder
    return {entry.dtype for entry in header.values() if len(entry.shape) >= 2}


def _extra_files(folder: Path) -> list[Path]:
    """The tokenizer and generation files to copy as they are (what a folder import copies,
    less the weights and the files the conversion writes itself)."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.name not in _GENERATED
        and not fnmatch(path.name, "model*.safetensors")
        and any(fnmatch(path.name, pattern) for pattern in COPIED_PATTERNS)
    )


def _context_length(config: dict[str, Any]) -> int:
    text_config = config.get("text_config")
    nested = text_config if isinstance(text_config, dict) else {}
    return int(config.get("max_position_embeddings") or nested.get("max_position_embeddings") or 0)


def _describe(bits: int | None, group_size: int, dtype: str) -> str:
    if bits is None:
        return {"float16": "fp16", "bfloat16": "bf16", "float32": "fp32"}[dtype]
    return f"{bits}-bit (group {group_size})"


def _check_cancel(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise ModelImportError("The conversion was cancelled; nothing was installed.")


def _free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


# -- MLX steps (engine thread) -----------------------------------------------------------------
def _load_float_model(folder: Path) -> tuple[Any, dict[str, Any]]:
    """mlx-lm's ``load_model`` on a local folder, lazily (weights are read when evaluated)."""
    from logline.engine.mlx_runtime import import_mlx  # lazy: imports MLX

    import_mlx()
    from mlx_lm.utils import load_model

    options: dict[str, Any] = {"lazy": True}
    if "trust_remote_code" in inspect.signature(load_model).parameters:
        options["trust_remote_code"] = False
    try:
        return load_model(folder, **options)
    except (ValueError, KeyError, TypeError, FileNotFoundError, RuntimeError) as exc:
        raise ModelImportError(f'mlx-lm cannot read "{folder.name}": {exc}') from exc


def _release_memory() -> None:
    """Give MLX's buffer cache back (the converted arrays are gone once the caller returns)."""
    import sys

    mx = sys.modules.get("mlx.core")
    if mx is not None:
        mx.clear_cache()


def _parameter_count(model: Any) -> int:
    from mlx.utils import tree_flatten

    return sum(int(array.size) for _, array in tree_flatten(model.parameters()))


def _cast(model: Any, dtype: str) -> None:
    """Cast floating parameters to ``dtype``, except those the architecture keeps as they are."""
    import mlx.core as mx
    from mlx.utils import tree_map_with_path

    target = getattr(mx, dtype)
    keep = getattr(model, "cast_predicate", lambda _path: True)

    def cast(path: str, value: Any) -> Any:
        if keep(path) and mx.issubdtype(value.dtype, mx.floating):
            return value.astype(target)
        return value

    model.update(tree_map_with_path(cast, model.parameters()))


def _quantize(
    model: Any, config: dict[str, Any], bits: int, group_size: int
) -> tuple[Any, dict[str, Any]]:
    """``mlx_lm.utils.quantize_model`` with the arguments both 0.30 and 0.32 accept.

    It prints a line to stdout; that goes to the log instead (stdout may carry JSON output).
    """
    from mlx_lm.utils import quantize_model

    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            model, config = quantize_model(model, config, group_size, bits, mode="affine")
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelImportError(f"mlx-lm could not quantize the model: {exc}") from exc
    for line in printed.getvalue().splitlines():
        log.info("mlx-lm: %s", line.strip())
    return model, config


def _groups(model: Any) -> list[list[Any]]:
    """The parameters grouped by module (a quantized layer's weight, scales and biases together)."""
    from mlx.utils import tree_flatten

    groups: dict[str, list[Any]] = {}
    for name, array in tree_flatten(model.parameters()):
        groups.setdefault(name.rpartition(".")[0], []).append(array)
    return list(groups.values())


def _check_disk_space(model: Any, extra_files: list[Path], models_root: Path) -> None:
    """Refuse early when the output (its size is known before anything is computed) won't fit."""
    from mlx.utils import tree_flatten

    needed = sum(int(a.nbytes) for _, a in tree_flatten(model.parameters()))
    needed = int((needed + sum(p.stat().st_size for p in extra_files)) * _DISK_MARGIN)
    free = _free_bytes(models_root)
    if needed > free:
        raise ModelImportError(
            f"Not enough disk space to convert the model: it needs about {format_bytes(needed)}, "
            f"{format_bytes(free)} are free."
        )


def _evaluate(model: Any, stage: str, report: StageProgress, cancel: threading.Event) -> None:
    """Compute the converted weights one module at a time (cancel is checked between modules)."""
    import mlx.core as mx

    groups = _groups(model)
    report(stage, 0, len(groups))
    for done, arrays in enumerate(groups, start=1):
        _check_cancel(cancel)
        mx.eval(arrays)
        report(stage, done, len(groups))


def _write(
    model: Any,
    config: dict[str, Any],
    parameters: int,
    extra_files: list[Path],
    staging: Path,
    report: StageProgress,
    cancel: threading.Event,
) -> None:
    """Weights (sharded as mlx-lm shards them), index, config and the tokenizer files."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.utils import make_shards, save_config

    weights = dict(tree_flatten(model.parameters()))
    shards = [shard for shard in make_shards(weights) if shard]
    total = sum(int(a.nbytes) for a in weights.values()) + sum(
        p.stat().st_size for p in extra_files
    )
    index: dict[str, Any] = {
        "metadata": {
            "total_size": sum(int(a.nbytes) for a in weights.values()),
            "total_parameters": parameters,
        },
        "weight_map": {},
    }
    done = 0
    report("Writing", done, total)
    for number, shard in enumerate(shards, start=1):
        _check_cancel(cancel)
        name = (
            f"model-{number:05d}-of-{len(shards):05d}.safetensors"
            if len(shards) > 1
            else "model.safetensors"
        )
        mx.save_safetensors(str(staging / name), shard, metadata={"format": "mlx"})
        index["weight_map"].update(dict.fromkeys(shard, name))
        done += sum(int(a.nbytes) for a in shard.values())
        report("Writing", done, total)
    index["weight_map"] = dict(sorted(index["weight_map"].items()))
    (staging / "model.safetensors.index.json").write_text(json.dumps(index, indent=4), "utf-8")
    save_config(config, config_path=staging / "config.json")
    for path in extra_files:
        _check_cancel(cancel)
        shutil.copy2(path, staging / path.name)
        done += path.stat().st_size
        report("Writing", done, total)
