"""The duty rota: who is duty adviser (and deputy) for each advice route, from when to when.

**Model.** A shift is one person's place (``DutyRole.DUTY`` or ``DEPUTY``) on one route from one
instant to another (``rota_shifts``, UTC). Nothing is a weekly pattern: a night shift crosses
midnight, and a clock change, by ending later than it starts (23:00 to 07:00 is 8 hours, 9 on
the October night, 7 in March). "Copy last week" (:func:`copy_week`) makes next week's shifts
from last week's *local wall-clock* times, so 07:00-19:00 stays 07:00-19:00 after the clocks
change; a start that does not exist on the new day (inside the March gap) moves to just after
the gap and is reported.

**Rules.** One shift per route and role at any instant (the service checks overlaps inside its
transaction, serialised on PostgreSQL by an advisory lock; SQLite's writer lock serialises it
already); a shift is at most :data:`MAX_SHIFT` long; only active accounts that may give advice
(duty advisers, supervisors, administrators) are rostered. Times given as naive datetimes are
local times in the line's zone (:mod:`supportline.services.local_time`: a time the clocks skip is
refused; one they repeat must say which, ``fold``).

**For the GUI** (every function takes ``(db, actor, …)`` and returns frozen dataclasses):

* :func:`duty_at` — who is on duty (and deputy) for each route at an instant: :class:`OnDuty`.
* :func:`escalation_lines` / :func:`escalation_line` — "Legal: duty adviser A. Khan until 07:00,
  then J. Osei", for the route chooser and the guidance pane.
* :func:`gaps` — routes with no duty adviser for some of the next 12 hours: :class:`Gap`.
* :func:`list_shifts` — the week grid; :func:`add_shift`, :func:`change_shift` (with the
  ``expected_version`` it showed), :func:`remove_shift`, :func:`copy_week` (supervisors).
* :func:`week_start` — the local Monday 00:00 of a day's week, as an instant.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from supportline.db.engine import Database
from supportline.db.models import RotaShift, User
from supportline.enums import AuditCategory, DutyRole, Route
from supportline.services import audit, local_time, permissions
from supportline.services.actor import Actor
from supportline.services.call_validation import EARLIEST_TIME, LATEST_TIME
from supportline.services.errors import ConflictError, FieldError, NotFoundError, ValidationError
from supportline.services.permissions import Action

#: The longest one shift may be (a typo of a day would otherwise roster someone for a week).
MAX_SHIFT = timedelta(hours=24)
#: How far ahead "who is next" and the gaps look.
HORIZON = timedelta(hours=12)
#: First key of the two-key advisory lock that serialises rota writes on PostgreSQL (the second
#: is the table's oid, so two schemas of one server do not queue for each other).
ADVISORY_LOCK_CLASS = 0x5A12


@dataclass(frozen=True)
class ShiftRecord:
    id: uuid.UUID
    route: Route
    role: DutyRole
    user_id: uuid.UUID
    user_name: str  # display name
    starts_at: datetime  # aware UTC
    ends_at: datetime  # aware UTC, exclusive
    version: int

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True)
class OnDuty:
    """Who holds each role of ``route`` at ``at`` (``None``: nobody)."""

    route: Route
    at: datetime
    duty: ShiftRecord | None
    deputy: ShiftRecord | None


@dataclass(frozen=True)
class Gap:
    """``route`` has no duty adviser from ``starts_at`` to ``ends_at`` (within the horizon asked)."""

    route: Route
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class CopyResult:
    """What :func:`copy_week` did: the shifts made, those whose start or end had to move (a
    wall time the clocks skip that night), and those left out because the place was taken."""

    created: tuple[ShiftRecord, ...]
    moved: tuple[ShiftRecord, ...]
    skipped: tuple[tuple[ShiftRecord, str], ...]  # the source shift and why


# --- names and times for people ------------------------------------------------------------------


def short_name(display_name: str) -> str:
    """``Aisha Khan`` → ``A. Khan``; one word stays as it is."""
    words = display_name.split()
    if len(words) < 2:
        return display_name.strip()
    return " ".join(f"{w[0]}." for w in words[:-1]) + " " + words[-1]


def _when(value: datetime, at: datetime, zone: ZoneInfo) -> str:
    """``07:00`` within a day of ``at``; ``Tue 07:00`` further on (``01:30 GMT`` on the night
    the clocks repeat that hour)."""
    clock = local_time.clock(value, zone)
    if value - at < timedelta(hours=24):
        return clock
    return f"{value.astimezone(zone):%a} {clock}"


def week_start(day: date, zone: ZoneInfo) -> datetime:
    """The instant the local week holding ``day`` starts (Monday 00:00 local)."""
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)


# --- reading -------------------------------------------------------------------------------------


def _record(row: RotaShift, name: str) -> ShiftRecord:
    return ShiftRecord(
        id=row.id, route=row.route, role=row.role, user_id=row.user_id, user_name=name,
        starts_at=row.starts_at, ends_at=row.ends_at, version=row.version,
    )  # fmt: skip


def shifts_between(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    route: Route | None = None,
    role: DutyRole | None = None,
) -> list[ShiftRecord]:
    """The shifts overlapping ``[start, end)``, by route, role and start (for services sharing a
    transaction; no permission check)."""
    query = (
        select(RotaShift, User.display_name)
        .join(User, User.id == RotaShift.user_id)
        .where(RotaShift.starts_at < end, RotaShift.ends_at > start)
        .order_by(RotaShift.route, RotaShift.role, RotaShift.starts_at)
    )
    if route is not None:
        query = query.where(RotaShift.route == route)
    if role is not None:
        query = query.where(RotaShift.role == role)
    return [_record(row, name) for row, name in session.execute(query).all()]


def on_duty(session: Session, at: datetime, routes: Iterable[Route] = tuple(Route)) -> dict[Route, OnDuty]:
    """Who is on duty for each route at ``at`` (one query; for services sharing a transaction)."""
    wanted = list(routes)
    found = {
        (s.route, s.role): s
        for s in shifts_between(session, at, at + timedelta(microseconds=1))
        if s.route in wanted
    }
    return {r: OnDuty(r, at, found.get((r, DutyRole.DUTY)), found.get((r, DutyRole.DEPUTY))) for r in wanted}


def list_shifts(
    db: Database, actor: Actor, start: datetime, end: datetime, *, route: Route | None = None
) -> list[ShiftRecord]:
    """Every shift overlapping ``[start, end)`` (aware instants), ordered by route, role, start:
    the week grid (``start = week_start(day)``, ``end = start + 7 local days``)."""
    permissions.check(db, actor, Action.ROTA_VIEW)
    with db.read() as session:
        return shifts_between(session, start, end, route=route)


def duty_at(db: Database, actor: Actor, at: datetime | None = None) -> dict[Route, OnDuty]:
    """Who is duty adviser and deputy for every route at ``at`` (default now)."""
    permissions.check(db, actor, Action.ROTA_VIEW)
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    with db.read() as session:
        return on_duty(session, moment)


def _line(
    route: Route, at: datetime, shifts: Sequence[ShiftRecord], zone: ZoneInfo, horizon: timedelta
) -> str:
    """The escalation text of one route from its shifts of both roles around ``[at, at+horizon)``."""
    duty = _merged([s for s in shifts if s.role is DutyRole.DUTY])
    deputy = next((s for s in shifts if s.role is DutyRole.DEPUTY and s.covers(at)), None)
    now = next((s for s in duty if s.covers(at)), None)
    later = [s for s in duty if s.starts_at > at and s.starts_at < at + horizon]
    head = f"{route.label}: "
    if now is None:
        if later:
            nxt = later[0]
            text = f"no duty adviser until {_when(nxt.starts_at, at, zone)}, then {short_name(nxt.user_name)}"
        else:
            text = f"no duty adviser on the rota in the next {_hours(horizon)}"
    else:
        text = f"duty adviser {short_name(now.user_name)} until {_when(now.ends_at, at, zone)}"
        after = [s for s in later if s.starts_at >= now.ends_at]
        if after and after[0].starts_at == now.ends_at:
            text += f", then {short_name(after[0].user_name)}"
        elif after:
            nxt = after[0]
            text += f", then no one until {_when(nxt.starts_at, at, zone)} ({short_name(nxt.user_name)})"
        elif now.ends_at < at + horizon:
            text += ", then no one on the rota"
    if deputy is not None:
        text += f"; deputy {short_name(deputy.user_name)}"
    return head + text


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} hours" if hours != 1 else "hour"


def _merged(shifts: Sequence[ShiftRecord]) -> list[ShiftRecord]:
    """Back-to-back shifts of one person read as one ("until 19:00", not "until 13:00, then the same")."""
    out: list[ShiftRecord] = []
    for s in sorted(shifts, key=lambda s: s.starts_at):
        if out and out[-1].user_id == s.user_id and out[-1].ends_at == s.starts_at:
            last = out[-1]
            out[-1] = ShiftRecord(
                last.id, last.route, last.role, last.user_id, last.user_name, last.starts_at, s.ends_at,
                last.version,
            )  # fmt: skip
        else:
            out.append(s)
    return out


def escalation_lines(
    db: Database, actor: Actor, at: datetime | None = None, *, horizon: timedelta = HORIZON
) -> dict[Route, str]:
    """Per route, who to escalate to now and next: "Legal: duty adviser A. Khan until 07:00, then
    J. Osei"; "Victim: no duty adviser until 09:00, then M. Reed"; "…; deputy P. Shah"."""
    permissions.check(db, actor, Action.ROTA_VIEW)
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    with db.read() as session:
        # A shift that starts within the horizon may merge with one ending later: read a day more.
        shifts = shifts_between(session, moment, moment + horizon + MAX_SHIFT)
    return {r: _line(r, moment, [s for s in shifts if s.route is r], db.zone, horizon) for r in Route}


