"""The local hour of a stored time in SQL (issue 15): on SQLite from the zone's table of UTC
offsets, with no Python function per row; on PostgreSQL by the server's own conversion. Both
must give the hour Python gives, across every clock change, in zones with half- and
quarter-hour offsets, and outside the table's span."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from supportline.db import Database, create_database, engine
from supportline.db.local_hours import COVERED_FROM, COVERED_TO, offset_changes
from supportline.db.types import UTCDateTime
from supportline.exports import figures
from supportline.exports.common import count_matching
from supportline.services import calls
from supportline.services.call_search import local_hour
from supportline.services.call_types import CallQuery
from tests.factories import full_call, make_admin

ZONES = (
    "Europe/London",
    "America/St_Johns",  # -03:30 / -02:30
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # +10:30 / +11:00: a half-hour clock change
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Sao_Paulo",  # summer time until 2019, none since
    "Africa/Casablanca",  # clocks changed around Ramadan
    "America/Los_Angeles",
    "UTC",
)


def _instants(zone_key: str) -> list[datetime]:
    """Each side of every clock change of 2024-2028, a year of every 97 minutes, times spread
    over the table's whole span, and times outside it (the Python function answers those)."""
    _first, changes = offset_changes(zone_key)
    found: list[datetime] = []
    for at, _offset in changes:
        if 2024 <= at.year <= 2028:
            found += [
                at - timedelta(microseconds=1),
                at,
                at + timedelta(seconds=1),
                at + timedelta(minutes=59),
            ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    found += [start + timedelta(minutes=97 * i) for i in range(0, 365 * 24 * 60 // 97, 7)]
    rng = random.Random(zone_key)
    span = int((COVERED_TO - COVERED_FROM).total_seconds())
    found += [
        COVERED_FROM + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(10**6))
        for _ in range(150)
    ]
    found += [
        COVERED_FROM,
        COVERED_FROM - timedelta(microseconds=1),
        datetime(1955, 7, 1, 12, 30, tzinfo=UTC),
        COVERED_TO - timedelta(microseconds=1),
        COVERED_TO,
        datetime(2150, 7, 1, 12, 30, tzinfo=UTC),
    ]
    return found


_INSTANTS = Table(
    "local_hour_instants", MetaData(), Column("n", Integer, primary_key=True), Column("at", UTCDateTime),
    prefixes=["TEMPORARY"],
)  # fmt: skip


@pytest.mark.parametrize("zone_key", ZONES)
def test_the_local_hour_in_sql_is_pythons_in_every_zone(db: Database, zone_key: str) -> None:
    """Stored times as rows of a table (a temporary one, on the session's connection), each row's
    local hour computed as the call list's filter computes it."""
    zone = ZoneInfo(zone_key)
    instants = _instants(zone_key)
    with db.read() as session:
        connection = session.connection()
        _INSTANTS.create(connection)
        connection.execute(insert(_INSTANTS), [{"n": i, "at": at} for i, at in enumerate(instants)])
        hours = dict(
            connection.execute(select(_INSTANTS.c.n, local_hour(db.dialect, zone, _INSTANTS.c.at))).all()
        )
        _INSTANTS.drop(connection)
    assert len(hours) == len(instants) > 500
    for i, at in enumerate(instants):
        assert hours[i] == at.astimezone(zone).hour, (zone_key, at.isoformat())


def test_the_offset_table_has_every_clock_change() -> None:
    first, changes = offset_changes("Europe/London")
    assert first == 3600  # British Standard Time, 1968-1971
    in_2026 = [(at, offset) for at, offset in changes if at.year == 2026]
    assert in_2026 == [
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 3600),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 0),
    ]
    assert len(changes) == 257 and offset_changes("UTC") == (0, ())
    lord_howe = [offset for at, offset in offset_changes("Australia/Lord_Howe")[1] if at.year == 2026]
    assert lord_howe == [37800, 39600]


def test_the_hour_filter_calls_no_python_function_per_row(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: the hour-of-day filter (call list, counts, figures) is SQL; the connection's
    Python function is left for times outside 1970-2099. Before: one Python call per row."""
    asked: list[object] = []
    python_hour = engine._local_hour

    def counted(stored: object, zone_key: object) -> int | None:
        asked.append(stored)
        return python_hour(stored, zone_key)

    monkeypatch.setattr(engine, "_local_hour", counted)  # registered on each new connection
    path = tmp_path / "hours.db"
    template: Path = request.getfixturevalue("_sqlite_template")
    path.write_bytes(template.read_bytes())
    db = create_database(f"sqlite:///{path}")
    try:
        admin = make_admin(db)
        times = [
            datetime(2026, 3, 28, 9, 30, tzinfo=UTC),  # 09:30 GMT
            datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 00:30 GMT
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 02:30 BST: the clocks went forward at 01:00
            datetime(2026, 3, 29, 8, 30, tzinfo=UTC),  # 09:30 BST
            datetime(2026, 3, 29, 9, 30, tzinfo=UTC),  # 10:30 BST
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 01:30 BST
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 01:30 GMT, the second one that night
            datetime(2026, 10, 25, 9, 10, tzinfo=UTC),  # 09:10 GMT
        ]
        saved = [calls.save_call(db, admin, full_call(at)).data for at in times]
        zone = db.zone
        expected = sorted(str(c.id) for c in saved if c.opened_at.astimezone(zone).hour == 9)
        assert len(expected) == 3
        query = CallQuery(opened_hour=9)
        page = calls.list_calls(db, admin, query, audited=False)
        assert sorted(str(r.id) for r in page.rows) == expected
        assert count_matching(db, query) == calls.count_calls(db, admin, query) == 3
        assert figures.compute(db, query).totals.calls == 3
        assert calls.count_calls(db, admin, CallQuery(opened_hour=1)) == 2
        assert asked == []
    finally:
        db.dispose()
