"""The figures (issue 5): every number equals an independent, hand-written SQL count on a seeded
demo database, on SQLite and PostgreSQL; ``stats --format json`` prints the same numbers; the
previous period; local days and hours across the clock changes; who may see them.

The SQL here is written out by hand (``text()``), not built from the module's code. Every person
and number is invented; phone numbers are from Ofcom's drama range.
"""

# ruff: noqa: S608  (the SQL is this file's own constant text, formatted from constants: no input)

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, text

from supportline import bootstrap
from supportline.cli import stats_command
from supportline.db import Database, create_database
from supportline.db.types import UTCDateTime
from supportline.enums import (
    AgeGroup,
    AgencyType,
    CallStatus,
    ExploitationType,
    Outcome,
    ReferralTarget,
    Role,
    Route,
    Sex,
    Urgency,
    WhereExploited,
)
from supportline.exports import figures
from supportline.exports.common import ExportCancelled, count_matching
from supportline.services import accounts
from supportline.services.actor import Actor
from supportline.services.call_types import CallQuery, PersonData
from supportline.services.calls import save_call
from supportline.services.demo import generate_demo
from supportline.services.errors import PermissionDeniedError
from tests.conftest import IN_CI, PG_URL, Run
from tests.factories import PASSWORD, full_call, make_admin, make_user

DEMO_PASSWORD = "demo password 2026"
LONDON = ZoneInfo("Europe/London")
DEMO_CALLS = 400
DAYS = 150  # the period looked at: the last DAYS whole local days (the demo spans a year)


# --- independent counts ---------------------------------------------------------------------------


