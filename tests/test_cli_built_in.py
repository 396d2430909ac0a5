"""The CLI is honest about the built-in model: one notice on stderr (never in the summary on
stdout) when it writes a summary, and ``models list`` marks it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from built_in_helpers import install_as_built_in
from logline import paths
from logline.cli import main
from logline.models import fit
from logline.models.embedded import BUILT_IN_LABEL, EMBEDDED_MODEL_ID
from logline.models.folder_import import import_model_folder
from logline.models.recommend import embedded_notice, recommended_model

GiB = 1024**3
SCRIPT = """\
Title: {title}

EXT. PIER - DAWN

TOMAS coils a rope and looks out at the fog.

TOMAS
The boat is late again.
"""
FAST = ("--max-tokens", "8")


@pytest.fixture(autouse=True)
def sixteen_gb(monkeypatch: pytest.MonkeyPatch) -> None:
    """A what-if machine with 16 GB of RAM, so the recommendation is the same everywhere."""
    monkeypatch.setattr(fit, "physical_ram", lambda: 16 * GiB)


def _script(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(SCRIPT.format(title=path.stem.title()), encoding="utf-8")
    return path


def test_summarize_with_the_built_in_model_says_so_once_on_stderr(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install_as_built_in(tiny_model_dir)
    notice = embedded_notice(recommended_model())
    assert "Llama 3.1 8B Instruct" in notice

    script = _script(tmp_path / "in", "pier.fountain")
    assert main(["summarize", str(script), *FAST]) == 0  # no --model: the built-in one
    out = capsys.readouterr()
    assert out.err.count(notice) == 1
    assert "logline models pull llama-3.1-8b-instruct" in out.err
    assert "built-in" not in out.out  # the summary on stdout stays the summary alone

    _script(tmp_path / "in", "harbour.fountain")  # a batch of two: still one notice
    code = main(["summarize", str(tmp_path / "in"), "--out", str(tmp_path / "out"), *FAST])
    assert code == 0
    assert capsys.readouterr().err.count(notice) == 1


def test_no_notice_with_another_model(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_model_folder(tiny_model_dir, paths.models_dir(), model_id="tiny", display_name="Tiny")
    script = _script(tmp_path, "pier.fountain")
    assert main(["summarize", str(script), "--model", "tiny", *FAST]) == 0
    assert "built-in model" not in capsys.readouterr().err


def test_models_list_marks_the_built_in_model(
    tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install_as_built_in(tiny_model_dir)
    import_model_folder(tiny_model_dir, paths.models_dir(), model_id="tiny", display_name="Tiny")
    assert main(["models", "list"]) == 0
    text = capsys.readouterr().out
    built_in = next(line for line in text.splitlines() if EMBEDDED_MODEL_ID in line)
    assert built_in.startswith("*") and built_in.endswith(BUILT_IN_LABEL)
    assert "for trying Logline offline" in text
    assert "(16 GB): Llama 3.1 8B Instruct (`logline models pull llama-3.1-8b-instruct`)" in text

    assert main(["models", "list", "--json"]) == 0
    listed = {m["model_id"]: m for m in json.loads(capsys.readouterr().out)}
    assert listed[EMBEDDED_MODEL_ID]["built_in"] is True
    assert listed["tiny"]["built_in"] is False


def test_models_catalog_marks_the_recommended_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "catalog"]) == 0
    text = capsys.readouterr().out
    marked = [line for line in text.splitlines() if line.endswith("<- recommended here")]
    assert len(marked) == 1 and marked[0].startswith("llama-3.1-8b-instruct")
    assert main(["models", "catalog", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in entries if e["recommended_here"]] == ["llama-3.1-8b-instruct"]
