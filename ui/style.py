"""The look: quiet colours, generous spacing, one accent.

Operators sit with this window through long night shifts and difficult calls; the screen should
be calm and legible, with colour kept for the few things that need attention. Widgets name
their roles with ``objectName`` (``error``, ``muted``, ``heading``) and this sheet styles them.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#2f5d8a"
ERROR = "#a3261b"
MUTED = "#5f6b7a"
WINDOW = "#f4f5f7"
BASE = "#ffffff"
ALTERNATE = "#f7f9fb"
TEXT = "#1d2733"
BORDER = "#d5dae1"

STYLE_SHEET = f"""
QLabel#heading {{ font-size: 15pt; font-weight: 600; color: {TEXT}; }}
QLabel#subheading {{ color: {MUTED}; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#error {{ color: {ERROR}; }}
QLabel#emptyTitle {{ font-size: 16pt; color: {TEXT}; }}
QLabel#emptyText {{ color: {MUTED}; font-size: 11pt; }}
QTableView {{
    border: 1px solid {BORDER}; gridline-color: {BORDER}; outline: 0;
    selection-background-color: #dbe6f1; selection-color: {TEXT};
}}
QHeaderView::section {{
    background: {WINDOW}; color: {MUTED}; border: none; border-bottom: 1px solid {BORDER};
    padding: 5px 6px; font-weight: 600;
}}
QTextBrowser {{ border: 1px solid {BORDER}; background: {BASE}; }}
QStatusBar {{ color: {MUTED}; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 8px; }}
QSplitter::handle {{ background: {WINDOW}; }}
"""


def apply(app: QApplication) -> None:
    """Fusion everywhere, so the app looks the same on each workstation and in screenshots."""
    app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(WINDOW))
    palette.setColor(QPalette.ColorRole.Base, QColor(BASE))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor(ALTERNATE))
    palette.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.Button, QColor("#eef0f3"))
    app.setPalette(palette)
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