def escalation_line(db: Database, actor: Actor, route: Route, at: datetime | None = None) -> str:
    return escalation_lines(db, actor, at)[route]


def route_gaps(shifts: Sequence[ShiftRecord], start: datetime, end: datetime) -> list[Gap]:
    """Where the duty shifts in ``shifts`` leave ``[start, end)`` uncovered, per route."""
    out: list[Gap] = []
    for route in Route:
        cursor = start
        for s in sorted(
            (s for s in shifts if s.route is route and s.role is DutyRole.DUTY), key=lambda s: s.starts_at
        ):
            if s.ends_at <= cursor or s.starts_at >= end:
                continue
            if s.starts_at > cursor:
                out.append(Gap(route, cursor, s.starts_at))
            cursor = max(cursor, s.ends_at)
        if cursor < end:
            out.append(Gap(route, cursor, end))
    return out


def gaps(
    db: Database, actor: Actor, at: datetime | None = None, *, horizon: timedelta = HORIZON
) -> list[Gap]:
    """Every stretch of ``[at, at + horizon)`` (default: now and the next 12 hours) in which a
    route has no duty adviser: the routes to flag to supervisors. Empty when all are covered."""
    permissions.check(db, actor, Action.ROTA_VIEW)
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    with db.read() as session:
        shifts = shifts_between(session, moment, moment + horizon, role=DutyRole.DUTY)
    return route_gaps(shifts, moment, moment + horizon)


