"""Inference servers as models: entries in ``data_dir()/servers.json``, tokens in the keychain.

A server entry names an OpenAI-compatible server (mlx_lm.server, vLLM, llama.cpp, Ollama,
LM Studio) by its base address, with what its capability probe found (``capabilities``: the
probe's ``to_json()``), a context length the user set where the server does not report one,
and how many requests may run at once. The file is written atomically and private (0600);
reading validates every field, and a broken file is one sentence (:class:`ServerEntryError`),
never a traceback.

A server's token never goes into the file: it lives in the OS keychain, under the hub token's
service (``config.KEYRING_SERVICE``) with the user name ``server:<name>``. Where there is no
keychain, ``LOGLINE_SERVER_TOKEN_<NAME>`` (the name upper-cased, ``-`` and ``.`` as ``_``) holds
it for the session; that variable also wins over the keychain, as ``HF_TOKEN`` does for the hub.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from logline import config, paths

log = logging.getLogger(__name__)

SERVERS_NAME = "servers.json"
SERVERS_VERSION = 1
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 64
MAX_NAME_LENGTH = 64
MIN_CONTEXT = 256
MAX_SERVERS_FILE_BYTES = 4 << 20

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class ServerEntryError(ValueError):
    """A server entry or the servers file is wrong; the message is one sentence for people."""


@dataclass(frozen=True)
class ServerEntry:
    name: str
    base_url: str
    model: str | None = None
    allowed_offline: bool = False
    capabilities: dict[str, Any] | None = None  # the probe's to_json(), as found when added
    context_length: int | None = None  # the user's setting; wins over the probe's figure
    concurrency: int = DEFAULT_CONCURRENCY
    added_at: str = ""  # ISO 8601, UTC

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    def effective_context_length(self) -> int | None:
        """The user's context length, else the one the probe found, else None (ask the user)."""
        if self.context_length is not None:
            return self.context_length
        found = (self.capabilities or {}).get("context_length")
        return found if _positive_int(found) else None

    def label(self) -> str:
        """How a picker shows it: "llama-3.3-70b on render-01"."""
        return f"{self.model} on {self.name}" if self.model else f"{self.name} (server)"


# --- validation ----------------------------------------------------------------------------


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def name_problem(name: Any) -> str | None:
    """Why ``name`` cannot name a server, or None."""
    if not isinstance(name, str) or not name:
        return "A server needs a name."
    if len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name):
        return (
            f"The server name {name[:MAX_NAME_LENGTH]!r} may only hold letters, digits, '-', "
            f"'_' and '.', start with a letter or digit, and be at most {MAX_NAME_LENGTH} long."
        )
    return None


def url_problem(url: Any) -> str | None:
    """Why ``url`` is not a usable server address (http or https, a host, no credentials)."""
    if not isinstance(url, str) or not url.strip():
        return "A server needs an address, such as http://render-01:8080/v1."
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "The server address cannot contain spaces or control characters."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return "The server address is not a valid web address."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "The server address must start with http:// or https:// and name a host."
    if parts.username is not None or parts.password is not None:
        return "The server address cannot hold a user name or password: use --token-stdin."
    if parts.query or parts.fragment:
        return "The server address cannot have a query (?…) or a fragment (#…)."
    return None


def _problem(entry: ServerEntry) -> str | None:
    """Why a stored entry is unusable, or None."""
    problem = name_problem(entry.name) or url_problem(entry.base_url)
    if problem:
        return problem
    if entry.model is not None and (not isinstance(entry.model, str) or not entry.model.strip()):
        return "its model must be a non-empty text"
    if not isinstance(entry.allowed_offline, bool):
        return "allowed_offline must be true or false"
    if entry.capabilities is not None and not isinstance(entry.capabilities, dict):
        return "its capabilities must be a table"
    if entry.context_length is not None and not (
        _positive_int(entry.context_length) and entry.context_length >= MIN_CONTEXT
    ):
        return f"its context length must be a whole number of at least {MIN_CONTEXT}"
    if not _positive_int(entry.concurrency) or entry.concurrency > MAX_CONCURRENCY:
        return f"its concurrency must be between 1 and {MAX_CONCURRENCY}"
    if not isinstance(entry.added_at, str):
        return "added_at must be a date"
    return None


# --- the file ------------------------------------------------------------------------------


def servers_path() -> Path:
    return paths.data_dir() / SERVERS_NAME


def _broken(path: Path, why: str) -> ServerEntryError:
    return ServerEntryError(f"The server list {path} cannot be read ({why}); fix or remove it.")


def _entry_from(item: Any, path: Path) -> ServerEntry:
    if not isinstance(item, dict):
        raise _broken(path, "a server is not a table")
    known = {f.name for f in fields(ServerEntry)}
    unknown = sorted(set(item) - known)
    if unknown:
        log.warning("servers: ignoring unknown fields %s", ", ".join(unknown))
    try:
        entry = ServerEntry(**{k: v for k, v in item.items() if k in known})
    except TypeError:
        raise _broken(path, "a server lacks its name or address") from None
    problem = _problem(entry)
    if problem:
        raise _broken(path, f"server {str(entry.name)[:MAX_NAME_LENGTH]!r}: {problem.rstrip('.')}")
    return entry


