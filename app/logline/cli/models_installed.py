"""The installed models: ``logline models list | info | rm | pin | unpin | gc | install-default``.

Every ``logline.models`` import is lazy: it keeps ``logline --help`` fast.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from logline.cli.console import EXIT_OK, fail, print_json_or
from logline.units import format_bytes

if TYPE_CHECKING:
    from logline.models.registry import InstalledModel


def model_json(model: InstalledModel) -> dict[str, Any]:
    """One installed model as ``--json`` shows it."""
    from logline.models.embedded import is_embedded_model

    return {
        **asdict(model.manifest),
        "path": str(model.path),
        "default": model.is_default,
        "built_in": is_embedded_model(model.model_id),
        "referenced": bool(model.manifest.location),
        "size_bytes": model.size_on_disk(),
    }


def list_models(args: argparse.Namespace) -> int:
    from logline.models import hub_layout
    from logline.models.embedded import BUILT_IN_LABEL, is_embedded_model
    from logline.models.registry import find_download, installed_models

    models = installed_models()
    downloads = [find_download(repo) for repo in hub_layout.verified_repos()]
    models += [model for model in downloads if model is not None]
    if args.json:
        print(json.dumps([model_json(m) for m in models], indent=2))
        return EXIT_OK
    if not models:
        print("No models installed. Run `logline models install-default` or `make setup`.")
        return EXIT_OK
    built_in = False
    for model in models:
        mark = "*" if model.is_default else " "
        m = model.manifest
        name = m.display_name
        if is_embedded_model(model.model_id):
            built_in = True
            name = BUILT_IN_LABEL
        print(
            f"{mark} {m.model_id:36} {m.quantization or m.format:12} "
            f"{format_bytes(model.size_on_disk()):>12}  {name}"
        )
    print("(* = default)")
    if built_in:
        print(built_in_footnote())
    return EXIT_OK


def built_in_footnote() -> str:
    """The line under a list that holds the built-in model: what it is for, what to use."""
    from logline.models.fit import machine_name
    from logline.models.recommend import recommended_model

    try:
        recommendation = recommended_model()
    except (OSError, ValueError):  # an unreadable catalog: say what the built-in model is for
        recommendation = None
    text = "The built-in model is tiny: for trying Logline offline, not for coverage you rely on."
    if recommendation is None or recommendation.entry is None:
        return text
    return (
        f"{text} Recommended for {machine_name()} ({recommendation.memory}): "
        f"{recommendation.name} (`logline models pull {recommendation.entry.id}`)."
    )


def install_default(_args: argparse.Namespace) -> int:
    from logline.models.registry import ensure_embedded_model

    model = ensure_embedded_model()
    print(f"Default model ready: {model.manifest.display_name} ({model.path})")
    return EXIT_OK


def remove(args: argparse.Namespace) -> int:
    from logline.models import cache

    removed = cache.remove_model(args.name, force=args.force)
    data = {"removed": removed.key, "freed_bytes": removed.size_bytes}
    text = f"Removed {removed.key} ({format_bytes(removed.size_bytes)})"
    return print_json_or(args.json, data, text)


def pin(args: argparse.Namespace) -> int:
    """``pin`` and ``unpin``."""
    from logline.models import cache, state

    model = cache.cache_report().find(args.name)
    if model is None:
        return fail(f"no installed model named {args.name!r} (see `logline models list`)")
    pinned = args.models_command == "pin"
    state.set_pinned(model.key, pinned)
    word = "Pinned" if pinned else "Unpinned"
    return print_json_or(args.json, {"model": model.key, "pinned": pinned}, f"{word} {model.key}")


def collect_garbage(args: argparse.Namespace) -> int:
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
    return print_json_or(args.json, data, "\n".join(lines))


def info(args: argparse.Namespace) -> int:
    from logline.models import cache, fit
    from logline.models.registry import find_model

    model = find_model(args.name)
    cached = cache.cache_report().find(model.model_id)
    verdict = fit.advise_for_folder(model.path, args.context)
    data = {
        **model_json(model),
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
        f"  size: {format_bytes(data['size_bytes'])}, pinned: {data['pinned']}\n"
        f"  memory at {args.context:,} tokens: {verdict.message}"
    )
    return print_json_or(args.json, data, text)
