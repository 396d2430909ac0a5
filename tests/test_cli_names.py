"""``logline summarize --names flag|remove``: names not in the script are flagged or removed on
stdout while streaming, counted on stderr, and listed in the batch sidecar (subprocesses, network
blocked, a tiny random model whose capitalised nonsense is unknown to the script)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import offline_cli
from logline.summarize.names import flagged_names
from tiny_models import write_tiny_llama_gguf

SCRIPT = "INT. ROOM - DAY\n\nBOB sits.\n"
SEEDS = ("1", "2", "3", "4")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("home")
    gguf = write_tiny_llama_gguf(root / "tiny.gguf", tensor_type="Q8_0")
    result = offline_cli.run(root, "models", "import", str(gguf), "--id", "tiny")
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scripts") / "room.fountain"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def _summarize(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    sampling = ("--model", "tiny", "--max-tokens", "48", "--temperature", "1")
    return offline_cli.run(home, "summarize", *args, *sampling, timeout=300)


@pytest.fixture(scope="module")
def flagged(home: Path, script: Path) -> tuple[str, subprocess.CompletedProcess[str]]:
    """A seed whose streamed summary flags a name, and that run."""
    for seed in SEEDS:
        result = _summarize(home, str(script), "--seed", seed)
        assert result.returncode == 0, result.stderr
        if flagged_names(result.stdout):
            return seed, result
    pytest.fail("no seed made the random model write an unknown name")


def test_streamed_names_are_flagged_and_counted(flagged) -> None:
    _seed, result = flagged
    names = flagged_names(result.stdout)
    count = len(names)
    what = "1 name is" if count == 1 else f"{count} names are"
    assert f"Note: {what} not in the script and {'is' if count == 1 else 'are'} marked." in (
        result.stderr
    )
    assert "NETWORK ATTEMPT" not in result.stderr


def test_remove_drops_the_names_from_stdout(home: Path, script: Path, flagged) -> None:
    seed, flag_run = flagged
    names = flagged_names(flag_run.stdout)
    result = _summarize(home, str(script), "--seed", seed, "--names", "remove")
    assert result.returncode == 0, result.stderr
    assert flagged_names(result.stdout) == []
    assert all(name not in result.stdout for name in names)
    assert "not in the script and" in result.stderr and "removed." in result.stderr


def test_the_batch_sidecar_lists_the_unknown_names(
    home: Path, script: Path, flagged, tmp_path: Path
) -> None:
    seed, flag_run = flagged
    names = flagged_names(flag_run.stdout)
    out = tmp_path / "out"
    result = _summarize(home, str(script), "--seed", seed, "--out", str(out))
    assert result.returncode == 0, result.stderr
    sidecar = json.loads((out / "room.synopsis.json").read_text(encoding="utf-8"))
    assert sidecar["unknown_names"] == {"count": len(names), "names": list(dict.fromkeys(names))}
    assert flagged_names((out / "room.synopsis.md").read_text(encoding="utf-8")) == names


def test_notes_after_the_stream_start_on_a_line_of_their_own(
    home: Path, script: Path, flagged
) -> None:
    """In a terminal stdout and stderr share the screen: the name count (a runner notice that
    arrives while the summary's last line is still open) must not be glued to that line."""
    seed, _flag_run = flagged
    sampling = ("--model", "tiny", "--max-tokens", "48", "--temperature", "1", "--seed", seed)
    merged = subprocess.run(
        offline_cli.command("summarize", str(script), *sampling),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one pipe: the order the user would see
        text=True,
        env=offline_cli.offline_env(home),
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert merged.returncode == 0, merged.stdout
    lines = merged.stdout.splitlines()
    notes = [line for line in lines if "Note: " in line and "not in the script" in line]
    assert notes, merged.stdout
    assert all(line.startswith("Note: ") for line in notes), notes
    assert lines[-1].startswith("[")  # the stats line, on its own line
