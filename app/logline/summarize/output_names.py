"""Output names for a batch: one per source, decided before anything is written.

A source's output base name is, in order of preference:

1. the name a sidecar in the output folder already gives that source (so a resumed or later
   run finds its finished work again);
2. its stem (``pilot``), when no other input has the same stem;
3. its file name (``pilot.fountain``), when no other input has the same file name;
4. its folder and file name (``draft2-script.fountain``);
5. its file name and a short hash of its path (``script.fountain-1a2b3c4d``), then the full one.

A candidate is taken only when no other input of this run has it and no sidecar in the folder
gives it to another source (names compared without case: macOS folders ignore case). So
``draft1/script.fountain`` + ``draft2/script.fountain`` or ``a.fountain`` + ``a.txt`` +
``a.fountain.txt`` never share a file, and a later run never overwrites the summary of a
different source that happened to have the same name.

A source is known by :func:`source_id`, a hash of its resolved path: sidecars never hold the
path itself. Qt-free and MLX-free.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".json"
MAX_SIDECAR_BYTES = 4 << 20  # a sidecar is a few kB; anything larger is not one of ours


def source_id(path: Path) -> str:
    """A stable id for a source file that does not reveal where it is (16 hex digits)."""
    raw = str(path.resolve()).encode("utf-8", "surrogateescape")
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass
class Claims:
    """Who the sidecars already in an output folder give each base name to."""

    owners: dict[str, set[str]] = field(default_factory=dict)  # casefolded name: source ids
    spelled: dict[str, str] = field(default_factory=dict)  # casefolded name: as in the folder

    def add(self, name: str, owner: str) -> None:
        self.owners.setdefault(name.casefold(), set()).add(owner)
        self.spelled.setdefault(name.casefold(), name)

    def free_for(self, name: str, owner: str) -> bool:
        return self.owners.get(name.casefold(), set()) <= {owner}


def folder_claims(out: Path) -> Claims:
    """The names the sidecars in ``out`` give their sources (old sidecars that hold an
    absolute ``source`` path count by that path's id)."""
    claims = Claims()
    if not out.is_dir():
        return claims
    for path in out.iterdir():
        if path.name.startswith(".") or not path.name.endswith(SIDECAR_SUFFIX):
            continue
        claim = _read_claim(path)
        if claim is not None:
            claims.add(*claim)
    return claims


def _read_claim(path: Path) -> tuple[str, str] | None:
    """(base name, source id) of one sidecar, or None when it is not a readable sidecar."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_SIDECAR_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("mode"), str):
        return None
    ending = f".{data['mode']}{SIDECAR_SUFFIX}"
    if not path.name.endswith(ending) or len(path.name) == len(ending):
        return None
    name = path.name[: -len(ending)]
    owner = data.get("source_id")
    source = data.get("source")
    if not isinstance(owner, str) and isinstance(source, str) and Path(source).is_absolute():
        owner = source_id(Path(source))  # a sidecar from before source ids
    return (name, owner) if isinstance(owner, str) else None


def assign_names(sources: Sequence[Path], claims: Claims | None = None) -> list[str]:
    """One output base name per source (resolved, distinct paths), in order; see the module."""
    claims = claims or Claims()
    ids = [source_id(p) for p in sources]
    stems = Counter(p.stem.casefold() for p in sources)
    names = Counter(p.name.casefold() for p in sources)
    previous = {
        next(iter(owners)): key for key, owners in claims.owners.items() if len(owners) == 1
    }
    used: set[str] = set()
    chosen: dict[int, str] = {}
    for index, owner in enumerate(ids):
        key = previous.get(owner)
        if key is not None and key not in used:
            chosen[index] = claims.spelled[key]
            used.add(key)
    for index, path in enumerate(sources):
        if index in chosen:
            continue
        for candidate in _candidates(path, ids[index], stems, names):
            if candidate.casefold() not in used and claims.free_for(candidate, ids[index]):
                chosen[index] = candidate
                used.add(candidate.casefold())
                break
    return [chosen[index] for index in range(len(sources))]


def _candidates(path: Path, owner: str, stems: Counter[str], names: Counter[str]) -> Iterator[str]:
    if stems[path.stem.casefold()] == 1 and path.stem:
        yield path.stem
    if names[path.name.casefold()] == 1:
        yield path.name
    if path.parent.name:
        yield f"{path.parent.name}-{path.name}"
    yield f"{path.name}-{owner[:8]}"
    yield f"{path.name}-{owner}"  # a whole id: no other source has it
