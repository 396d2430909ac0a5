"""Shared by the ``logline chat/ask/history`` tests: a LOGLINE_HOME with the tiny model
imported as ``tiny``, the CLI run offline in a subprocess, and the store it wrote."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import offline_cli
from chat_helpers import write_script
from tiny_models import write_tiny_llama_gguf

# The tiny random model with short answers (its words are noise: tests check the mechanics).
TINY = ("--model", "tiny", "--max-tokens", "8")


def tiny_home(root: Path) -> Path:
    """``root`` as a LOGLINE_HOME with the tiny model installed as ``tiny``."""
    gguf = write_tiny_llama_gguf(root / "tiny.gguf", tensor_type="Q8_0")
    result = offline_cli.run(root, "models", "import", str(gguf), "--id", "tiny")
    assert result.returncode == 0, result.stderr
    return root


def own_script(folder: Path, name: str) -> Path:
    """``chat_helpers.write_script`` with one more action line naming ``name``: a document of
    its own in the store (the same content under another name is the same document)."""
    path = write_script(folder, name=name)
    path.write_text(path.read_text(encoding="utf-8") + f"\n\nThe end of {name}.\n", "utf-8")
    return path


def run_cli(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``logline ARGS`` with ``stdin`` fed as a pipe (not a terminal); no network, no traceback."""
    result = subprocess.run(
        offline_cli.command(*args),
        input=stdin,
        capture_output=True,
        text=True,
        env=offline_cli.offline_env(home),
        timeout=300,
    )
    assert "NETWORK ATTEMPT" not in result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result


def open_store(home: Path) -> Any:
    from logline.store import Store

    return Store.open(home / "data" / "logline.sqlite3")


def stats_lines(stderr: str) -> list[str]:
    """The ``[reason] model · N prompt tokens (M cached) · …`` lines of the model's answers."""
    return [
        line for line in stderr.splitlines() if line.startswith("[") and "prompt tokens" in line
    ]


def prompt_and_cached(line: str) -> tuple[int, int]:
    prompt = int(line.split(" prompt tokens")[0].split("· ")[-1].replace(",", ""))
    cached = int(line.split("(")[1].split(" cached")[0].replace(",", "")) if "cached" in line else 0
    return prompt, cached
