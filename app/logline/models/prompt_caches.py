"""Prompt-cache files (a conversation's script part, read once) as part of the cache budget.

The chat layer writes one mlx-lm prompt-cache file per (model, chat template, document, prompt)
into ``paths.cache_dir() / "prompt-caches"`` and touches its modification time whenever it is
used. They are re-creatable, so they are the first to go when room is needed: least recently
used first, before any model.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from logline import paths

log = logging.getLogger(__name__)

SUFFIX = ".safetensors"


@dataclass(frozen=True)
class PromptCacheFile:
    path: Path
    size_bytes: int
    last_used: float  # the file's modification time, touched on every use

    @property
    def key(self) -> str:
        return self.path.name.removesuffix(SUFFIX)


def folder() -> Path:
    return paths.cache_dir() / "prompt-caches"


def path_for(key: str) -> Path:
    return folder() / f"{key}{SUFFIX}"


def touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError as exc:
        log.debug("Could not touch %s: %s", path.name, exc)


def scan() -> list[PromptCacheFile]:
    """Every prompt-cache file, least recently used first."""
    found = []
    try:
        entries = list(folder().glob(f"*{SUFFIX}"))
    except OSError:
        return []
    for path in entries:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append(PromptCacheFile(path, stat.st_size, stat.st_mtime))
    return sorted(found, key=lambda f: (f.last_used, f.path.name))


def total_bytes() -> int:
    return sum(f.size_bytes for f in scan())


def delete_oldest(over_bytes: int, *, keep: frozenset[str] = frozenset()) -> list[PromptCacheFile]:
    """Delete the least recently used files until ``over_bytes`` are freed (never ``keep``)."""
    deleted: list[PromptCacheFile] = []
    freed = 0
    for item in scan():
        if freed >= over_bytes:
            break
        if item.key in keep:
            continue
        item.path.unlink(missing_ok=True)
        freed += item.size_bytes
        deleted.append(item)
    if deleted:
        log.info("Deleted %d prompt cache(s), %d bytes, to stay within budget", len(deleted), freed)
    return deleted
