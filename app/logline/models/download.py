"""Download models from a Hugging Face-compatible hub into huggingface_hub's cache layout.

huggingface_hub lists the repository, resolves each file (HEAD) and lays out ``snapshots``/``refs``;
Logline moves the bytes itself, because huggingface_hub 2.x cannot resume across processes (each
attempt writes a fresh ``blobs/<etag>.<random>.incomplete``, orphaned when the process is killed),
has no default timeout and checks only file sizes. Here each blob is written to
``blobs/<etag>.logline.incomplete`` (an orphan of either naming is adopted), continued with
``Range`` when the server honours it, hashed while it streams and checked against the hub's
sha256 (LFS) or git blob id before it is moved into place. A model counts as downloaded only once
every file was verified: :func:`is_downloaded` reads ``logline-verified.json`` in the hub cache.

The pieces: :mod:`~logline.models.download_events` (what the callback receives),
:mod:`~logline.models.hub_layout` (cache layout, verified record), :mod:`~logline.models.transfer`
(one blob: resume, hash, cancel, timeouts) and :mod:`~logline.models.hub` (library set-up).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from logline import paths
from logline.models import network
from logline.models.download_events import (
    DownloadEvent,
    DownloadFinished,
    DownloadProgress,
    DownloadResult,
    DownloadRetrying,
    DownloadStarted,
    FileVerified,
    ProgressCallback,
    ProgressTracker,
)
from logline.models.errors import DownloadError, InsufficientDiskSpaceError, ModelNotDownloadedError
from logline.models.hub_layout import (
    VERIFIED_FILE,
    delete_download,
    is_downloaded,
    repo_folder,
    resolve_commit,
    update_verified,
    verified_snapshot,
    write_ref,
)
from logline.models.transfer import (
    HubCall,
    RemoteFile,
    bytes_on_disk,
    fetch_blob,
    is_network_failure,
    resolve_url,
)
from logline.units import format_bytes

__all__ = [
    "ALLOW_PATTERNS",
    "VERIFIED_FILE",
    "DownloadEvent",
    "DownloadFinished",
    "DownloadProgress",
    "DownloadResult",
    "DownloadRetrying",
    "DownloadStarted",
    "FileVerified",
    "ProgressCallback",
    "delete_download",
    "is_downloaded",
    "pull",
    "repo_folder",
]

log = logging.getLogger(__name__)

ALLOW_PATTERNS: tuple[str, ...] = (
    "*.json",
    "model*.safetensors",
    "tokenizer.model",
    "*.tiktoken",
    "*.txt",
    "*.jsonl",
    "*.jinja",
)

DISK_MARGIN_BYTES = 64 * 1024 * 1024


def pull(
    repo_id: str,
    *,
    revision: str = "main",
    endpoint: str | None = None,
    token: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    offline: bool = False,
    timeout_s: float = 30.0,
    retries: int = 3,
    backoff_s: float = 1.0,
    allow_patterns: Sequence[str] = ALLOW_PATTERNS,
    free_space: Callable[[Path], int] | None = None,
) -> DownloadResult:
    """Download (or resume, or just resolve) ``repo_id`` at ``revision``; return its snapshot.

    Blocking; run it on a worker thread. ``cancel`` may be set from any thread: the call then
    raises :class:`DownloadCancelledError` within a fraction of a second, keeping partial files
    for a later resume. Every error is a :class:`~logline.models.errors.ModelError` subclass with
    a message fit for a user. ``free_space`` (bytes free below a folder) is for tests.
    """
    cancel = cancel or threading.Event()
    if offline or _env_offline():
        return _resolve_offline(repo_id, revision)
    reach = network.reachability(
        endpoint or os.environ.get("HF_ENDPOINT"), timeout_s=min(timeout_s, network.PROBE_TIMEOUT_S)
    )
    if not reach.reachable:  # automatic offline mode: no retries against a missing network
        return _resolve_offline(repo_id, revision, reach)

    from logline.models.hub import install_timeouts, load_hub  # lazy: huggingface_hub

    load_hub(endpoint=endpoint)
    install_timeouts(timeout_s)
    ctx = HubCall(repo_id, endpoint, token, timeout_s, retries, backoff_s, cancel)
    try:
        commit, files = ctx.with_retries(
            "(file list)", ctx.cancellable(lambda: _list_files(ctx, revision, allow_patterns))
        )
    except DownloadError as error:
        if not is_network_failure(error) or is_downloaded(repo_id, revision) is None:
            raise
        log.warning("%s: the hub cannot be reached (%s); using the downloaded copy", repo_id, error)
        return _resolve_offline(repo_id, revision)
    if not files:
        raise DownloadError(
            f"{repo_id} has no model files Logline can use (safetensors + tokenizer)."
        )

    found = verified_snapshot(repo_id, commit)
    if found is not None and set(found[1]["files"]) == {f.path for f in files}:
        write_ref(repo_id, revision, commit)
        result = DownloadResult(
            repo_id, revision, commit, found[0], 0, sum(f.size for f in files),
            tuple(f.path for f in files),
        )  # fmt: skip
        ctx_progress = ProgressTracker(repo_id, result.bytes_total, progress)
        ctx_progress.emit(DownloadFinished(result))
        return result

    storage = repo_folder(repo_id)
    blobs = storage / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    etags = {
        f.path: ctx.with_retries(
            f.path,
            ctx.cancellable(lambda f=f: _file_etag(ctx, commit, f.path)),  # type: ignore[misc]
        )
        for f in files
    }
    total = sum(f.size for f in files)
    on_disk = sum(bytes_on_disk(blobs, etags[f.path], f.size) for f in files)
    _check_disk_space(repo_id, blobs, total - on_disk, free_space)

    tracker = ProgressTracker(repo_id, total, progress)
    tracker.emit(DownloadStarted(repo_id, commit, tuple(f.path for f in files), total, on_disk))
    for f in files:
        fetch_blob(ctx, tracker, commit, f, blobs, etags[f.path])
        tracker.emit(FileVerified(repo_id, f.path, f.size))

    snapshot = _link_snapshot(ctx, commit, files)
    write_ref(repo_id, revision, commit)
    record = {
        "files": {f.path: {"size": f.size, f.algo: f.digest} for f in files},
        "verified_at": time.time(),
        "revision": revision,
    }
    update_verified(lambda models: models.setdefault(repo_id, {}).__setitem__(commit, record))
    result = DownloadResult(
        repo_id, revision, commit, snapshot, tracker.network, total, tuple(f.path for f in files)
    )
    tracker.emit(DownloadFinished(result))
    log.info("downloaded %s@%s (%d files, %d bytes)", repo_id, commit[:8], len(files), total)
    return result


def _env_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _resolve_offline(
    repo_id: str, revision: str, reach: network.Reachability | None = None
) -> DownloadResult:
    commit = resolve_commit(repo_id, revision)
    found = verified_snapshot(repo_id, commit) if commit else None
    if commit is None or found is None:
        why = (
            f"Logline cannot reach {reach.host} ({reach.reason}), so it is working offline"
            if reach is not None
            else "Logline is offline"
        )
        raise ModelNotDownloadedError(
            f"{repo_id} is not downloaded and {why}. Connect to the internet "
            "and download it, or pick a model that is already on this computer."
        )
    if reach is not None:
        log.info("%s: %s; using the downloaded copy", repo_id, reach.message())
    snapshot, record = found
    names = tuple(sorted(record["files"]))
    total = sum(meta["size"] for meta in record["files"].values())
    return DownloadResult(repo_id, revision, commit, snapshot, 0, total, names)


def _list_files(
    ctx: HubCall, revision: str, allow_patterns: Sequence[str]
) -> tuple[str, list[RemoteFile]]:
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile
    from huggingface_hub.utils import filter_repo_objects

    api = HfApi(endpoint=ctx.endpoint, token=ctx.token)
    info = api.model_info(ctx.repo_id, revision=revision)
    commit = info.sha
    if not commit:
        raise DownloadError(f"The hub did not say which commit {ctx.repo_id}@{revision} is.")
    entries = [
        e
        for e in api.list_repo_tree(ctx.repo_id, recursive=True, revision=commit)
        if isinstance(e, RepoFile)
    ]
    names = [e.path for e in entries]
    wanted = set(filter_repo_objects(names, allow_patterns=list(allow_patterns)))
    files = []
    for e in entries:
        if e.path not in wanted:
            continue
        if e.lfs is not None:
            files.append(RemoteFile(e.path, e.lfs.size, "sha256", e.lfs.sha256))
        else:
            files.append(RemoteFile(e.path, e.size, "git-sha1", e.blob_id))
    return commit, sorted(files, key=lambda f: f.path)


def _file_etag(ctx: HubCall, commit: str, filename: str) -> str:
    from huggingface_hub import get_hf_file_metadata

    meta = get_hf_file_metadata(
        resolve_url(ctx, commit, filename), token=ctx.token, timeout=ctx.timeout_s
    )
    if not meta.etag or "/" in meta.etag or meta.etag.startswith("."):
        raise DownloadError(f"The hub sent no usable ETag for {filename} of {ctx.repo_id}.")
    return meta.etag


def _check_disk_space(
    repo_id: str, folder: Path, needed: int, free_space: Callable[[Path], int] | None
) -> None:
    free = free_space(folder) if free_space else shutil.disk_usage(folder).free
    if needed > 0 and free < needed + DISK_MARGIN_BYTES:
        raise InsufficientDiskSpaceError(
            f"Not enough disk space to download {repo_id}: it needs {format_bytes(needed)} more "
            f"(plus {format_bytes(DISK_MARGIN_BYTES)} to spare) and {format_bytes(free)} is free "
            f"in {folder}."
        )


def _link_snapshot(ctx: HubCall, commit: str, files: list[RemoteFile]) -> Path:
    """Let huggingface_hub create ``snapshots/<commit>/…`` from the blobs now in place."""
    from huggingface_hub import hf_hub_download

    paths_out = []
    for f in files:
        ctx.check_cancel()
        path = ctx.with_retries(
            f.path,
            ctx.cancellable(
                lambda f=f: hf_hub_download(  # type: ignore[misc]  # (a default binds f)
                    ctx.repo_id,
                    f.path,
                    revision=commit,
                    cache_dir=paths.hub_cache_dir(),
                    endpoint=ctx.endpoint,
                    token=ctx.token,
                    etag_timeout=ctx.timeout_s,
                )
            ),
        )
        paths_out.append(Path(path))
    return repo_folder(ctx.repo_id) / "snapshots" / commit
