"""Offline mode and inference servers: which addresses may be used, decided without the network.

Offline mode (``Settings.offline``, or ``LOGLINE_OFFLINE=1``) promises that no text leaves the
user's network. A server on this machine (loopback) or on a private network (10/8, 172.16/12,
192.168/16, fc00::/7, link-local) is allowed; any other address is refused unless its entry is
marked "allowed while offline". The decision reads the address as written and resolves nothing:
a host name other than ``localhost`` counts as public, since looking it up would itself be a
network request (and DNS could answer anything).
"""

from __future__ import annotations

import ipaddress

from logline.config import Settings
from logline.models.servers import ServerEntry


class OfflineRefusedError(PermissionError):
    """Offline mode forbids this server; the message is one sentence for people."""


def _literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 zone id aside
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine, judged from the text alone."""
    if host.lower().rstrip(".") == "localhost":
        return True
    address = _literal_ip(host)
    return address is not None and address.is_loopback


def is_local_network(host: str) -> bool:
    """Whether ``host`` is this machine or a private-network address, from the text alone."""
    if is_loopback(host):
        return True
    address = _literal_ip(host)
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_private or address.is_link_local


def text_leaves_machine(entry: ServerEntry) -> bool:
    """Whether a request to this server sends the document's text to another machine."""
    return not is_loopback(entry.host)


def check_allowed(entry: ServerEntry, settings: Settings) -> None:
    """Raise :class:`OfflineRefusedError` when offline mode forbids ``entry``; else nothing.

    Call it before every connection to a server (probe, summary, chat): it opens none itself."""
    if not settings.offline or entry.allowed_offline or is_local_network(entry.host):
        return
    raise OfflineRefusedError(
        f"Offline mode is on and the server {entry.name!r} ({entry.host}) is not on this machine "
        f"or a private network; turn offline mode off, or mark it allowed with "
        f"`logline servers add {entry.name} {entry.base_url} --allow-offline --replace`."
    )
