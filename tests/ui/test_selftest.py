"""The GUI half of ``supportline self-test``, and the hooks the CLI receives."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportline.bootstrap import load_environment
from supportline.db import Database, create_database
from supportline.db.models import AuditEvent
from supportline.resources import resource_path
from ui import hooks, selftest


def _audit_count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_check_main_window_passes_and_writes_nothing(
    qapp: object, sqlite_db: Database, add_calls: Callable[[int], list[str]]
) -> None:
    add_calls(3)
    before = _audit_count(sqlite_db)
    selftest.check_main_window(load_environment(), sqlite_db)
    assert _audit_count(sqlite_db) == before


def test_check_main_window_passes_on_an_empty_database(qapp: object, sqlite_db: Database) -> None:
    hooks.GUI_HOOKS.check_main_window(load_environment(), sqlite_db)


def test_check_main_window_names_what_is_broken(qapp: object, tmp_path: object) -> None:
    unmigrated = create_database(f"sqlite:///{tmp_path}/empty.db")
    try:
        with pytest.raises(RuntimeError, match=r"could not list the calls: .*no such table"):
            selftest.check_main_window(load_environment(), unmigrated)
    finally:
        unmigrated.dispose()


def test_the_hooks_do_not_load_qt_until_used() -> None:
    import subprocess
    import sys

    code = "import sys, ui.hooks; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- what Qt found: platform plugins, image formats, fonts -------------------------------------


def test_check_qt_passes_on_this_installation(qapp: object) -> None:
    findings = hooks.GUI_HOOKS.check_qt()
    assert [f.check for f in findings] == ["Qt platform plugins", "Qt image formats", "Qt fonts"]
    assert all(f.ok for f in findings), findings
    plugins, formats, fonts = findings
    assert plugins.detail.startswith("xcb, offscreen") and "running on offscreen" in plugins.detail
    assert "/platforms" in plugins.detail  # the folder they came from
    assert formats.detail == "png, svg, ico read"
    assert "the shipped DejaVu Sans reads" in fonts.detail


def test_a_platform_plugin_that_is_missing_or_does_not_load_is_named(
    qapp: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(selftest.PLATFORM_PLUGINS, "linux", (("xcb", "nosuch"), ()))
    finding = selftest.check_platform_plugins("linux")
    assert not finding.ok
    assert finding.detail == "nosuch: not found in the plugins folder"

    broken = tmp_path / "platforms" / "libqxcb.so"
    broken.parent.mkdir()
    broken.write_bytes(b"\x7fELF truncated")  # what a half-copied bundle holds
    monkeypatch.setitem(selftest.PLATFORM_PLUGINS, "linux", (("xcb",), ()))
    monkeypatch.setattr(selftest, "_find_plugin", lambda kind, name: tmp_path / kind / name)
    finding = selftest.check_platform_plugins("linux")
    assert not finding.ok
    assert finding.detail.startswith("xcb: ") and "libqxcb.so" in finding.detail


def test_an_optional_platform_plugin_that_does_not_load_is_only_noted(
    qapp: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(selftest.PLATFORM_PLUGINS, "linux", (("offscreen",), ("nosuch",)))
    finding = selftest.check_platform_plugins("linux")
    assert finding.ok
    assert "nosuch not usable (not found in the plugins folder); offscreen serves instead" in finding.detail


def test_plugin_file_names_per_platform() -> None:
    assert selftest.plugin_file("xcb", "linux") == "libqxcb.so"
    assert selftest.plugin_file("windows", "win32") == "qwindows.dll"
    assert selftest.plugin_file("cocoa", "darwin") == "libqcocoa.dylib"


def test_an_image_that_cannot_be_read_is_named(qapp: object, tmp_path: Path) -> None:
    icons = tmp_path / "icons"
    shutil.copytree(resource_path("icons"), icons)
    (icons / "supportline.svg").write_text("<svg this is not", encoding="utf-8")
    finding = selftest.check_image_formats(icons)
    assert not finding.ok
    assert finding.detail.startswith("svg: supportline.svg cannot be read")


def test_a_shipped_font_that_cannot_be_read_is_named(qapp: object, tmp_path: Path) -> None:
    fonts = tmp_path / "fonts"
    shutil.copytree(resource_path("fonts"), fonts)
    (fonts / "DejaVuSans-Bold.ttf").write_bytes(b"not a font")
    finding = selftest.check_fonts(fonts)
    assert not finding.ok
    assert finding.detail == "the shipped font DejaVuSans-Bold.ttf cannot be read"
