"""Puts the chat beside the summary: the store the window opens once, the chat presenter and
citations that jump to the scene. (Every summary the window writes is kept in the store as it
streams by ``summary_keeper``, wired with the History tab.)"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from logline.store import Store, StoreError
from logline.ui.chat_presenter import ChatPresenter

if TYPE_CHECKING:
    from logline.chat.session import ChatOptions

__all__ = ["build_chat", "close_store", "open_store"]

log = logging.getLogger(__name__)


def open_store(tell: Callable[[str], None]) -> Store | None:
    """The store in the data folder, or None (with the reason told) when it cannot be opened:
    the window still summarizes, only conversations are off."""
    try:
        return Store.open()
    except (StoreError, OSError) as exc:
        log.warning("The store could not be opened: %s", type(exc).__name__)
        tell(f"Conversations are off: {exc}")
        return None


def build_chat(window: Any, options: ChatOptions | None = None) -> ChatPresenter:
    """Open the store for ``window`` (a ``MainWindow`` whose ``chat_pane`` is built) and wire
    the chat pane to it."""
    window.store = open_store(window.show_error)
    presenter = ChatPresenter(
        window.chat_pane,
        window.host,
        window.store,
        status=window.status.message,
        tell=window.show_error,
        options=options,
        parent=window,
    )
    window.chat_pane.view.sceneRequested.connect(window.document_view.show_scene)
    return presenter


def close_store(window: Any) -> None:
    if getattr(window, "store", None) is not None:
        window.store.close()
        window.store = None
