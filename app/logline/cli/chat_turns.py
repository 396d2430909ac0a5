"""What ``logline chat`` and ``logline ask`` share: the document, the store, the session, and
one turn run on the engine thread with its answer streamed to stdout (checked as it streams)
and its progress to stderr. ``--model NAME`` may name a server entry
(:mod:`logline.cli.model_or_server`): the turns then run on its remote engine, still on the
engine thread, and stderr says where the text goes."""

from __future__ import annotations

import logging
import sys
from typing import Any

from logline.cli.console import (
    print_built_in_notice,
    print_load_progress,
    print_prompt_progress,
)

log = logging.getLogger(__name__)

FINISH_NOTES = {
    "length": "the answer reached its length limit and may be cut off",
    "repetition": "the model began repeating itself; the answer ends where it did",
    "stopped": "stopped; the partial answer is kept",
}


def _pick_conversation(store: Any, document_id: int, wanted: int | None, new: bool) -> int | None:
    """The conversation to continue: ``wanted`` (checked to be about this document), else the
    document's most recently updated one (said on stderr), or None for a new one."""
    if wanted is not None and new:
        raise ValueError("--new and --conversation do not go together")
    if wanted is not None:
        found = store.conversations.get(wanted)
        if found is None:
            raise ValueError(f"there is no conversation {wanted} (`logline history list`)")
        if found.document_id != document_id:
            raise ValueError(f"conversation {wanted} is about another document")
        return wanted
    if new:
        return None
    existing = store.conversations.list(document_id)
    if not existing:
        return None
    latest = existing[0]
    count = store.conversations.message_count(latest.id)
    print(
        f"Resuming conversation #{latest.id} “{latest.title}” ({count} messages; "
        "--new starts another).",
        file=sys.stderr,
    )
    return latest.id


def _note_model_switch(conversation: Any, wanted: str) -> None:
    """Say when a conversation continues with another model than its last answer's."""
    if conversation is not None and conversation.model and conversation.model != wanted:
        print(
            f"Note: this conversation was answered by {conversation.model}; the next answers "
            f"use {wanted}.",
            file=sys.stderr,
        )


def turn_error(exc: BaseException | None) -> str:
    """One sentence for a turn that failed (``exc`` may be None: a failure with no error)."""
    from logline.messages import user_message, written_for_users

    if exc is None:
        return "the answer failed"
    if written_for_users(exc):
        return user_message(exc)
    return f"the answer failed: {str(exc) or type(exc).__name__}"


def _local_name(model: str | None) -> str:
    from logline.models.registry import default_model_id

    return model or default_model_id()


class _Server:
    """The server entry ``--model`` named, opened as a remote engine (nothing connected yet)."""

    def __init__(self, entry: Any, engine: Any) -> None:
        self.entry = entry
        self.engine = engine
        self.label = str(engine.label)

    @classmethod
    def open(cls, name: str | None) -> _Server | None:
        """The server for ``--model NAME`` when NAME is a server entry and no local model;
        ``OfflineRefusedError`` or ``ServerEntryError`` (one sentence) when it cannot be used."""
        from logline.cli.model_or_server import resolve_model_or_server
        from logline.models.server_model import open_server
        from logline.models.servers import get_server

        where, found = resolve_model_or_server(name)
        if where != "server":
            return None
        entry = get_server(found)
        return cls(entry, open_server(entry))

    def announce(self) -> None:
        from logline.models.server_model import text_leaves_machine

        where = "another machine" if text_leaves_machine(self.entry) else "this machine"
        print(
            f"Answers come from {self.label}: the document and the questions are sent to "
            f"{self.entry.base_url} ({where}).",
            file=sys.stderr,
        )


def open_errors() -> tuple[type[BaseException], ...]:
    """What ``Chat.open`` raises for people (one sentence each): a document, the store, the
    model or server named, offline mode."""
    from logline.documents import DocumentError
    from logline.models.server_policy import OfflineRefusedError
    from logline.store import StoreError

    return (DocumentError, StoreError, KeyError, ValueError, OfflineRefusedError)


