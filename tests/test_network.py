"""Automatic offline mode: the hub-reachability probe and what ``pull`` does when it fails."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from hub_server import fake_hub, free_port, tiny_model_files
from logline.models import network
from logline.models.download import pull
from logline.models.errors import ModelNotDownloadedError

REPO = "org/tiny"


@pytest.fixture(autouse=True)
def _fresh_probe_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                "all_proxy", "NO_PROXY", "no_proxy", "HF_HUB_OFFLINE", "HF_ENDPOINT"):  # fmt: skip
        monkeypatch.delenv(key, raising=False)
    network.forget()
    yield
    network.forget()


class CountingListener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    server = CountingListener()
    yield server
    server.close()


def test_a_listening_server_is_reachable_and_remembered(listener: CountingListener) -> None:
    url = f"http://127.0.0.1:{listener.port}"
    assert network.reachability(url).reachable
    assert network.reachability(url).reachable
    deadline = time.monotonic() + 2
    while listener.accepted < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert listener.accepted == 1  # the second answer came from memory
    assert network.reachability(url, fresh=True).reachable


def test_a_closed_port_is_unreachable_with_a_reason() -> None:
    started = time.monotonic()
    result = network.probe(f"http://127.0.0.1:{free_port()}", timeout_s=2)
    assert not result.reachable and result.reason
    assert "cannot reach 127.0.0.1" in result.message()
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("https://huggingface.co", ("huggingface.co", 443)),
        ("http://mirror.studio.lan:8090/", ("mirror.studio.lan", 8090)),
        ("http://mirror.studio.lan", ("mirror.studio.lan", 80)),
        (None, ("huggingface.co", 443)),
    ],
)
def test_probe_target_follows_the_endpoint(endpoint: str | None, expected: tuple) -> None:
    assert network.probe_target(endpoint) == (*expected, False)


def test_probe_goes_to_the_proxy_unless_the_host_is_bypassed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.studio.lan:3128")
    assert network.probe_target("https://huggingface.co") == ("proxy.studio.lan", 3128, True)
    monkeypatch.setenv("NO_PROXY", "huggingface.co")
    assert network.probe_target("https://huggingface.co") == ("huggingface.co", 443, False)


def test_pull_without_network_fails_at_once_with_a_clear_message() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ModelNotDownloadedError, match=r"cannot reach 127\.0\.0\.1.*offline"):
        pull(REPO, endpoint=closed, timeout_s=10, retries=3, backoff_s=2)
    assert time.monotonic() - started < 2  # no retries, no backoff against a missing network


def test_pull_without_network_uses_the_downloaded_copy() -> None:
    with fake_hub() as hub:
        hub.add_repo(REPO, tiny_model_files(weights_bytes=64 * 1024))
        snapshot = pull(REPO, endpoint=hub.url).snapshot_path
        requests_before = len(hub.requests)
    network.forget()
    result = pull(REPO, endpoint=hub.url, retries=3, backoff_s=2)  # the server is gone now
    assert result.snapshot_path == snapshot and result.bytes_downloaded == 0
    assert requests_before > 0
