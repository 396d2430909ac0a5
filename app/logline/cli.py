"""Command-line interface: ``logline summarize``, ``logline models ...``, ``logline gui``.

Output contract: the summary (the product) goes to stdout, token by token; progress, notices and
the final statistics line go to stderr, so ``logline summarize x.pdf > x.md`` does the right thing.
Exit codes: 0 success, 1 error, 2 bad usage, 130 interrupted (Ctrl+C).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from logline import __version__

log = logging.getLogger("logline.cli")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def configure_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # Local folders only: never let a library phone home while we load or run a model.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="logline",
        description="Summarize screenplays and documents with local LLMs. "
        "Run without arguments to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"logline {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    from logline.cli_summarize import add_parser as add_summarize_parser

    add_summarize_parser(commands)

    prompts = commands.add_parser("prompts", help="the prompt templates of the summary modes")
    prompt_commands = prompts.add_subparsers(
        dest="prompts_command", metavar="ACTION", required=True
    )
    export = prompt_commands.add_parser(
        "export", help="copy the prompt templates where you can edit them (used from then on)"
    )
    export.add_argument("--force", action="store_true", help="overwrite copies already there")

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

    gui = commands.add_parser("gui", help="open the app window (the default without arguments)")
    gui.add_argument("files", nargs="*", type=Path, help="documents to open")

    models = commands.add_parser("models", help="list and import models")
    model_commands = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = model_commands.add_parser("list", help="installed models")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    importing = model_commands.add_parser(
        "import",
        help="import a GGUF file (llama family) or a model folder (MLX, or Hugging Face "
        "safetensors, converted to MLX)",
    )
    importing.add_argument("file", type=Path, help="a .gguf file or a model folder")
    importing.add_argument(
        "--reference",
        action="store_true",
        help="MLX folders only: use the folder where it is instead of copying it into the cache",
    )
    importing.add_argument(
        "--quantize",
        choices=("4", "8", "none"),
        default=None,
        help="float (Hugging Face) folders: quantize to 4 bits (the default) or 8 bits while "
        "converting to MLX, or keep float16 (none)",
    )
    importing.add_argument("--id", dest="model_id", help="id for the model (default: file name)")
    importing.add_argument("--name", help="display name")
    importing.add_argument("--force", action="store_true", help="replace a model with this id")
    importing.add_argument("--json", action="store_true", help="machine-readable output")
    pull = model_commands.add_parser(
        "pull", help="download a model (catalog id or hub repo id) into the model cache"
    )
    pull.add_argument("name", help="a catalog id (see `models catalog`) or an org/name repo id")
    pull.add_argument("--revision", default="main")
    pull.add_argument("--json", action="store_true", help="machine-readable output")
    catalog_cmd = model_commands.add_parser("catalog", help="models Logline can download")
    catalog_cmd.add_argument("--json", action="store_true", help="machine-readable output")
    remove = model_commands.add_parser("rm", help="delete an installed model")
    remove.add_argument("name")
    remove.add_argument("--force", action="store_true", help="also when it is pinned")
    remove.add_argument("--json", action="store_true", help="machine-readable output")
    for verb, text in (("pin", "never evict this model"), ("unpin", "allow evicting it again")):
        pinning = model_commands.add_parser(verb, help=text)
        pinning.add_argument("name")
        pinning.add_argument("--json", action="store_true", help="machine-readable output")
    collect = model_commands.add_parser(
        "gc", help="report (or with --apply, delete) stale partial downloads and LRU models"
    )
    group = collect.add_mutually_exclusive_group()
    group.add_argument("--dry-run", action="store_true", help="only report (the default)")
    group.add_argument("--apply", action="store_true", help="delete what the report lists")
    collect.add_argument("--json", action="store_true", help="machine-readable output")
    info = model_commands.add_parser("info", help="one model: size, use, memory fit")
    info.add_argument("name")
    info.add_argument("--context", type=int, default=8192, help="context length to check")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    model_commands.add_parser(
        "install-default", help="install the embedded default model (done by `make setup`)"
    )
    token = model_commands.add_parser(
        "token", help="the hub token for private repos, kept in the OS keychain"
    )
    token.add_argument(
        "action",
        choices=("set", "delete", "status"),
        help="set (read from the terminal or stdin, never from the command line), delete, status",
    )
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    launch_gui: Callable[[list[str]], int] | None = None,
) -> int:
    """Run the CLI. ``launch_gui`` opens the window (``logline.__main__`` passes the Qt one; the
    CLI itself never imports Qt)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        if args.command == "summarize":
            return cmd_summarize(args)
        if args.command == "models":
            return cmd_models(args)
        if args.command == "inspect":
            return cmd_inspect(args)
        if args.command == "prompts":
            return cmd_prompts(args)
        if args.command in (None, "gui"):
            if launch_gui is None:
                return _fail("this entry point has no window; run `logline` or `python -m logline`")
            return launch_gui([str(f) for f in getattr(args, "files", [])])
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    parser.error(f"unknown command {args.command!r}")
    return EXIT_USAGE


