"""Move one blob from the hub into the cache: resumable, hashed, cancellable, with timeouts.

A blob is written to ``blobs/<etag>.logline.incomplete``; a partial file left by an earlier
process (ours, or huggingface_hub's ``<etag>.<random>.incomplete``) is adopted and continued with
``Range``; a server that ignores ``Range`` makes it start over. The bytes are hashed as they
arrive and checked against the hub's sha256 (LFS) or git blob id before ``blobs/<etag>`` exists.

Measured with huggingface_hub 2.4.0: a process killed mid-file left a 0-byte
``<etag>.<rand>.incomplete`` after 3.5 MB had been served (it buffers 10 MiB chunks in memory),
and the next run fetched the whole file again without ``Range``; a stalled body took 65 s to fail
(10 s read timeout, 5 in-process retries); a stalled API call hung (no timeout at all).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from logline import paths
from logline.models import deadlines
from logline.models.download_events import DownloadRetrying, ProgressTracker
from logline.models.errors import (
    DownloadCancelledError,
    DownloadError,
    DownloadTimeoutError,
    IntegrityError,
    ModelNotDownloadedError,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int
    algo: str  # "sha256" (LFS) or "git-sha1" (git blob id)
    digest: str


PART_SUFFIX = ".logline.incomplete"

CHUNK_BYTES = 256 * 1024


@dataclass
class HubCall:
    repo_id: str
    endpoint: str | None
    token: str | None
    timeout_s: float
    retries: int
    backoff_s: float
    cancel: threading.Event
    on_retry: Callable[[DownloadRetrying], None] | None = None
    limits: deadlines.NetworkLimits | None = None  # None: from the environment
    answers_at_start: int = field(default_factory=deadlines.answers)

    def network_limits(self) -> deadlines.NetworkLimits:
        return self.limits or deadlines.NetworkLimits.from_env(self.timeout_s)

    def host_answered(self) -> bool:
        """Whether any response arrived since this call began (a silent host is not retried)."""
        return deadlines.answers() != self.answers_at_start

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise DownloadCancelledError(f"The download of {self.repo_id} was cancelled.")

    def cancellable(self, action: Callable[[], Any]) -> Callable[[], Any]:
        """``action`` run on a helper thread, so a cancel is honoured while it waits on the hub.

        For metadata calls only (they write nothing a later attempt could trip over); if the
        call is abandoned it ends on its own within the transport timeout.
        """

        def run() -> Any:
            done = threading.Event()
            outcome: list[Any] = []

            def target() -> None:
                try:
                    outcome.append((True, action()))
                except BaseException as error:  # handed to the waiting thread
                    outcome.append((False, error))
                finally:
                    done.set()

            threading.Thread(target=target, name="logline-hub-call", daemon=True).start()
            while not done.wait(0.1):
                self.check_cancel()
            ok, value = outcome[0]
            if not ok:
                raise value
            return value

        return run

    def with_retries(self, what: str, action: Callable[[], Any]) -> Any:
        """Run ``action``, retrying transient failures with exponential backoff."""
        attempt = 0
        while True:
            self.check_cancel()
            try:
                return action()
            except Exception as error:
                translated = _translate(error, self)
                if not _is_transient(error, self) or attempt >= self.retries:
                    if translated is error:
                        raise
                    raise translated from error
                attempt += 1
                delay = self.backoff_s * 2 ** (attempt - 1)
                reason = str(translated)
                log.warning(
                    "%s: %s; retry %d/%d in %.1f s", what, reason, attempt, self.retries, delay
                )
                if self.on_retry:
                    self.on_retry(DownloadRetrying(self.repo_id, what, attempt, delay, reason))
                if self.cancel.wait(delay):
                    self.check_cancel()


class _StreamStalled(Exception):
    """Nothing arrived on a body stream for longer than the timeout."""


class _ShortBody(Exception):
    """A body ended (cleanly) before the file's size was reached."""


class _RetryableStatus(Exception):
    pass


