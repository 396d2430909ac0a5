"""Model downloads against real HTTP servers on 127.0.0.1 (a stdlib hub and the olah mirror)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from hub_server import (
    FakeHub,
    fake_hub,
    free_port,
    make_olah_repo,
    olah_missing,
    sha256,
    start_olah,
    tiny_model_files,
)
from logline import paths
from logline.models import download
from logline.models.download import (
    DownloadFinished,
    DownloadProgress,
    DownloadStarted,
    delete_download,
    is_downloaded,
    pull,
)
from logline.models.errors import (
    DownloadCancelledError,
    DownloadTimeoutError,
    InsufficientDiskSpaceError,
    IntegrityError,
    ModelError,
    ModelNotDownloadedError,
)
from timing import limit, wait_for

REPO = "org/tiny"
WEIGHTS = "model.safetensors"
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _restore_hf_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """``pull`` writes HF_* settings into os.environ; give them back after each test."""
    for key in ("HF_HOME", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_ENABLE_HF_TRANSFER", "HF_ENDPOINT"):
        monkeypatch.setenv(key, os.environ.get(key, ""))
        monkeypatch.delenv(key)


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with fake_hub() as server:
        server.add_repo(REPO, tiny_model_files(weights_bytes=8 * MB))
        yield server


def _blobs() -> Path:
    return download.repo_folder(REPO) / "blobs"


def _partials() -> list[Path]:
    return sorted(_blobs().glob("*.incomplete")) if _blobs().is_dir() else []


def _partial_bytes() -> int:
    """Bytes in the partial files now; a small file's partial may be renamed between the
    listing and its ``stat`` (the download finished it): it no longer counts."""
    total = 0
    for partial in _partials():
        try:
            total += partial.stat().st_size
        except FileNotFoundError:
            continue
    return total


def _weights_size(hub: FakeHub) -> int:
    return len(hub.repos[REPO].files[WEIGHTS])


def test_progress_totals_equal_bytes_on_disk(hub: FakeHub) -> None:
    events: list[object] = []
    result = pull(REPO, endpoint=hub.url, progress=events.append)

    on_disk = {p.name: p.stat().st_size for p in result.snapshot_path.iterdir()}
    assert set(on_disk) == {"config.json", "tokenizer.json", "tokenizer_config.json", WEIGHTS}
    assert result.bytes_total == result.bytes_downloaded == sum(on_disk.values())
    started = next(e for e in events if isinstance(e, DownloadStarted))
    assert started.bytes_total == result.bytes_total and started.bytes_done == 0
    ticks = [e for e in events if isinstance(e, DownloadProgress)]
    assert ticks[-1].bytes_done == ticks[-1].bytes_total == result.bytes_total
    assert all(a.bytes_done <= b.bytes_done for a, b in pairwise(ticks))
    assert isinstance(events[-1], DownloadFinished)
    # never code, never pickles
    assert "modeling_evil.py" not in hub.served and "pytorch_model.bin" not in hub.served
    assert is_downloaded(REPO) == result.snapshot_path
    assert not _partials()

    # A second pull finds the verified model and fetches no file bodies.
    hub.reset_counters()
    again = pull(REPO, endpoint=hub.url)
    assert again.snapshot_path == result.snapshot_path and again.bytes_downloaded == 0
    assert sum(hub.served.values()) == 0


def _pull_in_thread(hub: FakeHub, cancel: threading.Event) -> tuple[threading.Thread, list]:
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(pull(REPO, endpoint=hub.url, cancel=cancel, timeout_s=30))
        except BaseException as error:  # handed to the test thread
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_cancel_mid_file_within_one_second_then_resume(hub: FakeHub) -> None:
    hub.behaviour.throttle_bps = 4 * MB
    cancel = threading.Event()
    thread, outcome = _pull_in_thread(hub, cancel)
    wait_for(lambda: hub.served[WEIGHTS] > MB)

    started = time.monotonic()
    cancel.set()
    thread.join(5)
    assert time.monotonic() - started < limit(1.0)
    assert isinstance(outcome[0], DownloadCancelledError)
    assert is_downloaded(REPO) is None
    (partial,) = _partials()
    kept = partial.stat().st_size
    assert 0 < kept < _weights_size(hub)

    hub.behaviour.throttle_bps = None
    hub.reset_counters()
    result = pull(REPO, endpoint=hub.url)
    assert hub.served[WEIGHTS] == _weights_size(hub) - kept
    assert result.bytes_downloaded < result.bytes_total
    assert is_downloaded(REPO) == result.snapshot_path and not _partials()


def test_cancel_while_socket_stalled(hub: FakeHub) -> None:
    hub.behaviour.stall_after = {WEIGHTS: MB}
    cancel = threading.Event()
    thread, outcome = _pull_in_thread(hub, cancel)
    wait_for(lambda: hub.served[WEIGHTS] >= MB)
    assert hub.stalling.wait(limit(5))  # the server hangs: the client waits in a read

    started = time.monotonic()
    cancel.set()
    thread.join(5)
    assert time.monotonic() - started < limit(1.0)
    assert isinstance(outcome[0], DownloadCancelledError)


def test_cancel_while_hub_api_stalled(hub: FakeHub) -> None:
    hub.behaviour.stall_head = True
    cancel = threading.Event()
    thread, outcome = _pull_in_thread(hub, cancel)
    assert hub.stalling.wait(limit(5))  # the hub API hangs: the client waits for an answer

    started = time.monotonic()
    cancel.set()
    thread.join(5)
    assert time.monotonic() - started < limit(1.0)
    assert isinstance(outcome[0], DownloadCancelledError)


def test_unreachable_hub_falls_back_to_the_verified_copy(hub: FakeHub) -> None:
    snapshot = pull(REPO, endpoint=hub.url).snapshot_path
    closed = f"http://127.0.0.1:{free_port()}"
    again = pull(REPO, endpoint=closed, timeout_s=2, retries=1, backoff_s=0.05)
    assert again.snapshot_path == snapshot and again.bytes_downloaded == 0
    with pytest.raises(ModelNotDownloadedError, match=r"org/other is not downloaded.*offline"):
        pull("org/other", endpoint=closed, timeout_s=2, retries=0)


def test_hf_hub_offline_environment_means_offline(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotDownloadedError, match="offline"):
        pull(REPO, endpoint=hub.url)
    assert not hub.requests
    monkeypatch.delenv("HF_HUB_OFFLINE")
    snapshot = pull(REPO, endpoint=hub.url).snapshot_path
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub.reset_counters()
    assert pull(REPO, endpoint=hub.url).snapshot_path == snapshot
    assert not hub.requests


CHILD = (
    "import sys\nfrom logline.models.download import pull\n"
    "pull(sys.argv[1], endpoint=sys.argv[2])\n"
)


def _kill_mid_file(hub: FakeHub, home: Path) -> int:
    """Run a download in a subprocess, SIGKILL it mid-file; the bytes it left on disk."""
    hub.behaviour.throttle_bps = 4 * MB
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["LOGLINE_HOME"] = str(home)
    child = subprocess.Popen([sys.executable, "-c", CHILD, REPO, hub.url], env=env)
    try:
        wait_for(lambda: _partial_bytes() > 2 * MB, timeout=20)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    hub.behaviour.throttle_bps = None
    (partial,) = _partials()
    return partial.stat().st_size


def test_killed_download_resumes_with_range(hub: FakeHub, _isolated_logline_home: Path) -> None:
    kept = _kill_mid_file(hub, _isolated_logline_home)
    assert kept < _weights_size(hub)
    assert is_downloaded(REPO) is None

    hub.reset_counters()
    result = pull(REPO, endpoint=hub.url)
    assert hub.served[WEIGHTS] == _weights_size(hub) - kept  # nothing fetched twice
    assert any(method == "GET" and rng == f"bytes={kept}-" for method, _, rng in hub.requests)
    assert is_downloaded(REPO) == result.snapshot_path and not _partials()


def test_killed_download_restarts_cleanly_without_range(
    hub: FakeHub, _isolated_logline_home: Path
) -> None:
    hub.behaviour.honour_range = False
    _kill_mid_file(hub, _isolated_logline_home)

    hub.reset_counters()
    result = pull(REPO, endpoint=hub.url)
    assert hub.served[WEIGHTS] == _weights_size(hub)
    weights = result.snapshot_path / WEIGHTS
    assert sha256(weights.read_bytes()) == sha256(hub.repos[REPO].files[WEIGHTS])
    assert is_downloaded(REPO) == result.snapshot_path and not _partials()


def test_dropped_connection_is_resumed_in_process(hub: FakeHub) -> None:
    hub.behaviour.disconnect_after = {WEIGHTS: 3 * MB}
    result = pull(REPO, endpoint=hub.url, backoff_s=0.05)
    assert hub.served[WEIGHTS] == _weights_size(hub)
    assert any(rng == f"bytes={3 * MB}-" for _, _, rng in hub.requests)
    assert is_downloaded(REPO) == result.snapshot_path


def test_corrupted_byte_is_detected_and_model_not_ready(hub: FakeHub) -> None:
    hub.behaviour.corrupt = {WEIGHTS}
    with pytest.raises(IntegrityError, match="damaged"):
        pull(REPO, endpoint=hub.url)
    good = sha256(hub.repos[REPO].files[WEIGHTS])
    assert not (_blobs() / good).exists() and not _partials()
    assert is_downloaded(REPO) is None
    verified = paths.hub_cache_dir() / download.VERIFIED_FILE
    assert not verified.exists() or REPO not in json.loads(verified.read_text())["models"]


@pytest.mark.parametrize("where", ["body", "api"])
def test_stalled_server_times_out_with_clear_error(hub: FakeHub, where: str) -> None:
    if where == "body":
        hub.behaviour.stall_after = {WEIGHTS: MB}
    else:
        hub.behaviour.stall_head = True
    started = time.monotonic()
    with pytest.raises(DownloadTimeoutError, match="stopped answering"):
        pull(REPO, endpoint=hub.url, timeout_s=1, retries=1, backoff_s=0.1)
    assert time.monotonic() - started < limit(8)
    assert is_downloaded(REPO) is None


def test_not_enough_disk_space_leaves_no_half_model(hub: FakeHub) -> None:
    with pytest.raises(InsufficientDiskSpaceError, match="Not enough disk space"):
        pull(REPO, endpoint=hub.url, free_space=lambda _folder: 10 * MB)
    assert sum(hub.served.values()) == 0
    assert not any(_blobs().iterdir()) if _blobs().exists() else True
    assert is_downloaded(REPO) is None


def test_token_is_sent_but_never_logged(hub: FakeHub, caplog: pytest.LogCaptureFixture) -> None:
    secret = "hf_SECRETtokenDoNotLog1234567890"
    caplog.set_level("DEBUG")
    hub.behaviour.disconnect_after = {WEIGHTS: MB}  # a retry path logs too
    pull(REPO, endpoint=hub.url, token=secret, backoff_s=0.05)
    assert hub.authorizations == {f"Bearer {secret}"}
    assert secret not in caplog.text


def test_delete_download(hub: FakeHub) -> None:
    pull(REPO, endpoint=hub.url)
    assert delete_download(REPO)
    assert is_downloaded(REPO) is None and not download.repo_folder(REPO).exists()


OFFLINE_CHILD = """
import sys
def deny(event, args):
    if event in ('socket.connect', 'socket.getaddrinfo', 'socket.gethostbyname'):
        sys.stderr.write('NETWORK ATTEMPT: %s %r\\n' % (event, args))
        raise OSError('network use is forbidden in this test')
