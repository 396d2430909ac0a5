"""Where Logline keeps its files, per platform (via platformdirs).

macOS: models in ``~/Library/Caches/Logline/models``,
       data in ``~/Library/Application Support/Logline``.
Linux: models in ``~/.cache/Logline/models``, data in ``~/.local/share/Logline``.

``LOGLINE_HOME`` overrides both roots (tests, portable installs): cache in ``$LOGLINE_HOME/cache``,
data in ``$LOGLINE_HOME/data``.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_path, user_data_path

from logline import APP_NAME


def _home_override() -> Path | None:
    value = os.environ.get("LOGLINE_HOME")
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """Root of re-creatable files (models). Large; may be cleaned by the OS or the user."""
    home = _home_override()
    return home / "cache" if home else user_cache_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """Root of the user's own data (settings, the SQLite store, editable prompts)."""
    home = _home_override()
    return home / "data" if home else user_data_path(APP_NAME, appauthor=False)


def models_dir() -> Path:
    """Every model Logline can load lives below this folder, one folder per model."""
    return cache_dir() / "models"


def hub_cache_dir() -> Path:
    """Downloads from a Hugging Face-compatible hub: huggingface_hub's cache layout
    (``models--org--name/blobs|snapshots|refs``), passed as ``cache_dir=``."""
    return cache_dir() / "hub"


def hf_home_dir() -> Path:
    """``HF_HOME`` for huggingface_hub, so nothing is written below ``~/.cache/huggingface``."""
    return cache_dir() / "hf-home"
