"""At rest (issue 17, breaks 8 and 9): private files, a forget that leaves no trace, and a
model-state database that eight processes can open at once.

Run as a user would: the real CLI in subprocesses over a private LOGLINE_HOME, with the tiny
model. Modes are checked on every file and folder Logline created there; the forget check reads
every byte under the home for a canary string of the forgotten script.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from chat_cli import TINY, open_store, run_cli, tiny_home
from chat_helpers import write_script
from logline import paths

CANARY = "Quokkanary"


def _modes(root: Path) -> dict[str, str]:
    """Every path below ``root`` whose mode is wider than 0700 (folders) or 0600 (files)."""
    wide = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            mode = stat.S_IMODE((Path(folder) / name).stat().st_mode)
            if mode & 0o077:
                wide[str((Path(folder) / name).relative_to(root)) + "/"] = oct(mode)
        for name in files:
            path = Path(folder) / name
            if path.is_symlink():
                continue
            mode = stat.S_IMODE(path.stat().st_mode)
            if name.endswith(".lock") and path.stat().st_size == 0:
                continue  # filelock makes its (empty) lock files 0664; their folder is 0700
            if mode & 0o177:
                wide[str(path.relative_to(root))] = oct(mode)
    return wide


def _canary_files(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if CANARY.encode() in data or CANARY.encode("utf-16-le") in data:
                found.append(str(path.relative_to(root)))
    return found


def _canary_script(folder: Path) -> Path:
    path = write_script(folder, name=f"{CANARY}.fountain")
    text = path.read_text(encoding="utf-8")
    path.write_text(f"Title: The {CANARY} Affair\n\n{text}\n\n{CANARY.upper()}\nIt was me.\n")
    return path


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("at-rest")
    os.chmod(root, 0o755)  # LOGLINE_HOME itself is the user's choice; below it is Logline's
    return tiny_home(root / "home")


def test_everything_logline_creates_is_private(home: Path, tmp_path: Path) -> None:
    script = _canary_script(tmp_path)
    assert run_cli(home, "ask", str(script), "How many scenes?").returncode == 0
    asked = run_cli(home, "ask", str(script), f"Who is {CANARY}?", *TINY, "--new")
    assert asked.returncode in (0, 3), asked.stderr
    assert run_cli(home, "models", "list").returncode == 0
    for root in (home / "data", home / "cache"):  # tiny.gguf beside them is the test's own
        assert stat.S_IMODE(root.stat().st_mode) == 0o700, root
        assert _modes(root) == {}


def test_an_existing_wide_data_folder_is_made_private(home: Path) -> None:
    os.chmod(home / "data", 0o755)
    assert run_cli(home, "models", "list").returncode == 0
    assert stat.S_IMODE((home / "data").stat().st_mode) == 0o700


def test_forget_leaves_no_trace_of_the_script(home: Path, tmp_path: Path) -> None:
    script = _canary_script(tmp_path)
    assert run_cli(home, "ask", str(script), "How many scenes?").returncode == 0
    asked = run_cli(home, "ask", str(script), f"Is {CANARY} the killer?", *TINY, "--new")
    assert asked.returncode in (0, 3), asked.stderr
    assert _canary_files(home), "the canary should be kept before the forget"
    forgot = run_cli(home, "history", "forget", str(script), "--yes")
    assert forgot.returncode == 0, forgot.stderr
    assert _canary_files(home) == []


WORKER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    base, start, rounds = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    from logline.models import state
    failures = []
    for r in range(rounds):
        os.environ["LOGLINE_HOME"] = str(base / f"round{r}")  # a new database each round
        while time.time() < start + r * 0.12:
            time.sleep(0.001)
        try:
            state.touch(f"model-{os.getpid()}")
        except Exception as error:
            failures.append(str(error))
    print(len(failures), failures[:3])
    """
)


def test_eight_processes_open_a_new_model_state_database_at_once(tmp_path: Path) -> None:
    rounds = 40
    start = time.time() + 3
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path), str(start), str(rounds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(8)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    failures = [out for out, _err in outputs if not out.startswith("0 ")]
    assert all(w.returncode == 0 for w in workers), [err for _out, err in outputs]
    assert failures == [], failures  # 8 x 40 opens, not one "database is locked"
    for r in range(rounds):
        db = tmp_path / f"round{r}" / "data" / "models.sqlite3"
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        keys = json.loads(
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import sqlite3,sys,json;"
                    "print(json.dumps([r[0] for r in sqlite3.connect(sys.argv[1])"
                    ".execute('SELECT key FROM models')]))",
                    str(db),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        assert len(keys) == 8


def test_paths_helpers_make_private_folders_and_files(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    folder = paths.private_folder(tmp_path / "a" / "b")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700  # a parent it had to create
    assert os.umask(umask) == umask  # and the process umask was left alone
    os.chmod(folder, 0o755)
    paths.private_folder(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with paths.private_files():
        (folder / "x.txt").write_text("secret")
    assert stat.S_IMODE((folder / "x.txt").stat().st_mode) == 0o600


def test_forget_in_an_open_store_leaves_no_trace(home: Path, tmp_path: Path) -> None:
    """The window keeps its store open: the forgotten text must not linger in the SQLite file
    or its WAL while it does (secure delete, then a checkpoint that truncates the WAL)."""
    script = _canary_script(tmp_path)
    asked = run_cli(home, "ask", str(script), f"Is {CANARY} the killer?", *TINY, "--new")
    assert asked.returncode in (0, 3), asked.stderr
    store = open_store(home)
    reader = open_store(home)  # another connection, idle, as the window's other thread holds
    try:
        assert reader.documents.list()
        (document,) = store.documents.by_path(script.resolve())
        summary = store.summaries.begin(document.id, mode="logline", model="tiny", parameters={})
        for n in range(1, 40):  # streamed as a summary is: many versions of the row
            store.summaries.set_text(summary.id, f"{CANARY} confesses in scene {n}. " * n)
        store.forget_document(document.id)
        assert _canary_files(home) == []
    finally:
        reader.close()
        store.close()


def test_a_downloaded_model_is_private(monkeypatch: pytest.MonkeyPatch) -> None:
    from hub_server import fake_hub, tiny_model_files
    from logline.cli import main

    for key in ("HF_HOME", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_ENABLE_HF_TRANSFER"):
        monkeypatch.setenv(key, os.environ.get(key, ""))  # pull writes them: give them back
    with fake_hub() as hub:
        hub.add_repo("org/tiny", tiny_model_files(weights_bytes=64 * 1024))
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        assert main(["models", "pull", "org/tiny"]) == 0
    blobs = list((paths.hub_cache_dir()).rglob("blobs/*"))
    assert blobs and _modes(paths.cache_dir()) == {}
    assert stat.S_IMODE(paths.cache_dir().stat().st_mode) == 0o700


def test_the_window_keeps_its_files_private(tmp_path: Path) -> None:
    """The real entry point opens the window offscreen on a script, saves a picture and quits:
    the settings, the store and window.ini (recent files) it wrote are 0600 in 0700 folders."""
    script = _canary_script(tmp_path)
    home = tmp_path / "gui-home"
    env = {
        **os.environ,
        "LOGLINE_HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
        "LOGLINE_SCREENSHOT": str(tmp_path / "shot.png"),
        "LOGLINE_SCREENSHOT_DELAY_MS": "300",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "logline", str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (home / "data" / "window.ini").is_file()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert _modes(home) == {}
