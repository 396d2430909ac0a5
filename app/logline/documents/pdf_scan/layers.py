"""Optional content (PDF layers): which layers a viewer hides when it opens the file.

Text in a layer that is off by default (``/OCProperties /D``: ``/OFF``, or ``/BaseState /OFF``
without ``/ON``) is not seen by a reader, so the scanner leaves it out like invisible text. Content
is tied to a layer by ``/OC /Name BDC … EMC`` (the name looked up in the resources'
``/Properties``) or by a form XObject's ``/OC`` entry; either may name a layer (``/OCG``) or a
membership dictionary (``/OCMD``, visible while any of its layers is on, the default policy).
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

MAX_LAYERS = 10_000  # layers read from one document: more are ignored


def hidden_layers(reader: Any) -> frozenset[Any]:
    """Keys (object number, generation) of the layers ``reader``'s document hides by default."""
    try:
        properties = reader.trailer["/Root"].get_object().get("/OCProperties")
        if properties is None:
            return frozenset()
        properties = properties.get_object()
        default = properties.get("/D")
        default = default.get_object() if default is not None else {}
        off = {_key(ref) for ref in _refs(default.get("/OFF"))}
        if default.get("/BaseState") == "/OFF":
            on = {_key(ref) for ref in _refs(default.get("/ON"))}
            off |= {_key(ref) for ref in _refs(properties.get("/OCGs"))} - on
        return frozenset(off)
    except Exception as exc:  # a damaged layer table hides nothing
        logger.debug("Unreadable optional content: %s", type(exc).__name__)
        return frozenset()


def is_hidden(entry: Any, hidden: frozenset[Any]) -> bool:
    """Whether the layer or membership dictionary ``entry`` (a reference) is hidden."""
    if not hidden or entry is None:
        return False
    try:
        if _key(entry) in hidden:
            return True
        value = entry.get_object()
        if not hasattr(value, "get") or value.get("/Type") != "/OCMD":
            return False
        off = [_key(ref) in hidden for ref in _refs(value.get("/OCGs"))]
        if not off:
            return False
        policy = value.get("/P", "/AnyOn")  # when the content is shown
        if policy == "/AllOn":
            return any(off)
        if policy == "/AnyOff":
            return not any(off)
        if policy == "/AllOff":
            return not all(off)
        return all(off)  # /AnyOn
    except Exception:  # a broken entry hides nothing
        return False


def _refs(value: Any) -> list[Any]:
    if value is None:
        return []
    value = value.get_object() if hasattr(value, "get_object") else value
    if not isinstance(value, list):
        return [value]
    return list(value[:MAX_LAYERS])


def _key(ref: Any) -> Any:
    return (ref.idnum, ref.generation) if hasattr(ref, "idnum") else id(ref)
