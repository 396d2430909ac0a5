"""A server entry opened as a model (issue 18): the checks made before any connection."""

from __future__ import annotations

import pytest

from logline import config
from logline.models import servers
from logline.models.choice import resolve_choice
from logline.models.server_model import open_server, server_choice
from logline.models.server_policy import OfflineRefusedError

ONLINE = config.Settings(offline=False)
OFFLINE = config.Settings(offline=True)


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOGLINE_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


def test_an_entry_opens_as_a_remote_engine_with_its_context_and_concurrency(
    connections: list[object],
) -> None:
    entry = servers.add_server(
        "render-01",
        "http://127.0.0.1:9/v1",
        model="llama-3.3-70b",
        context_length=32768,
        concurrency=3,
    )
    engine = open_server(entry, ONLINE)
    assert (engine.is_remote, engine.context_length, engine.concurrency) == (True, 32768, 3)
    assert engine.label == "llama-3.3-70b on render-01"
    assert not engine.counts_tokens_exactly  # no such model here: counts are estimates
    assert engine.count_tokens("x" * 30) == 10
    assert connections == []  # opening connects to nothing


def test_an_entry_without_a_context_length_is_refused_with_the_fix() -> None:
    servers.add_server("gpu-box", "http://127.0.0.1:9/v1", model="m")
    with pytest.raises(servers.ServerEntryError, match="--context N"):
        open_server("gpu-box", ONLINE)


def test_offline_refuses_a_public_server_before_any_connection(
    connections: list[object],
) -> None:
    servers.add_server("cloud", "https://93.184.216.34/v1", model="m", context_length=8192)
    with pytest.raises(OfflineRefusedError, match="Offline mode"):
        open_server("cloud", OFFLINE)
    assert connections == []
    loopback = servers.add_server("here", "http://127.0.0.1:9/v1", model="m", context_length=8192)
    assert open_server(loopback, OFFLINE).base_url == "http://127.0.0.1:9/v1"


def test_a_server_choice_is_labelled_by_its_server_and_never_resolved_locally() -> None:
    entry = servers.add_server(
        "render-01", "http://10.0.0.5:8080/v1", model="llama-3.3-70b", context_length=8192
    )
    choice = server_choice(entry)
    assert (choice.is_remote, choice.label, choice.model_id) == (
        True,
        "llama-3.3-70b on render-01",
        "llama-3.3-70b",
    )
    with pytest.raises(ValueError, match="runs on a server"):
        resolve_choice(choice)


def test_a_model_folder_here_gives_exact_token_counts(tiny_model_dir) -> None:
    entry = servers.add_server(
        "here", "http://127.0.0.1:9/v1", model=str(tiny_model_dir), context_length=4096
    )
    engine = open_server(entry, ONLINE)
    assert engine.counts_tokens_exactly
    assert engine.prompt_length([{"role": "user", "content": "Hi"}]) > engine.count_tokens("Hi")
