"""One sentence for every error shown to a user (logline.messages)."""

from __future__ import annotations

import errno

from logline.documents import DocumentError
from logline.messages import user_message, written_for_users
from logline.models.errors import (
    DownloadTimeoutError,
    IntegrityError,
    ModelImportError,
    ModelNotDownloadedError,
)


def test_errors_written_for_users_are_shown_as_they_are() -> None:
    for action in ("summary", "download", "import"):
        assert user_message(ModelImportError("That file is cut short."), action) == (
            "That file is cut short."
        )
        assert user_message(DocumentError("Not a screenplay."), action) == "Not a screenplay."
    assert user_message(ValueError("Context too small.")) == "Context too small."
    assert written_for_users(ValueError("x")) and not written_for_users(RuntimeError("x"))


def test_other_errors_name_the_step_that_failed() -> None:
    assert user_message(RuntimeError("boom")) == "Summarizing failed: boom"
    assert user_message(RuntimeError("boom"), "download") == "The download failed: boom"
    assert user_message(RuntimeError(), "import") == "The import failed: RuntimeError"
    assert user_message(ValueError("bad"), "download") == "The download failed: bad"


def test_disk_errors_say_what_could_not_be_written() -> None:
    full = OSError(errno.ENOSPC, "No space left on device")
    assert user_message(full, "download") == (
        "The download could not be written to disk: No space left on device"
    )
    assert user_message(full, "import") == (
        "The model could not be written to disk: No space left on device"
    )
    assert user_message(full).startswith("Summarizing failed: ")


def test_download_failures_get_a_lead_in() -> None:
    assert user_message(ModelNotDownloadedError("Not here."), "download") == (
        "Offline: connect to download. Not here."
    )
    assert user_message(DownloadTimeoutError("No bytes for 30 s."), "download") == (
        "The server stopped answering. No bytes for 30 s."
    )
    said = DownloadTimeoutError("The hub stopped answering.")
    assert user_message(said, "download") == "The hub stopped answering."
    assert user_message(IntegrityError("model.safetensors"), "download") == (
        "A downloaded file failed its checksum check. model.safetensors"
    )
    assert user_message(ModelNotDownloadedError("Not here.")) == "Not here."


def test_a_servers_errors_are_shown_as_they_are_and_logged_without_traceback() -> None:
    from logline.engine.remote_http import RemoteError
    from logline.models import servers
    from logline.models.server_policy import OfflineRefusedError

    refused = OfflineRefusedError("Offline mode is on and the server 'x' is not allowed.")
    failed = RemoteError("The server at http://10.0.0.5:8080/v1 stopped answering.")
    for exc in (refused, failed, servers.ServerEntryError("There is no server called 'x'.")):
        assert written_for_users(exc)
        assert user_message(exc) == str(exc)
