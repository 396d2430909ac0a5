"""A model the user chose (in a picker or on a command line), and how it becomes loadable.

:class:`ModelChoice` is plain data, cheap to build on any thread. :func:`resolve_choice` turns it
into an :class:`~logline.models.registry.InstalledModel`; it may install the embedded default
model (which uses MLX), so it runs on the MLX thread, just before loading.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from logline.models.errors import ModelNotFoundError
from logline.models.manifest import MANIFEST_NAME, ModelManifest
from logline.models.registry import (
    InstalledModel,
    default_model_id,
    installed_models,
    resolve_model,
)

__all__ = ["INSTALLING_DEFAULT", "ModelChoice", "resolve_choice"]

INSTALLING_DEFAULT = "Installing the default model (first use only)…"


@dataclass(frozen=True)
class ModelChoice:
    """Which model to run. ``path`` None means "resolve ``model_id`` on the engine thread"
    (installing the embedded default there if needed, since that uses MLX)."""

    model_id: str
    path: Path | None = None
    display_name: str = ""
    # The name of a server entry (``models.servers``): the model runs there, not here, and
    # ``model_id`` is the server's name for it. Open it with ``server_model.open_server``.
    server: str | None = None

    @property
    def is_remote(self) -> bool:
        return self.server is not None

    @property
    def label(self) -> str:
        return self.display_name or self.model_id


def resolve_choice(
    choice: ModelChoice, status: Callable[[str], None] = lambda _text: None
) -> InstalledModel:
    """The installed model ``choice`` names, with a manifest for its usage record.

    ``status`` hears :data:`INSTALLING_DEFAULT` before the embedded default model is installed.
    Raises :class:`ModelNotFoundError` when the folder is missing or incomplete.
    """
    if choice.server is not None:
        raise ValueError(f"{choice.label} runs on a server: open it with server_model.open_server")
    path = choice.path
    if path is None:
        first_use = choice.model_id == default_model_id() and all(
            m.model_id != choice.model_id for m in installed_models()
        )
        if first_use:
            status(INSTALLING_DEFAULT)
        path = resolve_model(choice.model_id).path
    if not (path / "config.json").is_file():
        # Checked here: mlx-lm would take a missing folder for a Hugging Face repo id.
        raise ModelNotFoundError(f'The model folder "{path}" is missing or incomplete.')
    return InstalledModel(_manifest_for(choice, path), path, choice.model_id == default_model_id())


def _manifest_for(choice: ModelChoice, path: Path) -> ModelManifest:
    """The model's manifest when its folder has one, else a minimal one for the usage record."""
    try:
        manifest = ModelManifest.read(path / MANIFEST_NAME)
    except (OSError, ValueError, TypeError):
        return ModelManifest(choice.model_id, choice.label, "path", str(path), "mlx")
    manifest.model_id = choice.model_id  # the id the user chose this folder under
    return manifest
