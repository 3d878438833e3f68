"""F1: the shortcuts and what each part of the window is for, on one short page."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from ui import style

AREAS = (
    ("Calls tab", "Every call on the line, newest first. Click a column heading to sort by it."),
    (
        "Search and filters",
        "Type to search reference, officer name, collar number, force, phone and narrative; results "
        "follow as you type. Dates are whole days in the line's time. Esc empties the search box.",
    ),
    ("Detail pane", "The selected call in full, with its edit history: who changed what, and when."),
    (
        "Call tabs",
        "Each new or opened call has its own tab and is saved as a draft within seconds of a change, "
        "so a crash or power cut loses nothing: the next start offers to restore it.",
    ),
    ("Status bar", "The database in use, who is signed in and their role, and the time on the line."),
)


def help_html(shortcuts: Sequence[tuple[str, str]]) -> str:
    t = style.current()
    rows = "".join(
        f'<tr><td style="padding:3px 18px 3px 0; white-space:nowrap;"><b>{html.escape(keys)}</b></td>'
        f"<td style='padding:3px 0;'>{html.escape(what)}</td></tr>"
        for keys, what in shortcuts
    )
    areas = "".join(
        f"<p style='margin:4px 0 8px 0;'><b>{html.escape(name)}</b>: {html.escape(text)}</p>"
        for name, text in AREAS
    )
    return (
        f"<h2 style='margin-bottom:4px;'>Supportline at a glance</h2>"
        f"<p style='color:{t.muted}; margin-top:0;'>Everything can be done from the keyboard.</p>"
        f"<h3 style='color:{t.accent}; margin-bottom:4px;'>Shortcuts</h3>"
        f"<table cellspacing='0'>{rows}</table>"
        f"<h3 style='color:{t.accent}; margin-bottom:4px;'>The window</h3>{areas}"
    )


class HelpWindow(QDialog):
    def __init__(self, shortcuts: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Help – Supportline"))
        self.resize(620, 600)
        self._shortcuts = tuple(shortcuts)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.document().setDocumentMargin(14)
        self.browser.setAccessibleName(self.tr("Help"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.restyle()

    def restyle(self) -> None:
        self.browser.setHtml(help_html(self._shortcuts))

    def text(self) -> str:
        return self.browser.toPlainText()
