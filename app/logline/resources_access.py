"""Read files shipped in ``resources/`` (installed as the ``logline.resources`` package)."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


def resource(relative: str) -> Traversable:
    """A shipped resource by its path relative to ``resources/``, e.g. ``prompts/system.txt``."""
    node = files("logline.resources")
    for part in relative.split("/"):
        node = node / part
    if not node.is_file():
        raise FileNotFoundError(f"Logline resource missing from the installation: {relative}")
    return node


def read_text(relative: str) -> str:
    return resource(relative).read_text(encoding="utf-8")
