"""Import a model folder from a drive: an MLX (or Hugging Face safetensors) model, validated.

For air-gapped editing bays: a model arrives on a drive as a folder with ``config.json``,
tokenizer files and safetensors weights. Logline checks it before it counts as installed:

* ``config.json`` parses and names a ``model_type`` that the installed mlx-lm can build;
* weights are safetensors only (pickle formats such as ``.bin``/``.pt`` are refused, never
  loaded), every shard named by ``model.safetensors.index.json`` is present, and every
  safetensors header is well-formed and fits inside its file (a truncated copy is caught here,
  not halfway through loading);
* a tokenizer is present (``tokenizer.json``, ``tokenizer.model`` or ``tiktoken.model``).

Then the folder is either **copied** into the model cache (staged, then renamed into place: a
failed or cancelled copy leaves nothing) or **referenced** in place (only ``logline.json`` is
written to the cache; the weights stay on the drive, which must be connected to load it).
Nothing here imports MLX.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from logline.models.config_check import text_config
from logline.models.errors import ModelImportError
from logline.models.folder_checks import (
    check_chat_templates,
    check_folder_entries,
    check_tokenizer_files,
    check_weights,
    open_regular,
    read_config,
)
from logline.models.import_checks import verify_by_running
from logline.models.manifest import MANIFEST_NAME, ModelManifest
from logline.models.model_folder import check_model_id, replace_folder
from logline.models.safetensors_check import read_safetensors_header
from logline.units import format_bytes

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]  # (bytes copied, bytes total)

# What mlx-lm reads from a model folder; everything else (READMEs, images, *.py) is not copied.
COPIED_PATTERNS = (
    "config.json",
    "generation_config.json",
    "model*.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "tokenizer.model",
    "tiktoken.model",
    "*.tiktoken",
    "vocab.json",
    "merges.txt",
    "chat_template.json",
    "chat_template.jinja",
)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tiktoken.model")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")


def validate_model_folder(folder: Path) -> dict[str, Any]:
    """Check ``folder`` as described in the module docstring; return its parsed config.

    Reads no weights and uses no MLX (the forward pass is :func:`verify_by_running`)."""
    name = folder.name
    if not folder.is_dir():
        raise ModelImportError(f'"{folder}" is not a folder.')
    check_folder_entries(folder)
    if not (folder / "config.json").is_file():
        raise ModelImportError(f'"{name}" has no config.json, so it is not a model folder.')
    config = read_config(folder)
    model_type = str(text_config(config).get("model_type") or config.get("model_type"))
    if not mlx_lm_supports(model_type) and not mlx_lm_supports(str(config.get("model_type"))):
        raise ModelImportError(
            f'"{name}" is a {model_type[:40]!r} model, which the installed mlx-lm cannot run.'
        )
    weights = sorted(folder.glob("model*.safetensors")) or sorted(folder.glob("*.safetensors"))
    if not weights:
        pickled = [p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES]
        if pickled:
            raise ModelImportError(
                f'"{name}" has only pickle weights ({pickled[0]}). Logline loads safetensors '
                "only, because pickle files can run code: convert the model to safetensors."
            )
        raise ModelImportError(f'"{name}" has no safetensors weights.')
    check_weights(folder, weights, config)
    if not any((folder / tokenizer).is_file() for tokenizer in TOKENIZER_FILES):
        raise ModelImportError(
            f'"{name}" has no tokenizer (tokenizer.json, tokenizer.model or tiktoken.model).'
        )
    check_tokenizer_files(folder)
    check_chat_templates(folder)
    return config


def mlx_lm_supports(model_type: str) -> bool:
    """True when mlx-lm has an architecture for ``model_type`` (found without importing MLX)."""
    spec = importlib.util.find_spec("mlx_lm")
    if spec is None or not spec.submodule_search_locations:
        return False
    models = Path(next(iter(spec.submodule_search_locations))) / "models"
    if (models / f"{model_type}.py").is_file():
        return True
    try:  # a renamed architecture ("mistral" runs as "llama"); this import loads MLX
        from mlx_lm.utils import MODEL_REMAPPING
    except Exception:  # pragma: no cover - an mlx-lm without the table
        return False
    target = MODEL_REMAPPING.get(model_type)
    return bool(target) and (models / f"{target}.py").is_file()


def check_safetensors(path: Path) -> None:
    """A safetensors file whose header parses and tells the truth (see ``safetensors_check``)."""
    read_safetensors_header(path)


def _files_to_copy(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and any(fnmatch(path.name, pattern) for pattern in COPIED_PATTERNS)
    )


def _describe_quantization(config: dict[str, Any]) -> str:
    quantization = config.get("quantization") or config.get("quantization_config")
    if isinstance(quantization, dict) and quantization.get("bits"):
        return f"{quantization['bits']}-bit"
    dtype = str(config.get("torch_dtype") or config.get("dtype") or "")[:20]
    return {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}.get(dtype, dtype)


def import_model_folder(
    folder: str | Path,
    models_root: Path,
    *,
    model_id: str,
    display_name: str | None = None,
    reference: bool = False,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> ModelManifest:
    """Validate ``folder`` and install it as ``models_root/<model_id>`` (copied or referenced).

    Raises :class:`ModelImportError` for an invalid folder, an id in use (unless
    ``overwrite``), a failed copy or a cancel; nothing is left behind in those cases.
    """
    folder = Path(folder).expanduser().resolve()
    check_model_id(model_id)
    config = validate_model_folder(folder)
    destination = models_root / model_id
    if destination.exists() and not overwrite:
        raise ModelImportError(f"A model named {model_id!r} is already installed at {destination}.")
    files = _files_to_copy(folder)
    manifest = ModelManifest(
        model_id=model_id,
        display_name=display_name or folder.name,
        source="reference" if reference else "import",
        origin=str(folder),
        format="mlx",
        quantization=_describe_quantization(config),
        context_length=int(text_config(config).get("max_position_embeddings") or 0),
        location=str(folder) if reference else "",
    )
    models_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model_id}.importing-", dir=models_root))
    try:
        if not reference:
            _copy_files(files, staging, progress, cancel)
        verify_by_running(folder if reference else staging, folder.name)
        manifest.write(staging / MANIFEST_NAME)
        replace_folder(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("Imported model folder as %s (%s)", model_id, manifest.source)
    return manifest


def _copy_files(
    files: list[Path],
    staging: Path,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    chunk: int = 8 << 20,
) -> None:
    total = sum(path.stat().st_size for path in files)
    free = shutil.disk_usage(staging).free
    if total > free:
        raise ModelImportError(
            f"Not enough disk space to copy the model: it needs {format_bytes(total)}, "
            f"{format_bytes(free)} are free. Reference it in place instead."
        )
    done = 0
    report = progress or (lambda _done, _total: None)
    report(0, total)
    for path in files:
        with open_regular(path) as source, (staging / path.name).open("wb") as target:
            while block := source.read(chunk):
                if cancel is not None and cancel.is_set():
                    raise ModelImportError("The import was cancelled; nothing was installed.")
                target.write(block)
                done += len(block)
                report(done, total)
        shutil.copystat(path, staging / path.name)
