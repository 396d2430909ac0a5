"""bench/bench_quality.py: cutting documents to N scenes, generate (tiny model), resume, score.

Reads ``../shared/corpus`` when present (skips cleanly when not); nothing from it is copied here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import bench_quality  # noqa: E402
import quality_score  # noqa: E402
from logline.summarize.citations import validate  # noqa: E402
from logline.summarize.quality import COVERAGE_SECTIONS  # noqa: E402


def corpus_file(relative: str) -> Path:
    path = bench_quality.CORPUS / relative
    if not path.is_file():
        pytest.skip(f"corpus file {relative} is not present")
    return path


@pytest.mark.parametrize(
    "relative",
    ["fountain/big-fish.fountain", "fdx/big-fish.finaldraft11.fdx", "pdf/big-fish.screenplain.pdf"],
)
def test_first_scenes_cuts_every_format(relative: str) -> None:
    whole = bench_quality.load_document(corpus_file(relative), None)
    cut = bench_quality.load_document(corpus_file(relative), 3)
    assert len(whole.scenes) > 3
    assert cut.scenes == whole.scenes[:3]
    assert len(cut.elements) == whole.scenes[2].last_element + 1
    assert cut.text.strip() and cut.word_count < whole.word_count / 20
    assert whole.scene_text(whole.scenes[3]).strip() not in cut.text
    assert {c.name for c in cut.characters} < {c.name for c in whole.characters}
    assert all(set(c.scenes) <= {1, 2, 3} and c.scenes for c in cut.characters)
    assert not validate("(Sc. 3)", cut).invalid
    assert validate("(Sc. 4)", cut).invalid


def test_first_scenes_keeps_a_short_document_whole() -> None:
    document = bench_quality.load_document(corpus_file("fountain/testplay-01.fountain"), None)
    assert bench_quality.first_scenes(document, 50) is document
    assert bench_quality.first_scenes(document, None) is document


def test_files_by_name_glob() -> None:
    corpus_file("fountain/big-fish.fountain")
    names = {p.name for p in bench_quality.select_files(["big-fish*"])}
    assert "big-fish.fountain" in names and "big-fish.finaldraft11.fdx" in names
    with pytest.raises(SystemExit):
        bench_quality.select_files(["no-such-script-*"])


def entry(mode: str, text: str) -> dict[str, object]:
    return {"mode": mode, "format": "fountain", "reason": "done", "text": text, "raw_text": text}


def test_score_of_a_looping_answer_and_a_complete_report() -> None:
    loop = "He went home. She stayed behind. " * 3
    report = "\n".join(
        f"## {name}\n\n{'**Pass**' if name == 'Verdict' else 'Some text here.'}\n"
        for name in COVERAGE_SECTIONS
    )
    looping = quality_score.score_run(entry("synopsis", loop), None, None)
    coverage = quality_score.score_run(entry("coverage", report), None, None)
    assert looping["repeat_sentences"] == 2
    assert coverage["coverage_ok"] and coverage["verdicts"] == ["Pass"]
    summary = quality_score.summarize_runs([looping, coverage])
    assert summary["done_with_repeat_pct"] == 50.0
    assert summary["coverage_ok_pct"] == 100.0
    assert summary["flags_per_1000_words"] is None  # no document: names n/a


def test_note_copy_ratios_pair_notes_with_their_chunks() -> None:
    chunk = "one two three four five six seven eight nine ten eleven twelve"
    run = entry("synopsis", "A summary.")
    run.update(
        notes=[chunk, "a note of its own, written in other words entirely"], chunks=[chunk] * 2
    )
    metrics = quality_score.score_run(run, None, None)
    assert metrics["note_copy_max"] == 1.0
    assert metrics["note_copy_mean"] == 0.5


def test_generate_resume_and_score_with_a_tiny_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    script = corpus_file("fountain/testplay-01.fountain")
    out = tmp_path / "q.json"
    args = ["--out", str(out), "--files", str(script), "--model-path", str(tiny_model_dir)]
    args += ["--modes", "logline", "coverage", "--max-tokens-scale", "0.02"]
    assert bench_quality.main(["generate", *args]) == 0
    runs = json.loads(out.read_text(encoding="utf-8"))["runs"]
    assert sorted(runs) == [
        "fountain/testplay-01.fountain::coverage",
        "fountain/testplay-01.fountain::logline",
    ]
    first = runs["fountain/testplay-01.fountain::logline"]
    assert first["reason"] in ("done", "length") and first["chunks"] and first["seconds"] > 0
    assert first["document"]["scenes"] == 2

    before = out.stat().st_mtime_ns
    assert bench_quality.main(["generate", *args, "--resume"]) == 0  # nothing left to do
    assert out.stat().st_mtime_ns == before

    assert bench_quality.main(["score", str(out), "--md"]) == 0
    scores = json.loads((tmp_path / "q.scores.json").read_text(encoding="utf-8"))
    assert scores["summary"]["all"]["runs"] == 2
    assert scores["summary"]["coverage"]["coverage_reports"] == 1
