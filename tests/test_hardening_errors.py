"""No tracebacks for users (issue 17, item 7): every entry point turns any exception into one
sentence, and the details go to the log file (tracebacks there only, never document text)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from logline import logs
from logline.cli import main as cli_main
from logline.cli import parser as cli_parser

CANARY = "CANARY-0f3a9 INT. SECRET BUNKER - NIGHT"


def _log_text() -> str:
    path = logs.log_file()
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    path = tmp_path / "script.fountain"
    os.mkfifo(path)
    return path


@pytest.fixture(autouse=True)
def _own_handlers_removed():
    """Each test's :func:`logs.configure` handlers go when it ends (they name its home)."""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if logs._is_ours(h)]:
        root.removeHandler(handler)
        handler.close()


def test_a_fifo_given_to_summarize_is_not_a_regular_file(fifo: Path, capsys) -> None:
    assert cli_main(["summarize", str(fifo)]) == 1
    err = capsys.readouterr().err
    assert "not a regular file" in err.lower(), err
    assert "No such file" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_fifo_given_to_inspect_is_not_a_regular_file(fifo: Path, capsys) -> None:
    assert cli_main(["inspect", str(fifo)]) == 1
    err = capsys.readouterr().err
    assert "not a regular file" in err, err
    assert len(err.strip().splitlines()) == 1


def test_an_unexpected_error_is_one_line_exit_1_and_a_traceback_in_the_log(
    monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    def broken(_args: object) -> int:
        raise ZeroDivisionError(CANARY)  # a bug in a command, with data in its message

    monkeypatch.setitem(cli_parser._COMMANDS, "inspect", broken)
    assert cli_main(["inspect", "any.fountain"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "ZeroDivisionError" in lines[0] and str(logs.log_file()) in lines[0]
    assert "Traceback" not in captured.err and CANARY not in captured.err
    text = _log_text()
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError" in text
    assert "in broken" in text  # the code location is kept ...
    assert CANARY not in text  # ... a message that could quote a document is not


def test_a_hostile_manifest_never_shows_a_traceback(tmp_path: Path) -> None:
    """A model folder whose logline.json nests 100,000 lists deep (a RecursionError in the
    JSON parser): one sentence, never a traceback, whether it is handled or caught last."""
    home = tmp_path / "home"
    folder = home / "cache" / "models" / "evil"
    folder.mkdir(parents=True)
    (folder / "logline.json").write_text("[" * 100_000 + "]" * 100_000)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGLINE_", "HF_"))}
    env.update(LOGLINE_HOME=str(home), HF_HUB_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, "-m", "logline", "models", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 1, result.stderr


CONSOLE_SCRIPT = f"""
import logging, sys
from logline import logs
logs.configure(0)
log = logging.getLogger("logline.engine.runtime")
try:
    {{}}.get("x")["y"]  # a real TypeError inside "the engine"
except Exception:
    try:
        raise ValueError({CANARY!r})
    except ValueError:
        log.exception("Generation failed")
print(logs.log_file())
"""


def test_engine_failures_log_one_line_on_the_console_and_no_text(tmp_path: Path) -> None:
    env = dict(os.environ, LOGLINE_HOME=str(tmp_path / "home"))
    result = subprocess.run(
        [sys.executable, "-c", CONSOLE_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ERROR logline.engine.runtime: Generation failed (ValueError")
    assert CANARY not in result.stderr
    log_path = Path(result.stdout.strip())
    text = log_path.read_text(encoding="utf-8")
    assert text.count("Traceback (most recent call last)") == 2  # the cause is kept
    assert "While handling the above exception" in text and "TypeError" in text
    assert CANARY not in text
    assert "<message withheld" in text
    assert (log_path.stat().st_mode & 0o777) == 0o600
    assert (log_path.parent.stat().st_mode & 0o777) == 0o700


def test_logline_and_os_messages_are_kept_in_the_log() -> None:
    from logline.documents import DocumentError

    def raised(exc: BaseException) -> BaseException:
        try:
            raise exc
        except BaseException as caught:
            return caught

    assert '"x.pdf" is damaged' in logs.scrubbed_traceback(
        raised(DocumentError('"x.pdf" is damaged'))
    )
    text = logs.scrubbed_traceback(raised(FileNotFoundError(2, "No such file", "/a/b")))
    assert "No such file" in text and "/a/b" in text


def test_an_unwritable_log_never_shows_a_logging_traceback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    (home / "data" / "logs").write_text("a file where the folder should be")
    script = (
        "import logging\nfrom logline import logs\nlogs.configure(0)\n"
        "logging.getLogger('logline.x').warning('one line')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=dict(os.environ, LOGLINE_HOME=str(home)),
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stderr.strip() == "WARNING logline.x: one line"


@pytest.mark.gui
def test_a_job_that_raises_system_exit_still_reports_and_finishes(qtbot) -> None:
    from logline.ui.jobs import Job

    def work(_cancel: object, _emit: object) -> None:
        raise SystemExit(3)

    job = Job(work, name="logline-test-exit")
    errors: list[BaseException] = []
    job.errored.connect(errors.append)
    with qtbot.waitSignal(job.finished, timeout=10_000):
        job.run()
    assert job.wait()
    assert len(errors) == 1 and isinstance(errors[0], SystemExit)


@pytest.mark.gui
def test_the_window_shows_an_uncaught_error_as_one_sentence(qtbot, capfd) -> None:
    from PySide6.QtCore import QTimer

    from logline.ui.launch import install_exception_hooks
    from logline.ui.main_window import MainWindow

    logs.configure(0)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    saved = sys.excepthook, threading.excepthook
    install_exception_hooks()
    try:

        def broken_slot() -> None:
            raise KeyError(CANARY)

        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: "KeyError" in window.banner.text, timeout=10_000)
        thread = threading.Thread(target=lambda: 1 / 0, name="logline-test-thread")
        thread.start()
        thread.join()
    finally:
        sys.excepthook, threading.excepthook = saved
        window.close()
        window.host.shutdown()
    assert str(logs.log_file()) in window.banner.text
    err = capfd.readouterr().err
    assert "Traceback" not in err and CANARY not in err
    assert "KeyError" in err and "'logline-test-thread'" in err
    text = _log_text()
    assert text.count("Traceback (most recent call last)") == 2
    assert "in broken_slot" in text and CANARY not in text


def test_an_os_error_names_its_cause_and_file_in_one_line() -> None:
    sentence = logs.unexpected(
        PermissionError(13, "Permission denied", "/x/\x1b]52;c;evil\x07"), "it"
    )
    assert sentence.startswith("Could not finish it: Permission denied: /x/\\x1b]52;c;evil\\x07")
    assert "\n" not in sentence and "\x1b" not in sentence
