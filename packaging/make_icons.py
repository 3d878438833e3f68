"""Render the application icon (``resources/icons/supportline.svg``) in every size the platforms use.

    python packaging/make_icons.py          # rewrites resources/icons/*.png, .ico and .icns

Writes ``supportline-<N>.png`` for each of :data:`PNG_SIZES` (the Linux icon theme's sizes and the
window icon's), ``supportline.ico`` (Windows: the executable's icon, Explorer and the taskbar) and
``supportline.icns`` (macOS). Both containers hold PNG images, which Windows (since Vista) and
macOS (since 10.7) read; they are written here byte by byte, so nothing beyond PySide6 is needed.
The generated files are committed; run this again after changing the SVG (a test holds the PNGs
to the SVG).
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SVG = ICONS / "supportline.svg"

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
from supportline.resources import ICON_SIZES as PNG_SIZES  # noqa: E402  # one list for the app and this

#: Images in the Windows .ico (Explorer, taskbar and title bar at 100 %-250 % scale).
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 256)
#: The macOS .icns entries: OSType and pixel size (the @2x types hold the double size).
ICNS_ENTRIES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic11", 32),  # 16 pt @2x
    (b"ic12", 64),  # 32 pt @2x
    (b"ic13", 256),  # 128 pt @2x
    (b"ic14", 512),  # 256 pt @2x
)


def png_name(size: int) -> str:
    return f"supportline-{size}.png"


def render_png(size: int, svg: Path = SVG) -> bytes:
    """The SVG drawn on a transparent ``size``×``size`` canvas, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise RuntimeError(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError(f"could not encode the {size} px icon as PNG")
    buffer.close()
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    """A Windows icon file of PNG images (ICONDIR, one ICONDIRENTRY each, then the PNGs)."""
    sizes = sorted(images)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries = b""
    for size in sizes:
        data = images[size]
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return header + entries + b"".join(images[s] for s in sizes)


def icns(images: dict[int, bytes]) -> bytes:
    """A macOS icon file: ``icns``, its length, then (OSType, length, PNG) per entry."""
    body = b"".join(
        kind + struct.pack(">I", 8 + len(images[size])) + images[size] for kind, size in ICNS_ENTRIES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | {size for _kind, size in ICNS_ENTRIES})
    images = {size: render_png(size) for size in sizes}
    for size in PNG_SIZES:
        (ICONS / png_name(size)).write_bytes(images[size])
    (ICONS / "supportline.ico").write_bytes(ico({s: images[s] for s in ICO_SIZES}))
    (ICONS / "supportline.icns").write_bytes(icns(images))
    del app
    print(f"wrote {len(PNG_SIZES)} PNGs, supportline.ico and supportline.icns in {ICONS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
