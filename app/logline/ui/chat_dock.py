"""Puts the chat beside the summary: the pane, its presenter, the store, citations that jump
to the scene, and every summary the window writes kept in the store."""

from __future__ import annotations

import logging
from typing import Any

from logline.store import Store, StoreError
from logline.ui.chat_pane import ChatPane
from logline.ui.chat_presenter import ChatPresenter

log = logging.getLogger(__name__)


def open_store() -> Store | None:
    try:
        return Store.open()
    except StoreError as exc:
        log.warning("No store: %s", exc)
        return None


def build_chat(window: Any) -> ChatPresenter:
    """Create the chat pane in ``window`` (a ``MainWindow``) and wire it."""
    window.store = open_store()
    pane = ChatPane()
    presenter = ChatPresenter(pane, window.host, window.store, window.status, window)
    pane.view.sceneRequested.connect(window.document_view.show_scene)
    window.documentOpened.connect(presenter.open_document)
    window.summaryStarted.connect(lambda job: _keep_summaries(window, job))
    return presenter


def _keep_summaries(window: Any, job: Any) -> None:
    choice = window.model_picker.choice()
    document = window.document
    store = window.store
    if choice is None or document is None or store is None:
        return

    def keep(result: Any) -> None:
        if result is None or not getattr(result, "text", ""):
            return
        from logline.summarize.stored import register, save_summary

        try:
            record = register(store, document)
            save_summary(store, record.id, result, choice.model_id)
        except (OSError, StoreError) as exc:
            log.warning("The summary is not kept: %s", exc)

    job.success(keep)


def close_store(window: Any) -> None:
    if getattr(window, "store", None) is not None:
        window.store.close()
        window.store = None
