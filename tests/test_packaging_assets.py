"""The packaging script's generated assets: the icon set (PNG sizes, the .icns container), the
Linux desktop entry's MIME types, and the app definition's macOS settings."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _packaging(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "packaging" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def icons() -> ModuleType:
    return _packaging("icons")


def test_icon_set_has_every_size_as_valid_png_and_icns(icons: ModuleType, tmp_path: Path) -> None:
    written = icons.generate(tmp_path / "logline")
    for size in (16, 32, 64, 128, 256, 512):
        png = (tmp_path / f"logline-{size}.png").read_bytes()
        assert icons.png_size(png) == (size, size)
    entries = icons.read_icns((tmp_path / "logline.icns").read_bytes())
    assert set(entries) == set(icons.ICNS_TYPES)
    for kind, data in entries.items():
        assert icons.png_size(data) == (icons.ICNS_TYPES[kind],) * 2, kind
    assert len(written) == 7


def test_icons_are_drawn_not_blank_and_reproducible(icons: ModuleType, tmp_path: Path) -> None:
    first = icons.render_png(icons.SOURCE, 64)
    assert first == icons.render_png(icons.SOURCE, 64)
    from PySide6.QtGui import QImage

    image = QImage.fromData(first)
    corner, centre = image.pixelColor(0, 0), image.pixelColor(32, 32)
    assert corner.alpha() == 0  # the rounded tile leaves the corners transparent
    assert centre.alpha() == 255
    assert len({image.pixel(x, 32) for x in range(64)}) > 3  # a drawing, not a flat square


def test_a_broken_icns_is_refused(icons: ModuleType) -> None:
    good = icons.pack_icns({"ic07": icons.render_png(icons.SOURCE, 128)})
    with pytest.raises(ValueError):
        icons.read_icns(good[:-1])
    with pytest.raises(ValueError):
        icons.png_size(b"GIF89a" + bytes(30))


def test_desktop_entry_gets_the_mime_types(tmp_path: Path) -> None:
    desktop_entry = _packaging("desktop_entry")
    tool = tomllib.loads((ROOT / "briefcase.toml").read_text())["tool"]["briefcase"]
    applications = tmp_path / "build/logline/debian/bookworm/logline-0.1.0/usr/share/applications"
    applications.mkdir(parents=True)
    entry = applications / "app.logline.logline.desktop"
    entry.write_text("[Desktop Entry]\nType=Application\nExec=/usr/bin/logline %F\n")

    assert desktop_entry.add_mime_types(tmp_path, tool) == entry
    desktop_entry.add_mime_types(tmp_path, tool)  # twice: still one MimeType line
    lines = entry.read_text().splitlines()
    assert [line for line in lines if line.startswith("MimeType=")] == [
        "MimeType=text/x-fountain;application/x-final-draft;application/pdf;"
    ]
    xml = (applications.parent / "mime/packages/app.logline.logline.xml").read_text()
    assert '<glob pattern="*.fountain"/>' in xml
    assert '<glob pattern="*.fdx"/>' in xml
    assert "application/pdf" not in xml  # every desktop knows PDF already


def test_macos_definition() -> None:
    app = tomllib.loads((ROOT / "briefcase.toml").read_text())["tool"]["briefcase"]["app"]
    logline = app["logline"]
    types = logline["document_type"]
    assert {t["extension"] for t in types.values()} == {"fountain", "fdx", "pdf"}
    assert {t["macOS"]["CFBundleTypeRole"] for t in types.values()} == {"Viewer"}
    mac = logline["macOS"]
    assert mac["min_os_version"] == "13.0"
    assert mac["universal_build"] is False
    assert mac["info"]["LSArchitecturePriority"] == ["arm64"]
    assert logline["icon"] == _packaging("build_app").ICON_BASE
    text = (ROOT / "briefcase.toml").read_text()
    assert "Developer ID" not in text  # signing identities come from the environment


def _info_plist(**changes: object) -> dict:
    declared = [
        {"UTTypeTagSpecification": {"public.filename-extension": [ext]}}
        for ext in ("fountain", "fdx")
    ]
    info = {
        "LSMinimumSystemVersion": "13.0",
        "LSArchitecturePriority": ["arm64"],
        "LSRequiresNativeExecution": True,
        "CFBundleDocumentTypes": [
            {"CFBundleTypeName": name, "CFBundleTypeRole": "Viewer"}
            for name in ("Fountain", "Final Draft", "PDF")
        ],
        "UTImportedTypeDeclarations": declared,
    }
    info.update(changes)
    return info


def test_macos_check_accepts_the_right_info_plist_and_names_each_fault() -> None:
    check = _packaging("check_macos")
    assert check.problems(_info_plist()) == []
    assert check.problems(_info_plist(LSMinimumSystemVersion="14.0"))
    assert check.problems(_info_plist(LSArchitecturePriority=["arm64", "x86_64"]))
    assert check.problems(_info_plist(LSRequiresNativeExecution=False))
    editor = _info_plist()
    editor["CFBundleDocumentTypes"][0]["CFBundleTypeRole"] = "Editor"
    assert check.problems(editor)
    assert check.problems(_info_plist(UTImportedTypeDeclarations=[]))


def test_briefcase_renders_the_macos_info_plist(tmp_path: Path) -> None:
    """Briefcase's own macOS create step (template only) on the staged project. Runs where
    Briefcase is installed (build/venv-pack) and its template can be had; skipped elsewhere."""
    pytest.importorskip("briefcase")
    templates = os.environ.get("LOGLINE_BRIEFCASE_TEMPLATES")
    staging = _packaging("build_app").stage(
        tmp_path / "stage", templates=Path(templates) if templates else None
    )
    check = _packaging("check_macos")
    assert check.problems(check.render_info_plist(staging)) == []
