"""Prompt template files: the shipped ones and the user's editable copies.

Templates ship in ``resources/prompts/<name>.txt``. A copy the user edits in
``data_dir()/prompts/<name>.txt`` overrides the shipped one while it is valid: it must parse as a
``str.format`` template, use every required field and no field the caller cannot fill. An invalid
copy is ignored with a warning naming the file (logged once per version of the file), so a typo in a
user's edit never breaks a summary. :func:`export_prompts` writes the shipped templates there for
editing.
"""

from __future__ import annotations

import logging
import string
import sys
from collections.abc import Collection
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importlib.resources.abc is new in Python 3.11
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

from logline import paths
from logline.resources_access import resource

log = logging.getLogger(__name__)

PROMPTS = "prompts"
SUFFIX = ".txt"

_warned: set[tuple[str, int, int]] = set()


class TemplateError(ValueError):
    """A template that cannot be used (bad braces, a missing or unknown field)."""


def user_prompts_dir() -> Path:
    """Where the user's editable copies live (may not exist yet)."""
    return paths.data_dir() / PROMPTS


def shipped_names() -> list[str]:
    """Names (without ``.txt``) of every shipped template, sorted."""
    return sorted(
        entry.name[: -len(SUFFIX)]
        for entry in _shipped_folder().iterdir()
        if entry.is_file() and entry.name.endswith(SUFFIX)
    )


def _shipped_folder() -> Traversable:
    return files("logline.resources") / PROMPTS


@cache
def shipped_template(name: str) -> str:
    """The shipped template ``resources/prompts/<name>.txt`` (stripped)."""
    return resource(f"{PROMPTS}/{name}{SUFFIX}").read_text(encoding="utf-8").strip()


def has_template(name: str) -> bool:
    """Whether a template called ``name`` exists, shipped or as a user file."""
    if (user_prompts_dir() / f"{name}{SUFFIX}").is_file():
        return True
    return (_shipped_folder() / f"{name}{SUFFIX}").is_file()


def template_fields(text: str) -> set[str]:
    """The ``{field}`` names ``text`` uses; :class:`TemplateError` when it cannot be formatted
    safely (unbalanced braces, positional fields, attribute or index access, conversions)."""
    fields: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateError(
            f"unbalanced braces ({exc}); write a literal brace as {{{{ or }}}}"
        ) from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier():
            raise TemplateError(f"{{{field}}} is not a plain field name")
        if spec or conversion:
            raise TemplateError(f"{{{field}}} must not carry a format spec or conversion")
        fields.add(field)
    return fields


def check_template(text: str, *, required: Collection[str], allowed: Collection[str]) -> None:
    """Raise :class:`TemplateError` unless ``text`` is usable with these fields."""
    if not text.strip():
        raise TemplateError("the file is empty")
    fields = template_fields(text)
    missing = set(required) - fields
    if missing:
        raise TemplateError("missing " + ", ".join(f"{{{f}}}" for f in sorted(missing)))
    unknown = fields - set(allowed) - set(required)
    if unknown:
        raise TemplateError(
            "unknown "
            + ", ".join(f"{{{f}}}" for f in sorted(unknown))
            + "; usable fields: "
            + ", ".join(f"{{{f}}}" for f in sorted(set(allowed) | set(required)))
        )


def load_template(
    name: str, *, required: Collection[str] = (), allowed: Collection[str] = ()
) -> str:
    """The template ``name``: the user's copy when present and valid, else the shipped one.

    Raises ``FileNotFoundError`` when neither exists.
    """
    user_file = user_prompts_dir() / f"{name}{SUFFIX}"
    if user_file.is_file():
        text = _read_user(user_file, required=required, allowed=allowed)
        if text is not None:
            return text
    return shipped_template(name)


def _read_user(path: Path, *, required: Collection[str], allowed: Collection[str]) -> str | None:
    """The user's template, or ``None`` (with a warning once per file version) when unusable."""
    try:
        stat = path.stat()
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        _warn_once(path, (0, 0), str(exc))
        return None
    try:
        check_template(text, required=required, allowed=allowed)
    except TemplateError as exc:
        _warn_once(path, (stat.st_mtime_ns, stat.st_size), str(exc))
        return None
    return text


def _warn_once(path: Path, version: tuple[int, int], reason: str) -> None:
    key = (str(path), *version)
    if key not in _warned:
        _warned.add(key)
        log.warning("Ignoring the prompt file %s (%s); using the shipped one", path, reason)


def export_prompts(overwrite: bool = False) -> Path:
    """Write every shipped template to :func:`user_prompts_dir` for editing; return the folder.

    Existing files are kept unless ``overwrite`` (the user's edits are never lost by default).
    """
    folder = user_prompts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name in shipped_names():
        target = folder / f"{name}{SUFFIX}"
        if target.exists() and not overwrite:
            continue
        target.write_text(shipped_template(name) + "\n", encoding="utf-8")
    log.info("Prompt templates exported to %s", folder)
    return folder
