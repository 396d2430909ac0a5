"""``logline summarize FILE --model SERVER``: a summary on a server entry, from the command line.

Against the scripted stdlib server (``fault_server``) in-process, and, for offline mode, in a
subprocess whose every connection attempt fails loudly (``offline_cli``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import offline_cli
from fault_server import FaultServer, chunk, sse, usage_chunk
from logline.cli import main
from logline.models import servers
from logline.resources_access import resource

CHAT = "/v1/chat/completions"
SAMPLE = Path(str(resource("sample.fountain")))


@pytest.fixture(autouse=True)
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOGLINE_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


def summarize(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["summarize", str(SAMPLE), "--max-tokens", "24", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_summary_runs_on_the_server_an_entry_names(capsys: pytest.CaptureFixture[str]) -> None:
    answer = sse([chunk("A projectionist "), chunk("keeps a cinema alive.", finish="stop")])
    with FaultServer({CHAT: [answer]}) as server:
        servers.add_server("box", server.url + "/v1", model="m", context_length=8192)
        code, out, err = summarize(capsys, "--model", "box")
        bodies = server.chat_bodies()
    assert code == 0, err
    assert out.strip() == "A projectionist keeps a cinema alive."
    assert "Summarizing on server box (m on box): the server is on this machine" in err
    assert "token counts are estimates" in err  # no tokenizer for "m" here
    last = err.strip().splitlines()[-1]
    assert last.startswith("[done]") and "on server box, token counts estimated" in last
    assert "peak memory" not in last
    assert bodies and bodies[0]["model"] == "m" and bodies[0]["stream"] is True


def test_server_counts_are_not_called_estimates(capsys: pytest.CaptureFixture[str]) -> None:
    answer = sse([chunk("Short.", finish="stop"), usage_chunk(900, 2)])
    with FaultServer({CHAT: [answer]}) as server:
        servers.add_server("box", server.url + "/v1", model="m", context_length=8192)
        code, _, err = summarize(capsys, "--model", "box")
    last = err.strip().splitlines()[-1]
    assert code == 0 and "900 prompt tokens" in last and "on server box" in last
    assert "estimated" not in last and "about" not in last


def test_a_failing_server_is_one_sentence_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    servers.add_server("gone", "http://127.0.0.1:9/v1", model="m", context_length=8192)
    code, out, err = summarize(capsys, "--model", "gone")
    assert code == 1 and out.strip() == ""
    assert "127.0.0.1:9" in err.strip().splitlines()[-1]


def test_an_unknown_name_is_still_a_missing_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = summarize(capsys, "--model", "no-such-thing")
    assert code == 1 and "no-such-thing" in err


def test_offline_mode_refuses_a_public_server_in_one_sentence_without_connecting(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    added = offline_cli.run(
        home,
        "servers",
        "add",
        "cloud",
        "https://93.184.216.34/v1",
        "--model",
        "m",
        "--context",
        "8192",
        "--no-probe",
    )
    assert added.returncode == 0, added.stderr
    env = {**offline_cli.offline_env(home), "LOGLINE_OFFLINE": "1"}
    result = subprocess.run(
        offline_cli.command("summarize", str(SAMPLE), "--model", "cloud"),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "NETWORK ATTEMPT" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("logline: Offline mode is on"), lines
    assert result.stdout == ""


def test_a_folder_run_on_a_server_names_it_in_the_sidecar(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import json

    answer = sse([chunk("A projectionist keeps a cinema alive.", finish="stop")])
    with FaultServer({CHAT: [answer]}) as server:
        servers.add_server("box", server.url + "/v1", model="m", context_length=8192)
        code, _, err = summarize(capsys, "--model", "box", "--out", str(tmp_path / "out"))
        again, _, skipped = summarize(capsys, "--model", "box", "--out", str(tmp_path / "out"))
    assert code == 0 and again == 0, err
    (sidecar,) = (tmp_path / "out").glob("*.json")
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    assert data["model"] == "m on box"
    assert (data["on_server"], data["token_counts"]) == (True, "estimate")
    assert "already done, skipped" in skipped
