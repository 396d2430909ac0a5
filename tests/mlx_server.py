"""A real ``mlx_lm.server`` (the installed mlx-lm) on 127.0.0.1 for the remote tests.

``start_server(model_dir, log_path)`` runs ``python -m mlx_lm.server`` on a free port with the
given model folder (``HF_HUB_OFFLINE=1``: the request's ``model`` never triggers a download) and
returns once it answers ``/v1/models``; it calls ``pytest.skip`` with the reason when the server
cannot start. ``MlxServer.stop`` kills it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

STARTUP_TIMEOUT_S = 90.0


class MlxServer:
    def __init__(self, process: subprocess.Popen[bytes], url: str, model: str) -> None:
        self.process, self.url, self.model = process, url, model

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def start_server(model_dir: Path, log_path: Path) -> MlxServer:
    """``python -m mlx_lm.server`` on a free port, ready (or ``pytest.skip`` with the reason)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # An empty hub cache of its own: without one, mlx_lm.server's /v1/models sends an empty body.
    cache = log_path.parent / "hub-cache"
    cache.mkdir(exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache)}
    command = [sys.executable, "-m", "mlx_lm.server", "--model", str(model_dir)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log = log_path.open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-400:]
            pytest.skip(f"mlx_lm.server exited at startup ({process.returncode}): {tail}")
        try:
            if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                return MlxServer(process, url, str(model_dir.resolve()))
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    pytest.skip(f"mlx_lm.server did not answer within {STARTUP_TIMEOUT_S:.0f} s")
