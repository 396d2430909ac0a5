"""Byte sizes as people read them: the one formatter the CLI, the models layer and the GUI share.

One convention, the one macOS itself uses:

* Sizes on disk and over the network (files, models, downloads, rates) are **decimal**:
  1 KB = 1,000 bytes, 1 MB = 1,000,000 bytes, as Finder shows them.
* Amounts of memory (RAM, peak memory) are **binary** but labelled the same way, as Activity
  Monitor and "About This Mac" show them: an 8 GiB Mac "has 8 GB".

Numbers keep one decimal below 100 and none from 100 up, and drop a trailing ``.0``
("1.2 GB", "18.3 MB", "8 GB", "412 MB"). Below 1 KB the count of bytes is written out.
No dependencies, no Qt.
"""

from __future__ import annotations

_UNITS = ("KB", "MB", "GB", "TB")


def format_bytes(n: float, *, memory: bool = False) -> str:
    """``n`` bytes as text: "0 bytes", "999 bytes", "1 KB", "18.3 MB", "2.1 GB", "1,234 TB".

    ``memory=True`` counts in powers of 1,024 (RAM, peak memory); the default counts in powers
    of 1,000 (disk and download sizes). A negative ``n`` (a difference) gets a minus sign."""
    if n < 0:
        return "-" + format_bytes(-n, memory=memory)
    base = 1024 if memory else 1000
    count = round(n)
    if count < base:
        return "1 byte" if count == 1 else f"{count:,} bytes"
    value = float(n)
    unit = ""
    for unit in _UNITS:
        value /= base
        # Move up once the shown figure would read 1,000 or more ("1,000 MB" -> "1 GB").
        if _shown(value) < 1000 or unit == _UNITS[-1]:
            break
    return f"{_number(value)} {unit}"


def format_rate(bytes_per_second: float) -> str:
    """A transfer speed: "18.3 MB/s" (decimal, like download sizes)."""
    return f"{format_bytes(bytes_per_second)}/s"


def format_bytes_pair(done: float, total: float) -> str:
    """Progress through ``total`` bytes, both figures in the unit and with the decimals of the
    total, so the line does not change width as it counts: "1.0 / 4.5 GB", "18 / 412 MB"
    (decimal)."""
    if round(total) < 1000:
        return f"{round(done):,} / {round(total):,} bytes"
    scale = 1000
    unit = _UNITS[0]
    for unit in _UNITS:
        if _shown(total / scale) < 1000 or unit == _UNITS[-1]:
            break
        scale *= 1000
    digits = 1 if _shown(total / scale) < 100 else 0
    return f"{done / scale:,.{digits}f} / {total / scale:,.{digits}f} {unit}"


def _shown(value: float) -> float:
    """The figure ``_number`` writes for ``value``, as a number."""
    return round(value, 1) if round(value, 1) < 100 else round(value)


def _number(value: float) -> str:
    if _shown(value) < 100:
        text = f"{value:,.1f}"
        return text[:-2] if text.endswith(".0") else text
    return f"{value:,.0f}"
