"""The figures the line is judged on (DOMAIN.md, "What supervisors export"), as SQL aggregates.

Every figure is a ``GROUP BY`` or ``COUNT`` over the calls a :class:`CallQuery`'s filters match
(search text too; sort, offset and limit are ignored), on SQLite and PostgreSQL alike. Only the
per-day and per-hour counts need the line's local time: ``opened_at`` values are streamed from
the database in chunks and bucketed in Python (time-zone rules are not portable SQL), so memory
stays the same however many calls there are.

What is counted:

* calls, and cases (distinct cases of those calls);
* potential victims are *people*: the persons recorded on matching calls;
* a call counts once under each advice route chosen on it, and once under each of its outcomes;
* referrals are referral rows (a call may refer onward to several agencies);
* victims by exploitation type: each person once under every exploitation type of their call
  (``unknown`` when the call has none); a person whose age is disputed counts as a child;
* nationality: each person's first (main) nationality;
* days and hours: the local day and hour (``db.zone``) the call was opened in.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session, aliased

from supportline.db.engine import Database
from supportline.db.models import (
    Call,
    CallExploitationType,
    CallOutcome,
    Person,
    PersonNationality,
    Referral,
    RouteAdvice,
)
from supportline.enums import (
    AgeGroup,
    AgencyType,
    AuditCategory,
    CallStatus,
    ExploitationType,
    Outcome,
    ReferralTarget,
    Route,
    Sex,
    Urgency,
    WhereExploited,
)
from supportline.exports.common import ExportCancelled, conditions_for, query_filters
from supportline.reference_data import country_name
from supportline.services import audit, permissions
from supportline.services.actor import Actor
from supportline.services.call_types import CallQuery

#: ``opened_at`` values fetched from the database at a time for the day and hour buckets.
STREAM_CHUNK = 5_000
#: How many nationalities the top-nationalities figure keeps.
TOP_NATIONALITIES = 10

E = TypeVar("E", bound=StrEnum)
Cell = str | int | float


@dataclass(frozen=True)
class Table:
    """One figure as a table: what every format prints or writes."""

    key: str  # stable id, e.g. "calls_by_route"
    title: str  # "Calls by advice route"
    columns: tuple[str, ...]  # headings; columns[0] heads the row labels
    rows: tuple[tuple[Cell, ...], ...]  # row[0] = human label, the rest numbers ("" = not applicable)
    keys: tuple[str, ...]  # stable key per row (enum value, force name, ISO date, "total")
    note: str = ""  # how it is counted, one sentence


@dataclass(frozen=True)
class Totals:
    calls: int
    cases: int
    potential_victims: int
    nrm_referrals: int  # calls with the outcome "NRM referral made"
    dtn_reports: int  # calls with the outcome "duty-to-notify advised"
    not_modern_slavery: int  # calls with the outcome "not modern slavery"


TOTALS_LABELS: dict[str, str] = {
    "calls": "Calls",
    "cases": "Cases",
    "potential_victims": "Potential victims",
    "nrm_referrals": "NRM referrals made",
    "dtn_reports": "Duty-to-notify reports advised",
    "not_modern_slavery": "Calls that were not modern slavery",
}
TOTALS_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Totals))


@dataclass(frozen=True)
class Figures:
    period_start: datetime | None  # aware, inclusive (query.opened_from)
    period_end: datetime | None  # aware, exclusive (query.opened_to)
    zone: str  # e.g. "Europe/London"
    filters: dict[str, Any]  # common.query_filters(query)
    totals: Totals
    previous: Totals | None  # same filters over the previous period of the same length
    by_route: tuple[tuple[Route, int], ...]
    by_agency: tuple[tuple[AgencyType, int], ...]
    by_force_area: tuple[tuple[str, int], ...]  # count desc, then name; "" = not recorded
    by_urgency: tuple[tuple[Urgency, int], ...]
    by_status: tuple[tuple[CallStatus, int], ...]
    outcomes: tuple[tuple[Outcome, int], ...]
    referrals_by_target: tuple[tuple[ReferralTarget, int], ...]
    victims_by_type_age: tuple[tuple[ExploitationType, int, int, int], ...]  # adults, children, unknown
    victims_by_sex: tuple[tuple[Sex, int], ...]
    top_nationalities: tuple[tuple[str, int], ...]  # first nationality; "" = not recorded
    victims_by_where: tuple[tuple[WhereExploited, int], ...]
    county_lines_calls: int
    county_lines_victims: int
    calls_per_day: tuple[tuple[date, int], ...]  # every local day of the period, zeros kept
    calls_per_hour: tuple[int, ...]  # 24 counts, local hour of day opened

    def change(self) -> dict[str, tuple[int, int | None, float | None]]:
        """Per :class:`Totals` field: (now, previous or None, percent change or None when the
        previous figure is 0 or unknown)."""
        out: dict[str, tuple[int, int | None, float | None]] = {}
        for name in TOTALS_FIELDS:
            now = int(getattr(self.totals, name))
            before = None if self.previous is None else int(getattr(self.previous, name))
            out[name] = (now, before, percent_change(now, before))
        return out

    @property
    def period_days(self) -> tuple[date, date] | None:
        """First and last local day of the period (inclusive), when it has both ends."""
        if self.period_start is None or self.period_end is None:
            return None
        zone = ZoneInfo(self.zone)
        return local_day_span(self.period_start, self.period_end, zone)

    def tables(self) -> list[Table]:
        """Every figure as a table, in the order a report shows them."""
        return _tables(self)


def percent_change(now: int, before: int | None) -> float | None:
    if before is None or before == 0:
        return None
    return round((now - before) * 100.0 / before, 1)


def local_day_span(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last local days of ``[start, end)``."""
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return first, max(first, last)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local day starts, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def previous_period(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The period of the same length just before ``[start, end)``: the same number of local days
    when both ends are local midnights (so a period across a clock change compares like with
    like), otherwise the same length of time. ``None`` when it would begin before the first
    time there is (``0001-01-01``): there is no previous period to count."""
    try:
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        if local_start.time() == time(0) and local_end.time() == time(0):
            days = (local_end.date() - local_start.date()).days
            return local_midnight(local_start.date() - timedelta(days=days), zone), start
        return start - (end - start), start
    except OverflowError:
        return None


# --- computing ----------------------------------------------------------------------------------


def compute(
    db: Database,
    query: CallQuery,
    *,
    previous: bool = True,
    cancelled: Callable[[], bool] | None = None,
) -> Figures:
    """The figures for the calls ``query``'s filters match (its sort, offset and limit are ignored).

    ``previous``: also count the totals of the previous period of the same length (when the query
    has both ends of a date range). ``cancelled`` is asked now and then; when it says so,
    :class:`ExportCancelled` is raised.
    """

    def check() -> None:
        if cancelled is not None and cancelled():
            raise ExportCancelled("the figures were cancelled")

    zone = db.zone
    where = conditions_for(db, query)
    # Aliases: a filter on the same child table (an EXISTS in ``where``) must correlate to the
    # call only, never to the rows being counted.
    advice, referral = aliased(RouteAdvice), aliased(Referral)
    with db.read() as session:
        if db.dialect == "postgresql":
            # Every figure from one snapshot: a call saved meanwhile is in all of them or none.
            # (SQLite's read transaction is a snapshot already.) Reset when the connection is returned.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        check()
        calls, cases = _call_and_case_counts(session, where)
        # One GROUP BY over the calls for every per-call figure (a few thousand groups at most).
        call_groups = session.execute(
            select(
                Call.caller_agency_type, Call.urgency, Call.status, Call.force_area, Call.county_lines,
                func.count(),
            )
            .where(*where)
            .group_by(
                Call.caller_agency_type, Call.urgency, Call.status, Call.force_area, Call.county_lines
            )
        ).all()  # fmt: skip
        agency: Counter[str] = Counter()
        urgency: Counter[str] = Counter()
        status: Counter[str] = Counter()
        force: Counter[str] = Counter()
        county_lines_calls = 0
        for agency_value, urgency_value, status_value, force_area, county_lines, n in call_groups:
            agency[_value(agency_value)] += n
            urgency[_value(urgency_value)] += n
            status[_value(status_value)] += n
            force[str(force_area or "")] += n
            county_lines_calls += n if county_lines else 0
        check()
        by_route = _enum_counts(
            session,
            Route,
            select(advice.route, func.count())
            .join(Call, advice.call_id == Call.id)
            .where(advice.chosen.is_(True), *where)
            .group_by(advice.route),
        )
        outcome_counts = _outcome_counts(session, where)
        referrals = _enum_counts(
            session,
            ReferralTarget,
            select(referral.target, func.count())
            .join(Call, referral.call_id == Call.id)
            .where(*where)
            .group_by(referral.target),
        )
        check()
        victims_by_type_age = _victims_by_type_age(session, where)
        check()
        persons = _person_groups(session, where)
        check()
        per_day, per_hour = _per_day_and_hour(session, db.dialect, where, zone, check)
        previous_totals: Totals | None = None
        period = None
        if previous and query.opened_from is not None and query.opened_to is not None:
            period = previous_period(query.opened_from, query.opened_to, zone)
        if period is not None:
            before = dataclasses.replace(query, opened_from=period[0], opened_to=period[1])
            check()
            previous_totals = _totals(session, conditions_for(db, before))

    totals = Totals(
        calls=calls,
        cases=cases,
        potential_victims=persons.total,
        nrm_referrals=outcome_counts[Outcome.NRM_MADE.value],
        dtn_reports=outcome_counts[Outcome.DTN_ADVISED.value],
        not_modern_slavery=outcome_counts[Outcome.NOT_MODERN_SLAVERY.value],
    )
    if query.opened_from is not None and query.opened_to is not None:
        first, last = local_day_span(query.opened_from, query.opened_to, zone)
        days: list[tuple[date, int]] = []
        day = first
        while day <= last:
            days.append((day, per_day.get(day, 0)))
            day += timedelta(days=1)
        calls_per_day = tuple(days)
    else:
        calls_per_day = tuple(sorted(per_day.items()))

    return Figures(
        period_start=query.opened_from,
        period_end=query.opened_to,
        zone=zone.key,
        filters=query_filters(query),
        totals=totals,
        previous=previous_totals,
        by_route=by_route,
        by_agency=_members(AgencyType, agency),
        by_force_area=tuple(sorted(force.items(), key=lambda r: (-r[1], r[0]))),
        by_urgency=_members(Urgency, urgency),
        by_status=_members(CallStatus, status),
        outcomes=_members(Outcome, outcome_counts),
        referrals_by_target=referrals,
        victims_by_type_age=victims_by_type_age,
        victims_by_sex=_members(Sex, persons.sex),
        top_nationalities=tuple(
            sorted(persons.nationality.items(), key=lambda r: (-r[1], r[0]))[:TOP_NATIONALITIES]
        ),
        victims_by_where=_members(WhereExploited, persons.where),
        county_lines_calls=county_lines_calls,
        county_lines_victims=persons.county_lines,
        calls_per_day=calls_per_day,
        calls_per_hour=per_hour,
    )


def figures_for(
    db: Database,
    actor: Actor,
    query: CallQuery,
    *,
    previous: bool = True,
    cancelled: Callable[[], bool] | None = None,
) -> Figures:
    """:func:`compute` for a person: only supervisors and admins (``Permission.EXPORT_FIGURES``).

    Figures hold no row per call, but they are processing of the calls: each is audited as a
    consultation (``figures.view``: the filters, as an export's, and the number of calls)."""
    permissions.check(db, actor, permissions.Action.FIGURES_VIEW)
    result = compute(db, query, previous=previous, cancelled=cancelled)
    with db.write() as session:
        audit.record(
            session, actor, AuditCategory.CONSULTATION, "figures.view", "call", "",
            filters=query_filters(query), calls=result.totals.calls,
        )  # fmt: skip
    return result


def _value(value: Any) -> str:
    return str(value.value if isinstance(value, StrEnum) else value)


def _members(enum_cls: type[E], counts: Mapping[str, int]) -> tuple[tuple[E, int], ...]:
    """Every member of ``enum_cls`` in declaration order with its count (zeros kept)."""
    return tuple((member, int(counts.get(member.value, 0))) for member in enum_cls)


def _enum_counts(
    session: Session, enum_cls: type[E], statement: Select[Any, int]
) -> tuple[tuple[E, int], ...]:
    counts: Counter[str] = Counter()
    for value, n in session.execute(statement).all():
        counts[_value(value)] += int(n)
    return _members(enum_cls, counts)


def _call_and_case_counts(session: Session, where: Sequence[ColumnElement[bool]]) -> tuple[int, int]:
    row = session.execute(
        select(func.count(), func.count(distinct(Call.case_id))).select_from(Call).where(*where)
    ).one()
    return int(row[0]), int(row[1])


def _outcome_counts(session: Session, where: Sequence[ColumnElement[bool]]) -> Counter[str]:
    """Calls with each outcome (one row per call and outcome: the key is the pair)."""
    outcome = aliased(CallOutcome)  # a filter's own EXISTS on the table must not correlate to it
    counts: Counter[str] = Counter()
    statement = (
        select(outcome.value, func.count())
        .join(Call, outcome.call_id == Call.id)
        .where(*where)
        .group_by(outcome.value)
    )
    for value, n in session.execute(statement).all():
        counts[_value(value)] += int(n)
    return counts


def _totals(session: Session, where: Sequence[ColumnElement[bool]]) -> Totals:
    calls, cases = _call_and_case_counts(session, where)
    persons = session.scalar(
        select(func.count()).select_from(Person).join(Call, Person.call_id == Call.id).where(*where)
    )
    outcomes = _outcome_counts(session, where)
    return Totals(
        calls=calls,
        cases=cases,
        potential_victims=int(persons or 0),
        nrm_referrals=outcomes[Outcome.NRM_MADE.value],
        dtn_reports=outcomes[Outcome.DTN_ADVISED.value],
        not_modern_slavery=outcomes[Outcome.NOT_MODERN_SLAVERY.value],
    )


@dataclass
class _PersonCounts:
    total: int = 0
    county_lines: int = 0
    sex: Counter[str] = dataclasses.field(default_factory=Counter)
    where: Counter[str] = dataclasses.field(default_factory=Counter)
    nationality: Counter[str] = dataclasses.field(default_factory=Counter)


def _person_groups(session: Session, where: Sequence[ColumnElement[bool]]) -> _PersonCounts:
    """Potential victims by sex, where exploited, county lines and first nationality, from one
    GROUP BY (its groups are few: a few thousand at most, whatever the number of persons)."""
    first = aliased(PersonNationality)
    code = func.coalesce(first.code, literal("")).label("code")
    statement = (
        select(Person.sex, Call.where_exploited, Call.county_lines, code, func.count())
        .select_from(Person)
        .join(Call, Person.call_id == Call.id)
        .outerjoin(first, and_(first.person_id == Person.id, first.position == _first_position()))
        .where(*where)
        .group_by(Person.sex, Call.where_exploited, Call.county_lines, code)
    )
    counts = _PersonCounts()
    for sex, where_exploited, county_lines, nationality, n in session.execute(statement).all():
        counts.total += n
        counts.county_lines += n if county_lines else 0
        counts.sex[_value(sex)] += n
        counts.where[_value(where_exploited)] += n
        counts.nationality[str(nationality or "")] += n
    return counts


def _first_position() -> Any:
    """The position of a person's first (main) nationality."""
    inner = aliased(PersonNationality)
    return select(func.min(inner.position)).where(inner.person_id == Person.id).scalar_subquery()


def _age_bucket() -> Any:
    """'child' for a child or a disputed age (treated as a child), else the age group."""
    return case(
        (Person.age_disputed.is_(True), literal(AgeGroup.CHILD.value)),
        (Person.age_group == AgeGroup.CHILD, literal(AgeGroup.CHILD.value)),
        (Person.age_group == AgeGroup.ADULT, literal(AgeGroup.ADULT.value)),
        else_=literal(AgeGroup.UNKNOWN.value),
    )


def _victims_by_type_age(
    session: Session, where: Sequence[ColumnElement[bool]]
) -> tuple[tuple[ExploitationType, int, int, int], ...]:
    age = _age_bucket().label("age")
    kind = aliased(CallExploitationType)  # the filters' own EXISTS on the table must not correlate to it
    counts: dict[tuple[str, str], int] = {}
    typed = (
        select(kind.value, age, func.count())
        .select_from(Person)
        .join(Call, Person.call_id == Call.id)
        .join(kind, kind.call_id == Call.id)
        .where(*where)
        .group_by(kind.value, age)
    )
    for value, bucket, n in session.execute(typed).all():
        key = (str(value.value if isinstance(value, StrEnum) else value), str(bucket))
        counts[key] = counts.get(key, 0) + int(n)
    untyped = (
        select(age, func.count())
        .select_from(Person)
        .join(Call, Person.call_id == Call.id)
        .where(~exists().where(kind.call_id == Call.id), *where)
        .group_by(age)
    )
    for bucket, n in session.execute(untyped).all():
        key = (ExploitationType.UNKNOWN.value, str(bucket))
        counts[key] = counts.get(key, 0) + int(n)
    return tuple(
        (
            member,
            counts.get((member.value, AgeGroup.ADULT.value), 0),
            counts.get((member.value, AgeGroup.CHILD.value), 0),
            counts.get((member.value, AgeGroup.UNKNOWN.value), 0),
        )
        for member in ExploitationType
    )


def _per_day_and_hour(
    session: Session,
    dialect: str,
    where: Sequence[ColumnElement[bool]],
    zone: ZoneInfo,
    check: Callable[[], None],
) -> tuple[dict[date, int], tuple[int, ...]]:
    """Calls per local day and per local hour of day.

    The database counts the calls per UTC quarter hour (a GROUP BY: one row per quarter hour
    with calls, however many calls); each quarter hour is then placed in its local day and
    hour. Every time zone in use changes its offset on a quarter hour, so a quarter hour never
    straddles two local hours; for a zone where one would, the ``opened_at`` values are
    streamed a chunk at a time instead.
    """
    per_day: Counter[date] = Counter()
    per_hour = [0] * 24
    buckets = _quarter_hours(session, dialect, where)
    check()
    for start, n in buckets:
        first = start.astimezone(zone)
        last = (start + QUARTER - timedelta(microseconds=1)).astimezone(zone)
        if (first.date(), first.hour) != (last.date(), last.hour):
            return _streamed_per_day_and_hour(session, where, zone, check)
        per_day[first.date()] += n
        per_hour[first.hour] += n
    return dict(per_day), tuple(per_hour)


QUARTER = timedelta(minutes=15)


def _quarter_hours(
    session: Session, dialect: str, where: Sequence[ColumnElement[bool]]
) -> list[tuple[datetime, int]]:
    """(start of the UTC quarter hour, calls opened in it) for every quarter hour with calls."""
    out: list[tuple[datetime, int]] = []
    if dialect == "sqlite":
        # Stored as naive UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff' (db/types.py: UTCDateTime).
        hour = func.substr(Call.opened_at, 1, 13)
        quarter = cast(func.substr(Call.opened_at, 15, 2), Integer) // 15  # integer division
        rows = session.execute(
            select(hour, quarter, func.count()).where(*where).group_by(hour, quarter)
        ).all()
        for text_hour, q, n in rows:
            at = datetime.fromisoformat(f"{text_hour}:00").replace(tzinfo=UTC)
            out.append((at + int(q) * QUARTER, int(n)))
        return out
    utc = func.timezone(literal("UTC"), Call.opened_at)  # a plain timestamp, in UTC
    hour = func.date_trunc(literal("hour"), utc)
    quarter = cast(func.extract("minute", utc), Integer) // 15
    rows = session.execute(select(hour, quarter, func.count()).where(*where).group_by(hour, quarter)).all()
    for start, q, n in rows:
        assert isinstance(start, datetime)
        out.append((start.replace(tzinfo=UTC) + int(q) * QUARTER, int(n)))
    return out


def _streamed_per_day_and_hour(
    session: Session,
    where: Sequence[ColumnElement[bool]],
    zone: ZoneInfo,
    check: Callable[[], None],
) -> tuple[dict[date, int], tuple[int, ...]]:
    """The same from every ``opened_at`` value, streamed a chunk at a time (never all at once)."""
    per_day: Counter[date] = Counter()
    per_hour = [0] * 24
    statement = select(Call.opened_at).where(*where).execution_options(yield_per=STREAM_CHUNK)
    for chunk in session.execute(statement).partitions():
        check()
        for (opened_at,) in chunk:
            local = opened_at.astimezone(zone)
            per_day[local.date()] += 1
            per_hour[local.hour] += 1
    return dict(per_day), tuple(per_hour)


# --- tables, long rows, JSON --------------------------------------------------------------------


def _enum_table(
    key: str, title: str, heading: str, counted: str, pairs: Sequence[tuple[Any, int]], note: str, total: bool
) -> Table:
    rows: list[tuple[Cell, ...]] = [(member.label, n) for member, n in pairs]
    keys = [member.value for member, _ in pairs]
    if total:
        rows.append(("Total", sum(n for _, n in pairs)))
        keys.append("total")
    return Table(
        key=key, title=title, columns=(heading, counted), rows=tuple(rows), keys=tuple(keys), note=note
    )


def nationality_label(code: str) -> str:
    return country_name(code) if code else "Not recorded"


def force_area_label(name: str) -> str:
    return name or "Not recorded"


def _tables(f: Figures) -> list[Table]:
    t = f.totals
    tables: list[Table] = []
    share = round(t.not_modern_slavery * 100.0 / t.calls, 1) if t.calls else 0.0
    tables.append(
        Table(
            key="totals",
            title="Summary",
            columns=("Measure", "Count"),
            rows=(
                *tuple((TOTALS_LABELS[name], int(getattr(t, name))) for name in TOTALS_FIELDS),
                ("Share of calls that were not modern slavery (%)", share),
            ),
            keys=(*TOTALS_FIELDS, "not_modern_slavery_pct"),
            note="Potential victims are people recorded on the calls, not calls; "
            "NRM referrals, duty-to-notify reports and not modern slavery count calls with that outcome.",
        )
    )
    if f.previous is not None:
        change_rows: list[tuple[Cell, ...]] = []
        for name, (now, before, pct) in f.change().items():
            change_rows.append(
                (TOTALS_LABELS[name], now, "" if before is None else before, "" if pct is None else pct)
            )
        tables.append(
            Table(
                key="change",
                title="Change against the previous period",
                columns=("Measure", "This period", "Previous period", "Change (%)"),
                rows=tuple(change_rows),
                keys=TOTALS_FIELDS,
                note="The previous period has the same length and ends where this one starts; "
                "no percentage when the previous figure is zero.",
            )
        )
    tables.append(
        _enum_table(
            "calls_by_route", "Calls by advice route", "Advice route", "Calls", f.by_route,
            "A call counts once under each advice route chosen on it.", total=False,
        )
    )  # fmt: skip
    tables.append(
        _enum_table(
            "calls_by_agency", "Calls by caller agency", "Caller agency", "Calls", f.by_agency,
            "The agency type of the caller.", total=True,
        )
    )  # fmt: skip
    force_rows: list[tuple[Cell, ...]] = [(force_area_label(name), n) for name, n in f.by_force_area]
    force_rows.append(("Total", sum(n for _, n in f.by_force_area)))
    tables.append(
        Table(
            key="calls_by_force_area",
            title="Calls by force area",
            columns=("Force area", "Calls"),
            rows=tuple(force_rows),
            keys=(*tuple(name for name, _ in f.by_force_area), "total"),
            note="The police force area the call concerns; most calls first.",
        )
    )
    tables.append(
        _enum_table(
            "calls_by_urgency", "Calls by urgency", "Urgency", "Calls", f.by_urgency,
            "The urgency recorded on the call.", total=True,
        )
    )  # fmt: skip
    tables.append(
        _enum_table(
            "calls_by_status", "Calls by status", "Status", "Calls", f.by_status,
            "Open or closed at the time of the export.", total=True,
        )
    )  # fmt: skip
    tables.append(
        _enum_table(
            "outcomes", "Outcomes", "Outcome", "Calls", f.outcomes,
            "A call counts once under each of its outcomes.", total=False,
        )
    )  # fmt: skip
    tables.append(
        _enum_table(
            "referrals_by_target", "Referrals onward by target", "Referred to", "Referrals",
            f.referrals_by_target, "Each referral on the calls; a call may make several.", total=True,
        )
    )  # fmt: skip
    type_rows: list[tuple[Cell, ...]] = [
        (member.label, adults, children, unknown, adults + children + unknown)
        for member, adults, children, unknown in f.victims_by_type_age
    ]
    tables.append(
        Table(
            key="victims_by_type_age",
            title="Potential victims by exploitation type and age group",
            columns=("Exploitation type", "Adults", "Children", "Age unknown", "Total"),
            rows=tuple(type_rows),
            keys=tuple(member.value for member, *_ in f.victims_by_type_age),
            note="Each person counts under every exploitation type of their call (unknown when none is "
            "recorded); a disputed age counts as a child.",
        )
    )
    tables.append(
        _enum_table(
            "victims_by_sex", "Potential victims by sex", "Sex", "Potential victims", f.victims_by_sex,
            "People recorded on the calls.", total=True,
        )
    )  # fmt: skip
    tables.append(
        Table(
            key="top_nationalities",
            title=f"Potential victims: top {TOP_NATIONALITIES} nationalities",
            columns=("Nationality", "Potential victims"),
            rows=tuple((nationality_label(code), n) for code, n in f.top_nationalities),
            keys=tuple(f.top_nationalities[i][0] for i in range(len(f.top_nationalities))),
            note="Each person's first (main) nationality; most common first.",
        )
    )
    tables.append(
        _enum_table(
            "victims_by_where", "Potential victims by where exploited", "Where exploited",
            "Potential victims",
            f.victims_by_where, "Where the call records the exploitation as taking place.", total=True,
        )
    )  # fmt: skip
    tables.append(
        Table(
            key="county_lines",
            title="County lines",
            columns=("Measure", "Count"),
            rows=(("Calls about county lines", f.county_lines_calls),
                  ("Potential victims on those calls", f.county_lines_victims)),
            keys=("calls", "potential_victims"),
            note="Calls marked as county lines exploitation, and the people recorded on them.",
        )
    )  # fmt: skip
    day_rows: list[tuple[Cell, ...]] = [(day_label(d), n) for d, n in f.calls_per_day]
    day_rows.append(("Total", sum(n for _, n in f.calls_per_day)))
    tables.append(
        Table(
            key="calls_per_day",
            title="Calls per day",
            columns=("Day", "Calls"),
            rows=tuple(day_rows),
            keys=(*tuple(d.isoformat() for d, _ in f.calls_per_day), "total"),
            note=f"Local days ({f.zone}) the calls were opened on.",
        )
    )
    hour_rows: list[tuple[Cell, ...]] = [
        (f"{h:02d}:00–{h:02d}:59", n) for h, n in enumerate(f.calls_per_hour)
    ]
    hour_rows.append(("Total", sum(f.calls_per_hour)))
    tables.append(
        Table(
            key="calls_per_hour",
            title="Calls by hour of day",
            columns=("Hour", "Calls"),
            rows=tuple(hour_rows),
            keys=(*tuple(f"{h:02d}" for h in range(24)), "total"),
            note=f"Local hour ({f.zone}) the calls were opened in.",
        )
    )
    return tables


_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(day: date) -> str:
    """``Mon 2 Mar 2026``: fixed English names, whatever locale the process runs in (strftime's
    ``%a``/``%b`` follow it, and the GUI sets it)."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def long_rows(f: Figures) -> Iterator[tuple[str, str, str, int | float]]:
    """(table key, row key, column heading, value) for every number in ``f.tables()``."""
    for table in f.tables():
        for key, row in zip(table.keys, table.rows, strict=True):
            for heading, value in zip(table.columns[1:], row[1:], strict=True):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                yield table.key, key, heading, value


def _totals_json(t: Totals) -> dict[str, int]:
    return {name: int(getattr(t, name)) for name in TOTALS_FIELDS}


def to_json(f: Figures) -> dict[str, Any]:
    """The figures as JSON-ready values: ISO dates and times, enum values as keys."""
    return {
        "period_start": f.period_start.isoformat() if f.period_start else None,
        "period_end": f.period_end.isoformat() if f.period_end else None,
        "zone": f.zone,
        "filters": dict(f.filters),
        "totals": _totals_json(f.totals),
        "previous": _totals_json(f.previous) if f.previous is not None else None,
        "change": {
            name: {"now": now, "previous": before, "percent": pct}
            for name, (now, before, pct) in f.change().items()
        },
        "by_route": {m.value: n for m, n in f.by_route},
        "by_agency": {m.value: n for m, n in f.by_agency},
        "by_force_area": dict(f.by_force_area),
        "by_urgency": {m.value: n for m, n in f.by_urgency},
        "by_status": {m.value: n for m, n in f.by_status},
        "outcomes": {m.value: n for m, n in f.outcomes},
        "referrals_by_target": {m.value: n for m, n in f.referrals_by_target},
        "victims_by_type_age": {
            m.value: {"adult": a, "child": c, "unknown": u} for m, a, c, u in f.victims_by_type_age
        },
        "victims_by_sex": {m.value: n for m, n in f.victims_by_sex},
        "top_nationalities": dict(f.top_nationalities),
        "victims_by_where": {m.value: n for m, n in f.victims_by_where},
        "county_lines": {"calls": f.county_lines_calls, "potential_victims": f.county_lines_victims},
        "calls_per_day": {d.isoformat(): n for d, n in f.calls_per_day},
        "calls_per_hour": list(f.calls_per_hour),
    }
