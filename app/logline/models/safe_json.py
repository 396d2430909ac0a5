"""JSON from a model file, parsed with limits: size, nesting depth, finite numbers, unique keys.

A model folder is untrusted input. ``json.loads`` alone lets a hostile ``config.json`` raise
``RecursionError`` (deep nesting), smuggle ``NaN``/``Infinity`` into numbers, or hide a second
value behind a duplicate key (the last one wins here, maybe the first elsewhere). Every failure
here is the caller's :class:`~logline.models.errors.ModelImportError` subclass with one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from logline.models.errors import ModelImportError

MAX_DEPTH = 32  # real configs nest 3 or 4 deep
MAX_JSON_BYTES = 64 << 20  # a tokenizer.json of a 256k vocabulary is ~ 20 MB


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice")
        result[key] = value
    return result


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep ``value`` nests (iteratively: never a RecursionError); stops past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children)
    return deepest


def parse_json(
    raw: bytes | str,
    what: str,
    error: type[ModelImportError] = ModelImportError,
    *,
    max_depth: int = MAX_DEPTH,
    finite: bool = True,
) -> Any:
    """``raw`` parsed, or ``error`` naming ``what`` (e.g. 'The config.json of "x"').

    ``finite=False`` lets ``NaN``/``Infinity`` through for a caller that names the key itself."""
    import json

    try:
        if finite:
            value = json.loads(raw, object_pairs_hook=_unique, parse_constant=_no_constants)
        else:
            value = json.loads(raw, object_pairs_hook=_unique)
    except RecursionError:
        raise error(f"{what} is nested too deeply to be a model file.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise error(f"{what} cannot be read: it is not valid JSON ({reason}).") from None
    if depth(value, max_depth) > max_depth:
        raise error(f"{what} is nested more than {max_depth} levels deep.")
    return value


def read_json(
    path: Path,
    what: str,
    error: type[ModelImportError] = ModelImportError,
    *,
    max_bytes: int = MAX_JSON_BYTES,
    expect: type = dict,
    finite: bool = True,
) -> Any:
    """The JSON file ``path`` (a regular file no larger than ``max_bytes``) as ``expect``."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{what} cannot be read: {exc.strerror or exc}.") from None
    if len(raw) > max_bytes:
        raise error(f"{what} is larger than {max_bytes >> 20} MB, too large for a model file.")
    value = parse_json(raw, what, error, finite=finite)
    if not isinstance(value, expect):
        kind = "a JSON object" if expect is dict else f"a JSON {expect.__name__}"
        raise error(f"{what} is not {kind}.")
    return value
