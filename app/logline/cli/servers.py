"""``logline servers add | list | test | rm``: inference servers used as models.

The probe (``logline.engine.remote.probe``) is imported inside the commands that run it, so
``--no-probe``, ``list`` and ``rm`` work (and ``logline --help`` stays fast) without it. Every
command that connects checks offline mode first (:func:`logline.models.server_policy
.check_allowed`), which decides from the address alone and opens no connection.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from logline.cli.console import EXIT_OK, EXIT_USAGE, fail, print_json_or

if TYPE_CHECKING:
    from logline.models.servers import ServerEntry

NO_PROBE = (
    "this Logline cannot probe servers yet (its remote engine is missing); "
    "add the server with --no-probe and --context N"
)


class ProbeFailedError(RuntimeError):
    """The probe could not run or the server answered badly; one sentence for people."""


def _probe(entry: ServerEntry, token: str | None) -> dict[str, Any]:
    """The probe's findings as JSON, after the offline check; errors are one sentence."""
    from logline.config import effective_settings
    from logline.models.server_policy import check_allowed

    check_allowed(entry, effective_settings())
    try:
        from logline.engine.remote import RemoteError, probe
    except ImportError:
        raise ProbeFailedError(NO_PROBE) from None
    try:
        capabilities = probe(entry.base_url, token=token, model=entry.model)
    except RemoteError as exc:  # one sentence already
        raise ProbeFailedError(str(exc)) from None
    found: dict[str, Any] = capabilities.to_json()
    return found


def _read_token() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Server token (not shown): ").strip()
    return sys.stdin.readline().strip()


def add(args: argparse.Namespace) -> int:
    from logline.models import servers

    if args.context is not None and args.context < servers.MIN_CONTEXT:
        return fail(f"--context must be at least {servers.MIN_CONTEXT} tokens")
    entry = servers.ServerEntry(
        name=args.name,
        base_url=args.url.strip().rstrip("/"),
        model=args.model,
        allowed_offline=args.allow_offline,
        context_length=args.context,
        concurrency=args.concurrency,
    )
    problem = servers.name_problem(entry.name) or servers.url_problem(entry.base_url)
    if problem:
        return fail(problem)
    token = _read_token() if args.token_stdin else None
    if args.token_stdin and not token:
        return fail("no token was given on stdin")
    capabilities = None
    if not args.no_probe:  # a replaced entry's stored token still opens its server
        capabilities = _probe(entry, token or servers.get_server_token(entry.name))
        if capabilities.get("context_length") is None and args.context is None:
            return fail(
                "the server does not say how long its context is; add it again with "
                "--context N (the context length it was started with, e.g. --context 8192)"
            )
    if token:  # before the entry: a refused keychain leaves nothing half-added
        servers.set_server_token(entry.name, token)
    saved = servers.add_server(
        entry.name,
        entry.base_url,
        model=entry.model,
        allowed_offline=entry.allowed_offline,
        capabilities=capabilities,
        context_length=entry.context_length,
        concurrency=entry.concurrency,
        replace=args.replace,
    )
    context = saved.effective_context_length()
    print(
        f"Added {saved.name} ({saved.base_url}); context "
        + (f"{context} tokens" if context else "unknown: set it with --context before use")
        + ("" if capabilities is not None else "; not probed")
    )
    return EXIT_OK


def list_servers(args: argparse.Namespace) -> int:
    from logline.config import effective_settings
    from logline.models.server_policy import OfflineRefusedError, check_allowed, text_leaves_machine
    from logline.models.servers import list_servers

    entries = list_servers()
    settings = effective_settings()

    def refused_now(entry: ServerEntry) -> bool:
        try:
            check_allowed(entry, settings)
        except OfflineRefusedError:
            return True
        return False

    rows = [
        {
            "name": e.name,
            "url": e.base_url,
            "model": e.model,
            "context_length": e.effective_context_length(),
            "concurrency": e.concurrency,
            "allowed_offline": e.allowed_offline,
            "text_leaves_this_machine": text_leaves_machine(e),
            "refused_while_offline": refused_now(e),
        }
        for e in entries
    ]
    lines = [
        f"{r['name']:16} {r['url']:36} {r['model'] or '(server default)':24} "
        f"{'context ' + str(r['context_length']) if r['context_length'] else 'context unknown':16} "
        + ("text leaves this machine" if r["text_leaves_this_machine"] else "this machine only")
        + (", allowed offline" if r["allowed_offline"] else "")
        + (" (refused: offline mode is on)" if r["refused_while_offline"] else "")
        for r in rows
    ]
    text = "\n".join(lines) if lines else "No servers. Add one with `logline servers add NAME URL`."
    return print_json_or(args.json, rows, text)


