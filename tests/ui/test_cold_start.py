"""Cold start: the real app (``python -m logline``, a new process, offscreen) paints its first
window without importing MLX, mlx-lm or pypdf; they load when first needed (a model, a PDF).

The app reports its first paint through the ``LOGLINE_REPORT_FIRST_PAINT`` hook of
``logline.ui.launch`` (which also quits); ``bench/bench_gui.py`` times the same start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="offscreen Qt on Linux"),
]

HEAVY_MODULES = ("mlx", "mlx_lm", "pypdf")


def test_first_window_paints_without_the_heavy_modules(tmp_path: Path) -> None:
    report = tmp_path / "first-paint.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        LOGLINE_HOME=str(tmp_path / "home"),
        LOGLINE_REPORT_FIRST_PAINT=str(report),
    )
    result = subprocess.run(
        [sys.executable, "-m", "logline"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    painted = json.loads(report.read_text(encoding="utf-8"))
    assert painted["first_paint_unix"] > 0
    modules = set(painted["modules"])
    assert "PySide6" in modules and "logline" in modules  # the report sees the app's imports
    assert not modules & set(HEAVY_MODULES), sorted(modules & set(HEAVY_MODULES))
