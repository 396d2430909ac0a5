"""What every way of installing a model folder shares: valid ids and the final, atomic swap.

A GGUF import, a folder import and a Hugging Face conversion each build the new model in a hidden
staging folder next to its destination, then call :func:`replace_folder`, so a failed or
interrupted install never leaves a half model where a model is expected.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from logline.models.errors import ModelImportError

VALID_MODEL_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


def check_model_id(model_id: str) -> None:
    """Refuse an id that cannot name a folder safely (raises :class:`ModelImportError`)."""
    if not VALID_MODEL_ID.fullmatch(model_id):
        raise ModelImportError(
            f"Invalid model id {model_id!r}: use letters, digits, '.', '_' and '-' "
            "(not starting with '.' or '-')."
        )


def replace_folder(staging: Path, destination: Path) -> None:
    """Move ``staging`` to ``destination``; an existing model stays intact until the new one is
    in place (it is moved aside first, and moved back if the swap fails)."""
    if not destination.exists():
        staging.rename(destination)
        return
    backup = destination.with_name(f".{destination.name}.replaced-{os.getpid()}")
    destination.rename(backup)
    try:
        staging.rename(destination)
    except BaseException:
        backup.rename(destination)
        raise
    shutil.rmtree(backup, ignore_errors=True)
