"""Versioned user settings in ``paths.data_dir()/settings.json``, with environment overrides.

The file is written atomically (temp file + ``os.replace``). Unknown or invalid fields are
dropped with a logged warning, never fatal. ``load_settings()`` returns what the file says;
``effective_settings()`` applies the environment on top (``LOGLINE_OFFLINE=1`` or
``HF_HUB_OFFLINE=1`` → offline, ``HF_ENDPOINT`` → hub endpoint) without persisting it.
The window's Settings (``ui/settings_dialog.py``) edit them; ``endpoint_problem`` and
``generation_problem`` say in words why a value would be refused.

A hub token never goes into the settings file: ``get_token``/``set_token``/``delete_token`` use
the operating system's keychain through the optional ``keyring`` package.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from logline import paths

log = logging.getLogger(__name__)

SETTINGS_NAME = "settings.json"
SETTINGS_VERSION = 1
DEFAULT_CACHE_BUDGET_BYTES = 40 * 10**9  # 40 GB (decimal, as Finder shows disk sizes)

KEYRING_SERVICE = "Logline"
KEYRING_USERNAME = "huggingface-token"
NO_SECURE_STORAGE = "no secure storage available; set HF_TOKEN for this session"

THEMES = ("system", "light", "dark")
# Per-mode generation defaults the summarizer honours (the final answer's SamplingParams).
GENERATION_LIMITS: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 2.0),
    "max_tokens": (16, 8192),
}


@dataclass(frozen=True)
class Settings:
    cache_budget_bytes: int = DEFAULT_CACHE_BUDGET_BYTES
    offline: bool = False
    hub_endpoint: str | None = None
    default_model: str | None = None
    built_in_notice_shown: bool = False  # the window's first-run notice about the built-in model
    default_mode: str | None = None  # a summary mode id; None: the app's default
    theme: str = "system"  # one of THEMES; LOGLINE_THEME in the environment wins
    # {mode id: {"temperature": 0.3, "max_tokens": 900}}: overrides of the mode's own values
    generation: dict[str, dict[str, float | int]] = field(default_factory=dict)
    version: int = SETTINGS_VERSION


def endpoint_problem(text: str) -> str | None:
    """Why ``text`` is not a usable hub endpoint (an http or https address), or None."""
    text = text.strip()
    if not text:
        return None  # empty: the default hub
    if any(c.isspace() for c in text):
        return "The hub address cannot contain spaces."
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return "The hub address is not a valid web address."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "The hub address must start with https:// (or http://) and name a server."
    return None


def generation_problem(values: Any) -> str | None:
    """Why ``values`` (one mode's overrides) cannot be used, or None."""
    if not isinstance(values, dict):
        return "generation defaults must be a table of values"
    for key, value in values.items():
        if key not in GENERATION_LIMITS:
            return f"unknown generation setting {key!r}"
        low, high = GENERATION_LIMITS[key]
        numeric = (int,) if key == "max_tokens" else (int, float)
        if isinstance(value, bool) or not isinstance(value, numeric) or not low <= value <= high:
            return f"{key} must be between {low:g} and {high:g}"
    return None


def _valid(name: str, value: Any) -> bool:
    if name == "cache_budget_bytes":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if name in ("offline", "built_in_notice_shown"):
        return isinstance(value, bool)
    if name == "hub_endpoint":
        return value is None or (
            isinstance(value, str) and value.strip() != "" and endpoint_problem(value) is None
        )
    if name in ("default_model", "default_mode"):
        return value is None or (isinstance(value, str) and value.strip() != "")
    if name == "theme":
        return value in THEMES
    if name == "generation":
        return isinstance(value, dict) and all(
            isinstance(mode, str) and mode.strip() != "" and generation_problem(v) is None
            for mode, v in value.items()
        )
    return True


# Migrations: MIGRATIONS[n] turns a version-n dict into a version-(n+1) dict.
Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a settings dict up to ``SETTINGS_VERSION`` (files without a version count as 1)."""
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        log.warning("settings: invalid version %r, treating as 1", version)
        version = 1
    if version > SETTINGS_VERSION:
        log.warning(
            "settings: file version %d is newer than this Logline (%d); reading known fields",
            version,
            SETTINGS_VERSION,
        )
        return {**data, "version": SETTINGS_VERSION}
    while version < SETTINGS_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    return {**data, "version": SETTINGS_VERSION}


def settings_path() -> Path:
    return paths.data_dir() / SETTINGS_NAME


def from_dict(data: dict[str, Any]) -> Settings:
    """Settings from a (possibly old, partial or hand-edited) dict; bad fields fall back."""
    data = migrate(dict(data))
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in known:
            log.warning("settings: ignoring unknown field %r", name)
        elif not _valid(name, value):
            log.warning("settings: ignoring invalid value for %r (using the default)", name)
        else:
            values[name] = value
    return Settings(**values)


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings (defaults when the file is missing or unreadable)."""
    path = path or settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        log.warning("settings: cannot read %s (%s); using defaults", path, exc)
        return Settings()
    if not isinstance(data, dict):
        log.warning("settings: %s is not a JSON object; using defaults", path)
        return Settings()
    return from_dict(data)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically: a crash leaves either the old file or the new one, never half."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(asdict(replace(settings, version=SETTINGS_VERSION)), indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_settings(**changes: Any) -> Settings:
    """Load, change the given fields (validated), save and return the new settings."""
    current = asdict(load_settings())
    for name, value in changes.items():
        if name not in current or name == "version":
            raise ValueError(f"Unknown setting {name!r}")
        if not _valid(name, value):
            raise ValueError(f"Invalid value for setting {name!r}: {value!r}")
    new = replace(load_settings(), **changes)
    save_settings(new)
    return new


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def effective_settings(settings: Settings | None = None) -> Settings:
    """The settings with environment overrides applied (not saved)."""
    settings = settings or load_settings()
    if _env_flag("LOGLINE_OFFLINE") or _env_flag("HF_HUB_OFFLINE"):
        settings = replace(settings, offline=True)
    endpoint = os.environ.get("HF_ENDPOINT", "").strip()
    if endpoint:
        settings = replace(settings, hub_endpoint=endpoint)
    return settings


# --- the hub token: OS keychain only -------------------------------------------------------


class SecureStorageUnavailableError(RuntimeError):
    """No keychain backend: the token can only come from ``HF_TOKEN``."""


def _keyring() -> Any | None:
    """The ``keyring`` module when importable and backed by a real store, else None."""
    try:
        import keyring  # lazy: optional, and slow-ish to import
        from keyring.backends import fail
    except Exception:  # ImportError, or a broken backend raising at import
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    return keyring


def secure_storage_available() -> bool:
    return _keyring() is not None


def get_token() -> str | None:
    """The hub token: ``HF_TOKEN`` for this session when set, else the keychain's, else None."""
    env = os.environ.get("HF_TOKEN", "").strip()
    if env:
        return env
    keyring = _keyring()
    if keyring is None:
        return None
    try:
        token = keyring.get_password(KEYRING_SERVICE, KEYRING_USERNAME)
    except Exception as exc:  # keyring.errors.KeyringError and backend-specific errors
        log.warning("Could not read the hub token from the keychain (%s)", type(exc).__name__)
        return None
    return token or None


def stored_token_exists() -> bool:
    """Whether the keychain holds a hub token (``HF_TOKEN`` aside); never reveals it."""
    keyring = _keyring()
    if keyring is None:
        return False
    try:
        return bool(keyring.get_password(KEYRING_SERVICE, KEYRING_USERNAME))
    except Exception as exc:
        log.warning("Could not read the hub token from the keychain (%s)", type(exc).__name__)
        return False


def set_token(token: str) -> None:
    """Store the token in the keychain; SecureStorageUnavailableError when there is none."""
    if not token or not token.strip():
        raise ValueError("The hub token is empty.")
    keyring = _keyring()
    if keyring is None:
        raise SecureStorageUnavailableError(NO_SECURE_STORAGE)
    try:
        keyring.set_password(KEYRING_SERVICE, KEYRING_USERNAME, token.strip())
    except Exception as exc:
        # Never include the token (or the exception text, which might echo it).
        raise SecureStorageUnavailableError(
            f"{NO_SECURE_STORAGE} (the keychain refused: {type(exc).__name__})"
        ) from None
    log.info("Hub token saved to the keychain")


def delete_token() -> bool:
    """Remove the stored token; True when one was removed."""
    keyring = _keyring()
    if keyring is None:
        raise SecureStorageUnavailableError(NO_SECURE_STORAGE)
    try:
        if keyring.get_password(KEYRING_SERVICE, KEYRING_USERNAME) is None:
            return False
        keyring.delete_password(KEYRING_SERVICE, KEYRING_USERNAME)
    except Exception as exc:
        raise SecureStorageUnavailableError(
            f"{NO_SECURE_STORAGE} (the keychain refused: {type(exc).__name__})"
        ) from None
    log.info("Hub token removed from the keychain")
    return True