def test(args: argparse.Namespace) -> int:
    from logline.models.servers import get_server, get_server_token

    entry = get_server(args.name)
    found = _probe(entry, get_server_token(entry.name))
    if args.json:
        return print_json_or(True, found, "")
    for key, value in found.items():
        if value is None:
            shown = "not reported"
        elif isinstance(value, (str, int, float)):
            shown = str(value)
        else:
            shown = json.dumps(value)
        print(f"{key}: {shown}")
    if entry.context_length is not None:
        print(f"Logline uses a context of {entry.context_length} tokens (this entry's --context).")
    elif found.get("context_length") is None:
        print(
            f"The server does not report its context length: set it with "
            f"`logline servers add {entry.name} {entry.base_url} --context N --replace`.",
            file=sys.stderr,
        )
    return EXIT_OK


def remove(args: argparse.Namespace) -> int:
    from logline.models.servers import remove_server

    entry = remove_server(args.name)
    print(f"Removed {entry.name}.")
    return EXIT_OK


_ACTIONS: dict[str, Callable[[argparse.Namespace], int]] = {
    "add": add,
    "list": list_servers,
    "test": test,
    "rm": remove,
}


def run(args: argparse.Namespace) -> int:
    from logline.config import SecureStorageUnavailableError
    from logline.models.server_policy import OfflineRefusedError
    from logline.models.servers import ServerEntryError

    action = _ACTIONS.get(args.servers_command)
    if action is None:
        return EXIT_USAGE
    try:
        return action(args)
    except (
        ServerEntryError,
        OfflineRefusedError,
        SecureStorageUnavailableError,
        ProbeFailedError,
    ) as exc:
        return fail(str(exc))


def add_parser(commands: Any) -> None:
    servers = commands.add_parser(
        "servers", help="inference servers (mlx_lm.server, vLLM, llama.cpp, Ollama) as models"
    )
    actions = servers.add_subparsers(dest="servers_command", metavar="ACTION", required=True)
    add_cmd = actions.add_parser("add", help="add a server (probed unless --no-probe)")
    add_cmd.add_argument("name", help="a short name: letters, digits, '-', '_', '.'")
    add_cmd.add_argument("url", help="its OpenAI-compatible address, e.g. http://render-01:8080/v1")
    add_cmd.add_argument("--model", help="the model id to ask for (default: the server's)")
    add_cmd.add_argument(
        "--token-stdin",
        action="store_true",
        help="read an API token from stdin (kept in the OS keychain)",
    )
    add_cmd.add_argument(
        "--allow-offline",
        action="store_true",
        help="allow this server while offline mode is on (for a public address you trust)",
    )
    add_cmd.add_argument(
        "--context", type=int, help="its context length in tokens, when it does not report it"
    )
    add_cmd.add_argument(
        "--concurrency", type=int, default=4, help="requests at once (default 4, at most 64)"
    )
    add_cmd.add_argument("--no-probe", action="store_true", help="do not connect to it now")
    add_cmd.add_argument("--replace", action="store_true", help="replace a server of this name")
    listing = actions.add_parser("list", help="the servers, and whether text leaves this machine")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    testing = actions.add_parser("test", help="probe a server and print what it supports")
    testing.add_argument("name")
    testing.add_argument("--json", action="store_true", help="machine-readable output")
    removing = actions.add_parser("rm", help="forget a server (and its token)")
    removing.add_argument("name")