def _read(path: Path | None = None) -> list[ServerEntry]:
    path = path or servers_path()
    try:
        if path.stat().st_size > MAX_SERVERS_FILE_BYTES:
            raise _broken(path, "it is far too large")
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise _broken(path, type(exc).__name__) from None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise _broken(path, "it is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("servers"), list):
        raise _broken(path, "it has no list of servers")
    entries = [_entry_from(item, path) for item in data["servers"]]
    names = [e.name.lower() for e in entries]
    if len(set(names)) != len(names):
        raise _broken(path, "two servers have the same name")
    return entries


def _write(entries: list[ServerEntry], path: Path | None = None) -> None:
    """Atomic (temp file + ``os.replace``) and private (0600 in a 0700 folder)."""
    path = path or servers_path()
    paths.private_folder(path.parent)
    payload = {"version": SERVERS_VERSION, "servers": [asdict(e) for e in entries]}
    text = json.dumps(payload, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".servers-", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, paths.PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def list_servers() -> list[ServerEntry]:
    """Every server entry, in the order they were added; ServerEntryError for a broken file."""
    return _read()


def get_server(name: str) -> ServerEntry:
    """The entry called ``name`` (case-insensitive); ServerEntryError when there is none."""
    for entry in _read():
        if entry.name.lower() == name.lower():
            return entry
    raise ServerEntryError(f"There is no server called {name[:MAX_NAME_LENGTH]!r}.")


def add_server(
    name: str,
    base_url: str,
    *,
    model: str | None = None,
    allowed_offline: bool = False,
    capabilities: dict[str, Any] | None = None,
    context_length: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    replace: bool = False,
) -> ServerEntry:
    """Validate and store a new entry (or, with ``replace``, one of the same name)."""
    entry = ServerEntry(
        name=name,
        base_url=base_url.strip().rstrip("/") if isinstance(base_url, str) else base_url,
        model=model,
        allowed_offline=allowed_offline,
        capabilities=capabilities,
        context_length=context_length,
        concurrency=concurrency,
        added_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    problem = _problem(entry)
    if problem:
        raise ServerEntryError(problem if problem.endswith(".") else f"The server's {problem}.")
    entries = _read()
    same = [e for e in entries if e.name.lower() == name.lower()]
    if same and not replace:
        raise ServerEntryError(f"A server called {same[0].name!r} exists already.")
    _write([e for e in entries if e not in same] + [entry])
    log.info("servers: added %s", entry.name)
    return entry


def remove_server(name: str) -> ServerEntry:
    """Remove the entry and its keychain token; the removed entry (ServerEntryError if none)."""
    entry = get_server(name)
    _write([e for e in _read() if e.name != entry.name])
    with contextlib.suppress(config.SecureStorageUnavailableError):
        delete_server_token(entry.name)  # no keychain: nothing was stored there
    log.info("servers: removed %s", entry.name)
    return entry


# --- tokens --------------------------------------------------------------------------------


def token_env_var(name: str) -> str:
    """The session variable for a server's token: ``LOGLINE_SERVER_TOKEN_RENDER_01``."""
    return "LOGLINE_SERVER_TOKEN_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _username(name: str) -> str:
    return f"server:{name.lower()}"  # names are case-insensitive, like the entries


def no_keychain(name: str) -> str:
    return f"no secure storage available; set {token_env_var(name)} for this session"


def get_server_token(name: str) -> str | None:
    """The session variable when set, else the keychain's token, else None."""
    env = os.environ.get(token_env_var(name), "").strip()
    if env:
        return env
    keyring = config._keyring()
    if keyring is None:
        return None
    try:
        token = keyring.get_password(config.KEYRING_SERVICE, _username(name))
    except Exception as exc:  # keyring.errors.KeyringError and backend-specific errors
        log.warning("Could not read a server token from the keychain (%s)", type(exc).__name__)
        return None
    return token or None


def set_server_token(name: str, token: str) -> None:
    """Keep ``token`` in the keychain; SecureStorageUnavailableError (naming the variable) if
    there is none."""
    if not token or not token.strip():
        raise ValueError("The server token is empty.")
    keyring = config._keyring()
    if keyring is None:
        raise config.SecureStorageUnavailableError(no_keychain(name))
    try:
        keyring.set_password(config.KEYRING_SERVICE, _username(name), token.strip())
    except Exception as exc:  # never the token, nor the exception's text (it might echo it)
        raise config.SecureStorageUnavailableError(
            f"{no_keychain(name)} (the keychain refused: {type(exc).__name__})"
        ) from None


def delete_server_token(name: str) -> bool:
    """Remove the server's keychain token; True when one was removed."""
    keyring = config._keyring()
    if keyring is None:
        raise config.SecureStorageUnavailableError(no_keychain(name))
    try:
        if keyring.get_password(config.KEYRING_SERVICE, _username(name)) is None:
            return False
        keyring.delete_password(config.KEYRING_SERVICE, _username(name))
    except Exception as exc:
        raise config.SecureStorageUnavailableError(
            f"{no_keychain(name)} (the keychain refused: {type(exc).__name__})"
        ) from None
    return True
