"""One sentence for every error shown to a user, in the GUI and the CLI alike.

The core's own errors (:class:`~logline.models.errors.ModelError`,
:class:`~logline.documents.DocumentError`) already carry a message written for users; they are
shown as they are, with a few download failures given a short lead-in. Anything else is a bug or
an environment problem: it is named after what was being done (``action``) so the user knows
which step failed, and :func:`written_for_users` tells loggers to keep its traceback.
"""

from __future__ import annotations

import sys
from typing import Literal

from logline.documents import DocumentError
from logline.models.errors import (
    DownloadTimeoutError,
    IntegrityError,
    ModelError,
    ModelNotDownloadedError,
)

__all__ = ["Action", "user_message", "written_for_users"]

Action = Literal["summary", "download", "import"]

# What failed, for an error that carries no message of its own.
_FAILED = {
    "summary": "Summarizing failed",
    "download": "The download failed",
    "import": "The import failed",
}
# What could not be written, for an OSError while writing models to disk.
_NOT_WRITTEN = {
    "download": "The download could not be written to disk",
    "import": "The model could not be written to disk",
}


def written_for_users(exc: BaseException) -> bool:
    """True for errors whose message is written for users (a log needs no traceback): the
    core's own, and a server's (``RemoteError``, whose words may quote the request, so its
    traceback must not reach a log either; offline mode's refusal)."""
    return isinstance(exc, (ModelError, DocumentError, ValueError, *_server_errors()))


def _server_errors() -> tuple[type[BaseException], ...]:
    """The remote engine's error classes, without importing it (and httpx) when nothing has:
    no such error can exist before its module is loaded."""
    errors: list[type[BaseException]] = []
    for module, name in (
        ("logline.engine.remote_http", "RemoteError"),
        ("logline.models.server_policy", "OfflineRefusedError"),
    ):
        loaded = sys.modules.get(module)
        if loaded is not None:
            errors.append(getattr(loaded, name))
    return tuple(errors)


def user_message(exc: BaseException, action: Action = "summary") -> str:
    """The sentence to show for ``exc``, raised while doing ``action``."""
    if action == "download":
        if isinstance(exc, ModelNotDownloadedError):
            return f"Offline: connect to download. {exc}"
        said = any(words in str(exc) for words in ("stopped answering", "too slowly"))
        if isinstance(exc, DownloadTimeoutError) and not said:
            return f"The server stopped answering. {exc}"
        if isinstance(exc, IntegrityError):
            return f"A downloaded file failed its checksum check. {exc}"
    if action == "summary" and written_for_users(exc):
        return str(exc)
    if isinstance(exc, (ModelError, DocumentError)):
        return str(exc)
    if isinstance(exc, OSError) and action in _NOT_WRITTEN:
        return f"{_NOT_WRITTEN[action]}: {exc.strerror or exc}"
    return f"{_FAILED[action]}: {str(exc) or type(exc).__name__}"
