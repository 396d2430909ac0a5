"""``logline inspect FILE``: a document's structure (title, pages, scenes, characters)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from logline.cli.console import EXIT_OK, fail


def add_parser(commands: Any) -> None:
    inspect = commands.add_parser(
        "inspect", help="show a document's structure: title, pages, scenes, characters"
    )
    inspect.add_argument("file", type=Path, help="PDF, Fountain, Final Draft or text file")
    inspect.add_argument("--json", action="store_true", help="machine-readable output")
    inspect.add_argument(
        "--elements", action="store_true", help="with --json: include every element"
    )
    inspect.add_argument("--scenes", action="store_true", help="list every scene with its page")
    inspect.add_argument("--password", help="password of an encrypted PDF")


def run(args: argparse.Namespace) -> int:
    # lazy: keeps `logline --help` fast (the document readers)
    from logline.documents import DocumentError, load
    from logline.documents.outline import outline, outline_report

    try:
        document = load(args.file, password=args.password)
    except DocumentError as exc:
        return fail(str(exc))
    if args.json:
        print(json.dumps(outline(document, elements=args.elements), indent=2, ensure_ascii=False))
    else:
        print(outline_report(document, scenes=-1 if args.scenes else 0))
    return EXIT_OK
