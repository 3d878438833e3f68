"""The duty rota (issue 14): who is on duty at an instant, shifts across midnight and both clock
changes of Europe/London, gaps, the "until … then …" text, copy last week by wall-clock time.

Times in these tests are written as London wall-clock times (naive datetimes, the way a
supervisor types them) and checked as UTC instants. Every person is invented.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from supportline.db import Database
from supportline.db.models import AuditEvent, RotaShift
from supportline.enums import DutyRole, Role, Route
from supportline.services import local_time, rota
from supportline.services.actor import Actor
from supportline.services.errors import ConflictError, PermissionDeniedError, ValidationError
from tests.factories import make_admin, make_user

LONDON = ZoneInfo("Europe/London")
DUTY, DEPUTY = DutyRole.DUTY, DutyRole.DEPUTY


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def london(*args: int, fold: int = 0) -> datetime:
    """A London wall-clock time as the instant it names (``fold`` for the repeated hour)."""
    return datetime(*args, fold=fold, tzinfo=LONDON).astimezone(UTC)  # type: ignore[misc]


@dataclass
class Staff:
    db: Database
    admin: Actor
    supervisor: Actor
    khan: Actor  # duty adviser "Aisha Khan"
    osei: Actor  # duty adviser "Joe Osei"
    reed: Actor  # supervisor "Mia Reed", also a deputy
    operator: Actor


@pytest.fixture
def staff(db: Database) -> Staff:
    admin = make_admin(db)
    return Staff(
        db,
        admin,
        make_user(db, admin, "sam.supervisor", Role.SUPERVISOR),
        make_user(db, admin, "aisha.khan", Role.ADVISER),
        make_user(db, admin, "joe.osei", Role.ADVISER),
        make_user(db, admin, "mia.reed", Role.SUPERVISOR),
        make_user(db, admin, "olu.operator", Role.OPERATOR),
    )


def add(
    s: Staff, route: Route, role: DutyRole, who: Actor, start: datetime, end: datetime
) -> rota.ShiftRecord:
    return rota.add_shift(s.db, s.supervisor, route, role, who.user_id, start, end)


def holder(s: Staff, at: datetime, route: Route = Route.LEGAL) -> str | None:
    on = rota.duty_at(s.db, s.operator, at)[route]
    return on.duty.user_name if on.duty else None


def test_duty_adviser_at_instants_with_a_night_shift_across_midnight(staff: Staff) -> None:
    s = staff
    day = add(s, Route.LEGAL, DUTY, s.khan, datetime(2026, 6, 10, 7, 0), datetime(2026, 6, 10, 19, 0))
    night = add(s, Route.LEGAL, DUTY, s.osei, datetime(2026, 6, 10, 19, 0), datetime(2026, 6, 11, 7, 0))
    add(s, Route.LEGAL, DEPUTY, s.reed, datetime(2026, 6, 10, 19, 0), datetime(2026, 6, 11, 7, 0))
    # Local times typed are stored as instants (BST: an hour behind in UTC).
    assert (day.starts_at, day.ends_at) == (utc(2026, 6, 10, 6), utc(2026, 6, 10, 18))
    assert night.ends_at - night.starts_at == timedelta(hours=12)
    assert holder(s, london(2026, 6, 10, 6, 59)) is None
    assert holder(s, london(2026, 6, 10, 7, 0)) == "Aisha Khan"  # a shift starts at its start
    assert holder(s, london(2026, 6, 10, 18, 59, 59)) == "Aisha Khan"
    assert holder(s, london(2026, 6, 10, 19, 0)) == "Joe Osei"  # and ends just before its end
    assert holder(s, london(2026, 6, 10, 23, 59)) == "Joe Osei"
    assert holder(s, london(2026, 6, 11, 0, 0)) == "Joe Osei"  # after midnight: the same shift
    assert holder(s, london(2026, 6, 11, 7, 0)) is None
    at_night = rota.duty_at(s.db, s.operator, london(2026, 6, 11, 3, 0))
    assert at_night[Route.LEGAL].deputy is not None and at_night[Route.LEGAL].deputy.user_name == "Mia Reed"
    assert at_night[Route.VICTIM].duty is None and at_night[Route.VICTIM].deputy is None


def test_night_shifts_across_both_clock_changes(staff: Staff) -> None:
    s = staff
    # Last Sunday of March 2026 (29th): 23:00 to 07:00 is 7 hours; of October (25th): 9 hours.
    march = add(s, Route.LEGAL, DUTY, s.khan, datetime(2026, 3, 28, 23, 0), datetime(2026, 3, 29, 7, 0))
    october = add(s, Route.LEGAL, DUTY, s.osei, datetime(2026, 10, 24, 23, 0), datetime(2026, 10, 25, 7, 0))
    assert (march.starts_at, march.ends_at) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 6))
    assert march.ends_at - march.starts_at == timedelta(hours=7)
    assert (october.starts_at, october.ends_at) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 7))
    assert october.ends_at - october.starts_at == timedelta(hours=9)
    # Both sides of each change are in the shift; its last minute is, the next is not.
    for at in (utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 5, 59)):
        assert holder(s, at) == "Aisha Khan", at
    assert holder(s, utc(2026, 3, 29, 6, 0)) is None
    for at in (
        london(2026, 10, 25, 1, 30, fold=0),
        london(2026, 10, 25, 1, 30, fold=1),
        utc(2026, 10, 25, 6, 59),
    ):
        assert holder(s, at) == "Joe Osei", at
    assert holder(s, utc(2026, 10, 25, 7, 0)) is None


def test_a_shift_start_the_clocks_skip_or_repeat_is_refused_unless_it_says_which(staff: Staff) -> None:
    s = staff
    with pytest.raises(local_time.NonexistentLocalTimeError, match="does not exist"):
        add(s, Route.VICTIM, DUTY, s.khan, datetime(2026, 3, 29, 1, 30), datetime(2026, 3, 29, 9, 0))
    with pytest.raises(ValidationError, match="happens twice") as info:
        add(s, Route.VICTIM, DUTY, s.khan, datetime(2026, 10, 25, 1, 30), datetime(2026, 10, 25, 9, 0))
    assert info.value.fields == ("starts_at",)
    second = rota.add_shift(
        s.db, s.supervisor, Route.VICTIM, DUTY, s.khan.user_id, datetime(2026, 10, 25, 1, 30),
        datetime(2026, 10, 25, 9, 0), fold_start=1,
    )  # fmt: skip
    assert second.starts_at == utc(2026, 10, 25, 1, 30)  # the second 01:30 (GMT)


def test_overlaps_wrong_people_and_bad_spans_are_refused(staff: Staff) -> None:
    s = staff
    add(s, Route.LEGAL, DUTY, s.khan, datetime(2026, 6, 10, 7, 0), datetime(2026, 6, 10, 19, 0))
    with pytest.raises(ValidationError, match=r"overlaps A\. Khan's duty adviser shift on Legal"):
        add(s, Route.LEGAL, DUTY, s.osei, datetime(2026, 6, 10, 18, 0), datetime(2026, 6, 11, 2, 0))
    # Another role, or another route, at the same time is fine.
    add(s, Route.LEGAL, DEPUTY, s.osei, datetime(2026, 6, 10, 18, 0), datetime(2026, 6, 11, 2, 0))
    add(s, Route.VICTIM, DUTY, s.osei, datetime(2026, 6, 10, 7, 0), datetime(2026, 6, 10, 19, 0))
    with pytest.raises(ValidationError, match="only people who may give advice"):
        add(s, Route.TACTICAL, DUTY, s.operator, datetime(2026, 6, 10, 7, 0), datetime(2026, 6, 10, 19, 0))
    with pytest.raises(ValidationError) as info:
        add(s, Route.TACTICAL, DUTY, s.khan, datetime(2026, 6, 10, 19, 0), datetime(2026, 6, 10, 7, 0))
    assert info.value.fields == ("ends_at",)
    with pytest.raises(ValidationError, match="at most 24 hours"):
        add(s, Route.TACTICAL, DUTY, s.khan, datetime(2026, 6, 10, 7, 0), datetime(2026, 6, 12, 7, 0))
    # An operator may not edit the rota at all; the refusal is audited.
    with pytest.raises(PermissionDeniedError, match="may not add, change or remove a rota shift"):
        rota.add_shift(
            s.db, s.operator, Route.TACTICAL, DUTY, s.khan.user_id,
            datetime(2026, 6, 10, 7, 0), datetime(2026, 6, 10, 19, 0),
        )  # fmt: skip
    with s.db.read() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    assert [(e.action, e.actor_name, json.loads(e.details)["operation"]) for e in refused] == [
        ("rota.edit", "olu.operator", "add")
    ]


def test_change_and_remove_need_the_version_shown(staff: Staff) -> None:
    s = staff
    shift = add(s, Route.LEGAL, DUTY, s.khan, datetime(2026, 6, 10, 7, 0), datetime(2026, 6, 10, 19, 0))
    changed = rota.change_shift(
        s.db, s.supervisor, shift.id, expected_version=shift.version, user_id=s.osei.user_id
    )
    assert (changed.user_name, changed.version) == ("Joe Osei", shift.version + 1)
    with pytest.raises(ConflictError):
        rota.change_shift(
            s.db, s.supervisor, shift.id, expected_version=shift.version, ends=datetime(2026, 6, 10, 20)
        )
    with pytest.raises(ConflictError):
        rota.remove_shift(s.db, s.supervisor, shift.id, expected_version=shift.version)
    rota.remove_shift(s.db, s.supervisor, shift.id, expected_version=changed.version)
    assert rota.list_shifts(s.db, s.operator, utc(2026, 6, 10), utc(2026, 6, 11)) == []
    with s.db.read() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("rota.%"))).all()
    assert [e.action for e in events] == ["rota.add", "rota.change", "rota.remove"]
    assert json.loads(events[1].details)["fields"] == ["user_id"]


def test_gaps_are_the_routes_with_nobody_on_duty_now_or_in_the_next_12_hours(staff: Staff) -> None:
    s = staff
    at = london(2026, 6, 10, 12, 0)
    add(s, Route.LEGAL, DUTY, s.khan, datetime(2026, 6, 10, 7, 0), datetime(2026, 6, 10, 19, 0))
    add(s, Route.LEGAL, DUTY, s.osei, datetime(2026, 6, 10, 19, 0), datetime(2026, 6, 11, 7, 0))
    # Victim: covered now, then nobody from 16:00 to 20:00, then covered again.
    add(s, Route.VICTIM, DUTY, s.khan, datetime(2026, 6, 10, 8, 0), datetime(2026, 6, 10, 16, 0))
    add(s, Route.VICTIM, DUTY, s.osei, datetime(2026, 6, 10, 20, 0), datetime(2026, 6, 11, 8, 0))
    # Immigration: a deputy only (a deputy does not fill a duty adviser's place).
    add(s, Route.IMMIGRATION, DEPUTY, s.reed, datetime(2026, 6, 10, 7, 0), datetime(2026, 6, 11, 7, 0))
    found = {(g.route, g.starts_at, g.ends_at) for g in rota.gaps(s.db, s.operator, at)}
    end = at + timedelta(hours=12)
    assert found == {
        (Route.VICTIM, london(2026, 6, 10, 16, 0), london(2026, 6, 10, 20, 0)),
        (Route.IMMIGRATION, at, end),
        (Route.TACTICAL, at, end),
    }
    # Fully covered for the next 12 hours: Legal is never a gap.
    assert not [g for g in rota.gaps(s.db, s.operator, at) if g.route is Route.LEGAL]


def test_the_until_then_text(staff: Staff) -> None:
    s = staff
    add(s, Route.LEGAL, DUTY, s.khan, datetime(2026, 6, 9, 19, 0), datetime(2026, 6, 10, 7, 0))
    add(s, Route.LEGAL, DUTY, s.osei, datetime(2026, 6, 10, 7, 0), datetime(2026, 6, 10, 19, 0))
    add(s, Route.LEGAL, DEPUTY, s.reed, datetime(2026, 6, 9, 19, 0), datetime(2026, 6, 10, 7, 0))
    add(s, Route.VICTIM, DUTY, s.osei, datetime(2026, 6, 10, 9, 0), datetime(2026, 6, 10, 17, 0))
    add(s, Route.IMMIGRATION, DUTY, s.khan, datetime(2026, 6, 9, 23, 0), datetime(2026, 6, 10, 6, 0))
    add(s, Route.IMMIGRATION, DUTY, s.osei, datetime(2026, 6, 10, 9, 0), datetime(2026, 6, 10, 17, 0))
    # Two shifts of one person back to back read as one.
    add(s, Route.TACTICAL, DUTY, s.khan, datetime(2026, 6, 9, 22, 0), datetime(2026, 6, 10, 2, 0))
    add(s, Route.TACTICAL, DUTY, s.khan, datetime(2026, 6, 10, 2, 0), datetime(2026, 6, 10, 5, 0))
    lines = rota.escalation_lines(s.db, s.operator, london(2026, 6, 10, 1, 0))
    assert lines == {
        Route.LEGAL: "Legal: duty adviser A. Khan until 07:00, then J. Osei; deputy M. Reed",
        Route.VICTIM: "Victim: no duty adviser until 09:00, then J. Osei",
        Route.IMMIGRATION: "Immigration: duty adviser A. Khan until 06:00, then no one until 09:00 (J. Osei)",
        Route.TACTICAL: "Tactical: duty adviser A. Khan until 05:00, then no one on the rota",
    }
    assert rota.escalation_line(s.db, s.operator, Route.VICTIM, london(2026, 6, 10, 23, 0)) == (
        "Victim: no duty adviser on the rota in the next 12 hours"
    )


def test_the_text_names_which_01_30_on_the_night_the_clocks_go_back(staff: Staff) -> None:
    s = staff
    rota.add_shift(
        s.db, s.supervisor, Route.LEGAL, DUTY, s.khan.user_id, datetime(2026, 10, 24, 19, 0),
        datetime(2026, 10, 25, 1, 30), fold_end=0,
    )  # fmt: skip
    rota.add_shift(
        s.db, s.supervisor, Route.LEGAL, DUTY, s.osei.user_id, datetime(2026, 10, 25, 1, 30),
        datetime(2026, 10, 25, 9, 0), fold_start=0,
    )  # fmt: skip
    assert rota.escalation_line(s.db, s.operator, Route.LEGAL, london(2026, 10, 25, 0, 15)) == (
        "Legal: duty adviser A. Khan until 01:30 BST, then J. Osei"
    )


def test_copy_last_week_keeps_wall_clock_times_across_the_clock_change(staff: Staff) -> None:
    s = staff
    # The week of Monday 19 October 2026 (BST until the Sunday morning) is copied into the week of
    # 26 October (GMT): 07:00-19:00 stays 07:00-19:00, so in UTC it is an hour later.
    add(s, Route.LEGAL, DUTY, s.khan, datetime(2026, 10, 19, 7, 0), datetime(2026, 10, 19, 19, 0))
    add(s, Route.LEGAL, DUTY, s.osei, datetime(2026, 10, 24, 23, 0), datetime(2026, 10, 25, 7, 0))  # 9 hours
    add(s, Route.VICTIM, DEPUTY, s.reed, datetime(2026, 10, 25, 7, 0), datetime(2026, 10, 25, 19, 0))
    before_week = add(
        s, Route.VICTIM, DUTY, s.osei, datetime(2026, 10, 18, 7, 0), datetime(2026, 10, 18, 19, 0)
    )
    # Already on the target week: the Victim deputy's Sunday place is taken, so that copy is skipped.
    add(s, Route.VICTIM, DEPUTY, s.khan, datetime(2026, 11, 1, 9, 0), datetime(2026, 11, 1, 12, 0))
    result = rota.copy_week(s.db, s.supervisor, date(2026, 10, 28))  # any day of the target week
    made = sorted((c.route, c.role, c.user_name, c.starts_at, c.ends_at) for c in result.created)
    assert made == [
        (Route.LEGAL, DUTY, "Aisha Khan", utc(2026, 10, 26, 7), utc(2026, 10, 26, 19)),
        (Route.LEGAL, DUTY, "Joe Osei", utc(2026, 10, 31, 23), utc(2026, 11, 1, 7)),  # now 8 hours
    ]
    assert [(src.user_name, why) for src, why in result.skipped] == [
        ("Mia Reed", "A. Khan is on the rota then already")
    ]
    assert result.moved == ()
    # The week before the source week is not copied; copying again finds every place taken.
    assert before_week.id not in {c.id for c in result.created}
    again = rota.copy_week(s.db, s.supervisor, date(2026, 10, 26))
    assert again.created == () and len(again.skipped) == 3
    with s.db.read() as session:
        assert session.query(RotaShift).count() == 7


def test_copy_into_the_march_change_moves_a_start_the_clocks_skip(staff: Staff) -> None:
    s = staff
    add(s, Route.TACTICAL, DUTY, s.khan, datetime(2026, 3, 22, 1, 30), datetime(2026, 3, 22, 9, 0))
    result = rota.copy_week(s.db, s.supervisor, date(2026, 3, 23))
    [copy] = result.created
    assert result.moved == (copy,)
    # 01:30 does not exist on 29 March: the copy starts at 02:30 BST (01:30 UTC), ends 09:00 BST.
    assert (copy.starts_at, copy.ends_at) == (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 8, 0))


def test_week_start_is_the_local_monday() -> None:
    assert rota.week_start(date(2026, 10, 28), LONDON) == utc(2026, 10, 26, 0)
    assert rota.week_start(date(2026, 10, 25), LONDON) == utc(2026, 10, 18, 23)  # Monday 19th, BST
    assert rota.short_name("Aisha Khan") == "A. Khan"
    assert rota.short_name("Mary Jane Okafor") == "M. J. Okafor"
    assert rota.short_name("Cher") == "Cher"
