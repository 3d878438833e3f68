"""Follow-ups and hand-offs (issue 14): due evaluation with a fixed clock at 00:00, 23:59 and
across the last Sundays of March and October in Europe/London; local times the clocks skip or
repeat; follow-ups booked with the call from its outcome, not typed twice; completing, snoozing
and who may; handing a call to the duty adviser. Every person is invented.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from supportline.db import Database
from supportline.db.models import AuditEvent, FollowUp
from supportline.enums import DutyRole, FollowUpKind, FollowUpPriority, FollowUpStatus, Outcome, Role, Route
from supportline.services import calls, followups, local_time, rota
from supportline.services.actor import Actor
from supportline.services.call_types import CallRecord, FollowUpData
from supportline.services.errors import ConflictError, PermissionDeniedError, ValidationError
from supportline.services.followups import DueState
from tests.factories import full_call, make_admin, make_user, outcome, without_advice

LONDON = ZoneInfo("Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def london(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, fold=fold, tzinfo=LONDON).astimezone(UTC)  # type: ignore[misc]


@dataclass
class World:
    db: Database
    admin: Actor
    supervisor: Actor
    operator: Actor
    other_operator: Actor
    khan: Actor
    osei: Actor
    call: CallRecord


@pytest.fixture
def world(db: Database) -> World:
    admin = make_admin(db)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    call = calls.save_call(
        db, operator,
        without_advice(full_call(id=uuid.uuid4(), persons=(), closed_at=None, status="open", follow_ups=())),
    )  # fmt: skip
    return World(
        db, admin, make_user(db, admin, "sam.supervisor", Role.SUPERVISOR), operator,
        make_user(db, admin, "ola.operator", Role.OPERATOR), make_user(db, admin, "aisha.khan", Role.ADVISER),
        make_user(db, admin, "joe.osei", Role.ADVISER), call,
    )  # fmt: skip


def book(w: World, due: datetime, now: datetime, **kw: object) -> followups.FollowUpRecord:
    return followups.book_follow_up(w.db, w.operator, w.call.id, due, now=now, **kw)  # type: ignore[arg-type]


def states(w: World, now: datetime, hours: float = 4, **kw: object) -> dict[str, str]:
    listed = followups.due(w.db, w.operator, now=now, within=timedelta(hours=hours), audited=False, **kw)  # type: ignore[arg-type]
    return {i.follow_up.note: i.state.value for i in listed.items()}


# --- due evaluation with a fixed clock -------------------------------------------------------------


def test_due_at_midnight_and_at_23_59(world: World) -> None:
    w = world
    booked_at = london(2026, 6, 10, 9, 0)
    for hour, minute, note in [
        (23, 30, "23:30"), (23, 50, "23:50"), (23, 59, "23:59"), (0, 0, "00:00"), (0, 1, "00:01"),
        (3, 59, "03:59"), (4, 1, "04:01"),
    ]:  # fmt: skip
        day = 10 if hour >= 12 else 11
        book(w, datetime(2026, 6, day, hour, minute), booked_at, note=note)  # local time, typed
    with w.db.read() as session:
        first = session.scalar(select(FollowUp.due_at).where(FollowUp.note == "00:00"))
    assert first == utc(2026, 6, 10, 23, 0)  # local midnight in summer is 23:00 UTC
    at_midnight = states(w, london(2026, 6, 11, 0, 0))
    assert at_midnight == {
        "23:30": "overdue",  # 30 minutes ago: more than the quarter hour of "due now"
        "23:50": "due_now",
        "23:59": "due_now",
        "00:00": "due_now",  # exactly now
        "00:01": "upcoming",
        "03:59": "upcoming",  # within the next 4 hours; 04:01 is not
    }
    at_23_59 = states(w, london(2026, 6, 10, 23, 59))
    assert at_23_59 == {
        "23:30": "overdue",
        "23:50": "due_now",
        "23:59": "due_now",
        "00:00": "upcoming",
        "00:01": "upcoming",
        "03:59": "upcoming",  # 4 hours after 23:59 is 03:59: included
    }


def test_due_across_the_march_change_counts_real_hours(world: World) -> None:
    """29 March 2026: 00:59 GMT is followed by 02:00 BST. Two hours from 00:30 reach 03:30 BST."""
    w = world
    booked_at = london(2026, 3, 28, 12, 0)
    book(w, datetime(2026, 3, 29, 0, 50), booked_at, note="00:50 GMT")
    book(w, datetime(2026, 3, 29, 2, 0), booked_at, note="02:00 BST")
    book(w, datetime(2026, 3, 29, 3, 29), booked_at, note="03:29 BST")
    book(w, datetime(2026, 3, 29, 3, 31), booked_at, note="03:31 BST")
    with pytest.raises(
        local_time.NonexistentLocalTimeError, match="01:30 on 29 March 2026 does not exist"
    ) as info:
        book(w, datetime(2026, 3, 29, 1, 30), booked_at, note="never")
    assert info.value.fields == ("due_at",)
    assert "the clocks go forward at 01:00 GMT to 02:00 BST" in str(info.value)
    now = london(2026, 3, 29, 0, 30)  # 00:30 UTC
    assert states(w, now, hours=2) == {
        "00:50 GMT": "upcoming",
        "02:00 BST": "upcoming",
        "03:29 BST": "upcoming",
    }
    # At 02:00 BST the 00:50 one was due 70 minutes ago by the clock on the wall but 10 in real
    # time: due now, not overdue.
    assert states(w, london(2026, 3, 29, 2, 0), hours=2) == {
        "00:50 GMT": "due_now", "02:00 BST": "due_now", "03:29 BST": "upcoming", "03:31 BST": "upcoming",
    }  # fmt: skip


def test_the_repeated_october_hour_needs_to_say_which(world: World) -> None:
    """25 October 2026: 01:00-01:59 happens in BST, then again in GMT."""
    w = world
    booked_at = london(2026, 10, 24, 12, 0)
    with pytest.raises(local_time.AmbiguousLocalTimeError) as info:
        book(w, datetime(2026, 10, 25, 1, 30), booked_at, note="which?")
    message = str(info.value)
    assert "01:30 on 25 October 2026 happens twice" in message
    assert "the first (01:30 BST, fold 0) or the second (01:30 GMT, fold 1)" in message
    assert info.value.choices == (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30))
    with w.db.read() as session:
        assert session.scalar(select(func.count()).select_from(FollowUp)) == 0  # nothing was booked
    first = book(w, datetime(2026, 10, 25, 1, 30), booked_at, note="first", fold=0)
    second = book(w, datetime(2026, 10, 25, 1, 30), booked_at, note="second", fold=1)
    assert (first.due_at, second.due_at) == (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30))
    # The instant shown is stored: an aware time needs no fold.
    shown = book(w, utc(2026, 10, 25, 1, 45), booked_at, note="shown")
    assert shown.due_at == utc(2026, 10, 25, 1, 45)
    assert states(w, london(2026, 10, 25, 1, 40, fold=0)) == {
        "first": "due_now", "second": "upcoming", "shown": "upcoming",
    }  # fmt: skip
    assert states(w, london(2026, 10, 25, 1, 40, fold=1)) == {
        "first": "overdue", "second": "due_now", "shown": "upcoming",
    }  # fmt: skip
    # Two hours from 00:30 BST (23:30 UTC) end at 01:30 GMT: both 01:30s are in, 01:45 GMT is not.
    assert set(states(w, london(2026, 10, 25, 0, 30), hours=2)) == {"first", "second"}


# --- booked with the call ----------------------------------------------------------------------------


def test_a_follow_up_booked_with_the_call_is_in_the_due_list_once(world: World) -> None:
    w = world
    opened = datetime.now(UTC) - timedelta(minutes=20)
    due = datetime.now(UTC) + timedelta(hours=1)
    data = without_advice(
        full_call(
            id=uuid.uuid4(), opened_at=opened, persons=(), closed_at=None, status="open",
            outcomes=frozenset({Outcome.FOLLOW_UP_BOOKED}),
            follow_ups=(FollowUpData(due_at=due, note="Call the DS back after the strategy meeting"),),
        )
    )  # fmt: skip
    record = calls.save_call(w.db, w.operator, data)
    listed = followups.due(w.db, w.operator, audited=False)
    [item] = [i for i in listed.items() if i.follow_up.call_id == record.id]
    f = item.follow_up
    assert (f.id, f.call_reference, f.due_at, f.note) == (
        data.follow_ups[0].id, record.reference, due, "Call the DS back after the strategy meeting",
    )  # fmt: skip
    assert (f.kind, f.priority, f.status, f.created_by_name, f.version) == (
        FollowUpKind.CALLBACK, FollowUpPriority.NORMAL, FollowUpStatus.OPEN, "Olu Operator", 1,
    )  # fmt: skip
    # Saving the call again (unchanged) does not book it again.
    calls.save_call(w.db, w.operator, record.data, expected_version=record.version)
    with w.db.read() as session:
        assert (
            session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.call_id == record.id))
            == 1
        )


def test_the_outcome_follow_up_booked_needs_its_follow_up(world: World) -> None:
    w = world
    data = without_advice(
        full_call(
            id=uuid.uuid4(), persons=(), closed_at=None, status="open",
            outcomes=frozenset({Outcome.FOLLOW_UP_BOOKED}), follow_ups=(),
        )
    )  # fmt: skip
    with pytest.raises(ValidationError, match="needs the follow-up itself") as info:
        calls.save_call(w.db, w.operator, data)
    assert info.value.fields == ("follow_ups",)


def test_a_call_save_never_reopens_or_removes_a_done_follow_up(world: World) -> None:
    w = world
    record = calls.save_call(
        w.db, w.operator,
        dataclasses.replace(w.call.data, follow_ups=(FollowUpData(due_at=utc(2030, 1, 1), note="Callback"),)),
        expected_version=w.call.version,
    )  # fmt: skip
    [f] = followups.for_call(w.db, w.operator, record.id)
    followups.complete_follow_up(
        w.db, w.operator, f.id, expected_version=f.version, outcome="Spoke to the DS"
    )
    # A form opened before the completion still holds the follow-up open: its save keeps it done.
    stale = dataclasses.replace(record.data, narrative="Added a line.")
    again = calls.save_call(w.db, w.operator, stale, expected_version=record.version)
    [after] = followups.for_call(w.db, w.operator, record.id)
    assert (after.status, after.outcome, again.data.follow_ups[0].done_at) == (
        FollowUpStatus.DONE, "Spoke to the DS", after.done_at,
    )  # fmt: skip
    # Removing it, or changing what was booked, is refused with a reason.
    with pytest.raises(ValidationError, match="cannot be removed by saving the call"):
        calls.save_call(
            w.db, w.operator, dataclasses.replace(again.data, follow_ups=()), expected_version=again.version
        )
    moved = dataclasses.replace(again.data.follow_ups[0], due_at=utc(2030, 1, 2))
    with pytest.raises(ValidationError, match="this follow-up is done"):
        calls.save_call(
            w.db,
            w.operator,
            dataclasses.replace(again.data, follow_ups=(moved,)),
            expected_version=again.version,
        )


def test_booking_on_its_own_makes_a_form_holding_the_call_stale(world: World) -> None:
    """Otherwise the form's save, which lists the call's follow-ups as it read them, would drop it."""
    w = world
    now = datetime.now(UTC)
    booked = book(
        w, now + timedelta(hours=2), now, kind=FollowUpKind.CHASE_REFERRAL, priority=FollowUpPriority.HIGH
    )
    with pytest.raises(ConflictError):
        calls.save_call(w.db, w.operator, w.call.data, expected_version=w.call.version)
    current = calls.get_call(w.db, w.operator, w.call.id)
    assert [f.id for f in current.data.follow_ups] == [booked.id]
    assert current.version == w.call.version + 1


def test_booking_checks_what_it_is_given(world: World) -> None:
    w = world
    now = utc(2026, 6, 10, 12)
    with pytest.raises(ValidationError) as info:
        followups.book_follow_up(
            w.db, w.operator, w.call.id, utc(2026, 6, 10, 11), now=now, note="x" * 20_001,
            assignee_id=w.khan.user_id, assignee_route=Route.LEGAL,
        )  # fmt: skip
    assert set(info.value.fields) == {"due_at", "note", "assignee"}
    with pytest.raises(ValidationError, match="no such active account"):
        followups.book_follow_up(
            w.db, w.operator, w.call.id, utc(2026, 6, 11), now=now, assignee_id=uuid.uuid4()
        )


# --- completing and snoozing -------------------------------------------------------------------------


def test_snoozing_needs_a_reason_and_moves_when_it_is_due(world: World) -> None:
    w = world
    now = utc(2026, 6, 10, 12)
    f = book(w, utc(2026, 6, 10, 12, 5), now, note="snooze me", assignee_id=w.operator.user_id)
    with pytest.raises(ValidationError) as info:
        followups.snooze_follow_up(
            w.db,
            w.operator,
            f.id,
            expected_version=f.version,
            until=utc(2026, 6, 10, 11),
            reason="  ",
            now=now,
        )
    assert set(info.value.fields) == {"reason", "until"}
    snoozed = followups.snooze_follow_up(
        w.db, w.operator, f.id, expected_version=f.version, until=datetime(2026, 6, 10, 16, 0),
        reason="The DS is in court until four", now=now,
    )  # fmt: skip
    assert (snoozed.status, snoozed.snoozed_until, snoozed.next_due) == (
        FollowUpStatus.SNOOZED, utc(2026, 6, 10, 15), utc(2026, 6, 10, 15),
    )  # fmt: skip
    assert states(w, utc(2026, 6, 10, 12, 10), hours=1) == {}  # not due while snoozed
    assert states(w, utc(2026, 6, 10, 15, 5), hours=1) == {"snooze me": "due_now"}
    with pytest.raises(ConflictError):
        followups.complete_follow_up(w.db, w.operator, f.id, expected_version=f.version, outcome="x")
    with pytest.raises(ValidationError, match="outcome: required"):
        followups.complete_follow_up(w.db, w.operator, f.id, expected_version=snoozed.version, outcome=" ")
    done = followups.complete_follow_up(
        w.db,
        w.operator,
        f.id,
        expected_version=snoozed.version,
        outcome="Called back, NRM explained",
        now=now,
    )
    assert (done.status, done.done_at, done.done_by_name, done.snoozed_until) == (
        FollowUpStatus.DONE, now, "Olu Operator", None,
    )  # fmt: skip
    assert done.snooze_reason == "The DS is in court until four"  # kept, as the record of the snooze
    assert states(w, utc(2026, 6, 10, 15, 5)) == {}
    with pytest.raises(ValidationError, match="done already"):
        followups.complete_follow_up(w.db, w.operator, f.id, expected_version=done.version, outcome="again")
    # The audit names the follow-up and the call, never the note, outcome or reason.
    with w.db.read() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.record_type == "follow_up")).all()
    assert [e.action for e in events] == ["followup.book", "followup.snooze", "followup.complete"]
    for e in events:
        assert "court" not in e.details and "NRM" not in e.details and "snooze me" not in e.details


def test_who_may_complete_a_follow_up(world: World) -> None:
    w = world
    now = utc(2026, 6, 10, 12)
    # Khan held Legal this morning; Osei holds it tonight, when the Legal follow-up falls due.
    rota.add_shift(
        w.db,
        w.supervisor,
        Route.LEGAL,
        DutyRole.DUTY,
        w.khan.user_id,
        utc(2026, 6, 10, 6),
        utc(2026, 6, 10, 11),
    )
    rota.add_shift(
        w.db,
        w.supervisor,
        Route.LEGAL,
        DutyRole.DUTY,
        w.osei.user_id,
        utc(2026, 6, 10, 18),
        utc(2026, 6, 11, 6),
    )
    mine = book(w, utc(2026, 6, 10, 13), now, assignee_id=w.operator.user_id)
    anyones = book(w, utc(2026, 6, 10, 13), now)
    legal = book(w, utc(2026, 6, 10, 20), now, assignee_route=Route.LEGAL)
    done: list[str] = []
    refusals: list[str] = []

    def attempt(actor: Actor, f: followups.FollowUpRecord, name: str) -> bool:
        current = next(x for x in followups.for_call(w.db, w.admin, w.call.id) if x.id == f.id)
        try:
            followups.complete_follow_up(
                w.db, actor, f.id, expected_version=current.version, outcome="ok", now=now
            )
        except PermissionDeniedError as exc:
            refusals.append(str(exc))
            return False
        done.append(name)
        return True

    assert not attempt(w.other_operator, mine, "mine by another")
    assert not attempt(w.khan, legal, "legal by Khan")  # on duty neither now nor when it falls due
    assert attempt(w.osei, legal, "legal by Osei")  # on duty at 20:00
    assert attempt(w.other_operator, anyones, "anyone's")
    assert attempt(w.supervisor, mine, "mine by a supervisor")
    assert done == ["legal by Osei", "anyone's", "mine by a supervisor"]
    assert len(refusals) == 2 and all("it is assigned to someone else" in r for r in refusals)
    with w.db.read() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    assert [(e.action, e.actor_name, json.loads(e.details)["reason"]) for e in refused] == [
        ("followup.complete", "ola.operator", "not the assignee"),
        ("followup.complete", "aisha.khan", "not the assignee"),
    ]
    assert all(outcome(e) == "refused" for e in refused)


def test_a_route_follow_up_is_with_the_duty_adviser_when_due_or_now_once_due(world: World) -> None:
    w = world
    rota.add_shift(
        w.db,
        w.supervisor,
        Route.LEGAL,
        DutyRole.DUTY,
        w.khan.user_id,
        utc(2026, 6, 10, 6),
        utc(2026, 6, 10, 18),
    )
    rota.add_shift(
        w.db,
        w.supervisor,
        Route.LEGAL,
        DutyRole.DUTY,
        w.osei.user_id,
        utc(2026, 6, 10, 18),
        utc(2026, 6, 11, 6),
    )
    book(w, utc(2026, 6, 10, 17), utc(2026, 6, 10, 9), assignee_route=Route.LEGAL, note="at five")
    book(w, utc(2026, 6, 10, 19), utc(2026, 6, 10, 9), assignee_route=Route.LEGAL, note="at seven")
    book(w, utc(2026, 6, 10, 19), utc(2026, 6, 10, 9), assignee_route=Route.VICTIM, note="victim")

    def holders(now: datetime) -> dict[str, str]:
        listed = followups.due(w.db, w.operator, now=now, within=timedelta(hours=4), audited=False)
        return {i.follow_up.note: i.holder_name for i in listed.items()}

    assert holders(utc(2026, 6, 10, 16)) == {"at five": "Aisha Khan", "at seven": "Joe Osei", "victim": ""}
    # At 18:30 the five o'clock one is overdue: it is with whoever holds Legal now.
    assert holders(utc(2026, 6, 10, 18, 30)) == {"at five": "Joe Osei", "at seven": "Joe Osei", "victim": ""}
    mine = followups.due(w.db, w.khan, now=utc(2026, 6, 10, 16), assignee_id=w.khan.user_id, audited=False)
    assert [i.follow_up.note for i in mine.items()] == ["at five"]
    legal = followups.due(w.db, w.khan, now=utc(2026, 6, 10, 16), route=Route.LEGAL, audited=False)
    assert {i.follow_up.note for i in legal.items()} == {"at five", "at seven"}


# --- handing a call to the duty adviser --------------------------------------------------------------


def test_a_call_handed_to_the_duty_adviser_waits_in_their_due_list(world: World) -> None:
    w = world
    now = utc(2026, 6, 10, 12)
    with pytest.raises(ValidationError, match="nobody is on duty for Legal now; nobody is on the rota"):
        followups.hand_to_duty_adviser(w.db, w.operator, w.call.id, Route.LEGAL, now=now)
    rota.add_shift(
        w.db,
        w.supervisor,
        Route.LEGAL,
        DutyRole.DUTY,
        w.khan.user_id,
        utc(2026, 6, 10, 13),
        utc(2026, 6, 10, 18),
    )
    with pytest.raises(ValidationError, match=r"next on the rota: A\. Khan from 14:00"):
        followups.hand_to_duty_adviser(w.db, w.operator, w.call.id, Route.LEGAL, now=now)
    at = utc(2026, 6, 10, 13, 30)
    handed = followups.hand_to_duty_adviser(
        w.db, w.operator, w.call.id, Route.LEGAL, note="Needs s.45 advice", now=at
    )
    assert (handed.adviser_name, handed.handed_by_name, handed.call_reference) == (
        "Aisha Khan", "Olu Operator", w.call.reference,
    )  # fmt: skip
    khans = followups.due(w.db, w.khan, now=at, assignee_id=w.khan.user_id, audited=False)
    assert [h.id for h in khans.handoffs] == [handed.id]
    assert followups.due(w.db, w.osei, now=at, assignee_id=w.osei.user_id, audited=False).handoffs == ()
    _, new = followups.newly_due(None, khans)
    assert new == khans.handoffs
    with pytest.raises(ValidationError, match=r"waiting for A\. Khan"):
        followups.hand_to_duty_adviser(w.db, w.operator, w.call.id, Route.LEGAL, now=at)
    with pytest.raises(PermissionDeniedError, match="handed to another adviser"):
        followups.take_handoff(w.db, w.osei, handed.id, expected_version=handed.version)
    taken = followups.take_handoff(w.db, w.khan, handed.id, expected_version=handed.version, now=at)
    assert taken.taken_at == at
    assert followups.due(w.db, w.khan, now=at, assignee_id=w.khan.user_id, audited=False).handoffs == ()
    with w.db.read() as session:
        events = [(e.action, e.outcome) for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(["call.handoff", "handoff.take"])))]  # fmt: skip
    assert events == [("call.handoff", "allowed"), ("handoff.take", "refused"), ("handoff.take", "allowed")]


def test_newly_due_is_what_fell_due_between_two_listings(world: World) -> None:
    w = world
    book(w, utc(2026, 6, 10, 12, 10), utc(2026, 6, 10, 12), note="ten past")
    first = followups.due(w.db, w.operator, now=utc(2026, 6, 10, 12, 5), audited=False)
    second = followups.due(w.db, w.operator, now=utc(2026, 6, 10, 12, 11), audited=False)
    fell, _ = followups.newly_due(first, second)
    assert [i.follow_up.note for i in fell] == ["ten past"] and fell[0].state is DueState.DUE_NOW
    third = followups.due(w.db, w.operator, now=utc(2026, 6, 10, 12, 40), audited=False)
    assert followups.newly_due(second, third)[0] == ()  # overdue now, but it was notified already


def test_listing_what_is_due_is_audited_with_counts_only(world: World) -> None:
    w = world
    book(w, utc(2026, 6, 10, 12, 10), utc(2026, 6, 10, 12), note="secret note")
    followups.due(w.db, w.operator, now=utc(2026, 6, 10, 12, 10), route=Route.LEGAL)
    followups.due(w.db, w.operator, now=utc(2026, 6, 10, 12, 10))
    with w.db.read() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "followup.due")).all()
    details = [json.loads(e.details) for e in events]
    assert details[0]["filters"] == {"route": "legal"} and details[0]["counts"]["due_now"] == 0
    assert details[1]["counts"] == {"overdue": 0, "due_now": 1, "upcoming": 0, "handoffs": 0}
    assert all("secret" not in e.details for e in events)


def test_only_the_most_recent_overdue_are_listed_past_the_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    monkeypatch.setattr(followups, "MAX_OVERDUE", 2)
    for hour in (8, 9, 10):
        book(w, utc(2026, 6, 10, hour), utc(2026, 6, 10, 7), note=f"{hour}:00")
    book(w, utc(2026, 6, 10, 12, 5), utc(2026, 6, 10, 7), note="soon")
    listed = followups.due(w.db, w.operator, now=utc(2026, 6, 10, 12), audited=False)
    assert [i.follow_up.note for i in listed.overdue] == ["9:00", "10:00"] and listed.overdue_truncated
    assert [i.follow_up.note for i in listed.upcoming] == ["soon"]
    assert not followups.due(w.db, w.operator, now=utc(2026, 6, 10, 9, 30), audited=False).overdue_truncated
