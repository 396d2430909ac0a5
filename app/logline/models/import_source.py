"""Importing a model from a drive: what a path is, and the one function that imports it.

Three kinds of source, told apart by :func:`classify_source` (reads config.json and file
headers only, so it is quick on any thread):

- ``"mlx"``: an MLX-ready folder, copied into the models folder or referenced in place.
- ``"gguf"``: a GGUF file, read into an MLX model folder. Uses MLX.
- ``"float"``: a Hugging Face folder of float weights, converted to 4-bit, 8-bit or float16 MLX.
  Uses MLX.

:func:`run_import` runs any of them. Every import ends with a one-token test run of the new model
(``import_checks``), which uses MLX: callers put every import (:func:`needs_engine`) on their one
MLX thread (the GUI's engine thread, the CLI's main thread). Whatever a hostile file makes go
wrong comes out of :func:`run_import` as a :class:`ModelImportError` with one sentence.
"""

from __future__ import annotations

import logging
import shutil
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from logline.models.errors import ModelError, ModelImportError, UnsafeModelFileError
from logline.models.folder_import import import_model_folder
from logline.models.gguf_import import import_gguf
from logline.models.hf_convert import convert_model_folder, needs_conversion

if TYPE_CHECKING:
    import threading

    from logline.engine.cancel import CancelToken

__all__ = [
    "CANCELLED_MESSAGE",
    "ImportProgress",
    "ImportRequest",
    "SourceKind",
    "StageProgress",
    "classify_source",
    "needs_engine",
    "run_import",
]

log = logging.getLogger(__name__)

CANCELLED_MESSAGE = "The import was cancelled; nothing was installed."

SourceKind = Literal["gguf", "mlx", "float"]
# (stage, done, total): "Copying"/"Writing" count bytes, "Quantizing"/"Converting" modules,
# a GGUF import per mille of its work.
StageProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImportProgress:
    """An import's progress as an event: ``stage`` as :data:`StageProgress` reports it."""

    stage: str
    done: int
    total: int


@dataclass(frozen=True)
class ImportRequest:
    """Import ``source`` (classified as ``kind``) into ``models_root`` as ``model_id``.
    ``reference`` keeps an MLX folder where it is; ``bits`` is what a float folder is converted
    to (4, 8, or None for float16)."""

    kind: SourceKind
    source: Path
    models_root: Path
    model_id: str
    display_name: str | None = None
    reference: bool = False
    bits: int | None = 4
    overwrite: bool = False  # replace an installed model of the same id


def classify_source(path: Path) -> SourceKind:
    """What ``path`` is: a GGUF file, an MLX-ready folder, or a float folder to convert.

    Raises :class:`~logline.models.errors.ModelImportError` (a user-ready message) for anything
    else.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ModelImportError(
            f'"{path}" does not exist (is the drive still connected?).'
        ) from None
    except (OSError, RuntimeError) as exc:
        raise ModelImportError(f'"{path}" cannot be read: {exc}.') from None
    if stat.S_ISREG(mode):
        if path.suffix.lower() != ".gguf":
            raise ModelImportError(f'"{path.name}" is not a GGUF file or a model folder.')
        return "gguf"
    if not stat.S_ISDIR(mode):
        raise UnsafeModelFileError(
            f'"{path}" is not a regular file or a folder (a FIFO, device or socket).'
        )
    return "float" if needs_conversion(path) else "mlx"


def needs_engine(kind: SourceKind) -> bool:
    """True when importing ``kind`` uses MLX (so it must run on the MLX thread): every kind does
    now, since each import ends with a test run of the model."""
    return kind in ("gguf", "mlx", "float")


def run_import(
    request: ImportRequest,
    progress: StageProgress,
    cancel: CancelToken | threading.Event,
) -> str:
    """Import ``request`` here; return the installed model id.

    Raises :class:`~logline.models.errors.ModelImportError`, with :data:`CANCELLED_MESSAGE`
    when ``cancel`` was set before or during the import; nothing is left installed then.
    """
    if cancel.is_set():
        raise ModelImportError(CANCELLED_MESSAGE)
    try:
        return _run_import(request, progress, cancel)
    except (ModelError, OSError, MemoryError):
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        # A hostile file found a path the checks missed: one sentence, the traceback in the log.
        log.warning("Import of %s failed unexpectedly", request.source.name, exc_info=True)
        raise ModelImportError(
            f'"{request.source.name}" cannot be imported: it is malformed ({type(exc).__name__}).'
        ) from None
    except struct.error:
        raise ModelImportError(f'"{request.source.name}" is truncated or corrupt.') from None


def _run_import(
    request: ImportRequest,
    progress: StageProgress,
    cancel: CancelToken | threading.Event,
) -> str:
    if request.kind == "mlx":
        manifest = import_model_folder(
            request.source,
            request.models_root,
            model_id=request.model_id,
            display_name=request.display_name,
            reference=request.reference,
            overwrite=request.overwrite,
            progress=lambda done, total: progress("Copying", done, total),
            cancel=cancel,  # type: ignore[arg-type]  # reads is_set() only
        )
        return manifest.model_id
    progress("Starting", 0, 0)
    if request.kind == "float":
        manifest = convert_model_folder(
            request.source,
            request.models_root,
            model_id=request.model_id,
            display_name=request.display_name,
            bits=request.bits,
            overwrite=request.overwrite,
            progress=progress,
            cancel=cancel,  # type: ignore[arg-type]  # reads is_set() only
        )
        return manifest.model_id

    def report(stage: str, fraction: float) -> None:
        progress(stage, round(fraction * 1000), 1000)

    manifest = import_gguf(
        request.source,
        request.models_root,
        model_id=request.model_id,
        display_name=request.display_name,
        overwrite=request.overwrite,
        progress=report,
    )
    if cancel.is_set():  # import_gguf has no cancel point: undo the finished import
        shutil.rmtree(request.models_root / manifest.model_id, ignore_errors=True)
        raise ModelImportError(CANCELLED_MESSAGE)
    return manifest.model_id
