"""``logline ask FILE "question"``: one answer about a document, to stdout (for scripts).

The answer joins the document's latest conversation (``--new`` starts one, ``--conversation ID``
picks one), so a later ``logline chat`` or the window shows it. Progress and statistics go to
stderr; ``--json`` prints the result's fields instead of the text. ``--model NAME`` may name a
server entry (``logline servers add``) when no installed model has that name: the answer then
comes from that server, and stderr says where the text was sent.

Exit codes: 0 the answer ended by itself, 3 it ended early (the length limit or the model
repeating itself: the text is still printed), 130 stopped with Ctrl+C (the partial answer is
printed and kept), 1 an error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from logline.cli import bounds
from logline.cli.console import EXIT_INTERRUPTED, EXIT_OK, ctrl_c_cancels, fail

log = logging.getLogger(__name__)

# The answer ended early (length limit, repetition): printed and kept, but maybe incomplete.
EXIT_ENDED_EARLY = 3
ENDED_EARLY = ("length", "repetition")


def add_parser(commands: Any) -> None:
    ask = commands.add_parser(
        "ask",
        help="ask one question about a document",
        description="One answer about FILE to stdout; the exchange is kept in its conversation "
        "(the document's latest one unless --new or --conversation).",
        epilog="Exit codes: 0 answered; 3 the answer ended early (length limit or repetition; "
        "it is still printed); 130 stopped with Ctrl+C (the partial answer is kept); 1 error.",
    )
    ask.add_argument("file", type=Path, help="the document (.fountain .fdx .pdf .txt)")
    ask.add_argument("question", help="the question, in quotes")
    add_chat_options(ask)
    ask.add_argument("--json", action="store_true", help="print the result as JSON")


def add_chat_options(parser: Any) -> None:
    parser.add_argument(
        "--model",
        help="installed model id, or a server's name from `logline servers list` (an installed "
        "model of that name wins; default: the embedded model)",
    )
    parser.add_argument("--conversation", type=int, help="continue this conversation (an id)")
    parser.add_argument("--new", action="store_true", help="start a new conversation")
    parser.add_argument(
        "--max-tokens", type=bounds.max_tokens, help="longest answer (tokens; default 512)"
    )


def run(args: argparse.Namespace) -> int:
    from logline.cli.chat_turns import Chat, open_errors, turn_error
    from logline.engine import CancelToken
    from logline.engine.worker import EngineThread

    if not args.question.strip():
        return fail("the question is empty")
    worker = EngineThread()
    cancel = CancelToken()
    try:
        try:
            chat = Chat.open(
                args.file,
                model=args.model,
                conversation=args.conversation,
                new=args.new,
                worker=worker,
                max_tokens=args.max_tokens,
            )
        except open_errors() as exc:
            return fail(str(exc).strip("'\""))
        chat.echo = not args.json  # with --json, only the JSON goes to stdout
        try:
            with ctrl_c_cancels(cancel):
                result = chat.turn("ask", cancel, args.question)
        except Exception as exc:  # one sentence, like every CLI error
            log.debug("Ask failed", exc_info=True)
            if cancel.cancelled:  # Ctrl+C before the answer began (e.g. while taking notes)
                print("Stopped.", file=sys.stderr)
                return EXIT_INTERRUPTED
            return fail(turn_error(exc))
        finally:
            chat.close()
    finally:
        worker.close()
    if result is None:
        return fail("the engine stopped without a result")
    if args.json:
        print(json.dumps(result_json(result), indent=2))
    if result.error is not None or result.reason == "error":
        return fail(turn_error(result.error))
    if cancel.cancelled or result.reason == "stopped":
        return EXIT_INTERRUPTED
    if result.reason in ENDED_EARLY:
        return EXIT_ENDED_EARLY
    return EXIT_OK if result.text.strip() else fail("the model gave an empty answer")


def result_json(result: Any) -> dict[str, Any]:
    """The ``TurnResult``'s fields, its stats and its context use, as JSON."""
    from logline.cli.chat_turns import turn_error

    return {
        "conversation_id": result.conversation_id,
        "message_id": result.message_id,
        "text": result.text,
        "raw_text": result.raw_text,
        "reason": result.reason,
        "source": result.source,
        "invalid_citations": result.invalid_citations,
        "unknown_names": result.unknown_names,
        "stats": result.stats.to_json() if result.stats else None,
        "error": None if result.error is None else turn_error(result.error),
        "context": None
        if result.context is None
        else {
            "script": result.context.script,
            "history": result.context.history,
            "question": result.context.question,
            "reserve": result.context.reserve,
            "usable": result.context.usable,
            "script_mode": result.context.script_mode,
            "dropped_turns": result.context.dropped_turns,
        },
    }
