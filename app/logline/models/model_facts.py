"""A model's context length and licence, for the Models window: from the catalog where the model
is listed, else from what its folder says (Logline's manifest, ``config.json``, the model card's
front matter). None where nothing says.

Qt-free and cheap: a few small JSON or text files, no weights.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from logline.models.embedded import is_embedded_model

if TYPE_CHECKING:
    from logline.models.catalog import CatalogEntry

__all__ = ["EMBEDDED_LICENSE", "ModelFacts", "model_facts"]

log = logging.getLogger(__name__)

EMBEDDED_LICENSE = "apache-2.0"  # SmolLM2-135M-Instruct's model card
CARD_HEAD_BYTES = 4096  # the YAML front matter sits at the top of README.md
_LICENSE_LINE = re.compile(r"^license:\s*['\"]?([\w.+-]+)", re.MULTILINE)


@dataclass(frozen=True)
class ModelFacts:
    context_length: int | None = None  # tokens
    license: str | None = None


def model_facts(entry: CatalogEntry | None, folder: Path | None, model_id: str = "") -> ModelFacts:
    """What is known of a model listed as ``entry`` and/or installed in ``folder``."""
    if entry is not None:
        return ModelFacts(entry.context_length, entry.license)
    if folder is None:
        return ModelFacts()
    context = _manifest_context(folder) or _config_context(folder)
    license_ = EMBEDDED_LICENSE if is_embedded_model(model_id) else _card_license(folder)
    return ModelFacts(context, license_)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.debug("Cannot read %s: %s", path.name, type(exc).__name__)
        return {}
    return data if isinstance(data, dict) else {}


def _manifest_context(folder: Path) -> int | None:
    value = _read_json(folder / "logline.json").get("context_length")
    return value if isinstance(value, int) and value > 0 else None


def _config_context(folder: Path) -> int | None:
    config = _read_json(folder / "config.json")
    text = config.get("text_config")
    for source in (config, text if isinstance(text, dict) else {}):
        value = source.get("max_position_embeddings")
        if isinstance(value, int) and value > 0:
            return value
    return None


def _card_license(folder: Path) -> str | None:
    try:
        with (folder / "README.md").open("r", encoding="utf-8", errors="replace") as card:
            head = card.read(CARD_HEAD_BYTES)
    except OSError:
        return None
    if not head.startswith("---"):
        return None
    found = _LICENSE_LINE.search(head)
    return found.group(1) if found else None
