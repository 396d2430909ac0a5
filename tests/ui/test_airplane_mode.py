"""Airplane-mode proof of the whole app (issue 17, item 9).

The real window runs the whole flow offscreen — open a script, summarize it, ask one chat
question, list the models, open the Models window and Settings — in a subprocess whose audit hook
records every ``socket.connect`` / ``getaddrinfo`` (see ``airplane_flow.py``; a hook cannot be
removed, so it gets its own process):

- **offline mode on** (``LOGLINE_OFFLINE=1``): not one attempt, and Download says why it is off;
- **offline mode off, no network** (the hub is a closed port on 127.0.0.1): the cached model
  works, nothing but that address is tried, and Download and Check Again each explain
  themselves within their timeouts.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from script_helpers import CORPUS, write_lantern

pytestmark = pytest.mark.gui

FLOW = Path(__file__).with_name("airplane_flow.py")
CORPUS_SCRIPT = CORPUS / "fountain" / "brick-and-steel.fountain"
FLOW_TIMEOUT_S = 540
NETWORK_FEATURE_S = 10.0  # a refused connection must be explained well within this


def _script(tmp_path: Path) -> Path:
    """A corpus script when the corpus is there, else a Fountain written here."""
    return CORPUS_SCRIPT if CORPUS_SCRIPT.is_file() else write_lantern(tmp_path)


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_flow(tmp_path: Path, model_dir: Path, **env_extra: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGLINE_", "HF_"))}
    tests = Path(__file__).resolve().parents[1]
    env.update(
        LOGLINE_HOME=str(tmp_path / "home"),
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=os.pathsep.join([str(tests), str(tests / "ui"), env.get("PYTHONPATH", "")]),
        **env_extra,
    )
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, str(FLOW), str(_script(tmp_path)), str(model_dir), str(report)],
        capture_output=True,
        text=True,
        env=env,
        timeout=FLOW_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
    return json.loads(report.read_text(encoding="utf-8"))


def _the_app_worked(report: dict[str, Any]) -> None:
    steps = report["steps"]
    assert steps["summary"]["error"] is None, steps["summary"]
    assert steps["summary"]["reason"] in ("done", "length", "repetition")
    assert steps["summary"]["characters"] > 0
    assert steps["chat"]["reason"] in ("done", "length", "repetition"), steps["chat"]
    assert any("Tiny Airplane" in text for text in steps["models"]["picker"])
    assert steps["models"]["cli_exit"] == 0
    assert steps["models_dialog"]["rows"] > 0
    assert steps["settings"]["visible"]


def test_offline_mode_makes_no_network_attempt_in_the_whole_flow(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    report = _run_flow(tmp_path, tiny_model_dir, LOGLINE_OFFLINE="1")
    assert report["offline"] is True
    _the_app_worked(report)
    assert report["attempts"] == []
    download = report["steps"]["download"]
    assert not download["enabled"] and download["refused_at_once"]
    assert "offline" in download["tooltip"].lower() and "offline" in download["message"].lower()


def test_without_a_network_cached_models_work_and_network_features_explain_themselves(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    port = _closed_port()
    report = _run_flow(tmp_path, tiny_model_dir, HF_ENDPOINT=f"http://127.0.0.1:{port}")
    assert report["offline"] is False
    _the_app_worked(report)
    # Only the configured hub was tried, and never by name lookup of another host.
    assert report["attempts"], "the download should at least have tried the hub"
    for attempt in report["attempts"]:
        assert "127.0.0.1" in attempt["target"], attempt
    download = report["steps"]["download"]
    assert download["ended"] == ["failed"], download
    assert "cannot reach 127.0.0.1" in download["message"], download
    assert download["seconds"] < NETWORK_FEATURE_S, download
    check = report["steps"]["check_again"]
    assert "Still no connection" in check["message"], check
    assert check["seconds"] < NETWORK_FEATURE_S, check
