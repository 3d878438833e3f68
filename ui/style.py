"""The look: quiet colours, generous spacing, one accent, in a light and a dark theme.

Operators sit with this window through long night shifts and difficult calls; the screen should
be calm and legible, with colour kept for the few things that need attention. The dark theme is
for the night: slate rather than black (pure black behind light text tires the eyes and smears
on cheap panels), text a soft off-white, and every pair of colours still readable (WCAG AA).
Widgets name their roles with ``objectName`` (``error``, ``muted``, ``heading``) and the sheet
styles them, so views never hard-code a colour; rich text asks :func:`current` for its colours.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

SYSTEM = "system"
LIGHT = "light"
DARK = "dark"
CHOICES = (SYSTEM, LIGHT, DARK)


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    alternate: str
    text: str
    muted: str
    accent: str
    error: str
    warning: str
    border: str
    button: str
    selection: str
    placeholder: str
    on_accent: str
    accent_hover: str


LIGHT_THEME = Theme(
    name=LIGHT,
    window="#f4f5f7",
    base="#ffffff",
    alternate="#f7f9fb",
    text="#1d2733",
    muted="#5f6b7a",
    accent="#2f5d8a",
    error="#a3261b",
    warning="#9a5b00",
    border="#d5dae1",
    button="#eef0f3",
    selection="#dbe6f1",
    placeholder="#8a95a3",
    on_accent="#ffffff",
    accent_hover="#274f76",
)

DARK_THEME = Theme(
    name=DARK,
    window="#1f252c",
    base="#262d35",
    alternate="#2a323b",
    text="#dde3ea",
    muted="#9aa6b3",
    accent="#7fa9d6",
    error="#f0968c",
    warning="#e0b46a",
    border="#3b4550",
    button="#2f3740",
    selection="#34506d",
    placeholder="#7b8794",
    on_accent="#10161c",
    accent_hover="#94b8de",
)

# The light theme's colours by their old names, for code written before themes existed.
ACCENT = LIGHT_THEME.accent
ERROR = LIGHT_THEME.error
MUTED = LIGHT_THEME.muted
WINDOW = LIGHT_THEME.window
BASE = LIGHT_THEME.base
ALTERNATE = LIGHT_THEME.alternate
TEXT = LIGHT_THEME.text
BORDER = LIGHT_THEME.border

_current = LIGHT_THEME
_applied_to: int | None = None  # id() of the application the theme was last applied to


def current() -> Theme:
    """The theme on screen now (rich text and item models take their colours from it)."""
    return _current


def resolve(choice: str) -> Theme:
    """``system`` follows the desktop's colour scheme where Qt can tell, light otherwise."""
    if choice == DARK:
        return DARK_THEME
    if choice == LIGHT:
        return LIGHT_THEME
    hints = QGuiApplication.styleHints() if QGuiApplication.instance() is not None else None
    if hints is not None and hints.colorScheme() == Qt.ColorScheme.Dark:
        return DARK_THEME
    return LIGHT_THEME