def local_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[local midnight starting ``first``, local midnight ending ``last``), in UTC."""
    start = datetime(first.year, first.month, first.day, tzinfo=LONDON)
    after = last + timedelta(days=1)
    end = datetime(after.year, after.month, after.day, tzinfo=LONDON)
    return start.astimezone(UTC), end.astimezone(UTC)


def demo_period() -> tuple[date, date]:
    today = datetime.now(LONDON).date()
    return today - timedelta(days=DAYS), today - timedelta(days=1)


def sql_counts(db: Database, first: date, last: date, extra: str = "") -> dict[str, Any]:
    """Every figure by hand-written SQL over calls ``c`` opened on the local days ``first`` to
    ``last``, plus the condition ``extra`` on ``c``; shaped like :func:`figures.to_json`."""
    start, end = local_bounds(first, last)
    where = "c.opened_at >= :start AND c.opened_at < :end" + (f" AND ({extra})" if extra else "")
    params = [bindparam("start", start, type_=UTCDateTime()), bindparam("end", end, type_=UTCDateTime())]

    with db.engine.connect() as conn:

        def rows(sql: str) -> list[Any]:
            return list(conn.execute(text(sql).bindparams(*params)).all())

        def one(sql: str) -> int:
            return int(conn.execute(text(sql).bindparams(*params)).scalar_one())

        def grouped(sql: str, members: Any) -> dict[str, int]:
            found = {str(k): int(n) for k, n in rows(sql)}
            assert set(found) <= {m.value for m in members}
            return {m.value: found.get(m.value, 0) for m in members}

        def outcome_calls(value: str) -> int:
            return one(
                "SELECT count(*) FROM call_outcomes o JOIN calls c ON c.id = o.call_id "
                f"WHERE {where} AND o.value = '{value}'"
            )

        persons = f"FROM persons p JOIN calls c ON c.id = p.call_id WHERE {where}"
        totals = {
            "calls": one(f"SELECT count(*) FROM calls c WHERE {where}"),
            "cases": one(f"SELECT count(DISTINCT c.case_id) FROM calls c WHERE {where}"),
            "potential_victims": one(f"SELECT count(*) {persons}"),
            "nrm_referrals": outcome_calls("nrm_made"),
            "dtn_reports": outcome_calls("dtn_advised"),
            "not_modern_slavery": outcome_calls("not_modern_slavery"),
        }
        by_type_age: dict[str, dict[str, int]] = {
            t.value: {"adult": 0, "child": 0, "unknown": 0} for t in ExploitationType
        }
        for kind, age, n in rows(
            "SELECT COALESCE(t.value, 'unknown'), "
            "CASE WHEN p.age_disputed = TRUE OR p.age_group = 'child' THEN 'child' "
            "WHEN p.age_group = 'adult' THEN 'adult' ELSE 'unknown' END, count(*) "
            "FROM persons p JOIN calls c ON c.id = p.call_id "
            f"LEFT JOIN call_exploitation_types t ON t.call_id = c.id WHERE {where} GROUP BY 1, 2"
        ):
            by_type_age[str(kind)][str(age)] += int(n)
        nationalities = rows(
            "SELECT COALESCE(n.code, ''), count(*) FROM persons p JOIN calls c ON c.id = p.call_id "
            "LEFT JOIN person_nationalities n ON n.person_id = p.id AND n.position = 0 "
            f"WHERE {where} GROUP BY COALESCE(n.code, '')"
        )
        forces = rows(f"SELECT c.force_area, count(*) FROM calls c WHERE {where} GROUP BY c.force_area")
        if db.dialect == "postgresql":
            local = "c.opened_at AT TIME ZONE 'Europe/London'"
            day_rows = rows(
                f"SELECT to_char({local}, 'YYYY-MM-DD'), count(*) FROM calls c WHERE {where} GROUP BY 1"
            )
            hour_rows = rows(
                f"SELECT extract(hour FROM {local}), count(*) FROM calls c WHERE {where} GROUP BY 1"
            )
            per_day = {str(d): int(n) for d, n in day_rows}
            per_hour = {int(h): int(n) for h, n in hour_rows}
        else:  # no time zones in SQLite: the stored UTC text, converted here
            stamps = [
                datetime.fromisoformat(str(v)).replace(tzinfo=UTC).astimezone(LONDON)
                for (v,) in rows(f"SELECT c.opened_at FROM calls c WHERE {where}")
            ]
            per_day = dict(Counter(s.date().isoformat() for s in stamps))
            per_hour = dict(Counter(s.hour for s in stamps))
        days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

        return {
            "totals": totals,
            "by_route": grouped(
                "SELECT r.route, count(*) FROM route_advice r JOIN calls c ON c.id = r.call_id "
                f"WHERE {where} AND r.chosen = TRUE GROUP BY r.route",
                Route,
            ),
            "by_agency": grouped(
                f"SELECT c.caller_agency_type, count(*) FROM calls c WHERE {where} "
                "GROUP BY c.caller_agency_type",
                AgencyType,
            ),
            "by_force_area": dict(sorted(((str(f), int(n)) for f, n in forces), key=lambda r: (-r[1], r[0]))),
            "by_urgency": grouped(
                f"SELECT c.urgency, count(*) FROM calls c WHERE {where} GROUP BY c.urgency", Urgency
            ),
            "by_status": grouped(
                f"SELECT c.status, count(*) FROM calls c WHERE {where} GROUP BY c.status", CallStatus
            ),
            "outcomes": grouped(
                "SELECT o.value, count(DISTINCT o.call_id) "
                "FROM call_outcomes o JOIN calls c ON c.id = o.call_id "
                f"WHERE {where} GROUP BY o.value",
                Outcome,
            ),
            "referrals_by_target": grouped(
                "SELECT f.target, count(*) FROM referrals f JOIN calls c ON c.id = f.call_id "
                f"WHERE {where} GROUP BY f.target",
                ReferralTarget,
            ),
            "victims_by_type_age": by_type_age,
            "victims_by_sex": grouped(f"SELECT p.sex, count(*) {persons} GROUP BY p.sex", Sex),
            "top_nationalities": dict(
                sorted(((str(code), int(n)) for code, n in nationalities), key=lambda r: (-r[1], r[0]))[:10]
            ),
            "victims_by_where": grouped(
                f"SELECT c.where_exploited, count(*) {persons} GROUP BY c.where_exploited", WhereExploited
            ),
            "county_lines": {
                "calls": one(f"SELECT count(*) FROM calls c WHERE {where} AND c.county_lines = TRUE"),
                "potential_victims": one(f"SELECT count(*) {persons} AND c.county_lines = TRUE"),
            },
            "calls_per_day": {d: per_day.get(d, 0) for d in days},
            "calls_per_hour": [per_hour.get(h, 0) for h in range(24)],
        }


def assert_same_figures(printed: dict[str, Any], counted: dict[str, Any]) -> None:
    for key, expected in counted.items():
        assert printed[key] == expected, key
        if isinstance(expected, dict):  # the order is part of the figure (enum order, most first)
            assert list(printed[key]) == list(expected), key


# --- a seeded demo database -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Demo:
    db: Database
    supervisor: Actor
    operator: Actor
    first: date
    last: date

    @property
    def query(self) -> CallQuery:
        start, end = local_bounds(self.first, self.last)
        return CallQuery(opened_from=start, opened_to=end)


def seed(db: Database) -> Demo:
    generate_demo(db, calls=DEMO_CALLS, password=DEMO_PASSWORD, seed=20261129)
    supervisor = accounts.authenticate(db, "demo-supervisor", DEMO_PASSWORD)
    operator = accounts.authenticate(db, "demo-operator", DEMO_PASSWORD)
    first, last = demo_period()
    return Demo(db, supervisor, operator, first, last)


@pytest.fixture
def demo(db: Database) -> Demo:
    return seed(db)


def test_figures_equal_independent_sql_counts(demo: Demo) -> None:
    f = figures.compute(demo.db, demo.query)
    counted = sql_counts(demo.db, demo.first, demo.last)
    assert counted["totals"]["calls"] > 50 and counted["totals"]["potential_victims"] > 20  # a real test
    assert_same_figures(figures.to_json(f), counted)
    # the typed fields say the same as the JSON
    assert dataclasses.asdict(f.totals) == counted["totals"]
    assert [(r.value, n) for r, n in f.by_route] == list(counted["by_route"].items())
    assert [(d.isoformat(), n) for d, n in f.calls_per_day] == list(counted["calls_per_day"].items())
    assert list(f.calls_per_hour) == counted["calls_per_hour"]
    assert f.zone == "Europe/London" and f.period_start == demo.query.opened_from


def test_figures_with_filters_equal_sql_counts(demo: Demo) -> None:
    filters = dataclasses.replace(
        demo.query, route=Route.VICTIM, agency_type=AgencyType.POLICE, outcome=Outcome.NRM_ADVISED
    )
    counted = sql_counts(
        demo.db,
        demo.first,
        demo.last,
        "c.caller_agency_type = 'police' "
        "AND EXISTS (SELECT 1 FROM route_advice r2 WHERE r2.call_id = c.id AND r2.route = 'victim' "
        "AND r2.chosen = TRUE) "
        "AND EXISTS (SELECT 1 FROM call_outcomes o2 WHERE o2.call_id = c.id AND o2.value = 'nrm_advised')",
    )
    assert counted["totals"]["calls"] > 0
    f = figures.compute(demo.db, filters)
    assert_same_figures(figures.to_json(f), counted)
    assert f.filters == {
        "opened_from": filters.opened_from.isoformat() if filters.opened_from else None,
        "opened_to": filters.opened_to.isoformat() if filters.opened_to else None,
        "route": "victim",
        "agency_type": "police",
        "outcome": "nrm_advised",
    }

    typed = dataclasses.replace(
        demo.query, exploitation_type=ExploitationType.LABOUR, status=CallStatus.CLOSED
    )
    counted = sql_counts(
        demo.db,
        demo.first,
        demo.last,
        "c.status = 'closed' AND EXISTS (SELECT 1 FROM call_exploitation_types t2 "
        "WHERE t2.call_id = c.id AND t2.value = 'labour')",
    )
    assert counted["totals"]["calls"] > 0
    assert_same_figures(figures.to_json(figures.compute(demo.db, typed)), counted)

    # the search box's text narrows the figures as it narrows the call list
    everything = figures.compute(demo.db, demo.query, previous=False)
    word = "police"
    searched = dataclasses.replace(demo.query, text=word)
    f = figures.compute(demo.db, searched, previous=False)
    assert 0 < f.totals.calls < everything.totals.calls
    assert f.totals.calls == count_matching(demo.db, searched)
    assert sum(n for _, n in f.by_agency) == sum(f.calls_per_hour) == f.totals.calls
    assert f.previous is None and f.filters["text_length"] == len(word)


def test_tables_and_long_rows_carry_every_figure(demo: Demo) -> None:
    f = figures.compute(demo.db, demo.query)
    tables = {t.key: t for t in f.tables()}
    assert list(tables)[:3] == ["totals", "change", "calls_by_route"]
    for table in tables.values():
        assert len(table.rows) == len(table.keys) and table.title and table.note
        assert all(len(row) == len(table.columns) for row in table.rows)
    long = {(t, r, c): v for t, r, c, v in figures.long_rows(f)}
    assert long[("totals", "calls", "Count")] == f.totals.calls
    assert long[("calls_by_agency", "total", "Calls")] == f.totals.calls
    for route, n in f.by_route:
        assert long[("calls_by_route", route.value, "Calls")] == n
    for kind, adults, children, unknown in f.victims_by_type_age:
        assert long[("victims_by_type_age", kind.value, "Adults")] == adults
        assert long[("victims_by_type_age", kind.value, "Children")] == children
        assert long[("victims_by_type_age", kind.value, "Age unknown")] == unknown
    for day, n in f.calls_per_day:
        assert long[("calls_per_day", day.isoformat(), "Calls")] == n
    assert long[("calls_per_hour", "total", "Calls")] == f.totals.calls
    assert f.previous is not None
    assert long[("change", "calls", "Previous period")] == f.previous.calls
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in long.values())
    json.dumps(figures.to_json(f))  # JSON-ready as it is


def test_cancelled_figures_stop(db: Database) -> None:
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 2  # part-way through

    with pytest.raises(ExportCancelled):
        figures.compute(db, CallQuery(), cancelled=cancelled)
    assert len(asked) == 3


# --- previous period, days and hours --------------------------------------------------------------


def _local(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


def _save_at(db: Database, actor: Actor, *stamps: datetime, **changes: Any) -> None:
    for at in stamps:
        save_call(db, actor, full_call(at.astimezone(UTC), id=uuid.uuid4(), **changes))


def test_previous_period_and_change(db: Database) -> None:
    admin = make_admin(db)
    # This period: 29 March (clocks go forward: 23 hours) to 4 April 2026, seven local days.
    # The previous one is the seven local days before it, 22 to 28 March, from local midnight.
    _save_at(db, admin, _local(2026, 3, 29, 0, 30), _local(2026, 3, 29, 3, 0), _local(2026, 4, 4, 23, 59),
             _local(2026, 4, 1, 12, 0))  # fmt: skip
    _save_at(db, admin, _local(2026, 3, 22, 0, 30), _local(2026, 3, 28, 23, 30),
             outcomes=frozenset({Outcome.NOT_MODERN_SLAVERY}), persons=())  # fmt: skip
    _save_at(db, admin, _local(2026, 3, 21, 23, 59), _local(2026, 4, 5, 0, 0))  # in neither period
    start, end = local_bounds(date(2026, 3, 29), date(2026, 4, 4))
    f = figures.compute(db, CallQuery(opened_from=start, opened_to=end))
    assert f.totals == figures.Totals(
        calls=4, cases=4, potential_victims=8, nrm_referrals=0, dtn_reports=0, not_modern_slavery=0
    )
    assert f.previous == figures.Totals(
        calls=2, cases=2, potential_victims=0, nrm_referrals=0, dtn_reports=0, not_modern_slavery=2
    )
    change = f.change()
    assert change["calls"] == (4, 2, 100.0)
    assert change["potential_victims"] == (8, 0, None)  # no percentage against nothing
    assert change["not_modern_slavery"] == (0, 2, -100.0)
    assert figures.to_json(f)["change"]["calls"] == {"now": 4, "previous": 2, "percent": 100.0}
    # independently of the module: the previous period by hand-written SQL
    assert sql_counts(db, date(2026, 3, 22), date(2026, 3, 28))["totals"] == dataclasses.asdict(f.previous)

    # a range that is not whole local days: the previous period is the same length of time
    odd = figures.compute(
        db, CallQuery(opened_from=_local(2026, 3, 29, 0, 0), opened_to=_local(2026, 3, 29, 12, 0))
    )
    assert odd.totals.calls == 2 and odd.previous is not None and odd.previous.calls == 1  # 28 March 23:30
    # no full range: no previous period, and only the days with calls
    open_ended = figures.compute(db, CallQuery(opened_from=start))
    assert open_ended.previous is None and open_ended.change()["calls"] == (5, None, None)
    assert [d for d, _ in open_ended.calls_per_day] == [
        date(2026, 3, 29), date(2026, 4, 1), date(2026, 4, 4), date(2026, 4, 5)
    ]  # fmt: skip


def test_days_and_hours_are_local_across_clock_changes(db: Database) -> None:
    admin = make_admin(db)
    # 25 October 2026 has 25 hours: 01:00-01:59 happens twice (BST, then GMT).
    autumn = [
        datetime(2026, 10, 24, 22, 30, tzinfo=UTC),  # 23:30 BST on the 24th
        datetime(2026, 10, 24, 23, 30, tzinfo=UTC),  # 00:30 BST on the 25th
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 01:30 BST
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 01:30 GMT
        datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # 23:30 GMT on the 25th
    ]
    # 29 March 2026 has 23 hours: there is no 01:00-01:59.
    spring = [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 00:30 GMT
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 02:30 BST
        datetime(2026, 3, 29, 22, 59, tzinfo=UTC),  # 23:59 BST on the 29th
        datetime(2026, 3, 29, 23, 0, tzinfo=UTC),  # 00:00 BST on the 30th
    ]
    _save_at(db, admin, *autumn, *spring)

    start, end = local_bounds(date(2026, 10, 24), date(2026, 10, 26))
    f = figures.compute(db, CallQuery(opened_from=start, opened_to=end))
    assert f.calls_per_day == ((date(2026, 10, 24), 1), (date(2026, 10, 25), 4), (date(2026, 10, 26), 0))
    hours = dict(enumerate(f.calls_per_hour))
    assert (hours[0], hours[1], hours[23]) == (1, 2, 2) and sum(f.calls_per_hour) == 5
    assert (
        figures.to_json(f)["calls_per_day"]
        == sql_counts(db, date(2026, 10, 24), date(2026, 10, 26))["calls_per_day"]
    )

    start, end = local_bounds(date(2026, 3, 29), date(2026, 3, 30))
    f = figures.compute(db, CallQuery(opened_from=start, opened_to=end))
    assert f.calls_per_day == ((date(2026, 3, 29), 3), (date(2026, 3, 30), 1))
    hours = dict(enumerate(f.calls_per_hour))
    assert (hours[0], hours[1], hours[2], hours[23]) == (2, 0, 1, 1)
    assert list(f.calls_per_hour) == sql_counts(db, date(2026, 3, 29), date(2026, 3, 30))["calls_per_hour"]


def test_empty_period_keeps_every_day_and_member(db: Database) -> None:
    start, end = local_bounds(date(2026, 2, 1), date(2026, 2, 28))
    f = figures.compute(db, CallQuery(opened_from=start, opened_to=end))
    assert f.totals == figures.Totals(0, 0, 0, 0, 0, 0) and f.previous == f.totals
    assert len(f.calls_per_day) == 28 and {n for _, n in f.calls_per_day} == {0}
    assert [r for r, _ in f.by_route] == list(Route) and [a for a, _ in f.by_agency] == list(AgencyType)
    assert [t for t, *_ in f.victims_by_type_age] == list(ExploitationType)
    assert f.by_force_area == () and f.top_nationalities == () and f.calls_per_hour == (0,) * 24
    assert f.change()["calls"] == (0, 0, None)
    assert next(t for t in f.tables() if t.key == "totals").rows[-1][1] == 0.0


def test_victims_counting_rules(db: Database) -> None:
    admin = make_admin(db)
    at = datetime(2026, 6, 14, 10, 0, tzinfo=UTC)
    people = (
        PersonData(age_group=AgeGroup.ADULT, sex=Sex.FEMALE, nationalities=("RO", "MD")),
        PersonData(age_group=AgeGroup.ADULT, age_disputed=True, sex=Sex.MALE, nationalities=("VN",)),
        PersonData(sex=Sex.UNKNOWN),  # age and nationality not recorded
    )
    _save_at(db, admin, at, persons=people,
             exploitation_types=frozenset({ExploitationType.SEXUAL, ExploitationType.LABOUR}),
             county_lines=True, where_exploited=WhereExploited.BOTH)  # fmt: skip
    again = PersonData(age_group=AgeGroup.ADULT, sex=Sex.FEMALE, nationalities=("RO",))
    _save_at(db, admin, at + timedelta(hours=1), persons=(again,), exploitation_types=frozenset())
    f = figures.compute(db, CallQuery(opened_from=at - timedelta(days=1), opened_to=at + timedelta(days=1)))
    by_type = {t: (a, c, u) for t, a, c, u in f.victims_by_type_age}
    assert by_type[ExploitationType.SEXUAL] == by_type[ExploitationType.LABOUR] == (1, 1, 1)
    assert by_type[ExploitationType.UNKNOWN] == (1, 0, 0)  # the call with no type recorded
    assert by_type[ExploitationType.CRIMINAL] == (0, 0, 0)
    assert f.top_nationalities == (("RO", 2), ("", 1), ("VN", 1))  # first nationality only
    assert f.county_lines_calls == 1 and f.county_lines_victims == 3
    assert dict(f.victims_by_where)[WhereExploited.BOTH] == 3
    assert dict(f.victims_by_sex) == {Sex.FEMALE: 2, Sex.MALE: 1, Sex.OTHER: 0, Sex.UNKNOWN: 1}
    assert f.totals.potential_victims == 4 and f.totals.cases == 2


# --- permission -----------------------------------------------------------------------------------


def test_only_supervisors_and_admins_see_the_figures(db: Database) -> None:
    admin = make_admin(db)
    query = CallQuery(
        opened_from=datetime(2026, 1, 1, tzinfo=UTC), opened_to=datetime(2026, 2, 1, tzinfo=UTC)
    )
    for role in (Role.OPERATOR, Role.ADVISER):
        actor = make_user(db, admin, f"x.{role.value}", role)
        with pytest.raises(PermissionDeniedError, match=r"export\.figures"):
            figures.figures_for(db, actor, query)
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    assert figures.figures_for(db, supervisor, query).totals.calls == 0
    assert figures.figures_for(db, admin, query).totals.calls == 0


# --- the stats command ----------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cli_db(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The database the command line uses in this test: the home's SQLite file, or an empty
    PostgreSQL schema of its own reached through ``SUPPORTLINE_DB_URL``."""
    schema = None
    admin = None
    if request.param == "postgresql":
        schema = f"sl_stats_{uuid.uuid4().hex[:12]}"
        admin = create_database(PG_URL)
        try:
            with admin.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:
            admin.dispose()
            message = f"PostgreSQL test server unavailable at {PG_URL}: {str(exc).splitlines()[0]}"
            if IN_CI:
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        separator = "&" if "?" in PG_URL else "?"
        monkeypatch.setenv("SUPPORTLINE_DB_URL", f"{PG_URL}{separator}options=-csearch_path%3D{schema}")
        monkeypatch.setattr(bootstrap, "get_database_password", lambda url: None)
    env = bootstrap.load_environment()
    db = bootstrap.open_database(env)
    bootstrap.migrate(env, db)
    try:
        yield db
    finally:
        db.dispose()
        if admin is not None:
            with admin.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def test_stats_json_equals_sql_counts(run: Run, cli_db: Database) -> None:
    demo = seed(cli_db)
    assert cli_db.dialect in {"sqlite", "postgresql"}
    period = ("--from", demo.first.isoformat(), "--to", demo.last.isoformat())
    pw = f"{DEMO_PASSWORD}\n"

    done = run(
        "stats", *period, "--format", "json", "--user", "demo-supervisor", "--password-stdin", stdin=pw
    )
    assert done.code == 0, done.err
    printed = json.loads(done.out)
    assert_same_figures(printed, sql_counts(cli_db, demo.first, demo.last))
    previous_last = demo.first - timedelta(days=1)
    previous_first = previous_last - timedelta(days=(demo.last - demo.first).days)
    assert printed["previous"] == sql_counts(cli_db, previous_first, previous_last)["totals"]
    assert printed["zone"] == "Europe/London"

    filtered = run("stats", *period, "--format", "json", "--route", "legal", "--urgency", "routine",
                   "--handler", "demo-operator", "--user", "demo-admin", "--password-stdin",
                   stdin=pw)  # fmt: skip
    assert filtered.code == 0, filtered.err
    counted = sql_counts(
        cli_db, demo.first, demo.last,
        "c.urgency = 'routine' "
        "AND c.handler_id = (SELECT u.id FROM users u WHERE u.username = 'demo-operator') "
        "AND EXISTS (SELECT 1 FROM route_advice r2 WHERE r2.call_id = c.id AND r2.route = 'legal' "
        "AND r2.chosen = TRUE)",
    )  # fmt: skip
    assert counted["totals"]["calls"] > 0
    assert_same_figures(json.loads(filtered.out), counted)

    others = run("stats", *period, "--format", "json", "--agency", "police", "--status", "closed",
                 "--exploitation-type", "labour", "--outcome", "nrm_advised",
                 "--force", "Metropolitan Police Service", "--user", "demo-supervisor", "--password-stdin",
                 stdin=pw)  # fmt: skip
    assert others.code == 0, others.err
    counted = sql_counts(
        cli_db, demo.first, demo.last,
        "c.caller_agency_type = 'police' AND c.status = 'closed' "
        "AND c.force_area = 'Metropolitan Police Service' "
        "AND EXISTS (SELECT 1 FROM call_exploitation_types t2 "
        "WHERE t2.call_id = c.id AND t2.value = 'labour') "
        "AND EXISTS (SELECT 1 FROM call_outcomes o2 WHERE o2.call_id = c.id AND o2.value = 'nrm_advised')",
    )  # fmt: skip
    assert counted["totals"]["calls"] > 0, "the filters should leave some calls"
    assert_same_figures(json.loads(others.out), counted)
    assert json.loads(others.out)["filters"]["force_area"] == "Metropolitan Police Service"

    table = run("stats", *period, "--user", "demo-supervisor", "--password-stdin", stdin=pw)
    assert table.code == 0, table.err
    calls = printed["totals"]["calls"]
    assert "Calls by advice route" in table.out and "Potential victims by exploitation type" in table.out
    assert any(line.split()[:2] == ["Calls", f"{calls:,}"] for line in table.out.splitlines())

    refused = run("stats", *period, "--user", "demo-operator", "--password-stdin", stdin=pw)
    assert refused.code == 3 and "export.figures" in refused.err and refused.out == ""
    wrong = run("stats", *period, "--user", "demo-supervisor", "--password-stdin", stdin="not it\n")
    assert wrong.code == 1 and wrong.out == ""
    backwards = run("stats", "--from", "2026-10-25", "--to", "2026-10-24", "--user", "demo-supervisor",
                    "--password-stdin", stdin=pw)  # fmt: skip
    assert backwards.code == 2 and "before" in backwards.err
    nobody = run("stats", *period, "--handler", "no.such.user", "--user", "demo-supervisor",
                 "--password-stdin", stdin=pw)  # fmt: skip
    assert nobody.code == 2 and "no.such.user" in nobody.err


