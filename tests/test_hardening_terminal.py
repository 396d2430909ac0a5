"""Terminal-safe output (issue 17, break 5): a script cannot drive the terminal it is shown in.

A Fountain file whose title, character names and scene heading hold OSC sequences (set the
terminal title, write the clipboard with OSC 52), a hidden-text CSI, a C1 control and the
right-to-left override U+202E, under a file name holding them too. Every CLI command that shows
such text (inspect, history list/forget, error lines) is run as a user would, in a subprocess;
its stdout and stderr must hold none of them raw, and the escaped form must be visible.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import offline_cli
from chat_cli import open_store, run_cli, tiny_home
from hostile_text import (
    HOSTILE_FILE_NAME,
    HOSTILE_NAME,
    HOSTILE_TITLE,
    RLO,
    raw_controls,
    write_hostile,
)
from logline.cli.terminal_text import SafeWriter, safe_streams, term, term_line
from logline.display_text import escape_controls, is_unsafe, one_line, show_bidi


def _inspect(home: Path, *args: str) -> tuple[str, str, int]:
    result = offline_cli.run(home, "inspect", *args, timeout=120)
    return result.stdout, result.stderr, result.returncode


def test_escape_rules() -> None:
    text = "a\x1b]0;t\x07b\tc\nd\re\x7ff\x9bg\u202eh\u2066i\u2069 é שלום"
    escaped = escape_controls(text)
    assert escaped == (
        "a\\u001b]0;t\\u0007b\tc\nd\\u000de\\u007ff\\u009bg\\u202eh\\u2066i\\u2069 é שלום"
    )
    assert one_line("a\nb\tc") == "a\\u000ab\\u0009c"
    assert show_bidi(f"evil{RLO}fdp.exe") == "evil⟨U+202E⟩fdp.exe"
    assert show_bidi("plain — names, שלום") == "plain — names, שלום"
    assert is_unsafe(HOSTILE_TITLE) and not is_unsafe("tab\tand\nnewline")
    assert term(HOSTILE_NAME) == "MAL\\u202eORY" and "\n" not in term_line("a\nb")


def test_safe_streams_escape_every_write_and_restore(capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    before = sys.stdout
    with safe_streams():
        assert isinstance(sys.stdout, SafeWriter)
        print(HOSTILE_TITLE)
        print(f"\rprogress {HOSTILE_NAME}", end="", file=sys.stderr)
    assert sys.stdout is before
    out, err = capsys.readouterr()
    assert not raw_controls(out) and "\\u001b]0;pwned\\u0007" in out
    assert err == "\rprogress MAL\\u202eORY"  # a leading carriage return still redraws


def test_inspect_shows_hostile_title_names_and_headings_escaped(tmp_path: Path) -> None:
    script = write_hostile(tmp_path)
    out, err, code = _inspect(tmp_path / "home", str(script), "--scenes")
    assert code == 0, err
    assert not raw_controls(out + err), raw_controls(out + err)
    assert "Evil\\u001b]0;pwned\\u0007 Night \\u001b]52;c;cHduZWQ=\\u0007 Tit\\u202eelt" in out
    assert "MAL\\u202eORY" in out and "ROOM\\u001b[8m" in out and "Ann\\u009b31m" in out


def test_inspect_json_stays_faithful_and_safe(tmp_path: Path) -> None:
    script = write_hostile(tmp_path)
    out, err, code = _inspect(tmp_path / "home", str(script), "--json")
    assert code == 0, err
    assert not raw_controls(out + err)
    data = json.loads(out)
    assert data["title"] == HOSTILE_TITLE  # the escapes are JSON's own: same text when parsed


def test_file_names_are_escaped_in_output_and_errors(tmp_path: Path) -> None:
    script = write_hostile(tmp_path, HOSTILE_FILE_NAME)
    out, err, code = _inspect(tmp_path / "home", str(script))
    assert code == 0 and not raw_controls(out + err)
    missing = tmp_path / f"gone{RLO}\nline.pdf"
    out, err, code = _inspect(tmp_path / "home", str(missing))
    assert code == 1 and not raw_controls(out + err)
    assert err.count("\n") == 1 and "gone\\u202e\\u000aline.pdf" in err  # one line


def test_history_listing_and_forget_are_escaped(tmp_path: Path) -> None:
    home = tiny_home(tmp_path / "home")
    script = write_hostile(tmp_path, HOSTILE_FILE_NAME)
    asked = run_cli(home, "ask", str(script), "How many scenes?")
    assert asked.returncode == 0, asked.stderr
    assert not raw_controls(asked.stdout + asked.stderr)
    store = open_store(home)
    try:
        assert store.documents.by_path(script.resolve())  # the ask was kept
    finally:
        store.close()
    listing = run_cli(home, "history", "list")
    assert "Evil\\u001b]0;pwned" in listing.stdout
    assert not raw_controls(listing.stdout + listing.stderr)
    forgot = run_cli(home, "history", "forget", str(script), "--yes")
    assert forgot.returncode == 0, forgot.stderr
    assert "Forgot “Evil\\u001b]0;pwned" in forgot.stdout
    assert not raw_controls(forgot.stdout + forgot.stderr)


def test_safe_streams_leave_missing_streams_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys, "stdout", None)  # a windowed app bundle may have none
    with safe_streams():
        assert sys.stdout is None and isinstance(sys.stderr, SafeWriter)
        print("nowhere")  # print() to a missing stream writes nothing, as before
    assert sys.stdout is None
