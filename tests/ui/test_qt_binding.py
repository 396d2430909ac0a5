"""The installed Qt binding keeps Python's ``None`` alive.

PySide6 6.12.0 on Python 3.10/3.11 (before ``None`` became immortal in 3.12) returned ``None``
from every void Qt call without a reference of its own: each ``setText``, ``insertBlock`` or
repaint took one reference from ``None`` for good, and Python aborted ("none_dealloc") after
a few minutes of streaming. ``pyproject.toml`` keeps that combination out; this test fails (or
its child process aborts) if it ever comes back.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.gui

CHILD = """
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
before = sys.getrefcount(None)
for _ in range(200_000):
    label.setText("x")
print(before - sys.getrefcount(None))
"""


def test_void_qt_calls_leave_none_its_references() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, f"Python aborted: {result.stderr[-500:]}"
    assert abs(int(result.stdout.strip())) < 100
