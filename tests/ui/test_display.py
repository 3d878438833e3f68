"""Accessibility and display (issue 16, item 6): a high-contrast theme besides light and dark, every
text sized from the system's font, and screens that still fit 1366x768 with large fonts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from supportline import config
from supportline.db import Database
from supportline.services.actor import Actor
from tests.ui.conftest import MakeWindow
from ui import style
from ui.main_window import MainWindow
from ui.user_layout import UserLayout

ROOT = Path(__file__).resolve().parents[2]
SCREEN = QRect(0, 0, 1366, 768)
TASKBAR = 40


def _luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    q = QColor(colour)
    r, g, b = (channel(v / 255) for v in (q.red(), q.green(), q.blue()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


THEMES = (style.LIGHT_THEME, style.DARK_THEME, style.HIGH_CONTRAST_THEME)


@pytest.mark.parametrize("theme", THEMES, ids=[t.name for t in THEMES])
def test_every_pair_of_colours_is_readable(theme: style.Theme) -> None:
    """WCAG 2.1: AA (4.5:1) in the light and dark themes, AAA (7:1) in the high-contrast one;
    what the background is drawn behind, on the window and on a field's base."""
    wanted = 7.0 if theme.high_contrast else 4.5
    pairs = {
        "text": (theme.text, (theme.base, theme.window, theme.alternate)),
        "muted": (theme.muted, (theme.base, theme.window)),
        "error": (theme.error, (theme.base, theme.window)),
        "warning": (theme.warning, (theme.base, theme.window)),
        "accent": (theme.accent, (theme.base, theme.window)),
        "on accent": (theme.on_accent, (theme.accent,)),
        "on training": (theme.on_training, (theme.training,)),
        "selected text": (theme.text, (theme.selection,)),
    }
    low = {
        f"{name} on {back}": round(contrast(fore, back), 2)
        for name, (fore, backs) in pairs.items()
        for back in backs
        if contrast(fore, back) < wanted
    }
    assert low == {}
    if theme.high_contrast:
        assert contrast(theme.placeholder, theme.base) >= 7.0  # even placeholders and disabled text
        assert contrast(theme.border, theme.base) >= 7.0  # every field's edge is seen


def test_high_contrast_is_a_theme_and_a_setting(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    assert "high-contrast" in config.THEMES and style.HIGH_CONTRAST in style.CHOICES
    window = make_window(sqlite_db, admin)
    action = window.theme_actions[style.HIGH_CONTRAST]
    assert action.text() == "&High contrast"
    action.trigger()
    assert style.current() is style.HIGH_CONTRAST_THEME
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert "border: 3px solid #ffff00" in app.styleSheet()  # the focus ring
    assert app.palette().color(app.palette().ColorRole.Window).name() == "#000000"
    assert UserLayout(window.env.paths, admin.username).text("theme", "") == style.HIGH_CONTRAST
    window.set_theme(style.LIGHT)
    assert "3px solid #ffff00" not in app.styleSheet()  # only the high-contrast theme draws the rings


def test_following_the_system_takes_its_high_contrast_setting(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    hints = qapp.styleHints()
    now = hints.accessibility().contrastPreference()
    assert style.resolve(style.SYSTEM) is not style.HIGH_CONTRAST_THEME  # the test desktop asks for none
    monkeypatch.setattr(style, "HIGH_CONTRAST_WANTED", now)  # as if the desktop asked for it
    assert style.resolve(style.SYSTEM) is style.HIGH_CONTRAST_THEME


# --- the system's font size ------------------------------------------------------------------------


@pytest.fixture
def large_font(qapp: QApplication) -> Iterator[float]:
    """The system's font at 14 pt (a person who set larger text), put back afterwards."""
    before = QFont(qapp.font())
    font = QFont(before)
    font.setPointSizeF(14)
    qapp.setFont(font)
    style.apply(qapp, style.DARK)  # another theme first: apply() does nothing for the one in place
    style.apply(qapp, style.LIGHT)
    yield 14.0
    qapp.setFont(before)
    style.apply(qapp, style.DARK)
    style.apply(qapp, style.LIGHT)


def test_headings_follow_the_system_font_size(qtbot: QtBot, large_font: float) -> None:
    box = QWidget()
    qtbot.addWidget(box)
    heading = QLabel("Heading", box)
    heading.setObjectName("heading")
    plain = QLabel("Text", box)
    box.show()
    heading.ensurePolished()
    plain.ensurePolished()
    assert plain.font().pointSizeF() == pytest.approx(large_font)
    assert heading.font().pointSizeF() == pytest.approx(large_font * 1.5, abs=0.1)


def test_no_text_has_a_fixed_size_in_pixels_or_points() -> None:
    """Sizes are the application font's (QFont(self.font()) scaled), never a number of their own:
    only style.py writes point sizes, and those from the application's font."""
    found = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"font-size:\s*\d", r"setPixelSize\(", r"setPointSize\(\s*\d", r"QFont\([^)]*,\s*\d"):
            for match in re.finditer(pattern, text):
                found.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert found == []


# --- 1366x768 with large fonts -----------------------------------------------------------------------


def test_the_main_window_and_its_dialogs_fit_1366x768_with_large_fonts(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow, large_font: float
) -> None:
    window = make_window(sqlite_db, admin)
    room = SCREEN.adjusted(0, 0, 0, -TASKBAR)
    form = window.new_call()
    qtbot.waitUntil(lambda: window.current_form() is form)
    too_big = {}
    for name, widget in (
        ("main window", window),
        ("export", window.show_export_dialog()),
        ("statistics", window.show_statistics()),
        ("accounts", window.show_accounts()),
        ("audit trail", window.show_audit_viewer()),
        ("retention", window.show_retention()),
        ("guidance library", window.show_guidance_library()),
    ):
        assert widget is not None
        need = widget.minimumSizeHint().expandedTo(widget.minimumSize())
        if need.width() > room.width() or need.height() > room.height():
            too_big[name] = need.toTuple()
    assert too_big == {}


def test_the_filters_wrap_rather_than_widen_the_window(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow, large_font: float
) -> None:
    window = make_window(sqlite_db, admin)
    bar = window.calls_tab.filters
    window.resize(1366, 728)
    qtbot.waitUntil(lambda: bar.width() <= 1366)
    QApplication.processEvents()
    controls = [w for w in bar.findChildren(QWidget) if w.parentWidget() is bar and w.isVisible()]
    assert len(controls) >= 10
    inside = bar.rect()
    assert all(inside.contains(w.geometry()) for w in controls), "a filter is cut off"
    for i, a in enumerate(controls):  # nothing drawn over anything else
        for b in controls[i + 1 :]:
            assert not a.geometry().intersects(b.geometry()), (a.accessibleName(), b.accessibleName())
    rows = {w.geometry().top() for w in controls}
    assert len(rows) >= 2  # at 14 pt they take more than one line
    assert isinstance(window, MainWindow)
