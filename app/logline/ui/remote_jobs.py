"""Summaries and chat turns on an inference server, as engine jobs of the window.

A choice with ``server`` set (:attr:`ModelChoice.is_remote`) is opened with
:func:`logline.models.server_model.open_server` on the engine thread (in submission order with
every other engine job) and handed to the core as the engine: ``summarize(remote, ...)`` for a
summary, ``ChatSession.ask/regenerate/edit(remote, entry, ...)`` for a chat turn. The local
``Engine`` is neither created nor loaded for it: these jobs are plain :class:`Job` objects on
the host's executor, not ``EngineHost.job`` work.

Errors reach the window as one sentence, never a traceback: an offline refusal, an entry that
lacks its context length, an unreachable server (``RemoteError``) become
:class:`ServerProblem`, a :class:`ModelError` whose message is written for users (so the log
keeps no traceback either: a server's words may quote the request). Stop cancels the job's
token; the remote engine notices within a fraction of a second and hangs up.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from logline.chat.events import TurnFinished
from logline.models.errors import ModelError
from logline.models.server_model import open_server
from logline.models.server_policy import OfflineRefusedError
from logline.models.servers import ServerEntry, ServerEntryError, get_server
from logline.summarize.events import SummaryFinished
from logline.ui.engine_jobs import StatusText, summary_work
from logline.ui.jobs import Job

if TYPE_CHECKING:
    from logline.chat.events import TurnResult
    from logline.chat.session import ChatSession
    from logline.documents import Document
    from logline.engine.cancel import CancelToken
    from logline.models.choice import ModelChoice
    from logline.summarize.result import SummaryResult
    from logline.summarize.runner import SummaryOptions
    from logline.ui.engine_worker import EngineHost
    from logline.ui.jobs import Emit

__all__ = ["ServerProblem", "plain_error", "remote_turn_job", "summary_job"]

log = logging.getLogger(__name__)

# A chat turn's work given the session, the remote engine and the server entry.
RemoteTurn = Callable[["ChatSession", Any, Any, "CancelToken", "Emit"], "TurnResult"]


class ServerProblem(ModelError):
    """A server could not be used or failed; the message is one sentence for people."""


def _server_errors() -> tuple[type[BaseException], ...]:
    from logline.engine.remote_http import RemoteError  # lazy: httpx

    return (RemoteError, OfflineRefusedError, ServerEntryError)


def plain_error(exc: BaseException | None) -> BaseException | None:
    """``exc`` as a :class:`ServerProblem` when it is a server's error, else unchanged."""
    if exc is None or isinstance(exc, ServerProblem):
        return exc
    if isinstance(exc, _server_errors()):
        return ServerProblem(str(exc))
    return exc


@contextlib.contextmanager
def _plain_raise() -> Iterator[None]:
    """A server's error raised inside becomes a :class:`ServerProblem`; others pass as they are."""
    try:
        yield
    except Exception as exc:
        plain = plain_error(exc)
        if plain is exc:
            raise
        raise plain from None


def _plain_events(emit: Emit) -> Emit:
    """``emit``, with a server's error in a summary's or a turn's end made plain."""

    def relay(event: object) -> None:
        if isinstance(event, SummaryFinished) and event.result.error is not None:
            event = SummaryFinished(replace(event.result, error=plain_error(event.result.error)))
        elif isinstance(event, TurnFinished) and event.result.error is not None:
            event = replace(
                event, result=replace(event.result, error=plain_error(event.result.error))
            )
        emit(event)

    return relay


def _open(choice: ModelChoice, emit: Emit) -> tuple[ServerEntry, Any]:
    """The choice's entry (read now: it may have changed) and its remote engine."""
    if choice.server is None:
        raise ValueError(f"{choice.label} is not on a server")
    try:
        entry = get_server(choice.server)
        emit(StatusText(f"Connecting to {entry.name}…"))
        return entry, open_server(entry)
    except (OfflineRefusedError, ServerEntryError) as exc:
        raise ServerProblem(str(exc)) from None


def summary_job(
    host: EngineHost, document: Document, choice: ModelChoice, options: SummaryOptions
) -> Job:
    """The window's summary job: on the server for a remote choice, else the local model."""
    if not choice.is_remote:
        return host.job(summary_work(document, choice, options), name="summary")

    def work(cancel: CancelToken, emit: Emit) -> SummaryResult:
        from logline.summarize.runner import summarize

        relay = _plain_events(emit)
        _entry, engine = _open(choice, relay)
        with _plain_raise():
            result = summarize(engine, document, cancel, relay, options)
        return replace(result, error=plain_error(result.error))

    return Job(work, name="summary", executor=host)


def remote_turn_job(
    host: EngineHost,
    session: ChatSession,
    choice: ModelChoice,
    turn: RemoteTurn,
    question: str | None,
) -> Job:
    """A chat turn on the server ``choice`` names (``question``: a new question, which the
    script facts may answer without the server, so without a connection)."""

    def work(cancel: CancelToken, emit: Emit) -> TurnResult:
        relay = _plain_events(emit)
        if question is not None and session.answers_from_facts(question):
            return turn(session, None, None, cancel, relay)  # the facts answer: no server
        entry, engine = _open(choice, relay)
        with _plain_raise():
            result = turn(session, engine, entry, cancel, relay)
        return replace(result, error=plain_error(result.error))

    return Job(work, name="chat turn", executor=host)
