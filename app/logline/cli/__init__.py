"""Command-line interface: ``logline summarize``, ``logline chat``, ``logline ask``,
``logline history ...``, ``logline models ...``, ``logline servers ...``, ``logline inspect``,
``logline prompts``, ``logline gui``.

Output contract: the summary (the product) goes to stdout, token by token; progress, notices and
the final statistics line go to stderr, so ``logline summarize x.pdf > x.md`` does the right thing.
Exit codes: 0 success, 1 error, 2 bad usage, 130 interrupted (Ctrl+C); ``logline ask`` adds 3,
an answer that ended early (length limit, repetition).

``parser`` builds the parser and dispatches; ``console`` holds what the commands share (exit
codes, errors, progress lines, Ctrl+C); each other module is one command.
"""

from __future__ import annotations

from logline.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]
