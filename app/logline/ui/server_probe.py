"""The capability probe the Models window runs (Test, Add…), on a job thread, and its message.

``logline servers test`` in a function: ``/v1/models`` and a one-token request
(:func:`logline.engine.remote.probe`), its error one sentence (:class:`ServerProblem`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel

from logline.models import servers
from logline.models.servers import ServerEntry
from logline.ui.remote_jobs import ServerProblem
from logline.ui.theme import DARK, LIGHT

__all__ = ["PROBE_TIMEOUT_S", "real_probe", "show_level"]

PROBE_TIMEOUT_S = 10.0


def real_probe(entry: ServerEntry, token: str | None = None) -> dict[str, Any]:
    """The capability probe, as ``logline servers test`` runs it (job thread), with ``token``
    or else the entry's stored one."""
    from logline.engine.remote import RemoteError, probe  # lazy: httpx

    try:
        found = probe(
            entry.base_url,
            token=token or servers.get_server_token(entry.name),
            model=entry.model,
            timeout_s=PROBE_TIMEOUT_S,
        )
    except RemoteError as exc:  # one sentence, and no traceback in the log
        raise ServerProblem(str(exc)) from None
    result: dict[str, Any] = found.to_json()
    return result


def show_level(label: QLabel, text: str, *, error: bool = False) -> None:
    """``text`` in ``label``, an error in the theme's error colour (as the Models window does)."""
    label.setProperty("level", "error" if error else "info")
    dark = label.palette().color(QPalette.ColorRole.Window).lightness() < 128
    label.setStyleSheet(f"color: {(DARK if dark else LIGHT).error_text};" if error else "")
    label.setText(text)
