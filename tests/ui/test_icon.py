"""The application icon: every window shows it, and the PNGs are the SVG as it is now."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from supportline.resources import ICON_SIZES, resource_path
from ui import app as ui_app
from ui.icon import DESKTOP_FILE_NAME, application_icon

ROOT = Path(__file__).resolve().parents[2]


def _make_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "packaging" / "make_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_icon_has_every_size(qapp: object) -> None:
    icon = application_icon()
    assert sorted((s.width(), s.height()) for s in icon.availableSizes()) == [(s, s) for s in ICON_SIZES]
    for size in (16, 48, 256):
        assert icon.pixmap(QSize(size, size)).size() == QSize(size, size)


def test_the_application_shows_the_icon_and_names_its_desktop_file(qapp: QApplication) -> None:
    application = ui_app._application([])
    assert application is qapp
    assert not application.windowIcon().isNull()
    assert len(application.windowIcon().availableSizes()) == len(ICON_SIZES)
    assert application.desktopFileName() == DESKTOP_FILE_NAME == "supportline"


def _distance(a: QImage, b: QImage) -> float:
    """The mean difference of the two images' channels, 0 (same) to 255."""
    total = 0
    for y in range(a.height()):
        for x in range(a.width()):
            p, q = QColor(a.pixelColor(x, y)), QColor(b.pixelColor(x, y))
            total += abs(p.red() - q.red()) + abs(p.green() - q.green()) + abs(p.blue() - q.blue())
            total += abs(p.alpha() - q.alpha())
    return total / (a.width() * a.height() * 4)


def test_the_committed_pngs_are_rendered_from_the_svg(qapp: object) -> None:
    """After a change to the SVG, ``python packaging/make_icons.py`` must be run again."""
    make_icons = _make_icons()
    assert tuple(make_icons.PNG_SIZES) == ICON_SIZES
    for size in (16, 64, 256):
        fresh = QImage.fromData(make_icons.render_png(size))
        committed = QImage(str(resource_path("icons", f"supportline-{size}.png")))
        assert fresh.size() == committed.size() == QSize(size, size)
        assert _distance(fresh, committed) < 2.0, size


def test_the_ico_and_icns_writers_lay_out_their_entries(qapp: object) -> None:
    make_icons = _make_icons()
    pngs = {16: make_icons.render_png(16), 256: make_icons.render_png(256)}
    ico = make_icons.ico(pngs)
    assert ico[:6] == b"\0\0\1\0\2\0"  # reserved, type 1 (icon), two images
    assert ico[6] == 16 and ico[22] == 0  # width 16; 256 is written as 0
    first_offset = int.from_bytes(ico[18:22], "little")
    assert ico[first_offset : first_offset + 4] == b"\x89PNG"
    icns = make_icons.icns({s: make_icons.render_png(s) for s in (16, 32, 64, 128, 256, 512)})
    assert icns[:4] == b"icns" and int.from_bytes(icns[4:8], "big") == len(icns)
    assert icns[8:12] == b"icp4"
