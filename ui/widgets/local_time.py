"""Picking a moment in the line's time zone, whatever zone the workstation is set to.

The edit shows wall-clock time of the line's zone (kept in Qt as a zone-less UTC value so Qt's
own idea of the local zone never shifts it); zoneinfo turns it into an aware UTC datetime. A
time that does not exist (the hour skipped when clocks go forward) moves on past the gap; a
time that happens twice (clocks going back) is the first of the two unless the edit last
showed the second.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone, Signal
from PySide6.QtWidgets import QDateTimeEdit, QWidget

DISPLAY_FORMAT = "ddd dd MMM yyyy  HH:mm"


def wall_to_utc(wall: datetime, zone: ZoneInfo, fold: int = 0) -> datetime:
    """A naive wall-clock time in ``zone`` as an aware UTC datetime (DST gaps roll forward)."""
    # In a gap zoneinfo applies the offset from before it, which lands just past the gap.
    return wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)


class LocalDateTimeEdit(QDateTimeEdit):
    """A date and time in the line's zone; ``moment()`` is aware UTC."""

    moment_changed = Signal()

    def __init__(self, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self._fold = 0
        self._exact: datetime | None = None
        self.setTimeZone(QTimeZone(QTimeZone.Initialization.UTC))
        self.setDisplayFormat(DISPLAY_FORMAT)
        self.setCalendarPopup(True)
        self.dateTimeChanged.connect(self._edited)

    def moment(self) -> datetime:
        """Aware; exactly what ``set_moment`` was given (to the microsecond) until someone edits."""
        if self._exact is not None:
            return self._exact
        qdt = self.dateTime()
        d, t = qdt.date(), qdt.time()
        wall = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second())
        return wall_to_utc(wall, self._zone, self._fold)

    def set_moment(self, moment: datetime) -> None:
        local = moment.astimezone(self._zone)
        self._exact = moment
        self._fold = local.fold
        qdt = QDateTime(
            QDate(local.year, local.month, local.day),
            QTime(local.hour, local.minute, local.second),
            QTimeZone(QTimeZone.Initialization.UTC),
        )
        self.blockSignals(True)
        try:
            self.setDateTime(qdt)
        finally:
            self.blockSignals(False)

    def zone_abbreviation(self) -> str:
        """GMT or BST (whatever the zone calls itself at the chosen moment)."""
        return self.moment().astimezone(self._zone).tzname() or ""

    def _edited(self, _value: QDateTime) -> None:
        self._exact = None
        self._fold = 0
        self.moment_changed.emit()

    def focusNextPrevChild(self, next: bool) -> bool:
        # Tab leaves the edit (arrow keys move between its parts), as in every other field.
        return QWidget.focusNextPrevChild(self, next)
