"""Check the macOS app definition on any OS: Briefcase renders the app's Info.plist from it.

    python packaging/check_macos.py STAGING [--template DIR]

Run it with a Python that has Briefcase (``make package`` installs it in build/venv-pack) on a
staged project (``python packaging/build_app.py --stage-only``). It loads the staged
pyproject.toml with Briefcase's own parser and config classes for the macOS app target, then runs
Briefcase's template step (``briefcase create macOS app`` without the host check, the Python
support package and the pip installs, which need a Mac) and checks the rendered Info.plist:
document types, ``LSMinimumSystemVersion`` 13.0, arm64 only. Exit 0 when all hold.
"""

from __future__ import annotations

import argparse
import plistlib
import sys
from pathlib import Path

EXPECTED_EXTENSIONS = {"fountain", "fdx", "pdf"}


def render_info_plist(staging: Path) -> dict:
    """The Info.plist Briefcase renders for the macOS app, parsed."""
    from briefcase.console import Console
    from briefcase.platforms.macOS.app import macOSAppCreateCommand

    command = macOSAppCreateCommand(console=Console(), base_path=staging)
    command.parse_config(staging / "pyproject.toml", overrides={})
    (draft,) = command.apps.values()
    app = command.finalize_app_config(draft)  # not command.finalize: it refuses a non-Mac host
    command.is_icloud_synced = lambda path: False  # reads a macOS extended attribute (xattr)
    command.generate_app_template(app)
    plist = command.bundle_path(app) / "Logline.app" / "Contents" / "Info.plist"
    return plistlib.loads(plist.read_bytes())


def problems(info: dict) -> list[str]:
    """What the rendered Info.plist gets wrong (empty when it is right)."""
    found: list[str] = []
    if info.get("LSMinimumSystemVersion") != "13.0":
        found.append(f"LSMinimumSystemVersion is {info.get('LSMinimumSystemVersion')!r}")
    if info.get("LSArchitecturePriority") != ["arm64"]:
        found.append(f"LSArchitecturePriority is {info.get('LSArchitecturePriority')!r}")
    if info.get("LSRequiresNativeExecution") is not True:
        found.append("LSRequiresNativeExecution is not true (Rosetta could run it)")
    roles = {
        d.get("CFBundleTypeName"): d.get("CFBundleTypeRole")
        for d in info.get("CFBundleDocumentTypes", [])
    }
    if len(roles) != len(EXPECTED_EXTENSIONS) or set(roles.values()) != {"Viewer"}:
        found.append(f"document types and roles: {roles}")
    declared = info.get("UTImportedTypeDeclarations", []) + info.get(
        "UTExportedTypeDeclarations", []
    )
    extensions = {
        ext for d in declared for ext in d["UTTypeTagSpecification"]["public.filename-extension"]
    }
    if extensions | {"pdf"} != EXPECTED_EXTENSIONS:  # PDF is a system type: not declared
        found.append(f"declared extensions: {sorted(extensions)}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("staging", type=Path)
    args = parser.parse_args(argv)
    info = render_info_plist(args.staging.resolve())
    found = problems(info)
    for line in found:
        sys.stderr.write(f"Info.plist: {line}\n")
    if not found:
        sys.stdout.write(
            f"Info.plist OK: {info['CFBundleIdentifier']} {info['CFBundleShortVersionString']}, "
            f"macOS {info['LSMinimumSystemVersion']}+, arm64 only, "
            f"{len(info['CFBundleDocumentTypes'])} document types as Viewer\n"
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
