"""huggingface_hub's cache layout under ``paths.hub_cache_dir()`` and Logline's record of which
downloads were verified (``logline-verified.json``, keyed by repo and commit). No network, and no
import of huggingface_hub: safe for offline checks and for CLI start-up.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from logline import paths

VERIFIED_FILE = "logline-verified.json"

_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")

_verified_lock = threading.Lock()


def repo_folder(repo_id: str, cache_dir: Path | None = None) -> Path:
    """``models--org--name`` below the hub cache (huggingface_hub's layout)."""
    return (cache_dir or paths.hub_cache_dir()) / ("models--" + repo_id.replace("/", "--"))


def _verified_path() -> Path:
    return paths.hub_cache_dir() / VERIFIED_FILE


def _read_verified() -> dict[str, Any]:
    try:
        data = json.loads(_verified_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": 1, "models": {}}
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        return {"version": 1, "models": {}}
    return data


def verified_repos() -> list[str]:
    """Repo ids with at least one verified download (complete or not, check ``is_downloaded``)."""
    return sorted(_read_verified()["models"])


def update_verified(mutate: Callable[[dict[str, Any]], None]) -> None:
    path = _verified_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _verified_lock, _file_lock(path.with_name(f".{path.name}.lock")):
        data = _read_verified()
        mutate(data["models"])
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (POSIX ``flock``; a no-op where unavailable)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def resolve_commit(repo_id: str, revision: str) -> str | None:
    if _COMMIT_RE.match(revision):
        return revision
    try:
        ref = (repo_folder(repo_id) / "refs" / revision).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return ref or None


def verified_snapshot(repo_id: str, commit: str) -> tuple[Path, dict[str, Any]] | None:
    record = _read_verified()["models"].get(repo_id, {}).get(commit)
    if not isinstance(record, dict):
        return None
    snapshot = repo_folder(repo_id) / "snapshots" / commit
    files = record.get("files", {})
    for name, meta in files.items():
        target = snapshot / name
        try:
            if target.stat().st_size != meta["size"]:
                return None
        except OSError:
            return None
    return snapshot, record


def is_downloaded(repo_id: str, revision: str = "main") -> Path | None:
    """The snapshot folder of a completely downloaded and verified model, else None (no network)."""
    commit = resolve_commit(repo_id, revision)
    if commit is None:
        return None
    found = verified_snapshot(repo_id, commit)
    return found[0] if found else None


def delete_download(repo_id: str) -> bool:
    """Remove every downloaded revision of ``repo_id`` (blobs, snapshots, partial files)."""
    update_verified(lambda models: models.pop(repo_id, None))
    folder = repo_folder(repo_id)
    locks = paths.hub_cache_dir() / ".locks" / folder.name
    shutil.rmtree(locks, ignore_errors=True)
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True


def write_ref(repo_id: str, revision: str, commit: str) -> None:
    if revision == commit:
        return
    ref = repo_folder(repo_id) / "refs" / revision
    ref.parent.mkdir(parents=True, exist_ok=True)
    ref.write_text(commit, encoding="utf-8")
