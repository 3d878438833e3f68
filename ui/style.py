"""The look: quiet colours, generous spacing, one accent, in a light, a dark and a high-contrast theme.

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
HIGH_CONTRAST = "high-contrast"
CHOICES = (SYSTEM, LIGHT, DARK, HIGH_CONTRAST)
#: The desktop asks for high contrast (Qt 6.10 and later can tell; before, never).
HIGH_CONTRAST_WANTED = getattr(getattr(Qt, "ContrastPreference", None), "HighContrast", object())


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
    #: Training mode's band (ui/training_mode.py): a colour no live screen uses.
    training: str = "#a3195b"
    on_training: str = "#ffffff"
    #: Strong borders on every field and a thick focus ring (the high-contrast theme).
    high_contrast: bool = False


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
    training="#f08cbb",
    on_training="#10161c",
)

# For people who need the strongest contrast (low vision, bright rooms, a projector): white text on
# black at 21:1, yellow for the accent and the focus (19:1), no grey below 13:1, a border round
# every field and a thick yellow ring on the one with the focus.
HIGH_CONTRAST_THEME = Theme(
    name=HIGH_CONTRAST,
    window="#000000",
    base="#000000",
    alternate="#141414",
    text="#ffffff",
    muted="#e8e8e8",
    accent="#ffff00",
    error="#ff9b9b",
    warning="#ffd479",
    border="#ffffff",
    button="#000000",
    selection="#1a3fd1",
    placeholder="#c8c8c8",
    on_accent="#000000",
    accent_hover="#ffff8c",
    training="#ff5cc0",
    on_training="#000000",
    high_contrast=True,
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
    """``system`` follows the desktop: its high-contrast setting, else its colour scheme where Qt
    can tell, light otherwise."""
    if choice == DARK:
        return DARK_THEME
    if choice == LIGHT:
        return LIGHT_THEME
    if choice == HIGH_CONTRAST:
        return HIGH_CONTRAST_THEME
    hints = QGuiApplication.styleHints() if QGuiApplication.instance() is not None else None
    if hints is None:
        return LIGHT_THEME
    accessibility = getattr(hints, "accessibility", None)  # Qt 6.10 and later
    if accessibility is not None and accessibility().contrastPreference() == HIGH_CONTRAST_WANTED:
        return HIGH_CONTRAST_THEME
    if hints.colorScheme() == Qt.ColorScheme.Dark:
        return DARK_THEME
    return LIGHT_THEME


def _pt(base: float, factor: float) -> str:
    return f"{base * factor:.1f}pt"


def style_sheet(t: Theme, base_pt: float = 10.0) -> str:
    """The sheet for theme ``t``; headings are sized from ``base_pt``, the application's font (the
    system's, or 10 pt if that is smaller), so every text follows the system's font size."""
    sheet = f"""
QLabel#heading {{ font-size: {_pt(base_pt, 1.5)}; font-weight: 600; color: {t.text}; }}
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
QLabel#emptyTitle {{ font-size: {_pt(base_pt, 1.6)}; color: {t.text}; }}
QLabel#emptyText {{ color: {t.muted}; font-size: {_pt(base_pt, 1.1)}; }}
QLabel#lockTitle {{ font-size: {_pt(base_pt, 1.8)}; font-weight: 600; color: {t.text}; }}
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
    color: {t.muted}; border: none; border-radius: 3px; padding: 0 4px; font-size: {_pt(base_pt, 1.2)};
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
QLabel#trainingBanner {{
    background: {t.training}; color: {t.on_training}; font-weight: 600; padding: 4px 10px;
}}
QToolBar#trainingBand {{ background: {t.training}; border: none; padding: 0; spacing: 0; }}
QLabel#officerSays {{
    font-style: italic; color: {t.text}; border-left: 3px solid {t.training}; padding-left: 6px;
}}
QLabel#trainingStep {{ font-weight: 600; color: {t.text}; }}
"""
    return sheet + (_high_contrast_sheet(t) if t.high_contrast else "")


def _high_contrast_sheet(t: Theme) -> str:
    """A border round every field and button, and a thick ring in the accent on the focus."""
    fields = "QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox, QComboBox, QListWidget, QTableView"
    focused = ", ".join(f"{name.strip()}:focus" for name in fields.split(","))
    return f"""
{fields} {{ border: 1px solid {t.border}; background: {t.base}; color: {t.text}; padding: 2px; }}
QPushButton, QToolButton {{
    border: 1px solid {t.border}; background: {t.button}; color: {t.text}; padding: 4px 10px;
}}
QToolBar QToolButton {{ border: 1px solid transparent; }}
{focused} {{ border: 3px solid {t.accent}; }}
QPushButton:focus, QToolButton:focus, QToolBar QToolButton:focus {{ border: 3px solid {t.accent}; }}
QPushButton:hover, QToolButton:hover {{ border-color: {t.accent}; }}
QPushButton:disabled, QToolButton:disabled {{ color: {t.placeholder}; border-style: dashed; }}
QCheckBox:focus, QRadioButton:focus {{ color: {t.accent}; }}
QCheckBox::indicator:focus, QRadioButton::indicator:focus {{ border: 3px solid {t.accent}; }}
QCheckBox::indicator, QRadioButton::indicator {{ border: 2px solid {t.border}; width: 0.9em; height: 0.9em; }}
QCheckBox::indicator:checked {{ background: {t.accent}; }}
QRadioButton::indicator {{ border-radius: 0.5em; }}
QRadioButton::indicator:checked {{ background: {t.accent}; }}
QTabBar::tab:selected {{ border: 2px solid {t.accent}; border-bottom: none; }}
QTabBar::tab:focus {{ color: {t.accent}; }}
QHeaderView::section {{ color: {t.text}; border: 1px solid {t.border}; }}
QMenu {{ border: 1px solid {t.border}; }}
QMenu::item:selected, QMenuBar::item:selected {{ background: {t.accent}; color: {t.on_accent}; }}
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
    app.setStyleSheet(style_sheet(theme, app.font().pointSizeF()))
    _current = theme
    _applied_to = id(app)
    return theme