class Chat:
    """One document's conversation in the terminal (the engine runs on ``worker``)."""

    def __init__(
        self,
        store: Any,
        document: Any,
        session: Any,
        worker: Any,
        model_id: str | None,
        server: Any = None,
    ):
        self.store = store
        self.document = document
        self.session = session
        self.worker = worker
        self.model_id = model_id
        self.server = server  # a ``_Server`` when --model names a server entry, else None
        self.interactive = sys.stderr.isatty()
        self.echo = True  # stream answers to stdout (``ask --json`` prints only its JSON)
        self.started: list[int] = []  # conversations this run created
        self.built_in_noted = False  # the built-in model's notice is printed once per run

    @classmethod
    def open(
        cls,
        path: Any,
        *,
        model: str | None,
        conversation: int | None,
        new: bool,
        worker: Any,
        max_tokens: int | None = None,
    ) -> Chat:
        from logline.chat.session import ChatOptions, ChatSession
        from logline.documents import load
        from logline.store import Store
        from logline.summarize.stored import register

        if max_tokens is not None and max_tokens < 1:
            raise ValueError("--max-tokens must be at least 1")
        server = _Server.open(model)  # offline mode is checked here, before any connection
        model = None if server is not None else model  # a server's turns name no local model
        answered_by = server.label if server is not None else (model or "")
        options = ChatOptions() if max_tokens is None else ChatOptions(answer_tokens=max_tokens)
        document = load(path)
        store = Store.open()
        try:
            record = register(store, document)
            conversation = _pick_conversation(store, record.id, conversation, new)
            session = ChatSession.open(
                store, document, conversation_id=conversation, options=options, model_id=answered_by
            )
        except BaseException:
            store.close()
            raise
        chat = cls(store, document, session, worker, model, server)
        if server is not None:
            server.announce()
        if conversation is not None:
            _note_model_switch(
                store.conversations.get(conversation), answered_by or _local_name(model)
            )
        else:
            chat.started.append(session.conversation_id)
            print(f"New conversation #{session.conversation_id}.", file=sys.stderr)
        return chat

    def close(self) -> None:
        """Close the store, deleting the conversations this run started and never used (a
        failed ``ask``, a chat left before its first question)."""
        try:
            for conversation_id in self.started:
                if self.store.conversations.message_count(conversation_id) == 0:
                    self.store.conversations.delete(conversation_id)
        finally:
            self.store.close()

    def new_conversation(self) -> None:
        from logline.chat.session import ChatSession

        answered_by = self.server.label if self.server else (self.model_id or "")
        self.session = ChatSession.open(
            self.store, self.document, options=self.session.options, model_id=answered_by
        )
        self.started.append(self.session.conversation_id)

    def turn(self, action: str, cancel: Any, *args: Any) -> Any:
        """Run ``session.<action>(engine, model, *args, cancel, emit)`` on the engine thread,
        streaming the answer; the ``TurnResult``."""
        from logline.chat.events import AnswerText, TurnFinished
        from logline.models.registry import resolve_model
        from logline.summarize.citation_stream import CitationFilter
        from logline.summarize.names import for_summary
        from logline.summarize.names_stream import NameFilter

        question = self._question_of(action, args)
        citations = CitationFilter(self.document, "flag")
        names = NameFilter(for_summary(self.document, question), "flag")
        method = getattr(self.session, action)
        needs_model = not self.session.answers_from_facts(question)

        server = self.server

        def job(engine: Any, token: Any, emit: Any) -> None:
            if server is not None:  # on the engine thread all the same, one turn at a time
                method(server.engine, server.entry, *args, token, emit)
                return
            # A parser question is answered from the facts: no model is resolved or loaded.
            model = resolve_model(self.model_id) if needs_model else None
            method(engine, model, *args, token, emit)

        result = None
        wrote = False
        retracted = False
        for event in self.worker.stream(job, cancel):
            if isinstance(event, TurnFinished):
                result = event.result
            elif isinstance(event, AnswerText):
                retracted = retracted or bool(event.retract)
                shown = names.feed(citations.feed(event.text))
                if shown and self.echo:
                    sys.stdout.write(shown)
                    sys.stdout.flush()
                    wrote = True
            else:
                self.progress(event)
        tail = names.feed(citations.flush()) + names.flush()
        if (tail or wrote) and self.echo:
            sys.stdout.write(tail + "\n")
            sys.stdout.flush()
        if result is not None:
            note = FINISH_NOTES.get(result.reason)
            if retracted and result.reason != "repetition":
                note = "the end of the answer repeated itself and was cut (see /export)"
            if note:
                print(f"Note: {note}.", file=sys.stderr)
            if result.stats is not None:
                print(f"[{result.reason}] {result.stats.one_line()}", file=sys.stderr)
            elif result.source == "facts":
                print(f"[{result.reason}] answered from the script facts", file=sys.stderr)
        return result

    def _question_of(self, action: str, args: tuple[Any, ...]) -> str:
        """The question a turn answers: asked, rewritten, or the one a regenerated answer
        replies to."""
        if action == "ask":
            return str(args[0])
        if action == "edit":
            return str(args[-1])
        answer = self.store.messages.get(args[0])
        parent = self.store.messages.get(answer.parent_id) if answer and answer.parent_id else None
        return parent.content if parent is not None else ""

    def progress(self, event: Any) -> None:
        from logline.chat.events import ContextUse, Notice, Reading
        from logline.engine import LoadProgress, ModelLoaded

        if isinstance(event, LoadProgress):
            print_load_progress(event, self.interactive)
        elif isinstance(event, ModelLoaded):
            log.info("Model %s loaded (%s)", event.model_id, event.precision)
            if not self.built_in_noted:
                self.built_in_noted = print_built_in_notice(event.model_id)
        elif isinstance(event, Notice):
            print(f"Note: {event.message}", file=sys.stderr)
        elif isinstance(event, Reading) and (event.script or event.total > 256):
            if event.script and event.done == 0:
                print("Reading the script once (it is kept for next time)…", file=sys.stderr)
            print_prompt_progress(event, self.interactive)
        elif isinstance(event, ContextUse):
            log.info("Context: %s", event.one_line())
