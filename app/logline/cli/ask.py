"""``logline ask FILE "question"``: one answer about a document, to stdout (for scripts).

The answer joins the document's latest conversation (``--new`` starts one, ``--conversation ID``
picks one), so a later ``logline chat`` or the window shows it. Progress and statistics go to
stderr; ``--json`` prints the result's fields instead of the text.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from logline.cli.console import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, ctrl_c_cancels, fail

log = logging.getLogger(__name__)


def add_parser(commands: Any) -> None:
    ask = commands.add_parser(
        "ask",
        help="ask one question about a document",
        description="One answer about FILE to stdout; the exchange is kept in its conversation.",
    )
    ask.add_argument("file", type=Path, help="the document (.fountain .fdx .pdf .txt)")
    ask.add_argument("question", help="the question, in quotes")
    add_chat_options(ask)
    ask.add_argument("--json", action="store_true", help="print the result as JSON")


def add_chat_options(parser: Any) -> None:
    parser.add_argument("--model", help="installed model id (default: the embedded model)")
    parser.add_argument("--conversation", type=int, help="continue this conversation (an id)")
    parser.add_argument("--new", action="store_true", help="start a new conversation")
    parser.add_argument("--max-tokens", type=int, help="longest answer (tokens; default 512)")


def run(args: argparse.Namespace) -> int:
    from logline.cli.chat_turns import Chat
    from logline.documents import DocumentError
    from logline.engine import CancelToken
    from logline.engine.worker import EngineThread
    from logline.messages import user_message
    from logline.store import StoreError

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
        except (DocumentError, StoreError, KeyError, ValueError) as exc:
            return fail(str(exc).strip("'\""))
        try:
            if args.json:
                sys.stdout = _Quiet(sys.stdout)
            with ctrl_c_cancels(cancel):
                result = chat.turn("ask", cancel, args.question)
        except Exception as exc:  # one sentence, like every CLI error
            log.debug("Ask failed", exc_info=True)
            return fail(user_message(exc))
        finally:
            if isinstance(sys.stdout, _Quiet):
                sys.stdout = sys.stdout.real
            chat.close()
    finally:
        worker.close()
    if result is None:
        return fail("the engine stopped without a result")
    if args.json:
        print(json.dumps(result_json(result), indent=2))
    if result.error is not None:
        return fail(user_message(result.error))
    return EXIT_INTERRUPTED if cancel.cancelled else EXIT_OK if result.text else EXIT_ERROR


class _Quiet:
    """stdout while --json streams nothing (the JSON is printed at the end)."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        self.real.flush()


def result_json(result: Any) -> dict[str, Any]:
    return {
        "conversation_id": result.conversation_id,
        "message_id": result.message_id,
        "text": result.text,
        "reason": result.reason,
        "source": result.source,
        "invalid_citations": result.invalid_citations,
        "unknown_names": result.unknown_names,
        "stats": result.stats.to_json() if result.stats else None,
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
