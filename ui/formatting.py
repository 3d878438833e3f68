"""How times and lists read on screen, the same in the list, the detail pane and the status bar.

Day and month names are spelt out here rather than by ``strftime``: Qt sets the C library's
locale at start-up, and the line's records must read the same on every workstation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when(moment: datetime | None, zone: ZoneInfo) -> str:
    """``Sat 28 Nov 2026 14:05`` in the line's zone; empty for no time."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    return f"{_DAYS[local.weekday()]} {local.day:02d} {_MONTHS[local.month - 1]} {local.year} {local:%H:%M}"


def when_with_zone(moment: datetime | None, zone: ZoneInfo) -> str:
    """As :func:`when`, plus the zone's abbreviation (GMT/BST), for the detail pane."""
    if moment is None:
        return ""
    return f"{when(moment, zone)} {moment.astimezone(zone).tzname() or ''}".rstrip()


def clock(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    day = f"{_DAYS[local.weekday()]} {local.day:02d} {_MONTHS[local.month - 1]}"
    return f"{day}  {local:%H:%M} {local.tzname()}"


def duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} days"


def labels(values: Iterable[StrEnum]) -> str:
    return ", ".join(getattr(v, "label", str(v)) for v in values)
