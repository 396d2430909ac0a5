"""``logline prompts export``: copy the prompt templates where the user can edit them."""

from __future__ import annotations

import argparse
from typing import Any

from logline.cli.console import EXIT_OK


def add_parser(commands: Any) -> None:
    prompts = commands.add_parser("prompts", help="the prompt templates of the summary modes")
    prompt_commands = prompts.add_subparsers(
        dest="prompts_command", metavar="ACTION", required=True
    )
    export = prompt_commands.add_parser(
        "export", help="copy the prompt templates where you can edit them (used from then on)"
    )
    export.add_argument("--force", action="store_true", help="overwrite copies already there")


def run(args: argparse.Namespace) -> int:
    from logline.summarize.prompt_files import export_prompts  # lazy: keeps `logline --help` fast

    folder = export_prompts(overwrite=args.force)
    print(f"The prompt templates are in {folder}; edit them there (delete a file to go back).")
    return EXIT_OK
