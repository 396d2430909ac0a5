"""Network deadlines that are total (issue 17, break 6): a slow drip cannot extend a download.

Real servers on 127.0.0.1: a socket server that accepts and never answers, one that drips its
headers or its body a byte at a time, and the stdlib hub throttled below the bytes-per-second
floor. Short timeouts (arguments and ``LOGLINE_NET_*`` settings) keep each test to seconds; the
download runs on a thread so a hang fails the test instead of blocking the suite.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from hub_server import FakeHub, fake_hub, raw_server, tiny_model_files
from logline.messages import user_message
from logline.models.download import is_downloaded, pull
from logline.models.errors import DownloadError, DownloadTimeoutError
from timing import limit

REPO = "org/tiny"
WEIGHTS = "model.safetensors"
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _restore_hf_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HF_HOME", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_ENABLE_HF_TRANSFER", "HF_ENDPOINT"):
        monkeypatch.setenv(key, os.environ.get(key, ""))
        monkeypatch.delenv(key)


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with fake_hub() as server:
        server.add_repo(REPO, tiny_model_files(weights_bytes=8 * MB))
        yield server


def _pull_within(seconds: float, **kwargs: object) -> tuple[BaseException | None, float]:
    """Run ``pull`` on a thread; fail the test when it has not ended after ``seconds``."""
    outcome: list[BaseException | None] = []
    cancel = threading.Event()

    def run() -> None:
        try:
            pull(REPO, cancel=cancel, **kwargs)  # type: ignore[arg-type]
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit(seconds))
    elapsed = time.monotonic() - started
    if thread.is_alive():
        cancel.set()
        thread.join(5)
        pytest.fail(f"the download was still hanging after {elapsed:.0f} s")
    return outcome[0], elapsed


def _host(url: str) -> str:
    return urlsplit(url).netloc


def test_server_that_accepts_and_never_answers_reports_within_the_timeout() -> None:
    with raw_server("silent") as url:
        error, elapsed = _pull_within(15, endpoint=url, timeout_s=1.5, retries=3, backoff_s=1)
    assert isinstance(error, DownloadTimeoutError), error
    assert elapsed < limit(1.5 + 1.5), f"took {elapsed:.1f} s for a 1.5 s timeout"
    message = str(error)
    assert _host(url) in message and "try again" in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert user_message(error, "download") == message  # shown as it is, no lead-in


@pytest.mark.parametrize("mode", ["header-drip", "body-drip"])
def test_dripping_hub_api_fails_within_its_deadline(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGLINE_NET_RATE_WINDOW_S", "1")
    with raw_server(mode, drip_every_s=0.1) as url:
        error, elapsed = _pull_within(20, endpoint=url, timeout_s=2, retries=3, backoff_s=0.2)
    assert isinstance(error, DownloadTimeoutError), error
    assert elapsed < limit(5), f"took {elapsed:.1f} s"
    assert _host(url) in str(error) and "try again" in str(error)


def test_body_below_the_rate_floor_fails_and_resumes_later(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 512 KB/s never stalls a read (a chunk every half second) but is under a 2 MB/s floor.
    monkeypatch.setenv("LOGLINE_NET_MIN_BPS", str(2 * MB))
    monkeypatch.setenv("LOGLINE_NET_RATE_WINDOW_S", "1")
    hub.behaviour.throttle_bps = 512 * 1024
    error, elapsed = _pull_within(20, endpoint=hub.url, timeout_s=5, retries=3, backoff_s=0.2)
    assert isinstance(error, DownloadTimeoutError), error
    assert elapsed < limit(6), f"took {elapsed:.1f} s"
    message = str(error)
    assert _host(hub.url) in message and "too slowly" in message and "resume" in message
    assert message.count(". ") == 0 and user_message(error, "download") == message
    assert is_downloaded(REPO) is None
    # At full speed the same download completes, resuming what the slow attempt kept.
    hub.behaviour.throttle_bps = None
    monkeypatch.delenv("LOGLINE_NET_MIN_BPS")
    error, _ = _pull_within(30, endpoint=hub.url, timeout_s=5)
    assert error is None
    assert is_downloaded(REPO) is not None
    assert any(r[2] for r in hub.requests if r[1].endswith(WEIGHTS)), "no Range resume"


def test_file_body_dripping_a_byte_at_a_time_fails_within_the_window(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: one byte every few seconds keeps every read alive forever."""
    monkeypatch.setenv("LOGLINE_NET_RATE_WINDOW_S", "1.5")
    hub.behaviour.drip_after = {WEIGHTS: MB}
    hub.behaviour.drip_every_s = 0.3
    error, elapsed = _pull_within(30, endpoint=hub.url, timeout_s=5, retries=3, backoff_s=0.2)
    assert isinstance(error, DownloadTimeoutError), error
    assert elapsed < limit(5), f"took {elapsed:.1f} s for a 1.5 s window"
    assert "too slowly" in str(error) and _host(hub.url) in str(error)
    assert is_downloaded(REPO) is None


@pytest.mark.parametrize("mode", ["silent", "header-drip"])
def test_deadlines_hold_through_the_proxy_the_environment_names(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Downloads go through HTTP(S)_PROXY like the reachability probe, under the same deadlines
    (the hub is never contacted directly: its name does not even resolve)."""
    for key in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(key, raising=False)
    with raw_server(mode, drip_every_s=0.1) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("http_proxy", proxy)
        error, elapsed = _pull_within(
            20, endpoint="http://hub.example.invalid", timeout_s=1.5, retries=3, backoff_s=0.2
        )
    assert isinstance(error, DownloadTimeoutError), error
    assert elapsed < limit(4), f"took {elapsed:.1f} s"
    assert "hub.example.invalid" in str(error) and _host(proxy) in str(error)


def test_a_server_that_hangs_up_gets_one_sentence_with_the_host() -> None:
    with raw_server("hang-up") as url:
        error, _ = _pull_within(15, endpoint=url, timeout_s=2, retries=1, backoff_s=0.1)
    assert isinstance(error, DownloadError), error
    message = str(error)
    assert _host(url) in message and "try again" in message
    assert "\n" not in message and message.count(". ") == 0 and message.endswith(".")


def test_rate_floor_settings_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from logline.models.deadlines import NetworkLimits

    monkeypatch.setenv("LOGLINE_NET_MIN_BPS", "fast")
    with pytest.raises(DownloadError, match="LOGLINE_NET_MIN_BPS"):
        NetworkLimits.from_env(30)


def test_the_floor_counts_network_time_only() -> None:
    """A reader that pauses (a slow disk, a full queue) is not blamed on the server; a body that
    trickles while the reader waits is."""
    from logline.models.deadlines import Budget, NetworkLimits, TooSlow

    budget = Budget(NetworkLimits(timeout_s=5, min_bytes_per_s=1000, rate_window_s=1))
    budget.headers_done()
    budget.received(2000, 0.01)
    time.sleep(1.2)  # the reader was busy elsewhere: no read was waiting
    budget.received(2000, 0.01)
    with pytest.raises(TooSlow):
        for _ in range(5):
            budget.received(1, 0.3)  # one byte per 0.3 s of waiting