sys.addaudithook(deny)
from logline.models.download import pull
from logline.models.errors import ModelNotDownloadedError
print(pull(sys.argv[1], offline=True).snapshot_path)
try:
    pull('org/never-downloaded', offline=True)
except ModelNotDownloadedError as error:
    print('ERROR:', error)
import huggingface_hub  # even with the hub library loaded, offline stays offline
print('hub' if 'huggingface_hub' in sys.modules else '')
"""


def test_offline_resolves_cached_model_with_zero_connections(
    hub: FakeHub, _isolated_logline_home: Path
) -> None:
    snapshot = pull(REPO, endpoint=hub.url).snapshot_path
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(LOGLINE_HOME=str(_isolated_logline_home), HF_HUB_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE_CHILD, REPO],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "NETWORK ATTEMPT" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == str(snapshot)
    assert "org/never-downloaded is not downloaded and Logline is offline" in lines[1]


def test_offline_error_is_a_model_error() -> None:
    with pytest.raises(ModelNotDownloadedError) as info:
        pull(REPO, offline=True)
    assert isinstance(info.value, ModelError)


def test_download_module_does_not_import_huggingface_hub() -> None:
    code = "import sys, logline.models.download; print('huggingface_hub' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# ----------------------------------------------------------------------------- real olah mirror

OLAH_REPO = "mirror-org/tiny"


@pytest.fixture(scope="session")
def olah(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, bytes]]]:
    reason = olah_missing()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("olah")
    files = tiny_model_files(weights_bytes=6 * MB, seed=1)
    make_olah_repo(work / "mirrors", OLAH_REPO, files)
    with start_olah(work, work / "mirrors") as url:
        yield url, files


def test_olah_pull_adopts_orphan_and_restarts_without_range(
    olah: tuple[str, dict[str, bytes]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="logline")
    url, files = olah
    weights = files[WEIGHTS]
    digest = sha256(weights)
    blobs = download.repo_folder(OLAH_REPO) / "blobs"
    blobs.mkdir(parents=True)
    # What a killed huggingface_hub leaves behind; olah ignores Range, so it must start over.
    orphan = blobs / f"{digest}.1a2b3c4d.incomplete"
    orphan.write_bytes(weights[: 2 * MB])

    result = pull(OLAH_REPO, endpoint=url)
    assert sha256((result.snapshot_path / WEIGHTS).read_bytes()) == digest
    assert set(result.files) == {"config.json", "tokenizer.json", "tokenizer_config.json", WEIGHTS}
    assert result.bytes_total == sum(len(files[name]) for name in result.files)
    assert "resuming" in caplog.text and "ignored Range" in caplog.text
    assert not list(blobs.glob("*.incomplete"))
    assert is_downloaded(OLAH_REPO) == result.snapshot_path
