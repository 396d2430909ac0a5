"""The launcher: one clear sentence and exit code 2 where Qt would abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from logline.ui import launch

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux display checks"),
]

NO_DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NO_DISPLAY_VARS}
    env["LOGLINE_HOME"] = str(tmp_path / "home")
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_no_display_prints_one_sentence_and_exits_2(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from logline.ui.launch import launch_gui\n"
        "rc = launch_gui([])\n"
        "assert 'PySide6' not in sys.modules, 'Qt was imported before the display check'\n"
        "sys.exit(rc)\n"
    )
    result = _run(["-c", code], _env(tmp_path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [launch.NO_DISPLAY_MESSAGE]
    assert result.stdout == ""


def test_the_cli_gui_command_exits_2_without_a_display(tmp_path: Path) -> None:
    result = _run(["-m", "logline", "gui"], _env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == launch.NO_DISPLAY_MESSAGE
    assert "Traceback" not in result.stderr


def test_missing_xcb_libraries_name_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = {"libxcb-cursor.so.0", "libxcb-icccm.so.4"}
    monkeypatch.setattr(launch, "_can_load", lambda soname: soname not in missing)
    message = launch.preflight({"DISPLAY": ":0"})
    assert message is not None and message.count("\n") == 0
    assert "libxcb-cursor0 libxcb-icccm4" in message
    assert launch.preflight({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}) == message
    # Other platforms do not need the xcb libraries.
    assert launch.preflight({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert launch.preflight({"WAYLAND_DISPLAY": "wayland-0"}) is None


def test_a_display_with_all_libraries_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launch, "_can_load", lambda soname: True)
    assert launch.preflight({"DISPLAY": ":0"}) is None


def test_screenshot_hook_opens_the_file_and_saves_the_window(tmp_path: Path) -> None:
    script = tmp_path / "scene.fountain"
    script.write_text("Title: Night Shift\n\nINT. DINER - NIGHT\n\nA waitress pours coffee.\n")
    shot = tmp_path / "shot.png"
    env = _env(
        tmp_path,
        QT_QPA_PLATFORM="offscreen",
        LOGLINE_SCREENSHOT=str(shot),
        LOGLINE_SCREENSHOT_DELAY_MS="50",
    )
    result = _run(["-m", "logline", "gui", str(script)], env)
    assert result.returncode == 0, result.stderr
    assert shot.is_file() and shot.stat().st_size > 1000
