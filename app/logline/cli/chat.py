"""``logline chat FILE``: a conversation about a document in the terminal.

Answers stream to stdout; Ctrl+C while an answer streams stops it (the partial answer is kept)
and Ctrl+C or Ctrl+D at the prompt leaves. Commands: ``/regenerate``, ``/edit [TEXT]``,
``/new``, ``/export [PATH]``, ``/help``, ``/quit``. With stdin not a terminal, questions are read
line by line until the end of input (scriptable). Everything is kept in the store: the window
and ``logline history`` show the same conversation. ``--model NAME`` may name a server entry
(see ``logline.cli.model_or_server``); the answers then come from that server.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from logline.cli.ask import add_chat_options
from logline.cli.console import EXIT_OK, ctrl_c_cancels, fail

log = logging.getLogger(__name__)

HELP = """Ask anything about the script. Commands:
  /regenerate     a new answer to the last question (the old one is kept as a branch)
  /edit [TEXT]    rewrite the last question (asks for the text when none is given)
  /delete         delete the last answer (its other branches are kept)
  /new            start a new conversation about this document
  /export [PATH]  write the conversation as Markdown to PATH (without one: to stdout)
  /help           this list
  /quit           leave (also Ctrl+D, or Ctrl+C at the prompt)
Ctrl+C while an answer streams stops it; the partial answer is kept."""


def add_parser(commands: Any) -> None:
    chat = commands.add_parser(
        "chat",
        help="talk about a document (interactive)",
        description="Ask questions about FILE; answers stream and the conversation is kept.",
    )
    chat.add_argument("file", type=Path, help="the document (.fountain .fdx .pdf .txt)")
    add_chat_options(chat)


def run(args: argparse.Namespace) -> int:
    from logline.cli.chat_turns import Chat, open_errors
    from logline.engine.worker import EngineThread

    worker = EngineThread()
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
        try:
            return _loop(chat)
        finally:
            chat.close()
    finally:
        worker.close()


def _prompt() -> str:
    """The next line typed at the prompt. The prompt goes to stdout only on a terminal, so
    ``logline chat FILE > answers.md`` keeps the answers alone in the file."""
    if sys.stdout.isatty():
        return input("› ")
    print("› ", end="", file=sys.stderr, flush=True)
    return input()


def _read(interactive: bool) -> str | None:
    try:
        line = _prompt() if interactive else sys.stdin.readline()
    except (EOFError, KeyboardInterrupt):
        return None
    if not interactive and line == "":
        return None
    return line.strip()


def _loop(chat: Any) -> int:
    from logline.cli.chat_turns import turn_error
    from logline.engine import CancelToken

    interactive = sys.stdin.isatty()
    if interactive:
        print(f"Talking about “{chat.document.title}”. /help for commands.", file=sys.stderr)
    while True:
        line = _read(interactive)
        if line is None:
            if interactive:
                print(file=sys.stderr)
            return EXIT_OK
        if not line:
            continue
        command, _, rest = line.partition(" ")
        if command in ("/quit", "/exit"):
            return EXIT_OK
        if command == "/help":
            print(HELP, file=sys.stderr)
            continue
        if command == "/new":
            chat.new_conversation()
            print(f"New conversation #{chat.session.conversation_id}.", file=sys.stderr)
            continue
        if command == "/export":
            _export(chat, rest.strip())
            continue
        if command == "/delete":
            _delete_last_answer(chat)
            continue
        action, values = _action(chat, command, rest, interactive)
        if action is None:
            continue
        cancel = CancelToken()
        try:
            with ctrl_c_cancels(cancel):
                result = chat.turn(action, cancel, *values)
        except Exception as exc:  # one sentence; the conversation goes on
            log.debug("Turn failed", exc_info=True)
            # Ctrl+C before the answer began (while the script's notes were taken) ends the
            # turn with the engine's cancel error: a stop, not a failure.
            print("Stopped." if cancel.cancelled else f"Error: {turn_error(exc)}", file=sys.stderr)
            continue
        if result is not None and result.reason == "error":
            print(f"Error: {turn_error(result.error)}", file=sys.stderr)


def _action(chat: Any, command: str, rest: str, interactive: bool) -> tuple[str | None, tuple]:
    thread = chat.session.thread()
    if command == "/regenerate":
        answer = next((m for m in reversed(thread) if m.role == "assistant"), None)
        if answer is None:
            print("Nothing to regenerate yet.", file=sys.stderr)
            return None, ()
        return "regenerate", (answer.id,)
    if command == "/edit":
        question = next((m for m in reversed(thread) if m.role == "user"), None)
        if question is None:
            print("No question to edit yet.", file=sys.stderr)
            return None, ()
        text = rest.strip()
        if not text:
            print(f"Was: {question.content}", file=sys.stderr)
            text = _read(interactive) or ""
        if not text:
            return None, ()
        return "edit", (question.id, text)
    if command.startswith("/"):
        print(f"Unknown command {command}; /help lists them.", file=sys.stderr)
        return None, ()
    return "ask", (f"{command} {rest}".strip(),)


def _delete_last_answer(chat: Any) -> None:
    answer = next((m for m in reversed(chat.session.thread()) if m.role == "assistant"), None)
    if answer is None:
        print("No answer to delete yet.", file=sys.stderr)
        return
    chat.store.messages.delete(answer.id)
    print("Deleted the last answer.", file=sys.stderr)


def _export(chat: Any, target: str) -> None:
    from logline.chat.export import conversation_markdown

    text = conversation_markdown(chat.store, chat.session.conversation_id)
    if not target:
        sys.stdout.write(text)
        return
    path = Path(target).expanduser()
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"Error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return
    print(f"Wrote {path}", file=sys.stderr)
