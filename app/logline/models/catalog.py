"""The curated model catalog shipped in ``resources/catalog.json``.

Sizes in the catalog are approximate (rounded from the published 4-bit MLX conversions); the fit
advisor (:mod:`logline.models.fit`) prefers the real ``config.json`` and weight files once a model
is installed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from logline.resources_access import read_text

CATALOG_RESOURCE = "catalog.json"
CATALOG_VERSION = 1

_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "repo_id": str,
    "display_name": str,
    "parameters": int,
    "quantization": str,
    "download_bytes": int,
    "ram_bytes": int,
    "context_length": int,
    "license": str,
    "notes": str,
}
_ARCH_FIELDS = ("num_hidden_layers", "num_key_value_heads", "head_dim")


@dataclass(frozen=True)
class Architecture:
    """The KV-cache shape of a model: enough to estimate memory for any context length."""

    num_hidden_layers: int
    num_key_value_heads: int
    head_dim: int


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    repo_id: str
    display_name: str
    parameters: int
    quantization: str
    download_bytes: int  # approximate
    ram_bytes: int  # approximate: weights + working memory + an 8k-token fp16 KV cache
    context_length: int
    license: str
    notes: str
    architecture: Architecture | None = None
    recommend: bool = False  # suggested in place of the built-in model (models.recommend)


def parse_catalog(data: Any) -> tuple[CatalogEntry, ...]:
    """Validate and convert the catalog document; a ValueError names the first problem."""
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise ValueError("catalog: expected an object with a 'models' list")
    if data.get("version") != CATALOG_VERSION:
        raise ValueError(f"catalog: unsupported version {data.get('version')!r}")
    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["models"]):
        where = f"catalog model #{index}"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected an object")
        for name, kind in _REQUIRED.items():
            value = raw.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"{where}: field {name!r} must be {kind.__name__}")  # type: ignore[union-attr]
        for name in ("parameters", "download_bytes", "ram_bytes", "context_length"):
            if raw[name] <= 0:
                raise ValueError(f"{where}: field {name!r} must be positive")
        if raw["id"] in seen or raw["repo_id"] in seen:
            raise ValueError(f"{where}: duplicate id or repo_id {raw['id']!r}")
        if raw["repo_id"].count("/") != 1:
            raise ValueError(f"{where}: repo_id must look like 'org/name'")
        seen.update((raw["id"], raw["repo_id"]))
        arch = None
        if "architecture" in raw:
            a = raw["architecture"]
            if not isinstance(a, dict) or not all(
                isinstance(a.get(k), int) and a[k] > 0 for k in _ARCH_FIELDS
            ):
                raise ValueError(f"{where}: architecture needs positive {', '.join(_ARCH_FIELDS)}")
            arch = Architecture(**{k: a[k] for k in _ARCH_FIELDS})
        recommend = raw.get("recommend", False)
        if not isinstance(recommend, bool):
            raise ValueError(f"{where}: field 'recommend' must be true or false")
        entries.append(
            CatalogEntry(
                **{k: raw[k] for k in _REQUIRED},  # type: ignore[arg-type]
                architecture=arch,
                recommend=recommend,
            )
        )
    return tuple(entries)


@lru_cache(maxsize=1)
def load_catalog() -> tuple[CatalogEntry, ...]:
    """Every catalog entry, in the file's order (smallest first)."""
    return parse_catalog(json.loads(read_text(CATALOG_RESOURCE)))


def find_entry(name: str) -> CatalogEntry | None:
    """The entry whose short id or hub repo id is ``name`` (case-insensitive), else None."""
    wanted = name.lower()
    for entry in load_catalog():
        if wanted in (entry.id.lower(), entry.repo_id.lower()):
            return entry
    return None