# --- writing -------------------------------------------------------------------------------------


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:lock_class, 'rota_shifts'::regclass::oid::int)"),
            {"lock_class": ADVISORY_LOCK_CLASS},
        )


def _times(
    db: Database, starts: datetime, ends: datetime, fold_start: int | None, fold_end: int | None
) -> tuple[datetime, datetime]:
    errors: list[FieldError] = []
    typed: list[ValidationError] = []
    start = end = None
    try:
        start = local_time.instant(starts, db.zone, fold=fold_start, field="starts_at")
    except ValidationError as exc:
        errors += exc.errors
        typed.append(exc)
    try:
        end = local_time.instant(ends, db.zone, fold=fold_end, field="ends_at")
    except ValidationError as exc:
        errors += exc.errors
        typed.append(exc)
    if len(typed) == 1 and len(errors) == 1:
        raise typed[0]  # an ambiguous or skipped time keeps its type (a screen asks which)
    if start is not None and end is not None:
        if not EARLIEST_TIME <= start < LATEST_TIME:
            errors.append(FieldError("starts_at", "is out of range"))
        if end <= start:
            errors.append(FieldError("ends_at", "must be after the start"))
        elif end - start > MAX_SHIFT:
            errors.append(
                FieldError("ends_at", f"a shift is at most {MAX_SHIFT.total_seconds() / 3600:g} hours")
            )
    if errors:
        raise ValidationError(errors)
    assert start is not None and end is not None
    return start, end


