"""``logline summarize FILE… [--mode M] [--out DIR] [--model ID|SERVER]``: one document
streamed, or a whole batch, with a local model or on a server (``summary_server``).

* One file and no ``--out``: the summary streams to stdout (citations, then names, checked as
  they stream),
  progress and statistics go to stderr.
* ``--out DIR`` (or several inputs, or a folder): each document gets ``<name>.<mode>.md`` and a
  JSON sidecar in DIR; finished ones are skipped on the next run, so an interrupted batch resumes.
  Names are unique per source, one run at a time holds DIR (a second one is refused), and what
  is written there is private to the user (0600 files, 0700 folders) unless ``--shared``.

The model is loaded once, on the CLI's engine thread; documents are parsed on the main thread.
The engine, summarize, models and documents imports sit inside the functions that use them
(lazy: keeps `logline --help` fast).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from logline.cli import bounds
from logline.cli.console import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ctrl_c_cancels,
    fail,
    print_built_in_notice,
    print_load_progress,
    print_prompt_progress,
)
from logline.cli.summary_report import (
    details,
    finish_warning,
    keep_summary,
    plan_lines,
    stats_line,
)
from logline.cli.terminal_text import term_line

log = logging.getLogger(__name__)


def add_parser(commands: Any) -> None:
    from logline.summarize.modes import DEFAULT_MODE, MODES

    summarize = commands.add_parser(
        "summarize",
        help="summarize documents: stream one to stdout, or write many to --out",
        description="Summarize documents with a local model, or on a server (--model NAME of "
        "`logline servers add`). One file streams to stdout; "
        "with --out each file gets <name>.<mode>.md and a <name>.<mode>.json sidecar, and "
        "files already done are skipped, so a batch can be resumed.",
    )
    summarize.add_argument(
        "files", nargs="+", type=Path, help="PDF, Fountain, Final Draft or text files, or folders"
    )
    summarize.add_argument(
        "--mode",
        choices=sorted(MODES),
        default=DEFAULT_MODE,
        help=f"kind of summary (default: {DEFAULT_MODE})",
    )
    summarize.add_argument("--instruction", help="what to ask for, with --mode custom")
    summarize.add_argument(
        "--model",
        help="installed model id, or the name of a server entry (`logline servers list`): the "
        "summary then runs on that server; an installed model with the same id wins "
        "(default: the embedded model)",
    )
    summarize.add_argument("--out", type=Path, help="folder for <name>.<mode>.md and .json")
    summarize.add_argument(
        "--shared",
        action="store_true",
        help="with --out: files and folders follow your umask (default: only you can read them)",
    )
    summarize.add_argument("--redo", action="store_true", help="with --out: redo finished files")
    summarize.add_argument(
        "--retry-incomplete",
        action="store_true",
        help="with --out: redo files whose summary ended early (length limit, repetition)",
    )
    summarize.add_argument(
        "--max-tokens",
        type=bounds.max_tokens,
        default=None,
        help="longest summary (tokens; lowered, with a note, to what the model can write)",
    )
    summarize.add_argument(
        "--temperature", type=bounds.temperature, default=None, help="0 to 2 (0: no sampling)"
    )
    summarize.add_argument("--seed", type=bounds.seed, default=None, help="0 or more")
    summarize.add_argument(
        "--context", type=bounds.context, default=None, help="read at most N tokens at once"
    )
    summarize.add_argument(
        "--batch",
        type=bounds.batch,
        default=None,
        help="at most N chunks decoded together (1: one after another; default: as many as "
        "this machine's memory budget holds); on a server, requests sent at once (at most the "
        "entry's concurrency)",
    )
    summarize.add_argument(
        "--citations",
        choices=("flag", "remove"),
        default="flag",
        help="what to do with citations that do not match the document (default: flag)",
    )
    summarize.add_argument(
        "--names",
        choices=("flag", "remove"),
        default="flag",
        help="what to do with names (people, places) that are not in the document (default: flag)",
    )
    summarize.add_argument("--password", help="password of an encrypted PDF")
    summarize.add_argument(
        "--force-load",
        action="store_true",
        help="load the model even when the memory check says it does not fit",
    )
    summarize.add_argument("--json", action="store_true", help="with --out: print a JSON report")


def run(args: argparse.Namespace) -> int:
    from logline.cli.summary_server import remote_target
    from logline.models.server_policy import OfflineRefusedError
    from logline.models.servers import ServerEntryError
    from logline.summarize.batch import collect_inputs
    from logline.summarize.batch_lock import OutputFolderBusy, lock_output_folder
    from logline.summarize.modes import get_mode
    from logline.summarize.runner import SummaryOptions
    from logline.summarize.user_defaults import mode_sampling

    mode = get_mode(args.mode)
    if mode.needs_instruction and not (args.instruction or "").strip():
        return fail(f'--mode {mode.id} needs --instruction "what you want to know"')
    try:
        sources = collect_inputs(args.files)
    except FileNotFoundError as exc:
        return fail(str(exc))
    if not sources:
        return fail("no documents found in the folders given")
    sampling = mode_sampling(mode.id)  # the user's saved defaults for this mode, then the flags
    overrides = {
        "max_tokens": _within_limit(args.max_tokens),
        "temperature": args.temperature,
        "seed": args.seed,
    }
    try:
        sampling = replace(sampling, **{k: v for k, v in overrides.items() if v is not None})
    except ValueError as exc:
        return fail(str(exc))
    options = SummaryOptions(
        mode=mode.id,
        instruction=args.instruction,
        sampling=sampling,
        max_context=args.context,
        max_batch=args.batch,
        citation_policy=args.citations,
        names_policy=args.names,
    )
    streaming = args.out is None and len(sources) == 1
    if args.out is None and not streaming:
        return fail("several documents need --out DIR for their summaries")
    try:  # before anything runs: offline mode refuses a server without connecting to it
        args.remote = remote_target(args.model)
    except (OfflineRefusedError, ServerEntryError) as exc:
        return fail(str(exc))
    if args.remote is not None:
        args.remote.announce()
    if streaming:
        return _run_session(args, options, lambda session: session.stream_one(sources[0]))
    if args.out.exists() and not args.out.is_dir():
        return fail(f"--out {args.out} is a file; give a folder for the summaries")
    try:
        with lock_output_folder(args.out, shared=args.shared):
            return _run_session(args, options, lambda session: session.write_all(sources))
    except OutputFolderBusy as exc:
        return fail(str(exc))
    except OSError as exc:  # the folder cannot be made or written
        return fail(f"cannot write summaries to {args.out}: {exc.strerror or exc}")


def _run_session(args: argparse.Namespace, options: Any, work: Any) -> int:
    """Run ``work(session)`` with an engine thread and Ctrl+C wired to cancel; the exit code."""
    from logline.engine import CancelToken
    from logline.engine.worker import EngineThread

    worker = EngineThread()
    cancel = CancelToken()
    session = _Batch(args, options, worker, cancel)
    try:
        with ctrl_c_cancels(cancel):
            code = work(session)
    finally:
        worker.close()
    return EXIT_INTERRUPTED if cancel.cancelled else code if code is not None else EXIT_OK


def _within_limit(max_tokens: int | None) -> int | None:
    """``--max-tokens`` no larger than any answer can be (the summarizer then fits it to the
    model's context and the memory, with its own notice)."""
    from logline.engine.sampling import MAX_TOKENS_LIMIT

    if max_tokens is None or max_tokens <= MAX_TOKENS_LIMIT:
        return max_tokens
    print(f"Note: --max-tokens is at most {MAX_TOKENS_LIMIT:,}; using that.", file=sys.stderr)
    return MAX_TOKENS_LIMIT


class _Batch:
    def __init__(self, args: argparse.Namespace, options: Any, worker: Any, cancel: Any) -> None:
        self.args = args
        self.options = options
        self.worker = worker
        self.cancel = cancel
        self.remote = getattr(args, "remote", None)  # a RemoteTarget: the summary runs there
        self.server_name: str | None = self.remote.name if self.remote else None
        self.model_id: str | None = self.remote.model_key if self.remote else None
        self.interactive = sys.stderr.isatty()
        self.built_in_noted = False  # the built-in model's notice is printed once per run

    # -- engine jobs --------------------------------------------------------------------------
    def _summarize(self, document: Any, sink: Any) -> Any:
        """Run one summary on the engine thread, handing each event but the last to ``sink``;
        the result (a failure before the summary started, e.g. no such model, is raised)."""
        from logline.models.registry import resolve_model
        from logline.summarize.events import SummaryFinished
        from logline.summarize.runner import summarize
        from logline.summarize.with_model import summarize_with_model

        def job(engine: Any, token: Any, emit: Any) -> None:
            if self.remote is not None:  # on the server: no model loads here
                summarize(self.remote.engine, document, token, emit, self.options)
                return
            model = resolve_model(self.args.model)
            summarize_with_model(
                engine, model, document, token, emit, self.options, force_load=self.args.force_load
            )
            self.model_id = model.model_id

        result = None
        for event in self.worker.stream(job, self.cancel):
            if isinstance(event, SummaryFinished):
                result = event.result
            else:
                sink(event)
        if result is not None and result.text and self.model_id:
            keep_summary(document, result, self.model_id, self.options)
        return result

    # -- one document to stdout ---------------------------------------------------------------
    def stream_one(self, source: Path) -> int | None:
        from logline.documents import DocumentError, load
        from logline.messages import user_message
        from logline.summarize.citation_stream import CitationFilter
        from logline.summarize.events import AnswerText
        from logline.summarize.names import for_summary
        from logline.summarize.names_stream import NameFilter

        try:
            document = load(source, password=self.args.password)
        except DocumentError as exc:
            return fail(str(exc))
        checker = CitationFilter(document, self.options.citation_policy)
        # Names after citations, as the runner checks them; the runner's notice (on stderr via
        # _progress) counts the names flagged.
        names = NameFilter(
            for_summary(document, self.options.instruction), self.options.names_policy
        )
        wrote = False
        # Progress and notices that arrive once the answer is streaming wait for its last line
        # to end: on a terminal stderr shares the screen, and a note would be glued to the text.
        held: list[Any] = []

        def sink(event: Any) -> None:
            nonlocal wrote
            if isinstance(event, AnswerText):
                shown = names.feed(checker.feed(event.text))
                if shown:
                    sys.stdout.write(shown)
                    sys.stdout.flush()
                    wrote = True
            elif wrote:
                held.append(event)
            else:
                self._progress(event)

        try:
            result = self._summarize(document, sink)
        except Exception as exc:  # shown as one sentence, like every CLI error
            log.debug("Summary failed", exc_info=True)
            return fail(user_message(exc))
        tail = names.feed(checker.flush()) + names.flush()
        if tail or wrote:
            sys.stdout.write(tail + "\n")
            sys.stdout.flush()
        for event in held:
            self._progress(event)
        if result is None:
            return fail("the engine stopped without a result")
        if result.error is not None:
            return fail(user_message(result.error))
        if checker.invalid:
            print(
                f"Note: {checker.invalid} of {checker.checked} citation(s) do not match the "
                "document and are marked.",
                file=sys.stderr,
            )
        warning = finish_warning(result.reason)
        if warning:
            print(f"Warning: {warning}", file=sys.stderr)
        print(f"[{result.reason}] {stats_line(result, self.server_name)}", file=sys.stderr)
        if self.args.verbose:
            for line in plan_lines(result):
                print(f"  {line}", file=sys.stderr)
        return EXIT_OK

    # -- many documents to files --------------------------------------------------------------
    def write_all(self, sources: list[Path]) -> int | None:
        """Summarize ``sources`` into ``--out`` (its lock held by the caller)."""
        from logline.documents import load
        from logline.messages import user_message
        from logline.models.errors import ModelError
        from logline.summarize.batch import (
            file_sha256,
            is_done,
            job_key,
            plan_outputs,
            sidecar_status,
            write_outputs,
        )

        out: Path = self.args.out
        items = plan_outputs(sources, out)  # every output name, before anything is written
        report: list[dict[str, Any]] = []
        failures = 0
        for number, item in enumerate(items, 1):
            if self.cancel.cancelled:
                break
            prefix = f"[{number}/{len(items)}] {term_line(item.source.name)}"
            entry: dict[str, Any] = {"source": str(item.source)}
            report.append(entry)
            try:
                sha = file_sha256(item.source)
                model_key = self.model_id or self._model_key()
                key = job_key(sha, self.options.mode, self.options.instruction, model_key)
                retry = self.args.retry_incomplete
                if not self.args.redo and is_done(item, out, key, retry_incomplete=retry):
                    print(f"{prefix}: already done, skipped", file=sys.stderr)
                    entry["status"] = "skipped"
                    continue
                document = load(item.source, password=self.args.password)
                print(f"{prefix}: summarizing ({self.options.mode})", file=sys.stderr)
                result = self._summarize(document, self._progress)
            except Exception as exc:  # one file failing must not stop the batch
                log.debug("Summary of %s failed", item.source, exc_info=True)
                failures += 1
                entry.update(status="failed", error=user_message(exc))
                print(f"{prefix}: failed: {user_message(exc)}", file=sys.stderr)
                if isinstance(exc, ModelError):
                    break  # no model: every other file would fail the same way
                continue
            if result is None or result.reason == "stopped" or self.cancel.cancelled:
                entry["status"] = "interrupted"
                print(f"{prefix}: interrupted; nothing written for it", file=sys.stderr)
                break
            if result.error is not None:
                failures += 1
                entry.update(status="failed", error=user_message(result.error))
                print(f"{prefix}: failed: {entry['error']}", file=sys.stderr)
                continue
            key["model"] = self.model_id or key["model"]
            try:
                summary_path, sidecar_path = write_outputs(
                    item, out, key, result.text, details(result), shared=self.args.shared
                )
            except OSError as exc:  # a full disk, a folder made read-only: the rest would fail
                log.debug("Writing the summary of %s failed", item.source, exc_info=True)
                failures += 1
                entry.update(status="failed", error=f"cannot write to {out}: {exc.strerror}")
                print(f"{prefix}: failed: {entry['error']}", file=sys.stderr)
                break
            status = sidecar_status(result.reason)
            entry.update(status=status, summary=str(summary_path), sidecar=str(sidecar_path))
            warning = finish_warning(result.reason)
            if warning:
                entry["warning"] = warning
                print(f"{prefix}: warning: {warning}", file=sys.stderr)
            figures = stats_line(result, self.server_name)
            print(f"{prefix}: wrote {summary_path} ({figures})", file=sys.stderr)
            if self.args.verbose:
                for line in plan_lines(result):
                    print(f"{prefix}:   {line}", file=sys.stderr)
        if self.args.json:
            print(json.dumps({"out": str(out), "files": report}, indent=2))
        return EXIT_ERROR if failures else EXIT_OK

    def _note_built_in(self, model_id: str) -> None:
        """Say once on stderr that the built-in model is for trying Logline, not for real work."""
        if not self.built_in_noted:
            self.built_in_noted = print_built_in_notice(model_id)

    def _model_key(self) -> str:
        from logline.models.registry import default_model_id

        return self.args.model or default_model_id()

    # -- progress -----------------------------------------------------------------------------
    def _progress(self, event: Any) -> None:
        from logline.engine import LoadProgress, ModelLoaded
        from logline.summarize.events import ChunkDone, Notice, PhaseStarted, PlanChosen, Reading

        if isinstance(event, LoadProgress):
            print_load_progress(event, self.interactive)
        elif isinstance(event, ModelLoaded):
            log.info("Model %s loaded (%s)", event.model_id, event.precision)
            self._note_built_in(event.model_id)
        elif isinstance(event, Notice):
            print(f"Note: {event.message}", file=sys.stderr)
        elif isinstance(event, PlanChosen):
            print(f"Plan: {event.description}", file=sys.stderr)
        elif isinstance(event, PhaseStarted) and event.phase in ("map", "merge"):
            what = "Taking notes on" if event.phase == "map" else "Merging notes in"
            unit = "chunks" if event.phase == "map" else "groups"
            print(f"{what} {event.items} {unit}…", file=sys.stderr)
        elif isinstance(event, ChunkDone):
            unit = "chunk" if event.phase == "map" else "group"
            line = f"{unit} {event.done} of {event.total} done"
            if self.interactive:
                end = "\n" if event.done == event.total else ""
                print(f"\r{line}   ", end=end, file=sys.stderr, flush=True)
            elif event.done == event.total:
                print(line, file=sys.stderr)
        elif isinstance(event, Reading):
            print_prompt_progress(event, self.interactive)
