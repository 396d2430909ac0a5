"""What a model folder must pass before Logline reads a weight from it (no MLX, stdlib only).

* every entry is a regular file or a folder; a link must resolve inside the folder (one that
  leads out, say ``vocab.json -> /etc/passwd``, is refused with its path), and FIFOs, devices and
  sockets are refused (reading a FIFO would hang the import);
* ``config.json`` is a bounded JSON object with sane sizes (:mod:`config_check`);
* ``model.safetensors.index.json`` maps tensor names to plain file names that are present;
* every safetensors header tells the truth (:mod:`safetensors_check`), no tensor is in two
  shards, and the shapes agree with the config;
* the chat template renders Logline's conversations within limits (:mod:`template_check`).

Every failure is a :class:`~logline.models.errors.ModelImportError` subclass with one line.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any, BinaryIO

from logline.models.config_check import (
    ModelShape,
    check_against_weights,
    check_config,
    logical_shapes,
    text_config,
)
from logline.models.errors import (
    ModelConfigError,
    ModelWeightsError,
    UnsafeModelFileError,
)
from logline.models.safe_json import read_json
from logline.models.safetensors_check import read_safetensors_header
from logline.models.template_check import check_chat_template

MAX_ENTRIES = 10_000
INDEX_NAME = "model.safetensors.index.json"
JSON_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "generation_config.json",
    "chat_template.json",
)
_MODEL_TYPE = re.compile(r"[a-z][a-z0-9_-]{0,63}")


def check_folder_entries(folder: Path) -> None:
    """Refuse links out of ``folder`` (or broken ones) and anything but files and folders."""
    root = folder.resolve()
    for count, entry in enumerate(sorted(folder.iterdir())):
        if count >= MAX_ENTRIES:
            raise UnsafeModelFileError(f'"{folder.name}" holds too many files to be a model.')
        try:
            mode = entry.lstat().st_mode
            if stat.S_ISLNK(mode):
                target = entry.resolve(strict=True)
                if not target.is_relative_to(root):
                    raise UnsafeModelFileError(
                        f'"{entry}" is a link to "{target}", outside the model folder; Logline '
                        "never follows a link out of a model folder: copy the real file in."
                    )
                mode = target.stat().st_mode
        except (OSError, RuntimeError):
            raise UnsafeModelFileError(
                f'"{entry}" is a broken or looping link; remove it or copy the real file in.'
            ) from None
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise UnsafeModelFileError(
                f'"{entry}" is not a regular file (a FIFO, device or socket); a model folder may '
                "hold only files and folders."
            )


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading, refusing (without blocking) anything but a regular file."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise UnsafeModelFileError(f'"{path}" is not a regular file; it was not read.')
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_config(folder: Path) -> dict[str, Any]:
    """``config.json`` parsed with limits, its ``model_type`` text."""
    where = f'The config.json of "{folder.name}"'
    config: dict[str, Any] = read_json(
        folder / "config.json", where, ModelConfigError, finite=False
    )
    model_type = text_config(config).get("model_type") or config.get("model_type")
    if not isinstance(model_type, str) or not _MODEL_TYPE.fullmatch(model_type):
        raise ModelConfigError(f"{where} does not give a model_type Logline knows the form of.")
    return config


def check_index(folder: Path, present: set[str]) -> None:
    index = folder / INDEX_NAME
    if not index.is_file():
        return
    where = f'{INDEX_NAME} in "{folder.name}"'
    data = read_json(index, where, ModelWeightsError)
    weight_map = data.get("weight_map", {})
    if not isinstance(weight_map, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in weight_map.items()
    ):
        raise ModelWeightsError(f"{where} has a weight_map that is not tensor names to file names.")
    files = set(weight_map.values())
    odd = sorted(f for f in files if Path(f).name != f or f.startswith("."))
    if odd:
        raise ModelWeightsError(f"{where} names a weight file outside the folder ({odd[0][:80]}).")
    missing = sorted(files - present)
    if missing:
        raise ModelWeightsError(
            f'"{folder.name}" is incomplete: {len(missing)} weight file(s) are missing, '
            f"such as {missing[0]}."
        )


def check_weights(folder: Path, weights: list[Path], config: dict[str, Any]) -> ModelShape:
    """The config's sizes, checked against every safetensors header of ``weights``."""
    shape = check_config(config, f'The config.json of "{folder.name}"')
    check_index(folder, {w.name for w in weights})
    tensors: dict[str, tuple[tuple[int, ...], str]] = {}
    for weight in weights:
        for name, entry in read_safetensors_header(weight).items():
            if name in tensors:
                raise ModelWeightsError(
                    f'"{folder.name}" holds the tensor {name[:80]!r} twice ({weight.name}).'
                )
            tensors[name] = (entry.shape, entry.dtype)
    quantization = text_config(config).get("quantization")
    check_against_weights(
        shape, logical_shapes(tensors, quantization), f'"{folder.name}"', "its config.json"
    )
    return shape


def check_tokenizer_files(folder: Path) -> None:
    """The JSON files transformers reads at load parse within limits, and ``tokenizer.json``
    builds a tokenizer (a hostile one fails here, not on the first summary)."""
    for name in JSON_FILES:
        path = folder / name
        if path.is_file():
            read_json(path, f'{name} in "{folder.name}"', ModelConfigError)
    path = folder / "tokenizer.json"
    if not path.is_file():
        return
    from tokenizers import Tokenizer  # lazy: a Rust extension

    with open_regular(path) as stream:
        raw = stream.read().decode("utf-8", "replace")
    try:
        Tokenizer.from_str(raw)
    except Exception as exc:  # the tokenizers library raises plain Exceptions
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise ModelConfigError(
            f'tokenizer.json in "{folder.name}" does not make a tokenizer ({reason}).'
        ) from None


def chat_templates(folder: Path) -> list[tuple[str, Any]]:
    """``(file, template)`` for every chat template the folder carries."""
    found: list[tuple[str, Any]] = []
    tokenizer_config = folder / "tokenizer_config.json"
    if tokenizer_config.is_file():
        data = read_json(tokenizer_config, f'tokenizer_config.json in "{folder.name}"')
        template = data.get("chat_template")
        if isinstance(template, list):
            for item in template:
                body = item.get("template") if isinstance(item, dict) else item
                found.append(("tokenizer_config.json", body))
        elif template is not None:
            found.append(("tokenizer_config.json", template))
    json_template = folder / "chat_template.json"
    if json_template.is_file():
        data = read_json(json_template, f'chat_template.json in "{folder.name}"')
        found.append(("chat_template.json", data.get("chat_template")))
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        with open_regular(jinja) as stream:
            found.append(("chat_template.jinja", stream.read(1 << 20).decode("utf-8", "replace")))
    return found


def check_chat_templates(folder: Path, *, refusals_ok: bool = False) -> None:
    """Every chat template of ``folder`` (see ``template_check.check_chat_template``)."""
    for file_name, template in chat_templates(folder):
        where = f'The chat template in {file_name} of "{folder.name}"'
        check_chat_template(template, where, refusals_ok=refusals_ok)
