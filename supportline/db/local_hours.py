"""The local hour of day of a stored UTC time, in SQL, on SQLite (which has no time zones).

PostgreSQL converts a time itself (``timezone(zone, opened_at)``). On SQLite the hour used to be
asked of a Python function registered on each connection, called once per row: about 2 s for
the hour-of-day filter over a million calls. Here it is plain SQL instead, from a table of the
zone's UTC offsets computed once per zone from its rules (``zoneinfo``, the same rules Python
converts times with): the offset in force at a time is found by a binary tree of ``CASE``
comparisons of the stored text with the instants the offset changes (two a year for
Europe/London; about nine comparisons a row for 1970-2100), then added to the time of day read
from the stored text. Times outside the table (before 1970, from 2100) still ask the Python
function: the answer is the same, only slower, for rows that do not occur in practice.

The stored text is SQLAlchemy's SQLite ``DateTime`` form, naive UTC: ``YYYY-MM-DD HH:MM:SS[.ffffff]``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, literal_column
from sqlalchemy.dialects import sqlite

#: The span the offset table covers; outside it the Python function answers.
COVERED_FROM = datetime(1970, 1, 1, tzinfo=UTC)
COVERED_TO = datetime(2100, 1, 1, tzinfo=UTC)
_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


@functools.lru_cache(maxsize=16)
def offset_changes(zone_key: str) -> tuple[int, tuple[tuple[datetime, int], ...]]:
    """The zone's UTC offset (seconds) at :data:`COVERED_FROM`, and each later change within the
    covered span as (the instant it takes effect, the new offset).

    Found by looking at the offset once a day and narrowing each change to the second; offsets
    never change twice within a day (nor on a fraction of a second) in the zone rules since 1970.
    """
    zone = ZoneInfo(zone_key)

    def offset(at: datetime) -> int:
        value = at.astimezone(zone).utcoffset()
        return int(value.total_seconds()) if value is not None else 0

    first = current = offset(COVERED_FROM)
    changes: list[tuple[datetime, int]] = []
    at = COVERED_FROM
    while at < COVERED_TO:
        following = min(at + _DAY, COVERED_TO)
        later = offset(following)
        if later != current:
            low, high = at, following  # offset(low) == current, offset(high) != current
            while high - low > _SECOND:
                middle = (low + (high - low) / 2).replace(microsecond=0)
                if offset(middle) == current:
                    low = middle
                else:
                    high = middle
            changes.append((high, later))
            current = later
        at = following
    return first, tuple(changes)


def stored_text(at: datetime) -> str:
    """``at`` as SQLite holds it (SQLAlchemy's ``DateTime`` storage format, naive UTC)."""
    return at.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


_COLUMN = "__column__"
_ZONE_KEY = re.compile(r"^[A-Za-z0-9_+\-/]+$")


def _offset_tree(offsets: Sequence[int], changes: Sequence[datetime]) -> str:
    """SQL for the offset in force: ``offsets[i]`` applies from ``changes[i - 1]`` (inclusive)
    to ``changes[i]``; a binary tree, so about log2(len(offsets)) comparisons are made."""
    if len(offsets) == 1:
        return str(offsets[0])
    middle = len(offsets) // 2
    return (
        f"CASE WHEN {_COLUMN} < '{stored_text(changes[middle - 1])}' "
        f"THEN {_offset_tree(offsets[:middle], changes)} "
        f"ELSE {_offset_tree(offsets[middle:], changes[middle:])} END"
    )


@functools.lru_cache(maxsize=16)
def _hour_sql(zone_key: str, python_function: str) -> str:
    """The local hour's SQL for ``zone_key``, with :data:`_COLUMN` where the stored time goes.

    Plain text with the instants as literals, made once per zone: a tree of a few hundred
    SQLAlchemy nodes would be traversed and compiled again for every statement that holds it.
    """
    if not _ZONE_KEY.match(zone_key):
        raise ValueError(f"not a time zone name: {zone_key!r}")
    first, changes = offset_changes(zone_key)
    offsets = [first, *(offset for _, offset in changes)]
    offset = _offset_tree(offsets, [at for at, _ in changes])
    c = _COLUMN
    seconds_of_day = (
        f"(CAST(substr({c}, 12, 2) AS INTEGER) * 3600 + CAST(substr({c}, 15, 2) AS INTEGER) * 60 "
        f"+ CAST(substr({c}, 18, 2) AS INTEGER))"
    )
    # + a day: a negative offset never makes the remainder negative; integer division floors.
    in_sql = f"((({seconds_of_day} + ({offset}) + 86400) % 86400) / 3600)"
    covered = f"{c} >= '{stored_text(COVERED_FROM)}' AND {c} < '{stored_text(COVERED_TO)}'"
    return f"(CASE WHEN {covered} THEN {in_sql} ELSE {python_function}({c}, '{zone_key}') END)"


def sqlite_local_hour(column: ColumnElement[Any], zone: ZoneInfo, python_function: str) -> ColumnElement[int]:
    """The hour of day (0-23) in ``zone`` of a stored time ``column`` (a table's column), in
    SQL; for a time outside the covered span, ``python_function(column, zone key)`` (the
    connection's own function) answers. A stored time without microseconds at exactly an
    instant the offset changes is taken as before it (the app always stores microseconds)."""
    name = str(column.compile(dialect=sqlite.dialect()))
    if not _COLUMN_NAME.match(name):
        raise ValueError(f"the local hour is computed for a table's column, not {name!r}")
    return literal_column(_hour_sql(zone.key, python_function).replace(_COLUMN, name), Integer)


_COLUMN_NAME = re.compile(r'^[A-Za-z0-9_."]+$')
