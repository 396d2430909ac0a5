"""The command line, run as a user would (subprocesses), with a tiny model in a private home."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

import offline_cli
from timing import limit
from tiny_models import write_tiny_llama_gguf

SCRIPT = """Title: The Lighthouse Keeper
Author: Logline Tests

EXT. LIGHTHOUSE - NIGHT

Rain lashes the glass. MARA (60s) climbs the spiral stairs with a lantern.

MARA
Somebody has to keep the light on.

INT. LAMP ROOM - CONTINUOUS

She trims the wick. Far out at sea, a ship turns toward the beam.
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LOGLINE_HOME holding one tiny model, imported through the CLI itself."""
    root = tmp_path_factory.mktemp("home")
    gguf = write_tiny_llama_gguf(root / "tiny.gguf", tensor_type="Q8_0")
    result = _run(root, "models", "import", str(gguf), "--id", "tiny", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["model_id"] == "tiny" and info["format"] == "gguf"
    return root


def _run(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return offline_cli.run(home, *args, timeout=timeout)


def test_models_list_json_shows_the_import(home: Path) -> None:
    result = _run(home, "models", "list", "--json")
    assert result.returncode == 0, result.stderr
    models = json.loads(result.stdout)
    assert [m["model_id"] for m in models] == ["tiny"]
    assert models[0]["size_bytes"] > 0
    assert Path(models[0]["path"]).is_dir()


def test_summarize_streams_offline_with_stats(home: Path, tmp_path: Path) -> None:
    script = tmp_path / "lighthouse.fountain"
    script.write_text(SCRIPT)
    result = _run(home, "summarize", str(script), "--model", "tiny", "--max-tokens", "16")
    assert result.returncode == 0, result.stderr
    assert "NETWORK ATTEMPT" not in result.stderr
    assert result.stdout.strip(), "no summary text on stdout"
    assert "Reading the document" in result.stderr
    stats_line = result.stderr.strip().splitlines()[-1]
    assert "prompt tokens" in stats_line and "tok/s" in stats_line
    assert re.search(r"peak memory [\d.,]+ (bytes|KB|MB|GB|TB)$", stats_line), stats_line
    # The summary goes to stdout only; progress and stats never leak into it.
    assert "tok/s" not in result.stdout and "Reading" not in result.stdout


def test_summarize_reports_bad_input_clearly(home: Path, tmp_path: Path) -> None:
    missing = _run(home, "summarize", str(tmp_path / "nope.fountain"), "--model", "tiny")
    assert missing.returncode == 1
    assert missing.stderr.startswith("logline: ")
    assert "Traceback" not in missing.stderr

    script = tmp_path / "s.fountain"
    script.write_text(SCRIPT)
    unknown = _run(home, "summarize", str(script), "--model", "no-such-model")
    assert unknown.returncode == 1
    assert "No installed model named 'no-such-model'" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_import_of_a_bad_file_fails_cleanly(home: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model at all")
    result = _run(home, "models", "import", str(bogus))
    assert result.returncode == 1
    assert "not a GGUF file" in result.stderr
    models_dir = home / "cache" / "models"
    assert sorted(p.name for p in models_dir.iterdir()) == ["tiny"]


def test_ctrl_c_stops_generation_cleanly(home: Path, tmp_path: Path) -> None:
    script = tmp_path / "s.fountain"
    script.write_text(SCRIPT)
    process = subprocess.Popen(
        offline_cli.command("summarize", str(script), "--model", "tiny", "--max-tokens", "2000"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=offline_cli.offline_env(home),
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.read(1)  # wait until text streams
    assert first
    process.send_signal(signal.SIGINT)
    started = time.perf_counter()
    _out, err = process.communicate(timeout=30)
    assert time.perf_counter() - started < limit(5)
    assert process.returncode == 130, err
    assert "Stopping" in err
    assert "[stopped]" in err
    assert "Traceback" not in err
