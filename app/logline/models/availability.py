"""Why a model cannot be used or downloaded now, in words a user can act on: too large for this
machine's memory, offline mode, or a model hub the last download could not reach.

Qt-free: the picker, the Models window and the CLI can share the sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from logline.models import fit
from logline.models.recommend import RECOMMEND_CONTEXT
from logline.units import format_bytes

if TYPE_CHECKING:
    from logline.models.catalog import CatalogEntry
    from logline.models.fit import FitVerdict

__all__ = [
    "FIT_CONTEXT",
    "OFFLINE_REASON",
    "UNREACHABLE_REASON",
    "MemoryFigures",
    "catalog_verdict",
    "folder_verdict",
    "too_large_reason",
    "unreachable_failure",
]

FIT_CONTEXT = RECOMMEND_CONTEXT  # the context the fit check assumes (the catalog's ram_bytes too)
OFFLINE_REASON = "Offline mode is on, so downloads are off."
UNREACHABLE_REASON = (
    "The last download could not reach the model hub (no network?), so downloads are off. "
    "Press Check Again once you are connected."
)


@dataclass(frozen=True)
class MemoryFigures:
    """The memory the fit advisor assumes; None: this machine's own figures (tests and "what
    if" set them)."""

    ram: int | None = None
    usable: int | None = None


def catalog_verdict(entry: CatalogEntry, memory: MemoryFigures) -> FitVerdict:
    """The fit verdict for a catalog model before it is downloaded (approximate sizes)."""
    return fit.advise_for_catalog(entry, FIT_CONTEXT, ram=memory.ram, usable=memory.usable)


def folder_verdict(folder: Path, memory: MemoryFigures) -> FitVerdict:
    """The fit verdict for a model on disk (its ``config.json`` and weights). OSError or
    ValueError when the folder cannot be read."""
    return fit.advise_for_folder(folder, FIT_CONTEXT, ram=memory.ram, usable=memory.usable)


def too_large_reason(verdict: FitVerdict, memory: MemoryFigures) -> str | None:
    """For a refused model, "needs 45 GB of memory; this Mac has 16 GB" (with the usable share
    when the total alone would seem enough); None when it fits."""
    if verdict.level != "refuse":
        return None
    total = fit.usable_memory(memory.ram)[0] if memory.ram is None else memory.ram
    needed = format_bytes(verdict.needed_bytes, memory=True)
    has = f"{fit.machine_name()} has {format_bytes(total, memory=True)}"
    if verdict.needed_bytes <= total:  # the GPU may use only part of it
        has += f" ({format_bytes(verdict.available_bytes, memory=True)} usable for models)"
    return f"needs {needed} of memory; {has}"


def unreachable_failure(error: BaseException) -> bool:
    """Whether a download failed because the network is off or the hub cannot be reached (not
    a server that stalled or sent bad data: those are worth another try at once)."""
    from logline.models.errors import DownloadError, DownloadTimeoutError, ModelNotDownloadedError

    if isinstance(error, ModelNotDownloadedError):  # pull found the hub unreachable
        return True
    if not isinstance(error, DownloadError) or isinstance(error, DownloadTimeoutError):
        return False
    import httpx2  # lazy: the HTTP stack is loaded by the download that failed

    return isinstance(error.__cause__, httpx2.ConnectError)
