"""The running call time an operator glances at: mm:ss, then h:mm:ss past the hour."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QWidget


def elapsed_text(seconds: float) -> str:
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class CallTimer(QLabel):
    """Time since the call started; stops at the end time once the call is closed."""

    def __init__(self, parent: QWidget | None = None, *, now: Callable[[], datetime] | None = None) -> None:
        super().__init__(parent)
        self._now = now or (lambda: datetime.now(UTC))
        self._start = self._now()
        self._end: datetime | None = None
        self.setObjectName("callTimer")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(self.font().pointSizeF() * 1.6)
        font.setBold(True)
        self.setFont(font)
        self.setAccessibleName(self.tr("Call time"))
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def set_start(self, start: datetime) -> None:
        self._start = start
        self.refresh()

    def set_end(self, end: datetime | None) -> None:
        self._end = end
        if end is None:
            self._timer.start()
        else:
            self._timer.stop()
        self.refresh()

    def seconds(self) -> float:
        return ((self._end or self._now()) - self._start).total_seconds()

    def refresh(self) -> None:
        text = elapsed_text(self.seconds())
        if text != self.text():
            self.setText(text)
            self.setAccessibleDescription(self.tr("Call time %s") % text)
