"""What ``logline chat`` and ``logline ask`` share: the document, the store, the session, and
one turn run on the engine thread with its answer streamed to stdout (checked as it streams)
and its progress to stderr."""

from __future__ import annotations

import logging
import sys
from typing import Any

from logline.cli.console import print_load_progress, print_prompt_progress

log = logging.getLogger(__name__)

FINISH_NOTES = {
    "length": "the answer reached its length limit and may be cut off",
    "repetition": "the model began repeating itself; the answer ends where it did",
    "stopped": "stopped; the partial answer is kept",
}


class Chat:
    """One document's conversation in the terminal (the engine runs on ``worker``)."""

    def __init__(self, store: Any, document: Any, session: Any, worker: Any, model_id: str | None):
        self.store = store
        self.document = document
        self.session = session
        self.worker = worker
        self.model_id = model_id
        self.interactive = sys.stderr.isatty()

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
        from logline.chat.session import ChatSession
        from logline.documents import load
        from logline.store import Store
        from logline.summarize.stored import register

        document = load(path)
        store = Store.open()
        record = register(store, document)
        if conversation is None and not new:
            existing = store.conversations.list(record.id)
            if existing:
                conversation = existing[0].id
                count = store.conversations.message_count(conversation)
                print(
                    f"Resuming “{existing[0].title}” ({count} messages; --new starts another).",
                    file=sys.stderr,
                )
        session = ChatSession.open(
            store, document, conversation_id=conversation, model_id=model or ""
        )
        return cls(store, document, session, worker, model)

    def close(self) -> None:
        self.store.close()

    def new_conversation(self) -> None:
        from logline.chat.session import ChatSession

        self.session = ChatSession.open(
            self.store, self.document, options=self.session.options, model_id=self.model_id or ""
        )

    def turn(self, action: str, cancel: Any, *args: Any) -> Any:
        """Run ``session.<action>(engine, model, *args, cancel, emit)`` on the engine thread,
        streaming the answer; the ``TurnResult``."""
        from logline.chat.events import AnswerText, TurnFinished
        from logline.models.registry import resolve_model
        from logline.summarize.citation_stream import CitationFilter
        from logline.summarize.names import for_summary
        from logline.summarize.names_stream import NameFilter

        question = args[0] if action == "ask" else (args[-1] if action == "edit" else "")
        citations = CitationFilter(self.document, "flag")
        names = NameFilter(for_summary(self.document, question), "flag")
        method = getattr(self.session, action)

        def job(engine: Any, token: Any, emit: Any) -> None:
            model = None
            answered_by_facts = action == "ask" and self.session.answers_from_facts(args[0])
            if not answered_by_facts:
                model = resolve_model(self.model_id)
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
                if shown:
                    sys.stdout.write(shown)
                    sys.stdout.flush()
                    wrote = True
            else:
                self.progress(event)
        tail = names.feed(citations.flush()) + names.flush()
        if tail or wrote:
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
        return result

    def progress(self, event: Any) -> None:
        from logline.chat.events import ContextUse, Notice, Reading
        from logline.engine import LoadProgress, ModelLoaded

        if isinstance(event, LoadProgress):
            print_load_progress(event, self.interactive)
        elif isinstance(event, ModelLoaded):
            log.info("Model %s loaded (%s)", event.model_id, event.precision)
        elif isinstance(event, Notice):
            print(f"Note: {event.message}", file=sys.stderr)
        elif isinstance(event, Reading) and (event.script or event.total > 256):
            if event.script and event.done == 0:
                print("Reading the script once (it is kept for next time)…", file=sys.stderr)
            print_prompt_progress(event, self.interactive)
        elif isinstance(event, ContextUse):
            log.info("Context: %s", event.one_line())
