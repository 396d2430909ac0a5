"""The ``logline`` command line: its parser and ``main``, which hands each command to its module.

Every subcommand module has ``add_parser(commands)`` (its flags) and a ``run(args)`` that returns
the exit code. They import their heavy dependencies inside ``run``, so building the parser (and
``logline --help``) loads no model, document or MLX code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from logline import __version__, paths
from logline.cli import ask, chat, history, inspect, models, prompts, servers, summarize
from logline.cli.console import EXIT_INTERRUPTED, EXIT_USAGE, configure_logging, fail
from logline.cli.terminal_text import safe_streams

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "summarize": summarize.run,
    "models": models.run,
    "inspect": inspect.run,
    "prompts": prompts.run,
    "chat": chat.run,
    "ask": ask.run,
    "history": history.run,
    "servers": servers.run,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="logline",
        description="Summarize screenplays and documents with local LLMs. "
        "Run without arguments to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"logline {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    summarize.add_parser(commands)
    chat.add_parser(commands)
    ask.add_parser(commands)
    history.add_parser(commands)
    prompts.add_parser(commands)
    inspect.add_parser(commands)
    _add_gui_parser(commands)
    models.add_parser(commands)
    servers.add_parser(commands)
    return parser


def _add_gui_parser(commands: Any) -> None:
    gui = commands.add_parser("gui", help="open the app window (the default without arguments)")
    gui.add_argument(
        "files",
        nargs="*",
        type=Path,
        help="documents to open; two or more are summarized one after another (a queue). "
        "`logline FILE…` is short for `logline gui FILE…`",
    )


def files_mean_gui(argv: Sequence[str]) -> list[str]:
    """``logline a.fountain b.fountain`` means ``logline gui a.fountain b.fountain``: a first
    argument that is no command but names a file (one that exists, or a name with an extension)
    opens the app with the files. The ``-psn_…`` argument old macOS versions add is dropped."""
    args = [arg for arg in argv if not arg.startswith("-psn_")]
    for index, arg in enumerate(args):
        if arg == "--":
            return args
        if arg.startswith("-"):
            continue
        if arg in _COMMANDS or arg == "gui":
            return args
        looks_like_a_file = bool(Path(arg).suffix) or Path(arg).exists()
        return [*args[:index], "gui", *args[index:]] if looks_like_a_file else args
    return args


def main(
    argv: Sequence[str] | None = None,
    *,
    launch_gui: Callable[[list[str]], int] | None = None,
) -> int:
    """Run the CLI. ``launch_gui`` opens the window (``logline.__main__`` passes the Qt one; the
    CLI itself never imports Qt). Everything written meanwhile is terminal-safe (escaped
    controls and bidi overrides: :mod:`logline.cli.terminal_text`) and every file created is
    private (:func:`logline.paths.private_files`)."""
    with safe_streams(), paths.private_files():  # files it creates are 0600, folders 0700
        paths.tighten_roots()
        return _main(argv, launch_gui)


def _main(argv: Sequence[str] | None, launch_gui: Callable[[list[str]], int] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(files_mean_gui(sys.argv[1:] if argv is None else argv))
    try:
        configure_logging(args.verbose)
        command = _COMMANDS.get(args.command)
        if command is not None:
            return command(args)
        if args.command in (None, "gui"):
            if launch_gui is None:
                return fail("this entry point has no window; run `logline` or `python -m logline`")
            return launch_gui([str(f) for f in getattr(args, "files", [])])
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last net: one sentence here, the traceback in the log file
        from logline.logs import unexpected

        doing = f"running `logline {args.command}`" if args.command else "opening the window"
        return fail(unexpected(exc, doing))
    parser.error(f"unknown command {args.command!r}")
    return EXIT_USAGE
