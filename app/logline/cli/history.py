"""``logline history list [FILE] | show ID | export ID --format md|json [-o PATH] | forget FILE``.

What the store keeps: documents, their conversations (ids, titles, message counts), a
conversation's shown branch, an export, and forgetting a document with everything about it
(summaries, conversations, prompt caches).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from logline.cli.console import EXIT_OK, fail
from logline.units import format_bytes


def add_parser(commands: Any) -> None:
    history = commands.add_parser(
        "history",
        help="conversations and summaries Logline keeps",
        description="List, show, export or forget what Logline keeps about documents.",
    )
    actions = history.add_subparsers(dest="history_command", metavar="ACTION")
    listing = actions.add_parser("list", help="documents and their conversations")
    listing.add_argument("file", nargs="?", type=Path, help="only this document")
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="a conversation's shown branch, as Markdown")
    show.add_argument("id", type=int)
    export = actions.add_parser("export", help="a conversation as Markdown or JSON (all branches)")
    export.add_argument("id", type=int)
    export.add_argument("--format", choices=("md", "json"), default="md")
    export.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    forget = actions.add_parser("forget", help="delete everything kept about a document")
    forget.add_argument("file", type=Path)
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def run(args: argparse.Namespace) -> int:
    from logline.store import Store, StoreError

    action = getattr(args, "history_command", None)
    if action is None:
        return fail("say what to do: logline history list | show ID | export ID | forget FILE")
    try:
        store = Store.open()
    except StoreError as exc:
        return fail(str(exc))
    try:
        return {"list": _list, "show": _show, "export": _export, "forget": _forget}[action](
            store, args
        )
    except KeyError as exc:
        return fail(str(exc).strip("'\""))
    finally:
        store.close()


def _count(number: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{number} {noun if number == 1 else plural}"


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _documents_of(store: Any, path: Path | None) -> list[Any]:
    if path is None:
        return store.documents.list()
    from logline.documents import DocumentError, load
    from logline.summarize.stored import content_hash

    try:
        found = store.documents.by_hash(content_hash(load(path)))
    except DocumentError:
        found = None
    return [found] if found else store.documents.by_path(path.resolve())


def _list(store: Any, args: argparse.Namespace) -> int:
    documents = _documents_of(store, args.file)
    data = []
    for document in documents:
        conversations = store.conversations.list(document.id)
        data.append(
            {
                "document_id": document.id,
                "title": document.title,
                "path": str(document.path),
                "summaries": len(store.summaries.list(document.id)),
                "conversations": [
                    {
                        "id": c.id,
                        "title": c.title,
                        "messages": store.conversations.message_count(c.id),
                        "model": c.model,
                        "updated": c.updated,
                    }
                    for c in conversations
                ],
            }
        )
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    if not data:
        print("Nothing kept yet." if args.file is None else f"Nothing kept about {args.file}.")
        return EXIT_OK
    for item in data:
        print(f"{item['title']}  ({item['path']}; {_count(item['summaries'], 'summary')})")
        for c in item["conversations"]:
            print(
                f"  #{c['id']:<5} {c['title']}  "
                f"({_count(c['messages'], 'message')}, {_when(c['updated'])})"
            )
    return EXIT_OK


def _show(store: Any, args: argparse.Namespace) -> int:
    from logline.chat.export import conversation_markdown

    sys.stdout.write(conversation_markdown(store, args.id))
    return EXIT_OK


def _export(store: Any, args: argparse.Namespace) -> int:
    from logline.chat.export import conversation_json, conversation_markdown

    if args.format == "json":
        text = json.dumps(conversation_json(store, args.id), indent=2) + "\n"
    else:
        text = conversation_markdown(store, args.id)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    print(f"Wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def _forget(store: Any, args: argparse.Namespace) -> int:
    documents = _documents_of(store, args.file)
    if not documents:
        print(f"Nothing kept about {args.file}.", file=sys.stderr)
        return EXIT_OK
    for document in documents:
        conversations = store.conversations.list(document.id)
        summaries = store.summaries.list(document.id)
        what = (
            f"{_count(len(summaries), 'summary')} and {_count(len(conversations), 'conversation')}"
        )
        if not args.yes:
            if not sys.stdin.isatty():
                return fail(f"forgetting {document.title} ({what}) needs --yes when not asked")
            try:
                answer = input(f"Forget “{document.title}”: {what}? [y/N] ").strip().lower()
            except EOFError:  # Ctrl+D: no
                answer = ""
            if answer not in ("y", "yes"):
                print("Nothing deleted.", file=sys.stderr)
                return EXIT_OK
        freed = store.forget_document(document.id)
        print(f"Forgot “{document.title}”: {what}, {format_bytes(freed)} of prompt caches.")
    return EXIT_OK