def _is_transient(error: BaseException, ctx: HubCall) -> bool:
    """Worth another attempt? Not a body under the rate floor, nor a host that never answered:
    their deadlines are totals, and retrying would multiply them."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    if isinstance(deadlines.violation(error), deadlines.TooSlow):
        return False
    timed_out = isinstance(error, httpx2.TimeoutException | _StreamStalled)
    if timed_out and not ctx.host_answered():
        return False
    if isinstance(error, (httpx2.TransportError, _StreamStalled, _ShortBody, _RetryableStatus)):
        return True
    if isinstance(error, HfHubHTTPError) and error.response is not None:
        return error.response.status_code in (408, 429) or error.response.status_code >= 500
    return False


def is_network_failure(error: BaseException) -> bool:
    import httpx2

    return isinstance(error, DownloadTimeoutError) or isinstance(
        error.__cause__, httpx2.TransportError
    )


def _translate(error: BaseException, ctx: HubCall) -> BaseException:
    """A user-facing ModelError for ``error`` (or ``error`` itself when it already is one)."""
    import httpx2
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    host = _host_label(ctx)
    if isinstance(error, DownloadError | ModelNotDownloadedError):
        return error
    if isinstance(deadlines.violation(error), deadlines.TooSlow):
        limits = ctx.network_limits()
        return DownloadTimeoutError(
            f"{host} sent {ctx.repo_id} too slowly (under {limits.min_bytes_per_s:g} bytes/s "
            f"for {limits.rate_window_s:g} s); check the connection and try again, and the "
            "download will resume."
        )
    if isinstance(error, httpx2.TimeoutException | _StreamStalled):
        return DownloadTimeoutError(
            f"{host} stopped answering (nothing complete within {ctx.timeout_s:g} s) while "
            f"downloading {ctx.repo_id}; check the connection and try again, and the download "
            "will resume."
        )
    if isinstance(error, OfflineModeIsEnabled):
        return ModelNotDownloadedError(f"{ctx.repo_id} is not downloaded and Logline is offline.")
    if isinstance(error, GatedRepoError):
        return DownloadError(f"{ctx.repo_id} needs an access token with permission to download it.")
    if isinstance(error, RevisionNotFoundError):
        return DownloadError(f"{ctx.repo_id} has no revision by that name on {host}.")
    if isinstance(error, RepositoryNotFoundError):
        return DownloadError(f"{ctx.repo_id} was not found on {host} (or it is private).")
    if isinstance(error, httpx2.TransportError):
        kind = type(error).__name__
        return DownloadError(
            f"Could not download {ctx.repo_id} from {host} ({kind}); check the connection and "
            "the hub address (Settings or HF_ENDPOINT), then try again."
        )
    if isinstance(error, _ShortBody):
        return DownloadError(
            f"{host} kept dropping the download of {ctx.repo_id} ({error}); try again later, "
            "and the download will resume."
        )
    if isinstance(error, HfHubHTTPError | _RetryableStatus):
        reason = " ".join(str(error).split())  # the library's message can span lines
        return DownloadError(
            f"{host} refused the download of {ctx.repo_id} ({reason}); try again later."
        )
    if isinstance(error, OSError):
        return DownloadError(f"Could not write {ctx.repo_id} to disk: {error}")
    return error


def _host_label(ctx: HubCall) -> str:
    """The hub's host for messages, and the proxy in between when the environment names one."""
    from logline.models.network import probe_target

    endpoint = ctx.endpoint or _default_endpoint()
    host = urlsplit(endpoint).netloc or "the model hub"
    proxy_host, proxy_port, via_proxy = probe_target(endpoint)
    return f"{host} (through the proxy {proxy_host}:{proxy_port})" if via_proxy else host


def _default_endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def resolve_url(ctx: HubCall, commit: str, filename: str) -> str:
    from huggingface_hub import hf_hub_url

    return hf_hub_url(ctx.repo_id, filename, revision=commit, endpoint=ctx.endpoint)


def bytes_on_disk(blobs: Path, etag: str, size: int) -> int:
    blob = blobs / etag
    if blob.is_file() and blob.stat().st_size == size:
        return size
    sizes = [p.stat().st_size for p in blobs.glob(f"{glob_escape(etag)}.*incomplete")]
    return max((s for s in sizes if s <= size), default=0)


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _new_hasher(f: RemoteFile) -> Any:
    if f.algo == "sha256":
        return hashlib.sha256()
    hasher = hashlib.sha1(usedforsecurity=False)
    hasher.update(b"blob %d\0" % f.size)  # git's blob header
    return hasher