def _fail(message: str) -> int:
    print(f"logline: {message}", file=sys.stderr)
    return EXIT_ERROR


# -- inspect -----------------------------------------------------------------------------------
def cmd_inspect(args: argparse.Namespace) -> int:
    from logline.documents import DocumentError, load
    from logline.documents.outline import outline, outline_report

    try:
        document = load(args.file, password=args.password)
    except DocumentError as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(outline(document, elements=args.elements), indent=2, ensure_ascii=False))
    else:
        print(outline_report(document, scenes=-1 if args.scenes else 0))
    return EXIT_OK


# -- models ------------------------------------------------------------------------------------
def cmd_models(args: argparse.Namespace) -> int:
    from logline.models.errors import ModelError

    try:
        if args.models_command == "list":
            return _models_list(args.json)
        if args.models_command == "import":
            return _models_import(args)
        if args.models_command in _MODEL_COMMANDS:
            return _MODEL_COMMANDS[args.models_command](args)
        if args.models_command == "install-default":
            from logline.models.registry import ensure_embedded_model

            model = ensure_embedded_model()
            print(f"Default model ready: {model.manifest.display_name} ({model.path})")
            return EXIT_OK
    except ModelError as exc:
        return _fail(str(exc))
    return EXIT_USAGE


def _model_json(model: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        **asdict(model.manifest),
        "path": str(model.path),
        "default": model.is_default,
        "referenced": bool(model.manifest.location),
        "size_bytes": model.size_on_disk(),
    }


def _models_list(as_json: bool) -> int:
    from logline.models.registry import find_download, installed_models

    models = installed_models()
    from logline.models import hub_layout

    downloads = [find_download(repo) for repo in hub_layout.verified_repos()]
    models += [model for model in downloads if model is not None]
    if as_json:
        print(json.dumps([_model_json(m) for m in models], indent=2))
        return EXIT_OK
    if not models:
        print("No models installed. Run `logline models install-default` or `make setup`.")
        return EXIT_OK
    for model in models:
        mark = "*" if model.is_default else " "
        size = model.size_on_disk() / 2**20
        m = model.manifest
        print(
            f"{mark} {m.model_id:36} {m.quantization or m.format:12} {size:8.0f} MiB  "
            f"{m.display_name}"
        )
    print("(* = default)")
    return EXIT_OK


def _models_import(args: argparse.Namespace) -> int:
    from logline import paths
    from logline.models.gguf_import import default_model_id, import_gguf
    from logline.models.registry import installed_models

    def progress(stage: str, fraction: float) -> None:
        if not args.json:
            print(f"\r{stage}… {fraction:4.0%}   ", end="", file=sys.stderr, flush=True)

    if args.file.is_dir():
        from logline.models.folder_import import import_model_folder
        from logline.models.hf_convert import convert_model_folder, needs_conversion

        if needs_conversion(args.file):
            if args.reference:
                return _fail(
                    f"{args.file.name} holds float weights that must be converted to MLX, so it "
                    "cannot be referenced in place: import it without --reference."
                )
            quantize = args.quantize or "4"
            # Uses MLX: the CLI's main thread is its only MLX thread.
            manifest = convert_model_folder(
                args.file,
                paths.models_dir(),
                model_id=args.model_id or default_model_id(args.file),
                display_name=args.name,
                bits=None if quantize == "none" else int(quantize),
                overwrite=args.force,
                progress=lambda stage, done, total: progress(stage, done / total if total else 1.0),
            )
        elif args.quantize is not None:
            return _fail(
                f"--quantize applies to float (Hugging Face) model folders; {args.file.name} "
                "is already in MLX format."
            )
        else:
            manifest = import_model_folder(
                args.file,
                paths.models_dir(),
                model_id=args.model_id or default_model_id(args.file),
                display_name=args.name,
                reference=args.reference,
                overwrite=args.force,
                progress=lambda done, total: progress("Copying", done / total if total else 1.0),
            )
    else:
        if args.reference:
            return _fail("--reference applies to model folders, not GGUF files")
        if args.quantize is not None:
            return _fail("--quantize applies to float (Hugging Face) model folders, not GGUF files")
        manifest = import_gguf(
            args.file,
            paths.models_dir(),
            model_id=args.model_id,
            display_name=args.name,
            overwrite=args.force,
            progress=progress,
        )
    if not args.json:
        print(file=sys.stderr)
    model = next(m for m in installed_models() if m.model_id == manifest.model_id)
    if args.json:
        print(json.dumps(_model_json(model), indent=2))
    else:
        print(f"Imported {args.file.name} as {manifest.model_id} ({model.path})")
    return EXIT_OK


