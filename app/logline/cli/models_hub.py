"""Models from a Hugging Face-compatible hub: ``logline models catalog | pull | token``.

``logline.config`` and ``logline.models`` are imported lazily: it keeps ``logline --help`` fast.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import threading
from dataclasses import asdict

from logline.cli.console import EXIT_INTERRUPTED, EXIT_OK, fail, print_json_or
from logline.units import format_bytes, format_bytes_pair, format_rate


def catalog(args: argparse.Namespace) -> int:
    from logline.models import catalog
    from logline.models.recommend import recommended_model

    entries = catalog.load_catalog()
    recommendation = recommended_model()
    best = recommendation.entry.id if recommendation.entry is not None else ""
    lines = [
        f"{e.id:28} {e.parameters / 1e9:5.1f}B {e.quantization:6} "
        f"{format_bytes(e.download_bytes):>8}  {e.display_name}"
        + ("  <- recommended here" if e.id == best else "")
        for e in entries
    ]
    lines.append(recommendation.reason)
    data = [{**asdict(e), "recommended_here": e.id == best} for e in entries]
    return print_json_or(args.json, data, "\n".join(lines))


def pull(args: argparse.Namespace) -> int:
    from logline.config import effective_settings, get_token
    from logline.models import cache, catalog, download
    from logline.models.download_events import DownloadProgress, DownloadRetrying

    settings = effective_settings()
    entry = catalog.find_entry(args.name)
    repo_id = entry.repo_id if entry is not None else args.name
    if "/" not in repo_id:
        return fail(f"{args.name!r} is neither a catalog id nor an org/name repo id")
    if entry is not None:
        cache.ensure_room(entry.download_bytes)
    interactive = sys.stderr.isatty() and not args.json

    def progress(event: object) -> None:
        if isinstance(event, DownloadProgress) and interactive and event.bytes_total:
            eta = f", {event.eta_s:.0f} s left" if event.eta_s is not None else ""
            print(
                f"\rDownloading {format_bytes_pair(event.bytes_done, event.bytes_total)}"
                f" ({format_rate(event.speed_bps)}{eta})   ",
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
    return print_json_or(args.json, data, f"Ready: {result.repo_id} ({result.snapshot_path})")


def token(args: argparse.Namespace) -> int:
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
            value = getpass.getpass("Hub token (not shown): ")
        else:
            value = sys.stdin.readline()
        config.set_token(value.strip())
    except (config.SecureStorageUnavailableError, ValueError) as exc:
        return fail(str(exc))
    print("The token is stored in the keychain; downloads use it from now on.")
    return EXIT_OK
