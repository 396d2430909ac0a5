"""Issue 17, break 1 and the batch half of break 9: ``logline summarize … --out DIR`` never lets
two sources share an output, never trusts a summary its sidecar does not vouch for, never lets
two runs write one folder at once, and keeps what it writes private (real CLI runs in
subprocesses, network blocked, a tiny model in a private home)."""

from __future__ import annotations

import json
import stat
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
"""

FAST = ("--model", "tiny", "--max-tokens", "8")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("home")
    gguf = write_tiny_llama_gguf(root / "tiny.gguf", tensor_type="Q8_0")
    result = offline_cli.run(root, "models", "import", str(gguf), "--id", "tiny")
    assert result.returncode == 0, result.stderr
    return root


def _script(path: Path, title: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SCRIPT.format(title=title or path.stem.title()), encoding="utf-8")
    return path


def _summarize(home: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return offline_cli.run(home, "summarize", *args, timeout=300, **kwargs)


def _summaries(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.name.endswith(".md"))


def _sidecar_sources(out: Path) -> list[str]:
    return sorted(json.loads(p.read_text())["source"] for p in out.glob("*.json"))


def test_same_file_names_in_two_folders_get_two_outputs(home: Path, tmp_path: Path) -> None:
    first = _script(tmp_path / "draft1" / "script.fountain", "First Draft")
    second = _script(tmp_path / "draft2" / "script.fountain", "Second Draft")
    out = tmp_path / "out"
    result = _summarize(home, str(first), str(second), "--out", str(out), *FAST, "--json")
    assert result.returncode == 0, result.stderr
    written = [f["summary"] for f in json.loads(result.stdout)["files"]]
    assert len(set(written)) == 2, written  # two summaries, not one written twice
    assert len(_summaries(out)) == 2 and len(list(out.glob("*.json"))) == 2

    again = _summarize(home, str(first), str(second), "--out", str(out), *FAST)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("already done, skipped") == 2  # the batch can finish


def test_stems_and_full_names_that_meet_never_share_a_file(home: Path, tmp_path: Path) -> None:
    names = ("a.fountain", "a.txt", "a.fountain.txt")
    paths = [_script(tmp_path / "in" / name) for name in names]
    out = tmp_path / "out"
    result = _summarize(home, *map(str, paths), "--out", str(out), *FAST)
    assert result.returncode == 0, result.stderr
    assert len(_summaries(out)) == 3
    assert _sidecar_sources(out) == sorted(names)  # each sidecar names its own source

    again = _summarize(home, *map(str, paths), "--out", str(out), *FAST)
    assert again.stderr.count("already done, skipped") == 3, again.stderr


def test_a_later_run_never_overwrites_another_sources_summary(home: Path, tmp_path: Path) -> None:
    first = _script(tmp_path / "draft1" / "script.fountain", "First Draft")
    second = _script(tmp_path / "draft2" / "script.fountain", "Second Draft")
    out = tmp_path / "out"
    assert _summarize(home, str(first), "--out", str(out), *FAST).returncode == 0
    (kept,) = _summaries(out)
    before = kept.read_text()

    result = _summarize(home, str(second), "--out", str(out), *FAST)
    assert result.returncode == 0, result.stderr
    assert kept.read_text() == before
    assert len(_summaries(out)) == 2

    # The first source, changed, still goes to its own output.
    _script(first, "First Draft, Revised")
    assert _summarize(home, str(first), "--out", str(out), *FAST).returncode == 0
    assert len(_summaries(out)) == 2


def test_a_summary_its_sidecar_does_not_vouch_for_is_redone(home: Path, tmp_path: Path) -> None:
    """SIGKILL between the summary and its sidecar: another model's summary beside an older
    sidecar that says finished. The rerun must notice and write it again."""
    script = _script(tmp_path / "in" / "alpha.fountain")
    out = tmp_path / "out"
    assert _summarize(home, str(script), "--out", str(out), *FAST).returncode == 0
    (summary,) = _summaries(out)
    summary.write_text("A summary some other model wrote.\n", encoding="utf-8")

    again = _summarize(home, str(script), "--out", str(out), *FAST)
    assert again.returncode == 0, again.stderr
    assert "already done" not in again.stderr
    assert summary.read_text() != "A summary some other model wrote.\n"

    third = _summarize(home, str(script), "--out", str(out), *FAST)
    assert "already done, skipped" in third.stderr  # vouched for again: skipped


def test_the_sidecar_holds_no_absolute_path(home: Path, tmp_path: Path) -> None:
    script = _script(tmp_path / "private" / "NDA project" / "alpha.fountain")
    out = tmp_path / "out"
    assert _summarize(home, str(script), "--out", str(out), *FAST).returncode == 0
    (sidecar,) = out.glob("*.json")
    text = sidecar.read_text()
    assert "NDA project" not in text and str(tmp_path) not in text
    assert json.loads(text)["source"] == "alpha.fountain"


def test_two_runs_cannot_write_one_folder_at_once(home: Path, tmp_path: Path) -> None:
    from logline.summarize.batch_lock import OutputFolderBusy, lock_output_folder

    script = _script(tmp_path / "in" / "alpha.fountain")
    out = tmp_path / "out"
    with lock_output_folder(out):  # another run holds the folder
        result = _summarize(home, str(script), "--out", str(out), *FAST)
        with pytest.raises(OutputFolderBusy), lock_output_folder(out):
            pass
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "another" in lines[0] and str(out) in lines[0], result.stderr
    assert "Traceback" not in result.stderr and not _summaries(out)

    after = _summarize(home, str(script), "--out", str(out), *FAST)  # released: works
    assert after.returncode == 0, after.stderr


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outputs_are_private_unless_shared(home: Path, tmp_path: Path) -> None:
    script = _script(tmp_path / "in" / "alpha.fountain")
    out = tmp_path / "new" / "out"
    result = _summarize(home, str(script), "--out", str(out), *FAST, umask=0o022)
    assert result.returncode == 0, result.stderr
    assert _mode(tmp_path / "new") == 0o700 and _mode(out) == 0o700
    files = list(out.iterdir())
    assert files and all(_mode(p) == 0o600 for p in files), [(p, oct(_mode(p))) for p in files]

    shared = tmp_path / "shared"
    result = _summarize(home, str(script), "--out", str(shared), *FAST, "--shared", umask=0o022)
    assert result.returncode == 0, result.stderr
    assert _mode(shared) == 0o755
    assert all(_mode(p) == 0o644 for p in _summaries(shared) + list(shared.glob("*.json")))


# -- the naming rules on their own (no model) ---------------------------------------------------


def test_names_differing_only_in_case_are_one_file_on_a_mac(tmp_path: Path) -> None:
    from logline.summarize.output_names import assign_names

    upper = _script(tmp_path / "one" / "Pilot.fountain")
    lower = _script(tmp_path / "two" / "pilot.fountain")
    names = assign_names([upper, lower])
    assert len({name.casefold() for name in names}) == 2, names


def test_an_old_sidecar_with_an_absolute_path_keeps_its_name(tmp_path: Path) -> None:
    """Sidecars written before source ids name the source by its path: the same source keeps
    its name, another source with the same name gets a new one."""
    from logline.summarize.output_names import assign_names, folder_claims

    first = _script(tmp_path / "draft1" / "script.fountain").resolve()
    second = _script(tmp_path / "draft2" / "script.fountain").resolve()
    out = tmp_path / "out"
    out.mkdir()
    old = {"version": 1, "source": str(first), "mode": "synopsis", "status": "done"}
    (out / "script.synopsis.json").write_text(json.dumps(old), encoding="utf-8")
    (out / "junk.synopsis.json").write_text("[not a sidecar", encoding="utf-8")
    claims = folder_claims(out)
    assert assign_names([first], claims) == ["script"]
    (other,) = assign_names([second], claims)
    assert other.casefold() != "script"
    both = assign_names([second, first], claims)
    assert both[1] == "script" and both[0] != "script"
