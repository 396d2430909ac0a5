"""Run Logline's entry point in a subprocess that fails on any network use (test helper)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# Python's audit hooks see every socket connect and name lookup made from Python code.
NO_NETWORK_MAIN = (
    "import sys\n"
    "def _deny(event, args):\n"
    "    if event in ('socket.connect', 'socket.getaddrinfo', 'socket.gethostbyname'):\n"
    "        sys.stderr.write('NETWORK ATTEMPT: %s %r\\n' % (event, args))\n"
    "        raise OSError('network use is forbidden in this test')\n"
    "sys.addaudithook(_deny)\n"
    "from logline.__main__ import main\n"
    "sys.exit(main())\n"
)


def offline_env(home: Path) -> dict[str, str]:
    """The current environment with a private LOGLINE_HOME and the hub in offline mode."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGLINE_", "HF_"))}
    env.update(LOGLINE_HOME=str(home), HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-c", NO_NETWORK_MAIN, *args]


def run(home: Path, *args: str, timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(*args),
        capture_output=True,
        text=True,
        env=offline_env(home),
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        **kwargs,
    )