def _emit_json_or(args: argparse.Namespace, data: Any, text: str) -> int:
    print(json.dumps(data, indent=2, default=str) if args.json else text)
    return EXIT_OK


def _models_pull(args: argparse.Namespace) -> int:
    import threading

    from logline.config import effective_settings, get_token
    from logline.models import cache, catalog, download
    from logline.models.download_events import DownloadProgress, DownloadRetrying

    settings = effective_settings()
    entry = catalog.find_entry(args.name)
    repo_id = entry.repo_id if entry is not None else args.name
    if "/" not in repo_id:
        return _fail(f"{args.name!r} is neither a catalog id nor an org/name repo id")
    if entry is not None:
        cache.ensure_room(entry.download_bytes)
    interactive = sys.stderr.isatty() and not args.json

    def progress(event: object) -> None:
        if isinstance(event, DownloadProgress) and interactive and event.bytes_total:
            eta = f", {event.eta_s:.0f} s left" if event.eta_s is not None else ""
            print(
                f"\rDownloading {event.bytes_done / 2**20:,.0f}/{event.bytes_total / 2**20:,.0f}"
                f" MiB ({event.speed_bps / 2**20:.1f} MiB/s{eta})   ",
                end="",
                file=sys.stderr,
                flush=True,
            )
        elif isinstance(event, DownloadRetrying):
            print(f"\nRetrying ({event.reason})", file=sys.stderr)

    cancel = threading.Event()
    try:
        result = download.pull(
            repo_id,
            revision=args.revision,
            endpoint=settings.hub_endpoint,
            token=get_token(),
            progress=progress,
            cancel=cancel,
            offline=settings.offline,
        )
    except KeyboardInterrupt:
        cancel.set()
        print("\nCancelled; what was downloaded is kept for a later resume.", file=sys.stderr)
        return EXIT_INTERRUPTED
    if interactive:
        print(file=sys.stderr)
    data = {
        "repo_id": result.repo_id,
        "commit": result.commit,
        "path": str(result.snapshot_path),
        "bytes_total": result.bytes_total,
        "bytes_downloaded": result.bytes_downloaded,
    }
    return _emit_json_or(args, data, f"Ready: {result.repo_id} ({result.snapshot_path})")


