"""What every subcommand shares: exit codes, one-line errors, logging, progress lines, Ctrl+C.

Output contract: the product (a summary, a listing, JSON) goes to stdout; progress, notices and
errors go to stderr, so ``logline summarize x.pdf > x.md`` does the right thing.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from logline.cli.terminal_text import term_line
from logline.units import format_bytes

if TYPE_CHECKING:
    from logline.engine.cancel import CancelToken

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Progress(Protocol):
    """Any progress event: ``done`` out of ``total`` (bytes of weights, prompt tokens)."""

    done: int
    total: int


def configure_logging(verbose: int) -> None:
    """Warnings on stderr by default (``-v`` info, ``-vv`` debug), one line each; the details
    (tracebacks) in the log file (:mod:`logline.logs`)."""
    from logline.logs import configure

    configure(verbose)
    # Local folders only: never let a library phone home while we load or run a model.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def fail(message: str) -> int:
    """Show an error as one line on stderr (a file name's newlines and controls escaped); the
    exit code for it."""
    print(f"logline: {term_line(message)}", file=sys.stderr)
    return EXIT_ERROR


def print_json_or(as_json: bool, data: Any, text: str) -> int:
    """Print ``data`` as JSON (``--json``) or ``text`` for people; success."""
    print(json.dumps(data, indent=2, default=str) if as_json else text)
    return EXIT_OK


@contextmanager
def ctrl_c_cancels(cancel: CancelToken) -> Iterator[None]:
    """While generating, the first Ctrl+C asks the engine to stop (the text so far is kept and
    the statistics still print); a second one leaves at once. No KeyboardInterrupt is raised, so
    an interrupt can never land between two statements and leave the engine running."""

    def on_sigint(_signum: int, _frame: object) -> None:
        if cancel.cancelled:
            print("\nInterrupted.", file=sys.stderr, flush=True)
            sys.stdout.flush()
            os._exit(EXIT_INTERRUPTED)
        cancel.cancel()
        print("\nStopping…", file=sys.stderr, flush=True)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def print_built_in_notice(model_id: str) -> bool:
    """Say on stderr that the built-in model is for trying Logline, not for real work, with the
    model recommended for this machine; False (nothing said) for any other model."""
    from logline.models.embedded import is_embedded_model
    from logline.models.recommend import embedded_notice, recommended_model

    if not is_embedded_model(model_id):
        return False
    try:
        recommendation = recommended_model()
    except (OSError, ValueError) as exc:  # an unreadable catalog: the notice without a name
        logging.getLogger(__name__).warning("No model recommendation: %s", exc)
        print("Note: the built-in model is tiny: for trying Logline only.", file=sys.stderr)
        return True
    print(f"Note: {embedded_notice(recommendation)}", file=sys.stderr)
    if recommendation.entry is not None:
        print(
            f"      `logline models pull {recommendation.entry.id}` downloads it; "
            "`logline models import FOLDER` imports it from a drive.",
            file=sys.stderr,
        )
    return True


def print_load_progress(event: Progress, interactive: bool) -> None:
    """Weights loaded into memory: one line redrawn on a terminal, one line at the end otherwise.
    A memory figure, so binary units (it can exceed the size on disk: float32 on a CPU)."""
    if event.total <= 0:
        return
    size = format_bytes(event.total, memory=True)
    if interactive:
        end = "\n" if event.done >= event.total else ""
        fraction = event.done / event.total
        print(
            f"\rLoading the model: {fraction:.0%} of {size}",
            end=end,
            file=sys.stderr,
            flush=True,
        )
    elif event.done >= event.total:
        print(f"Loaded the model ({size})", file=sys.stderr)


def print_prompt_progress(event: Progress, interactive: bool) -> None:
    """Prompt tokens read: redrawn on a terminal, the first and last figures otherwise."""
    if event.total <= 0:
        return
    if interactive:
        end = "\n" if event.done >= event.total - 1 else ""
        print(
            f"\rReading the document: {event.done:,}/{event.total:,} tokens "
            f"({event.done / event.total:.0%})",
            end=end,
            file=sys.stderr,
            flush=True,
        )
    elif event.done == 0 or event.done >= event.total - 1:
        print(f"Reading the document: {event.done:,}/{event.total:,} tokens", file=sys.stderr)
