"""``logline.json``: what Logline knows about one installed model folder."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

MANIFEST_NAME = "logline.json"
MANIFEST_VERSION = 1


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class ModelManifest:
    model_id: str
    display_name: str
    source: str  # "embedded", "import", "download"
    origin: str  # the file, folder or repo the model came from
    format: str  # "gguf", "mlx", ...
    origin_sha256: str = ""
    quantization: str = ""
    context_length: int = 0
    parameters: int = 0
    installed_at: str = field(default_factory=_now)
    # A model referenced in place (a folder on a drive): its weights live here, not in the cache.
    location: str = ""
    version: int = MANIFEST_VERSION

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> ModelManifest:
        """The manifest at ``path``; ValueError when it is not one (wrong JSON, wrong types)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except RecursionError:
            raise ValueError(f"{path.name} is nested too deeply") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path.name} is not a JSON object")
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name not in data:
                continue
            value, kind = data[spec.name], int if spec.type == "int" else str
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"{path.name}: {spec.name} must be {kind.__name__}")
            values[spec.name] = value
        return cls(**values)
