"""Install a tiny random model under the built-in model's id (test helper).

The real SmolLM2 is slow to load in tests; the notices depend only on the model id, so a tiny
model installed as ``EMBEDDED_MODEL_ID`` in the test's own ``LOGLINE_HOME`` stands in for it.
"""

from __future__ import annotations

from pathlib import Path

from logline import paths
from logline.models.embedded import EMBEDDED_DISPLAY_NAME, EMBEDDED_MODEL_ID
from logline.models.folder_import import import_model_folder


def install_as_built_in(model_dir: Path) -> Path:
    """Copy ``model_dir`` into the model cache as the built-in model; its installed folder."""
    import_model_folder(
        model_dir,
        paths.models_dir(),
        model_id=EMBEDDED_MODEL_ID,
        display_name=EMBEDDED_DISPLAY_NAME,
    )
    return paths.models_dir() / EMBEDDED_MODEL_ID