def style_sheet(t: Theme) -> str:
    return f"""
QLabel#heading {{ font-size: 15pt; font-weight: 600; color: {t.text}; }}
QLabel#subheading {{ color: {t.muted}; }}
QLabel#muted {{ color: {t.muted}; }}
QLabel#error {{ color: {t.error}; }}
QLabel#outageBanner {{
    color: {t.error}; background: {t.base}; font-weight: 600;
    border-bottom: 2px solid {t.error}; padding: 6px 12px;
}}
QLabel#dueNotice {{
    color: {t.text}; background: {t.selection}; font-weight: 600;
    border-bottom: 2px solid {t.warning}; padding: 6px 12px;
}}
QLabel#emptyTitle {{ font-size: 16pt; color: {t.text}; }}
QLabel#emptyText {{ color: {t.muted}; font-size: 11pt; }}
QLabel#lockTitle {{ font-size: 18pt; font-weight: 600; color: {t.text}; }}
QTableView {{
    border: 1px solid {t.border}; gridline-color: {t.border}; outline: 0;
    background: {t.base}; alternate-background-color: {t.alternate};
    selection-background-color: {t.selection}; selection-color: {t.text};
}}
QListWidget {{
    border: 1px solid {t.border}; background: {t.base}; outline: 0;
    selection-background-color: {t.selection}; selection-color: {t.text};
}}
QListWidget::item {{ padding: 4px 6px; }}
QHeaderView::section {{
    background: {t.window}; color: {t.muted}; border: none; border-bottom: 1px solid {t.border};
    padding: 5px 6px; font-weight: 600;
}}
QTextBrowser {{ border: 1px solid {t.border}; background: {t.base}; color: {t.text}; }}
QStatusBar {{ color: {t.muted}; }}
QStatusBar QLabel {{ color: {t.muted}; padding: 0 8px; }}
QSplitter::handle {{ background: {t.window}; }}
QToolBar {{ border: none; border-bottom: 1px solid {t.border}; spacing: 2px; padding: 2px 6px; }}
QToolBar QToolButton {{ padding: 4px 8px; }}
QTabWidget::pane {{ border: none; border-top: 1px solid {t.border}; }}
QTabBar::tab {{
    padding: 6px 14px; border: 1px solid transparent; border-bottom: none; color: {t.muted};
    margin-right: 2px;
}}
QTabBar::tab:selected {{
    color: {t.text}; background: {t.base}; border-color: {t.border};
    border-top: 2px solid {t.accent};
}}
QTabBar::tab:hover:!selected {{ color: {t.text}; }}
QToolButton#tabClose {{
    color: {t.muted}; border: none; border-radius: 3px; padding: 0 4px; font-size: 12pt;
}}
QToolButton#tabClose:hover {{ color: {t.text}; background: {t.button}; }}
QFrame#filterBar {{ background: transparent; }}
QFrame#formSection {{ background: {t.base}; border: 1px solid {t.border}; border-radius: 4px; }}
QLabel#sectionHeading {{ color: {t.accent}; }}
QFrame#formRow {{ background: {t.alternate}; border: 1px solid {t.border}; border-radius: 3px; }}
QLabel#fieldLabel {{ color: {t.text}; }}
QLabel#callTimer {{ color: {t.accent}; }}
QLabel#linkedCase {{ color: {t.accent}; }}
QPushButton#primary {{
    background: {t.accent}; color: {t.on_accent}; border: 1px solid {t.accent}; border-radius: 3px;
    padding: 5px 14px; font-weight: 600;
}}
QPushButton#primary:hover {{ background: {t.accent_hover}; }}
QPushButton#primary:disabled {{ background: {t.button}; color: {t.placeholder}; border-color: {t.border}; }}
QFrame#lockCard {{ background: {t.base}; border: 1px solid {t.border}; border-radius: 6px; }}
"""


def palette(t: Theme) -> QPalette:
    p = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, t.window),
        (roles.WindowText, t.text),
        (roles.Base, t.base),
        (roles.AlternateBase, t.alternate),
        (roles.Text, t.text),
        (roles.Button, t.button),
        (roles.ButtonText, t.text),
        (roles.ToolTipBase, t.base),
        (roles.ToolTipText, t.text),
        (roles.PlaceholderText, t.placeholder),
        (roles.Highlight, t.accent),
        (roles.HighlightedText, t.on_accent),
        (roles.Link, t.accent),
        (roles.BrightText, t.error),
        (roles.Mid, t.border),
        (roles.Midlight, t.alternate),
        (roles.Dark, t.border),
        (roles.Light, t.base),
        (roles.Shadow, "#000000"),
    ):
        p.setColor(role, QColor(colour))
    disabled = QColor(t.placeholder)
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def apply(app: QApplication, choice: str = LIGHT) -> Theme:
    """Fusion everywhere, so the app looks the same on each workstation and in screenshots.

    Applying the theme already in place does nothing: setting the style again would restyle
    every widget there is (the start-up applies the settings' theme, then the main window's)."""
    global _current, _applied_to
    theme = resolve(choice)
    if _applied_to == id(app) and theme is _current:
        return theme
    app.setStyle("Fusion")
    app.setPalette(palette(theme))
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)
    app.setStyleSheet(style_sheet(theme))
    _current = theme
    _applied_to = id(app)
    return theme
