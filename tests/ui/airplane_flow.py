"""The whole app flow under an audit hook that records every network attempt (test helper).

Run as a script (audit hooks cannot be removed, so each flow gets its own process)::

    python airplane_flow.py SCRIPT MODEL_DIR REPORT.json

It installs the hook first, then drives the real window offscreen: installs ``MODEL_DIR`` into
the model cache, opens ``SCRIPT``, summarizes it, asks one chat question, lists the models (the
picker and ``logline models list``), opens the Models window (refresh, then tries a download and
Check Again where they are offered) and Settings, and closes everything. The report (JSON) holds
every recorded attempt and what each step showed, with its time.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

NETWORK_EVENTS = (
    "socket.connect",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.sendto",
)
attempts: list[dict[str, str]] = []


def _record(event: str, args: tuple[Any, ...]) -> None:
    if event in NETWORK_EVENTS:
        target = args[1] if event in ("socket.connect", "socket.sendto") else args[0]
        attempts.append({"event": event, "target": repr(target)})


sys.addaudithook(_record)

# Imported after the hook: whatever they do at import time is recorded too.
from PySide6.QtCore import QEventLoop  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from logline import paths  # noqa: E402
from logline.chat.session import ChatOptions  # noqa: E402
from logline.config import effective_settings  # noqa: E402
from logline.engine import SamplingParams  # noqa: E402
from logline.models.folder_import import import_model_folder  # noqa: E402

MODEL_ID = "tiny-airplane"
STEP_TIMEOUT_S = 240.0  # the first summary imports MLX and loads the model
NETWORK_STEP_TIMEOUT_S = 30.0
DOWNLOAD_ID = "llama-3.2-1b-instruct"  # a small catalog model that is not on this computer


def wait_until(app: QApplication, condition: Any, timeout_s: float, what: str) -> float:
    """Spin the event loop until ``condition()``; the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"{what}: not done within {timeout_s:g} s")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)
    return time.monotonic() - started


def run(script: Path, model_dir: Path) -> dict[str, Any]:
    from logline.cli import main as cli_main
    from logline.ui.main_window import MainWindow
    from logline.ui.settings_dialog import open_settings

    report: dict[str, Any] = {"offline": effective_settings().offline, "steps": {}}
    steps = report["steps"]
    app = QApplication.instance() or QApplication(["logline-airplane"])
    installed = import_model_folder(
        model_dir, paths.models_dir(), model_id=MODEL_ID, display_name="Tiny Airplane"
    )
    window = MainWindow(
        sampling=SamplingParams(max_tokens=24),
        chat_options=ChatOptions(answer_tokens=24, facts_answers=False),
    )
    window.show()
    try:
        window.set_model(MODEL_ID, paths.models_dir() / installed.model_id, "Tiny Airplane")

        opened: list[object] = []
        window.documentOpened.connect(opened.append)
        window.documentFailed.connect(opened.append)
        assert window.open_file(script)
        seconds = wait_until(app, lambda: opened, STEP_TIMEOUT_S, "opening the script")
        steps["open"] = {"seconds": seconds, "title": window.windowTitle()}
        assert not isinstance(opened[0], str), opened[0]

        finished: list[Any] = []
        window.presenter.finished.connect(finished.append)
        window.summarize()
        seconds = wait_until(app, lambda: finished, STEP_TIMEOUT_S, "the summary")
        result = finished[0]
        steps["summary"] = {
            "seconds": seconds,
            "reason": result.reason,
            "error": None if result.error is None else str(result.error),
            "characters": len(result.text),
        }

        turns: list[Any] = []
        window.chat.turnFinished.connect(turns.append)
        window.chat_pane.composer.edit.setPlainText("Who is in the first scene?")
        window.chat_pane.composer.edit.submit()
        seconds = wait_until(app, lambda: turns, STEP_TIMEOUT_S, "the chat answer")
        steps["chat"] = {"seconds": seconds, "reason": turns[0].reason, "text": turns[0].text}

        window.model_picker.refresh()
        picker = [window.model_picker.itemText(i) for i in range(window.model_picker.count())]
        code = cli_main(["models", "list"])
        steps["models"] = {"picker": picker, "cli_exit": code}

        dialog = window.open_models_dialog()
        dialog.refresh()
        steps["models_dialog"] = {"rows": len(dialog.rows), "message": dialog.message.text()}
        _try_download(app, dialog, steps)

        settings = open_settings(window)
        wait_until(app, settings.isVisible, NETWORK_STEP_TIMEOUT_S, "the Settings window")
        steps["settings"] = {"visible": True}
        settings.close()
        dialog.shutdown(5)
        dialog.close()
    finally:
        window.close()
        window.host.shutdown()
        window.loader.shutdown()
    return report


def _try_download(app: QApplication, dialog: Any, steps: dict[str, Any]) -> None:
    """Download a catalog model and, where it is offered, Check Again: each must say why it
    cannot, within its timeout."""
    downloads = dialog.downloads
    assert dialog.select_model(DOWNLOAD_ID), DOWNLOAD_ID
    step: dict[str, Any] = {"enabled": downloads.download_button.isEnabled()}
    step["tooltip"] = downloads.download_button.toolTip()
    ended: list[str] = []
    dialog.downloadEnded.connect(ended.append)
    started = time.monotonic()
    refused_at_once = not downloads.start(dialog.selected_row())
    if not refused_at_once:
        wait_until(app, lambda: ended, NETWORK_STEP_TIMEOUT_S, "the download")
    step.update(
        seconds=time.monotonic() - started,
        refused_at_once=refused_at_once,
        ended=ended[:1],
        message=dialog.message.text(),
    )
    steps["download"] = step
    if downloads.check_button.isVisibleTo(dialog):
        started = time.monotonic()
        downloads.check_button.click()
        wait_until(app, lambda: downloads.check_job is None, NETWORK_STEP_TIMEOUT_S, "Check Again")
        steps["check_again"] = {
            "seconds": time.monotonic() - started,
            "message": dialog.message.text(),
        }


if __name__ == "__main__":
    out = Path(sys.argv[3])
    data = run(Path(sys.argv[1]), Path(sys.argv[2]))
    data["attempts"] = attempts
    out.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    sys.stdout.flush()
    import os

    os._exit(0)  # like the app: no interpreter finalization after the MLX thread (see __main__)