def _hash_prefix(f: RemoteFile, part: Path) -> Any:
    hasher = _new_hasher(f)
    with part.open("rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            hasher.update(chunk)
    return hasher


def _adopt_orphans(blobs: Path, etag: str, size: int) -> Path:
    """Keep the longest partial file for ``etag`` (ours or huggingface_hub's) as ours."""
    part = blobs / f"{etag}{PART_SUFFIX}"
    candidates = [p for p in blobs.glob(f"{glob_escape(etag)}.*incomplete") if p.is_file()]
    usable = [p for p in candidates if p.stat().st_size <= size]
    best = max(usable, key=lambda p: p.stat().st_size, default=None)
    for p in candidates:
        if p != best:
            p.unlink(missing_ok=True)
    if best is not None and best != part:
        log.info("resuming %s from %d bytes left by an earlier download", etag, best.stat().st_size)
        os.replace(best, part)
    return part


def fetch_blob(
    ctx: HubCall, tracker: ProgressTracker, commit: str, f: RemoteFile, blobs: Path, etag: str
) -> None:
    """Make ``blobs/<etag>`` hold the verified content of ``f``."""
    from huggingface_hub.utils import WeakFileLock

    blob = blobs / etag
    lock = paths.hub_cache_dir() / ".locks" / blobs.parent.name / f"{etag}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with WeakFileLock(lock):
        if blob.is_file() and blob.stat().st_size == f.size:
            hasher = _hash_prefix(f, blob)
            if hasher.hexdigest() == f.digest:
                tracker.advance(f.path, f.size, network=False)
                return
            log.warning("cached blob of %s does not match the hub; downloading it again", f.path)
            blob.unlink()
        part = _adopt_orphans(blobs, etag, f.size)
        state = _PartState(f, part)
        tracker.advance(f.path, state.size, network=False)
        ctx.on_retry = tracker.emit
        url = resolve_url(ctx, commit, f.path)
        ctx.with_retries(f.path, lambda: _transfer(ctx, tracker, f, url, state))
        digest = state.hasher.hexdigest()
        if state.size != f.size or digest != f.digest:
            part.unlink(missing_ok=True)
            tracker.advance(f.path, -state.size, network=False)
            raise IntegrityError(
                f"{f.path} of {ctx.repo_id} is damaged: its {f.algo} is {digest}, the hub "
                f"published {f.digest}. The bad copy was deleted; download the model again."
            )
        os.chmod(part, 0o600)  # the cache is the user's alone (issue 17)
        os.replace(part, blob)


class _PartState:
    """The partial file of one blob and a hash of exactly the bytes in it."""

    def __init__(self, f: RemoteFile, part: Path) -> None:
        self.file = f
        self.part = part
        self.size = part.stat().st_size if part.exists() else 0
        self.hasher = _hash_prefix(f, part) if self.size else _new_hasher(f)

    def restart(self) -> None:
        self.part.write_bytes(b"")
        self.size = 0
        self.hasher = _new_hasher(self.file)


def _transfer(
    ctx: HubCall, tracker: ProgressTracker, f: RemoteFile, url: str, state: _PartState
) -> None:
    """One HTTP attempt: append the rest of ``f`` to its partial file."""
    from huggingface_hub.utils import build_hf_headers, hf_raise_for_status

    # The partial file may be longer than the hash state if an earlier attempt died mid-write.
    on_disk = state.part.stat().st_size if state.part.exists() else 0
    if on_disk != state.size:
        tracker.advance(f.path, on_disk - state.size, network=False)
        state.size = on_disk
        state.hasher = _hash_prefix(f, state.part) if on_disk else _new_hasher(f)
    if state.size == f.size:
        return
    headers = build_hf_headers(token=ctx.token)
    headers["Accept-Encoding"] = "identity"
    if state.size:
        headers["Range"] = f"bytes={state.size}-"
    with _stream(ctx, url, headers) as (response, chunks):
        if response.status_code == 416 and state.size:
            # The partial file is longer than what the server has: start over.
            tracker.advance(f.path, -state.size, network=False)
            state.restart()
            raise _RetryableStatus("the server rejected the resume position")
        hf_raise_for_status(response)
        if state.size and response.status_code != 206:
            log.info("server ignored Range for %s; downloading it from the start", f.path)
            tracker.advance(f.path, -state.size, network=False)
            state.restart()
        with state.part.open("ab") as out:
            for chunk in chunks:
                out.write(chunk)
                state.hasher.update(chunk)
                state.size += len(chunk)
                tracker.advance(f.path, len(chunk))
    if state.size < f.size:
        raise _ShortBody(f"the connection closed after {state.size} of {f.size} bytes")


@contextlib.contextmanager
def _stream(
    ctx: HubCall, url: str, headers: dict[str, str]
) -> Iterator[tuple[Any, Iterator[bytes]]]:
    """GET ``url`` on a reader thread so a cancel is honoured even while a socket is stalled.

    Yields the response (headers only) and an iterator of body chunks; the iterator raises
    :class:`DownloadCancelledError` within ~0.1 s of ``ctx.cancel`` and :class:`_StreamStalled`
    when nothing arrived for ``ctx.timeout_s`` (the transport timeout normally fires first).
    """
    from huggingface_hub.utils import get_session

    items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=16)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        try:
            with get_session().stream("GET", url, headers=headers) as response:
                if response.status_code >= 300:
                    response.read()
                    put(("response", response))
                    return
                if not put(("response", response)):
                    return
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    if not put(("chunk", chunk)):
                        return
            put(("end", None))
        except BaseException as error:  # handed to the consumer thread
            put(("error", error))

    thread = threading.Thread(target=reader, name="logline-download", daemon=True)
    thread.start()

    def next_item() -> tuple[str, Any]:
        deadline = time.monotonic() + ctx.timeout_s + 1.0
        while True:
            ctx.check_cancel()
            try:
                kind, value = items.get(timeout=0.1)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise _StreamStalled("no data") from None
                continue
            if kind == "error":
                raise value
            return kind, value

    def chunks() -> Iterator[bytes]:
        while True:
            kind, value = next_item()
            if kind == "end":
                return
            yield value

    try:
        _kind, response = next_item()
        yield response, chunks()
    finally:
        stop.set()
