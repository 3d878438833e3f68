"""A scroll area that is only a scroll area when it has to be (issue 16, item 6).

A dialog of many fields (the export dialog) is as tall as its fields on a large screen, and
scrolls instead of running off a small one (1366x768 with the system's large fonts, or 125 %
scaling): :class:`FittingScrollArea` asks for its widget's whole size, bounded by the screen it
is on, and never less than a few lines. Tab moves the focus into view, as in any scroll area.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

#: Room kept on the screen for the window's frame, title, buttons and a taskbar.
RESERVED = QSize(80, 260)


class FittingScrollArea(QScrollArea):
    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its fields take the focus, not the area
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def _room(self) -> QSize:
        screen = self.screen()
        if screen is None:
            return QSize(16_000, 16_000)
        return screen.availableGeometry().size() - RESERVED

    def sizeHint(self) -> QSize:
        widget = self.widget()
        inner = widget.sizeHint() if widget is not None else QSize(0, 0)
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(inner.width() + bar, inner.height()).boundedTo(self._room())

    def minimumSizeHint(self) -> QSize:
        widget = self.widget()
        inner = widget.minimumSizeHint() if widget is not None else QSize(0, 0)
        bar = self.verticalScrollBar().sizeHint().width()
        lines = self.fontMetrics().height() * 8
        return QSize(inner.width() + bar, min(inner.height(), lines))
