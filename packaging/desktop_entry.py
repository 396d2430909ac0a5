"""MIME types for the Linux package: the desktop entry lists them, shared-mime-info learns ours.

Briefcase's Linux template writes a ``.desktop`` entry without ``MimeType=``, so file managers
would not offer Logline for scripts. After ``briefcase create linux system`` this adds:

- ``MimeType=`` with every document type of briefcase.toml to the app's desktop entry;
- ``usr/share/mime/packages/<bundle id>.xml`` declaring the types the system may not know
  (Fountain, Final Draft) by their extensions. dpkg's triggers (desktop-file-utils,
  shared-mime-info) refresh the system's caches when the package installs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

# Types every desktop already knows: declaring them again would only duplicate them.
KNOWN_TYPES = {"application/pdf"}


def document_types(tool: dict[str, Any]) -> list[dict[str, str]]:
    """The document types of the (only) app in the merged Briefcase config."""
    (app,) = tool["app"].values()
    return list(app.get("document_type", {}).values())


def mime_xml(types: list[dict[str, str]]) -> str:
    entries = [
        f'  <mime-type type="{escape(t["mime_type"])}">\n'
        f"    <comment>{escape(t['description'])}</comment>\n"
        f'    <glob pattern="*.{escape(t["extension"])}"/>\n'
        "  </mime-type>\n"
        for t in types
        if t["mime_type"] not in KNOWN_TYPES
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">\n'
        + "".join(entries)
        + "</mime-info>\n"
    )


def add_mime_types(staging: Path, tool: dict[str, Any]) -> Path:
    """Patch the desktop entry Briefcase created under ``staging/build``; return its path."""
    entries = sorted((staging / "build").glob("*/*/*/*/usr/share/applications/*.desktop"))
    if len(entries) != 1:
        raise SystemExit(f"expected one desktop entry under {staging / 'build'}, found {entries}")
    desktop = entries[0]
    types = document_types(tool)
    lines = [
        line
        for line in desktop.read_text(encoding="utf-8").splitlines()
        if not line.startswith("MimeType=")
    ]
    lines.append("MimeType=" + "".join(f"{t['mime_type']};" for t in types))
    desktop.write_text("\n".join(lines) + "\n", encoding="utf-8")
    usr = desktop.parents[2]
    packages = usr / "share" / "mime" / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    (packages / f"{desktop.stem}.xml").write_text(mime_xml(types), encoding="utf-8")
    return desktop
