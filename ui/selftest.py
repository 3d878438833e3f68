"""The GUI half of ``supportline self-test``: did Qt find what it needs, and can this installation
build and fill the main window?

:func:`check_qt` looks at what a bundle most often lacks: the platform plugin of the desktop (on
Linux ``xcb``, which also serves Wayland sessions through XWayland, and ``wayland``), loaded for
real so that a missing system library (``libxcb-cursor.so.0``…) is named; the image formats the
icons need, each proven by decoding a shipped file; and fonts. :func:`check_main_window` runs
offscreen (a server or a CI runner has no display) with a synthetic identity and writes nothing:
the window lists calls but opens none, since opening a call is an audited consultation.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from supportline.bootstrap import Environment
from supportline.db import Database
from supportline.enums import Role
from supportline.gui_hooks import Finding
from supportline.resources import ResourcesNotFoundError, resource_path
from supportline.services.actor import Actor

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

SELF_TEST_ACTOR = Actor(
    user_id=uuid.UUID(int=0), username="self-test", display_name="Self-test", role=Role.OPERATOR
)
TIMEOUT_S = 60

#: The desktop's platform plugins, by ``sys.platform``: (required, optional). On Linux Qt tries
#: ``wayland`` first in a Wayland session and falls back to ``xcb`` (XWayland), so ``xcb`` is the
#: one that must load. ``offscreen`` is what the self-test and CI run on.
PLATFORM_PLUGINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "linux": (("xcb", "offscreen"), ("wayland",)),
    "win32": (("windows", "offscreen"), ()),
    "darwin": (("cocoa", "offscreen"), ()),
}
#: Image formats and a shipped file that proves each can be read: PNG is Qt's own; SVG and ICO
#: are plugins (``imageformats/``) a bundle must carry.
IMAGE_FORMATS = (("png", "supportline-64.png"), ("svg", "supportline.svg"), ("ico", "supportline.ico"))
#: The fonts shipped in resources/fonts (PDF exports embed them; Qt must be able to read them).
SHIPPED_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")


def _application() -> QApplication:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        raise RuntimeError(f"the GUI libraries cannot be loaded: {exc}") from exc
    existing = QApplication.instance()
    if existing is not None and not isinstance(existing, QApplication):
        raise RuntimeError("a non-GUI Qt application is already running in this process")
    return existing or QApplication(["supportline-self-test"])


def plugin_file(name: str, platform: str = sys.platform) -> str:
    """The file name of platform plugin ``name`` on ``platform`` (``xcb`` → ``libqxcb.so``)."""
    if platform == "win32":
        return f"q{name}.dll"
    if platform == "darwin":
        return f"libq{name}.dylib"
    return f"libq{name}.so"


def _find_plugin(kind: str, file_name: str) -> Path | None:
    from PySide6.QtCore import QCoreApplication, QLibraryInfo

    folders = [QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath), *QCoreApplication.libraryPaths()]
    for folder in folders:
        candidate = Path(folder) / kind / file_name
        if candidate.is_file():
            return candidate
    return None


def load_plugin(path: Path) -> str | None:
    """Load a Qt plugin as Qt would (its libraries resolved); None if it loads, else why not."""
    from PySide6.QtCore import QPluginLoader

    loader = QPluginLoader(str(path))
    if loader.load():
        return None
    return loader.errorString() or "it does not load"


def check_platform_plugins(platform: str = sys.platform) -> Finding:
    required, optional = PLATFORM_PLUGINS.get(platform, (("offscreen",), ()))
    loaded: list[str] = []
    folders: set[str] = set()
    problems: list[str] = []
    notes: list[str] = []
    for name in (*required, *optional):
        path = _find_plugin("platforms", plugin_file(name, platform))
        reason = "not found in the plugins folder" if path is None else load_plugin(path)
        if reason is None and path is not None:
            loaded.append(name)
            folders.add(str(path.parent))
        elif name in required:
            problems.append(f"{name}: {reason}")
        else:
            notes.append(f"{name} not usable ({reason}); {required[0]} serves instead")
    if problems:
        return Finding("Qt platform plugins", False, "; ".join(problems))
    from PySide6.QtGui import QGuiApplication

    where = ", ".join(sorted(folders))
    detail = f"{', '.join(loaded)} load from {where}; running on {QGuiApplication.platformName()}"
    return Finding("Qt platform plugins", True, "; ".join([detail, *notes]))


def check_image_formats(icons: Path | None = None) -> Finding:
    from PySide6.QtGui import QImageReader

    try:
        folder = icons or resource_path("icons")
    except ResourcesNotFoundError as exc:
        return Finding("Qt image formats", False, str(exc))
    available = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    problems: list[str] = []
    for fmt, sample in IMAGE_FORMATS:
        if fmt not in available:
            problems.append(f"{fmt}: no image-format plugin for it")
            continue
        reader = QImageReader(str(folder / sample), fmt.encode())
        if reader.read().isNull():
            problems.append(f"{fmt}: {sample} cannot be read ({reader.errorString()})")
    if problems:
        return Finding("Qt image formats", False, "; ".join(problems))
    return Finding("Qt image formats", True, ", ".join(f for f, _sample in IMAGE_FORMATS) + " read")


def check_fonts(fonts: Path | None = None) -> Finding:
    from PySide6.QtGui import QFontDatabase

    problems: list[str] = []
    system = QFontDatabase.families()
    if not system:
        problems.append("Qt finds no fonts on this computer: install a font package (e.g. fonts-dejavu-core)")
    try:
        folder = fonts or resource_path("fonts")
    except ResourcesNotFoundError as exc:
        return Finding("Qt fonts", False, str(exc))
    shipped: list[str] = []
    for name in SHIPPED_FONTS:
        font_id = QFontDatabase.addApplicationFont(str(folder / name))
        if font_id == -1:
            problems.append(f"the shipped font {name} cannot be read")
            continue
        shipped.extend(QFontDatabase.applicationFontFamilies(font_id))
        QFontDatabase.removeApplicationFont(font_id)
    if problems:
        return Finding("Qt fonts", False, "; ".join(problems))
    return Finding(
        "Qt fonts", True, f"{len(system)} font families; the shipped {', '.join(sorted(set(shipped)))} reads"
    )


def check_qt() -> list[Finding]:
    """Platform plugins, image formats and fonts, one finding each (never raises)."""
    try:
        _application()
    except RuntimeError as exc:
        return [Finding("Qt", False, str(exc))]
    findings: list[Finding] = []
    for check in (check_platform_plugins, check_image_formats, check_fonts):
        try:
            findings.append(check())
        except Exception as exc:  # a self-test reports whatever goes wrong; it must not crash
            findings.append(
                Finding(check.__name__.removeprefix("check_"), False, f"{type(exc).__name__}: {exc}")
            )
    return findings


def check_main_window(env: Environment, db: Database) -> None:
    """Build, show, fill and close the main window; raise RuntimeError naming what went wrong."""
    app = _application()
    try:
        from ui.main_window import MainWindow
        from ui.tasks import TaskRunner
    except ImportError as exc:
        raise RuntimeError(f"the GUI libraries cannot be loaded: {exc}") from exc

    tasks = TaskRunner()
    window = MainWindow(env, db, SELF_TEST_ACTOR, tasks=tasks)
    try:
        window.resize(1366, 768)
        window.show()
        deadline = time.monotonic() + TIMEOUT_S
        while not window.model.loaded_once and time.monotonic() < deadline:
            app.processEvents()
            tasks.wait_until_idle(50)
        app.processEvents()
        if not window.model.loaded_once:
            raise RuntimeError(f"the main window did not list the calls within {TIMEOUT_S} s")
        if window.model.error:
            raise RuntimeError(f"the main window could not list the calls: {window.model.error}")
        if not window.isVisible():
            raise RuntimeError("the main window could not be shown")
    finally:
        window.close()
        window.deleteLater()
        tasks.wait_until_idle()
        tasks.deleteLater()
        app.processEvents()
