"""The app icon set, generated from one source image (``resources/icons/logline.svg``).

    python packaging/icons.py OUT_BASE    # writes OUT_BASE.icns and OUT_BASE-{16..512}.png

Briefcase reads an icon by its base path: ``BASE.icns`` for macOS, ``BASE-16.png`` …
``BASE-512.png`` for Linux. The SVG is rendered with Qt's SVG renderer (PySide6 is already an app
dependency); the ``.icns`` container is written here (a big-endian header, then one PNG per
size under Apple's type codes), so no macOS tool is needed and Linux can build it.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources" / "icons" / "logline.svg"
LINUX_SIZES = (16, 32, 64, 128, 256, 512)
# The PNG entries of an .icns file: type code -> pixel size (the @2x types hold double size).
ICNS_TYPES = {
    "icp4": 16,
    "icp5": 32,
    "ic11": 32,  # 16@2x
    "icp6": 64,
    "ic12": 64,  # 32@2x
    "ic07": 128,
    "ic08": 256,
    "ic13": 256,  # 128@2x
    "ic09": 512,
    "ic14": 512,  # 256@2x
    "ic10": 1024,  # 512@2x
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn on a transparent ``size`` x ``size`` canvas, as PNG bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer
    from PySide6.QtWidgets import QApplication

    # Qt's painting needs an application object; a full QApplication (not a QGuiApplication)
    # so that widgets still work when this runs inside a test session.
    _app = QApplication.instance() or QApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG image")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (ValueError when it is not a PNG)."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def pack_icns(entries: dict[str, bytes]) -> bytes:
    """An .icns container: 'icns', the total length, then (type, length, data) per entry."""
    body = b"".join(
        kind.encode("ascii") + struct.pack(">I", len(data) + 8) + data
        for kind, data in entries.items()
    )
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def read_icns(data: bytes) -> dict[str, bytes]:
    """The entries of an .icns container (ValueError when the framing is wrong)."""
    if data[:4] != b"icns" or struct.unpack(">I", data[4:8])[0] != len(data):
        raise ValueError("not an icns file, or its length is wrong")
    entries: dict[str, bytes] = {}
    offset = 8
    while offset < len(data):
        kind = data[offset : offset + 4].decode("ascii")
        (length,) = struct.unpack(">I", data[offset + 4 : offset + 8])
        if length < 8 or offset + length > len(data):
            raise ValueError(f"icns entry {kind!r} overruns the file")
        entries[kind] = data[offset + 8 : offset + length]
        offset += length
    return entries


def generate(out_base: Path, svg: Path = SOURCE) -> list[Path]:
    """Write ``out_base.icns`` and ``out_base-N.png`` for the Linux sizes; return the paths."""
    out_base.parent.mkdir(parents=True, exist_ok=True)
    rendered = {size: render_png(svg, size) for size in sorted(set(ICNS_TYPES.values()))}
    written: list[Path] = []
    for size in LINUX_SIZES:
        path = out_base.parent / f"{out_base.name}-{size}.png"
        path.write_bytes(rendered[size])
        written.append(path)
    icns = out_base.parent / f"{out_base.name}.icns"
    icns.write_bytes(pack_icns({kind: rendered[size] for kind, size in ICNS_TYPES.items()}))
    written.append(icns)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python packaging/icons.py OUT_BASE")
    for written_path in generate(Path(sys.argv[1])):
        sys.stdout.write(f"{written_path}\n")
