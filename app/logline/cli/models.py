"""``logline models ACTION``: the flags of every action and the dispatch to the module doing it.

Installed models (list, info, rm, pin, gc, install-default) are in ``models_installed``, the
hub (catalog, pull, token) in ``models_hub``, imports of local files in ``models_import``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from logline.cli import models_hub, models_import, models_installed
from logline.cli.console import EXIT_USAGE, fail

_ACTIONS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": models_installed.list_models,
    "import": models_import.run,
    "install-default": models_installed.install_default,
    "token": models_hub.token,
    "pull": models_hub.pull,
    "catalog": models_hub.catalog,
    "rm": models_installed.remove,
    "pin": models_installed.pin,
    "unpin": models_installed.pin,
    "gc": models_installed.collect_garbage,
    "info": models_installed.info,
}


def run(args: argparse.Namespace) -> int:
    from logline.messages import user_message  # lazy: keeps `logline --help` fast
    from logline.models.errors import ModelError

    action = _ACTIONS.get(args.models_command)
    if action is None:
        return EXIT_USAGE
    try:
        return action(args)
    except ModelError as exc:
        return fail(user_message(exc, "download" if args.models_command == "pull" else "import"))


def add_parser(commands: Any) -> None:
    models = commands.add_parser("models", help="list and import models")
    model_commands = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = model_commands.add_parser("list", help="installed models")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    _add_import_parser(model_commands)
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


def _add_import_parser(model_commands: Any) -> None:
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
