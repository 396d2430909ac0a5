"""``logline summarize`` on many files: outputs, JSON sidecars, resume, failures (subprocesses,
network blocked, a tiny model in a private home)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

import pytest

import offline_cli
from tiny_models import write_tiny_llama_gguf

SCRIPT = """Title: {title}

EXT. LIGHTHOUSE - NIGHT

Rain lashes the glass. MARA climbs the stairs with a lantern.

MARA
Somebody has to keep the light on.

INT. LAMP ROOM - CONTINUOUS

She trims the wick. Far out at sea, a ship turns toward the beam.
"""

FAST = ("--model", "tiny", "--max-tokens", "8")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("home")
    gguf = write_tiny_llama_gguf(root / "tiny.gguf", tensor_type="Q8_0")
    result = offline_cli.run(root, "models", "import", str(gguf), "--id", "tiny")
    assert result.returncode == 0, result.stderr
    return root


def _scripts(folder: Path, *names: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        path = folder / name
        path.write_text(SCRIPT.format(title=path.stem.title()), encoding="utf-8")
        paths.append(path)
    return paths


def _summarize(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return offline_cli.run(home, "summarize", *args, timeout=300)


def test_a_folder_is_summarized_into_outputs_with_sidecars(home: Path, tmp_path: Path) -> None:
    _scripts(tmp_path / "in", "alpha.fountain", "beta.fountain")
    (tmp_path / "in" / "notes.docx").write_bytes(b"not a script")  # not a document type: skipped
    out = tmp_path / "out"
    result = _summarize(home, str(tmp_path / "in"), "--out", str(out), *FAST, "--json")
    assert result.returncode == 0, result.stderr
    assert "NETWORK ATTEMPT" not in result.stderr
    report = json.loads(result.stdout)
    # The random tiny model never ends by itself: 8 tokens reach the length limit, which is
    # written but never reported as done (issue 14: honest finish reasons).
    assert [f["status"] for f in report["files"]] == ["incomplete", "incomplete"]
    assert all("length limit" in f["warning"] for f in report["files"])
    assert result.stderr.count("warning: the summary reached its length limit") == 2
    assert sorted(p.name for p in out.iterdir()) == [
        "alpha.synopsis.json",
        "alpha.synopsis.md",
        "beta.synopsis.json",
        "beta.synopsis.md",
    ]
    sidecar = json.loads((out / "alpha.synopsis.json").read_text())
    assert sidecar["status"] == "incomplete" and sidecar["reason"] == "length"
    assert sidecar["mode"] == "synopsis"
    assert sidecar["model"] == "tiny" and len(sidecar["sha256"]) == 64
    assert sidecar["summary"] == "alpha.synopsis.md"
    assert sidecar["plan"]["strategy"] in ("single", "map_reduce")
    assert sidecar["peak_memory_bytes"] > 0 and sidecar["phases"]
    assert set(sidecar["citations"]) >= {"total", "valid", "invalid"}
    assert (out / "alpha.synopsis.md").read_text().strip()


def test_finished_files_are_skipped_and_changed_ones_redone(home: Path, tmp_path: Path) -> None:
    alpha, _beta = _scripts(tmp_path / "in", "alpha.fountain", "beta.fountain")
    out = tmp_path / "out"
    assert _summarize(home, str(tmp_path / "in"), "--out", str(out), *FAST).returncode == 0
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    again = _summarize(home, str(tmp_path / "in"), "--out", str(out), *FAST)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("already done, skipped") == 2
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps

    alpha.write_text(SCRIPT.format(title="Alpha, Revised"), encoding="utf-8")
    third = _summarize(home, str(tmp_path / "in"), "--out", str(out), *FAST)
    assert third.returncode == 0, third.stderr
    assert third.stderr.count("already done, skipped") == 1
    assert (out / "alpha.synopsis.md").stat().st_mtime_ns != stamps["alpha.synopsis.md"]
    assert (out / "beta.synopsis.md").stat().st_mtime_ns == stamps["beta.synopsis.md"]
    other_mode = _summarize(home, str(alpha), "--out", str(out), *FAST, "--mode", "logline")
    assert other_mode.returncode == 0 and (out / "alpha.logline.md").is_file()


def test_an_incomplete_summary_is_retried_only_when_asked(home: Path, tmp_path: Path) -> None:
    (script,) = _scripts(tmp_path / "in", "alpha.fountain")
    out = tmp_path / "out"
    first = _summarize(home, str(script), "--out", str(out), *FAST)
    assert first.returncode == 0, first.stderr
    sidecar = out / "alpha.synopsis.json"
    assert json.loads(sidecar.read_text())["status"] == "incomplete"
    stamp = sidecar.stat().st_mtime_ns

    again = _summarize(home, str(script), "--out", str(out), *FAST)
    assert "already done, skipped" in again.stderr and sidecar.stat().st_mtime_ns == stamp
    retried = _summarize(home, str(script), "--out", str(out), *FAST, "--retry-incomplete")
    assert retried.returncode == 0, retried.stderr
    assert "already done" not in retried.stderr and sidecar.stat().st_mtime_ns != stamp


def test_a_streamed_summary_that_hits_its_limit_says_so(home: Path, tmp_path: Path) -> None:
    (script,) = _scripts(tmp_path, "alpha.fountain")
    result = _summarize(home, str(script), *FAST)
    assert result.returncode == 0, result.stderr
    assert "Warning: the summary reached its length limit" in result.stderr
    assert "[length]" in result.stderr


def test_an_interrupted_batch_resumes_where_it_stopped(home: Path, tmp_path: Path) -> None:
    _scripts(tmp_path / "in", "a.fountain", "b.fountain", "c.fountain")
    out = tmp_path / "out"
    args = ("summarize", str(tmp_path / "in"), "--out", str(out), "--model", "tiny")
    process = subprocess.Popen(
        offline_cli.command(*args, "--max-tokens", "8"),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=offline_cli.offline_env(home),
        text=True,
    )
    assert process.stderr is not None
    seen = ""
    for line in process.stderr:
        seen += line
        if "[1/3] a.fountain: wrote" in line:
            process.send_signal(signal.SIGINT)
            break
    _, rest = process.communicate(timeout=60)
    seen += rest
    assert process.returncode == 130, seen
    assert "Traceback" not in seen
    written = sorted(p.name for p in out.iterdir())
    assert "a.synopsis.md" in written and "a.synopsis.json" in written
    assert not any(name.endswith(".tmp") for name in written)
    for name in ("b", "c"):  # a file cut short leaves nothing that looks finished
        if (out / f"{name}.synopsis.json").exists():
            assert (out / f"{name}.synopsis.md").exists()

    resumed = _summarize(home, str(tmp_path / "in"), "--out", str(out), *FAST)
    assert resumed.returncode == 0, resumed.stderr
    assert "[1/3] a.fountain: already done, skipped" in resumed.stderr
    assert all((out / f"{n}.synopsis.md").is_file() for n in "abc")


def test_one_bad_file_does_not_stop_the_batch(home: Path, tmp_path: Path) -> None:
    _scripts(tmp_path / "in", "good.fountain")
    (tmp_path / "in" / "broken.pdf").write_bytes(b"%PDF-1.7\n this is not really a PDF")
    out = tmp_path / "out"
    result = _summarize(home, str(tmp_path / "in"), "--out", str(out), *FAST, "--json")
    assert result.returncode == 1
    statuses = {Path(f["source"]).name: f["status"] for f in json.loads(result.stdout)["files"]}
    assert statuses == {"broken.pdf": "failed", "good.fountain": "incomplete"}  # tiny: length
    assert "broken.pdf: failed:" in result.stderr and "Traceback" not in result.stderr
    assert not (out / "broken.synopsis.md").exists()


def test_same_stem_inputs_get_distinct_outputs(home: Path, tmp_path: Path) -> None:
    fountain, text = _scripts(tmp_path / "in", "pilot.fountain", "pilot.txt")
    out = tmp_path / "out"
    result = _summarize(home, str(fountain), str(text), "--out", str(out), *FAST)
    assert result.returncode == 0, result.stderr
    assert (out / "pilot.fountain.synopsis.md").is_file()
    assert (out / "pilot.txt.synopsis.md").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--mode", "custom"), "--mode custom needs --instruction"),
        (("--mode", "haiku"), "invalid choice: 'haiku'"),
    ],
)
def test_usage_errors_are_clear(home: Path, tmp_path: Path, args: tuple, message: str) -> None:
    (script,) = _scripts(tmp_path, "s.fountain")
    result = _summarize(home, str(script), *FAST, *args)
    assert result.returncode in (1, 2)
    assert message in result.stderr and "Traceback" not in result.stderr


def test_several_files_need_an_output_folder(home: Path, tmp_path: Path) -> None:
    first, second = _scripts(tmp_path, "one.fountain", "two.fountain")
    result = _summarize(home, str(first), str(second), *FAST)
    assert result.returncode == 1 and "need --out DIR" in result.stderr


def test_prompts_export_writes_editable_copies(home: Path, tmp_path: Path) -> None:
    result = offline_cli.run(tmp_path / "fresh-home", "prompts", "export")
    assert result.returncode == 0, result.stderr
    folder = Path(result.stdout.split(" are in ", 1)[1].split(";", 1)[0])
    assert (folder / "coverage.reduce.txt").is_file() and (folder / "system.txt").is_file()


def test_verbose_reports_the_plan_batches_budget_and_precision(home: Path, tmp_path: Path) -> None:
    """``-v``: the precision the model runs in and, per phase, how many items went at once,
    the memory budget that sized the batch and the speed (issue 19)."""
    scenes = "\n".join(
        f"EXT. PIER {n} - DAY\n\nMARA counts {n} boats and ties the last one.\n" for n in range(40)
    )
    script = tmp_path / "pier.fountain"
    script.write_text(f"Title: Pier\n\n{scenes}", encoding="utf-8")
    result = offline_cli.run(
        home, "-v", "summarize", str(script), *FAST, "--context", "2048", timeout=300
    )
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stderr.splitlines()]
    assert any(line.startswith("precision: ") for line in lines), result.stderr
    maps = [line for line in lines if line.startswith("map: ")]
    assert len(maps) == 1, result.stderr
    assert "at once, memory budget " in maps[0] and "tok/s" in maps[0]
    items, width = (int(s) for s in re.findall(r"map: (\d+) item\(s\), up to (\d+)", maps[0])[0])
    assert items > 1 and 1 <= width <= items
    quiet = offline_cli.run(home, "summarize", str(script), *FAST, "--context", "2048", timeout=300)
    assert quiet.returncode == 0 and "precision: " not in quiet.stderr