def _models_catalog(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from logline.models import catalog

    entries = catalog.load_catalog()
    lines = [
        f"{e.id:28} {e.parameters / 1e9:5.1f}B {e.quantization:6} "
        f"{e.download_bytes / 1e9:5.1f} GB  {e.display_name}"
        for e in entries
    ]
    return _emit_json_or(args, [asdict(e) for e in entries], "\n".join(lines))


def _models_rm(args: argparse.Namespace) -> int:
    from logline.models import cache

    removed = cache.remove_model(args.name, force=args.force)
    data = {"removed": removed.key, "freed_bytes": removed.size_bytes}
    return _emit_json_or(
        args, data, f"Removed {removed.key} ({removed.size_bytes / 2**20:,.0f} MiB)"
    )


def _models_pin(args: argparse.Namespace) -> int:
    from logline.models import cache, state

    model = cache.cache_report().find(args.name)
    if model is None:
        return _fail(f"no installed model named {args.name!r} (see `logline models list`)")
    pinned = args.models_command == "pin"
    state.set_pinned(model.key, pinned)
    word = "Pinned" if pinned else "Unpinned"
    return _emit_json_or(args, {"model": model.key, "pinned": pinned}, f"{word} {model.key}")


def _models_gc(args: argparse.Namespace) -> int:
    from logline.models import cache

    result = cache.gc(dry_run=not args.apply)
    data = result.to_json()
    verb = "Deleted" if args.apply else "Would delete (run with --apply)"
    lines = [f"{verb}:"]
    lines += [f"  partial download {path}" for path in data["orphans"]]
    lines += [f"  model {key}" for key in data["plan"]["evict"]]
    if len(lines) == 1:
        lines = ["Nothing to clean up: the cache is within its budget."]
    if not data["plan"]["fits"] and data["plan"]["message"]:
        lines.append(data["plan"]["message"])
    return _emit_json_or(args, data, "\n".join(lines))


def _models_info(args: argparse.Namespace) -> int:
    from logline.models import cache, fit
    from logline.models.registry import find_model

    model = find_model(args.name)
    cached = cache.cache_report().find(model.model_id)
    verdict = fit.advise_for_folder(model.path, args.context)
    data = {
        **_model_json(model),
        "pinned": bool(cached and cached.pinned),
        "last_used": cached.last_used if cached else None,
        "fit": {
            "level": verdict.level,
            "needed_bytes": verdict.needed_bytes,
            "available_bytes": verdict.available_bytes,
            "message": verdict.message,
        },
    }
    text = (
        f"{model.manifest.display_name} ({model.model_id})\n  path: {model.path}\n"
        f"  size: {data['size_bytes'] / 2**20:,.0f} MiB, pinned: {data['pinned']}\n"
        f"  memory at {args.context:,} tokens: {verdict.message}"
    )
    return _emit_json_or(args, data, text)


def _models_token(args: argparse.Namespace) -> int:
    from logline import config

    if args.action == "status":
        if os.environ.get("HF_TOKEN", "").strip():
            print("A token is set for this session through HF_TOKEN.")
        elif not config.secure_storage_available():
            print(f"No keychain is available: {config.NO_SECURE_STORAGE}")
        else:
            stored = config.get_token() is not None
            print("A token is stored in the keychain." if stored else "No token is stored.")
        return EXIT_OK
    try:
        if args.action == "delete":
            removed = config.delete_token()
            print("The token was removed from the keychain." if removed else "No token was stored.")
            return EXIT_OK
        if sys.stdin.isatty():
            import getpass

            value = getpass.getpass("Hub token (not shown): ")
        else:
            value = sys.stdin.readline()
        config.set_token(value.strip())
    except (config.SecureStorageUnavailableError, ValueError) as exc:
        return _fail(str(exc))
    print("The token is stored in the keychain; downloads use it from now on.")
    return EXIT_OK


_MODEL_COMMANDS = {
    "token": _models_token,
    "pull": _models_pull,
    "catalog": _models_catalog,
    "rm": _models_rm,
    "pin": _models_pin,
    "unpin": _models_pin,
    "gc": _models_gc,
    "info": _models_info,
}


# -- summarize ---------------------------------------------------------------------------------
def cmd_summarize(args: argparse.Namespace) -> int:
    from logline.cli_summarize import run

    return run(args)


# -- prompts -----------------------------------------------------------------------------------
def cmd_prompts(args: argparse.Namespace) -> int:
    from logline.summarize.prompt_files import export_prompts

    folder = export_prompts(overwrite=args.force)
    print(f"The prompt templates are in {folder}; edit them there (delete a file to go back).")
    return EXIT_OK


@contextmanager
def _ctrl_c_cancels(cancel: Any) -> Iterator[None]:
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


def _print_load_progress(event: Any, interactive: bool) -> None:
    if event.total <= 0:
        return
    mib = event.total / 2**20
    if interactive:
        end = "\n" if event.done >= event.total else ""
        fraction = event.done / event.total
        print(
            f"\rLoading the model: {fraction:.0%} of {mib:,.0f} MiB",
            end=end,
            file=sys.stderr,
            flush=True,
        )
    elif event.done >= event.total:
        print(f"Loaded the model ({mib:,.0f} MiB)", file=sys.stderr)


def _print_progress(event: Any, interactive: bool) -> None:
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