def _check_person(session: Session, user_id: uuid.UUID) -> str:
    user = session.get(User, user_id)
    if user is None:
        raise ValidationError([FieldError("user_id", "no such account")])
    if not user.active:
        raise ValidationError([FieldError("user_id", f"{user.username}'s account is disabled")])
    if not permissions.role_has(user.role, permissions.Permission.ADVICE_WRITE):
        raise ValidationError(
            [FieldError("user_id", f"{user.username} is an {user.role.label.lower()}: only people who may "
                                   "give advice are on the duty rota")]
        )  # fmt: skip
    return user.display_name


def _check_free(
    session: Session, zone: ZoneInfo, route: Route, role: DutyRole, start: datetime, end: datetime,
    ignore: uuid.UUID | None = None,
) -> None:  # fmt: skip
    clash = [s for s in shifts_between(session, start, end, route=route, role=role) if s.id != ignore]
    if clash:
        other = clash[0]
        raise ValidationError(
            [
                FieldError(
                    "starts_at",
                    f"overlaps {short_name(other.user_name)}'s {role.label.lower()} shift on {route.label} "
                    f"({_span(other, zone)}); one {role.label.lower()} per route at a time",
                )
            ]
        )


def _span(s: ShiftRecord, zone: ZoneInfo) -> str:
    a, b = s.starts_at.astimezone(zone), s.ends_at.astimezone(zone)
    first = f"{a:%a %d %b} {local_time.clock(s.starts_at, zone)}"
    return f"{first} to {b:%a %d %b} {local_time.clock(s.ends_at, zone)}"


def add_shift(
    db: Database,
    actor: Actor,
    route: Route,
    role: DutyRole,
    user_id: uuid.UUID,
    starts: datetime,
    ends: datetime,
    *,
    fold_start: int | None = None,
    fold_end: int | None = None,
) -> ShiftRecord:
    """Put ``user_id`` on the rota. ``starts``/``ends``: instants, or local times (naive) in the
    line's zone with ``fold`` where the clocks repeat an hour."""
    permissions.check(db, actor, Action.ROTA_EDIT, operation="add")
    route, role = Route(route), DutyRole(role)
    start, end = _times(db, starts, ends, fold_start, fold_end)
    now = datetime.now(UTC)
    with db.write() as session:
        _lock(session)
        name = _check_person(session, user_id)
        _check_free(session, db.zone, route, role, start, end)
        row = RotaShift(
            id=uuid.uuid4(), route=route, role=role, user_id=user_id, starts_at=start, ends_at=end,
            created_at=now, created_by_id=actor.user_id, updated_at=now, updated_by_id=actor.user_id,
        )  # fmt: skip
        session.add(row)
        session.flush()
        audit.record(
            session, actor, AuditCategory.ALTERATION, "rota.add", "rota_shift", row.id,
            route=route.value, role=role.value, user_id=str(user_id),
        )  # fmt: skip
        return _record(row, name)


def change_shift(
    db: Database,
    actor: Actor,
    shift_id: uuid.UUID,
    *,
    expected_version: int,
    user_id: uuid.UUID | None = None,
    starts: datetime | None = None,
    ends: datetime | None = None,
    fold_start: int | None = None,
    fold_end: int | None = None,
) -> ShiftRecord:
    """Change who holds a shift or when; refused (:class:`ConflictError`) if it changed since
    ``expected_version`` was read."""
    permissions.check(db, actor, Action.ROTA_EDIT, shift_id, operation="change")
    now = datetime.now(UTC)
    try:
        with db.write() as session:
            _lock(session)
            row = session.get(RotaShift, shift_id)
            if row is None:
                raise NotFoundError("this shift is no longer on the rota")
            if row.version != expected_version:
                raise ConflictError(
                    "this shift was changed by someone else since you opened the rota; look again",
                    expected_version=expected_version, stored_version=row.version,
                )  # fmt: skip
            start, end = _times(
                db,
                starts if starts is not None else row.starts_at,
                ends if ends is not None else row.ends_at,
                fold_start,
                fold_end,
            )
            person = user_id or row.user_id
            name = _check_person(session, person)
            _check_free(session, db.zone, row.route, row.role, start, end, ignore=row.id)
            before = {"user_id": row.user_id, "starts_at": row.starts_at, "ends_at": row.ends_at}
            after = {"user_id": person, "starts_at": start, "ends_at": end}
            changed = [name for name in before if before[name] != after[name]]
            row.user_id, row.starts_at, row.ends_at = person, start, end
            row.updated_at, row.updated_by_id = now, actor.user_id
            session.flush()
            audit.record(
                session, actor, AuditCategory.ALTERATION, "rota.change", "rota_shift", row.id,
                fields=changed, version=row.version,
            )  # fmt: skip
            return _record(row, name)
    except StaleDataError as exc:
        raise ConflictError("this shift was changed by someone else meanwhile; look again") from exc