def test_stats_handler_runs_without_the_command_line(
    cli_db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The register function builds a complete ``stats`` parser on any subparsers object."""
    admin = make_admin(cli_db)
    _save_at(cli_db, admin, _local(2026, 10, 25, 1, 30), urgency=Urgency.CRISIS)
    parser = argparse.ArgumentParser()
    stats_command.register(parser.add_subparsers())
    args = parser.parse_args(["stats", "--from", "2026-10-25", "--to", "2026-10-25", "--format", "json",
                              "--user", "ada.admin", "--password-stdin"])  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PASSWORD}\n"))
    assert args.handler(args, None) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["totals"]["calls"] == 1 and printed["by_urgency"]["crisis"] == 1
    assert printed["calls_per_day"] == {"2026-10-25": 1}
    assert printed["calls_per_hour"][1] == 1
    start, end = local_bounds(date(2026, 10, 25), date(2026, 10, 25))
    assert datetime.fromisoformat(printed["period_start"]) == start
    assert datetime.fromisoformat(printed["period_end"]) == end  # a day of 25 hours
    assert end - start == timedelta(hours=25)


@pytest.mark.parametrize("zone", ["Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe"])
def test_days_and_hours_in_zones_with_odd_offsets(db: Database, zone: str) -> None:
    """Offsets of 5:45, -3:30/-2:30 and a half-hour clock change: still the right local hour."""
    admin = make_admin(db)
    stamps = [datetime(2026, 4, 4, 15, 0, tzinfo=UTC) + timedelta(minutes=7 * i) for i in range(40)]
    stamps += [datetime(2026, 11, 1, 3, 29, tzinfo=UTC), datetime(2026, 11, 1, 5, 31, tzinfo=UTC)]
    _save_at(db, admin, *stamps)
    local = ZoneInfo(zone)
    in_zone = dataclasses.replace(db, zone=local)
    f = figures.compute(in_zone, CallQuery(), previous=False)
    expected_days = Counter(s.astimezone(local).date() for s in stamps)
    expected_hours = Counter(s.astimezone(local).hour for s in stamps)
    assert dict(f.calls_per_day) == dict(expected_days)
    assert list(f.calls_per_hour) == [expected_hours.get(h, 0) for h in range(24)]
    assert f.zone == zone
    # the fallback that streams every opened_at value gives the same
    with in_zone.read() as session:
        streamed = figures._streamed_per_day_and_hour(session, [], local, lambda: None)
    assert streamed == (dict(expected_days), f.calls_per_hour)
