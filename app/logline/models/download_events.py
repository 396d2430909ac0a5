"""What a download reports while it runs: small frozen dataclasses passed to a callback."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DownloadStarted:
    repo_id: str
    commit: str
    files: tuple[str, ...]
    bytes_total: int
    bytes_done: int  # already on disk (earlier sessions)


@dataclass(frozen=True)
class DownloadProgress:
    repo_id: str
    filename: str
    bytes_done: int  # over the whole model
    bytes_total: int
    speed_bps: float  # network bytes per second over the last few seconds
    eta_s: float | None


@dataclass(frozen=True)
class DownloadRetrying:
    repo_id: str
    filename: str
    attempt: int
    delay_s: float
    reason: str


@dataclass(frozen=True)
class FileVerified:
    repo_id: str
    filename: str
    size: int


@dataclass(frozen=True)
class DownloadResult:
    repo_id: str
    revision: str
    commit: str
    snapshot_path: Path
    bytes_downloaded: int  # fetched over the network by this call
    bytes_total: int
    files: tuple[str, ...]


@dataclass(frozen=True)
class DownloadFinished:
    result: DownloadResult


DownloadEvent = (
    DownloadStarted | DownloadProgress | DownloadRetrying | FileVerified | DownloadFinished
)

ProgressCallback = Callable[[DownloadEvent], None]

PROGRESS_INTERVAL_S = 0.1


@dataclass
class ProgressTracker:
    repo_id: str
    total: int
    callback: ProgressCallback | None
    done: int = 0
    network: int = 0
    _last_emit: float = 0.0
    _window: deque[tuple[float, int]] = field(default_factory=deque)

    def emit(self, event: DownloadEvent) -> None:
        if self.callback is not None:
            self.callback(event)

    def advance(self, filename: str, nbytes: int, *, network: bool = True) -> None:
        self.done += nbytes
        if network:
            self.network += nbytes
        now = time.monotonic()
        self._window.append((now, self.network))
        while len(self._window) > 2 and now - self._window[0][0] > 3.0:
            self._window.popleft()
        if now - self._last_emit >= PROGRESS_INTERVAL_S or self.done >= self.total:
            self._last_emit = now
            self.emit(self._event(filename, now))

    def _event(self, filename: str, now: float) -> DownloadProgress:
        t0, b0 = self._window[0] if self._window else (now, self.network)
        speed = (self.network - b0) / (now - t0) if now - t0 > 0.05 else 0.0
        remaining = max(self.total - self.done, 0)
        eta = remaining / speed if speed > 0 else (0.0 if remaining == 0 else None)
        return DownloadProgress(self.repo_id, filename, self.done, self.total, speed, eta)


@dataclass(frozen=True)
class CacheEvicted:
    """Models an approved eviction plan deleted before a download, and the bytes that freed."""

    freed_bytes: int