def remove_shift(db: Database, actor: Actor, shift_id: uuid.UUID, *, expected_version: int) -> None:
    permissions.check(db, actor, Action.ROTA_EDIT, shift_id, operation="remove")
    try:
        with db.write() as session:
            _lock(session)
            row = session.get(RotaShift, shift_id)
            if row is None:
                raise NotFoundError("this shift is no longer on the rota")
            if row.version != expected_version:
                raise ConflictError(
                    "this shift was changed by someone else since you opened the rota; look again",
                    expected_version=expected_version, stored_version=row.version,
                )  # fmt: skip
            session.delete(row)
            audit.record(
                session, actor, AuditCategory.ALTERATION, "rota.remove", "rota_shift", shift_id,
                route=row.route.value, role=row.role.value,
            )  # fmt: skip
    except StaleDataError as exc:
        raise ConflictError("this shift was changed by someone else meanwhile; look again") from exc


def copy_week(db: Database, actor: Actor, into_week: date) -> CopyResult:
    """Copy the shifts that start in the local week before ``into_week``'s (Monday to Sunday) to
    the same local days and wall-clock times of ``into_week``'s week. A copy whose place is taken
    already (an overlap with a shift there) is left out and reported, never overwritten; one
    whose wall time the clocks skip that night is moved to just after the gap and reported."""
    permissions.check(db, actor, Action.ROTA_COPY_WEEK)
    zone = db.zone
    target = week_start(into_week, zone)
    source = week_start(into_week - timedelta(days=7), zone)
    now = datetime.now(UTC)
    created: list[ShiftRecord] = []
    moved: list[ShiftRecord] = []
    skipped: list[tuple[ShiftRecord, str]] = []
    with db.write() as session:
        _lock(session)
        originals = [s for s in shifts_between(session, source, target) if s.starts_at >= source]
        for s in originals:
            start, start_moved = local_time.add_local_days(s.starts_at, 7, zone)
            end, end_moved = local_time.add_local_days(s.ends_at, 7, zone)
            if end <= start:  # cannot happen for a sane shift, but never store one
                skipped.append((s, "its copy would end before it starts"))
                continue
            clash = shifts_between(session, start, end, route=s.route, role=s.role)
            if clash:
                skipped.append((s, f"{short_name(clash[0].user_name)} is on the rota then already"))
                continue
            row = RotaShift(
                id=uuid.uuid4(), route=s.route, role=s.role, user_id=s.user_id, starts_at=start, ends_at=end,
                created_at=now, created_by_id=actor.user_id, updated_at=now, updated_by_id=actor.user_id,
            )  # fmt: skip
            session.add(row)
            session.flush()
            record = _record(row, s.user_name)
            created.append(record)
            if start_moved or end_moved:
                moved.append(record)
        audit.record(
            session, actor, AuditCategory.ALTERATION, "rota.copy_week", "rota_shift", "",
            week=target.astimezone(zone).date().isoformat(), created=len(created), skipped=len(skipped),
        )  # fmt: skip
    return CopyResult(tuple(created), tuple(moved), tuple(skipped))


__all__ = [
    "HORIZON",
    "MAX_SHIFT",
    "CopyResult",
    "Gap",
    "OnDuty",
    "ShiftRecord",
    "add_shift",
    "change_shift",
    "copy_week",
    "duty_at",
    "escalation_line",
    "escalation_lines",
    "gaps",
    "list_shifts",
    "on_duty",
    "remove_shift",
    "route_gaps",
    "shifts_between",
    "short_name",
    "week_start",
]
