"""``logline models pull|info|pin|unpin|gc|rm|catalog`` against a real local hub server."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub_server import fake_hub, tiny_model_files
from logline.cli import main

REPO = "studio/tiny-llama"
CONFIG = {
    "model_type": "llama",
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 2048,
}


@pytest.fixture(autouse=True)
def _restore_hf_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """``pull`` writes HF_* settings into os.environ; give them back after each test."""
    for key in ("HF_HOME", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_ENABLE_HF_TRANSFER", "HF_ENDPOINT"):
        monkeypatch.setenv(key, os.environ.get(key, ""))
        monkeypatch.delenv(key)


@pytest.fixture
def hub_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fake_hub() as server:
        files = tiny_model_files(weights_bytes=256 * 1024)
        files["config.json"] = json.dumps(CONFIG).encode()
        server.add_repo(REPO, files)
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server.url


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    assert main(["models", *args, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_pull_info_pin_gc_rm(hub_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    pulled = run_json(capsys, "pull", REPO)
    assert pulled["repo_id"] == REPO and Path(pulled["path"]).is_dir()
    assert pulled["bytes_downloaded"] == pulled["bytes_total"] > 256 * 1024

    listed = run_json(capsys, "list")
    assert REPO in [model["model_id"] for model in listed]
    info = run_json(capsys, "info", REPO)
    assert info["model_id"] == REPO and info["path"] == pulled["path"]
    assert info["fit"]["level"] == "ok" and info["pinned"] is False

    assert run_json(capsys, "pin", REPO) == {"model": REPO, "pinned": True}
    assert run_json(capsys, "info", REPO)["pinned"] is True
    gc = run_json(capsys, "gc", "--dry-run")
    assert gc["dry_run"] is True and REPO not in gc["plan"]["evict"]

    assert main(["models", "rm", REPO]) == 1  # pinned: refused with a message
    assert "pinned" in capsys.readouterr().err
    run_json(capsys, "unpin", REPO)
    removed = run_json(capsys, "rm", REPO)
    assert removed["removed"] == REPO and removed["freed_bytes"] > 0
    assert main(["models", "info", REPO]) == 1
    assert "No installed model" in capsys.readouterr().err


def test_pull_offline_says_so(
    hub_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGLINE_OFFLINE", "1")
    assert main(["models", "pull", REPO]) == 1
    assert "offline" in capsys.readouterr().err.lower()


def test_catalog_lists_downloadable_models(capsys: pytest.CaptureFixture[str]) -> None:
    entries = run_json(capsys, "catalog")
    assert len(entries) >= 5 and all("/" in entry["repo_id"] for entry in entries)
    assert main(["models", "catalog"]) == 0
    assert entries[0]["id"] in capsys.readouterr().out


def test_unknown_names_fail_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "pull", "no-such-model"]) == 1
    assert "neither a catalog id" in capsys.readouterr().err
    assert main(["models", "pin", "nothing"]) == 1
    assert "no installed model" in capsys.readouterr().err
