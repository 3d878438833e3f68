"""Shift handover (issue 14), on SQLite and PostgreSQL: the pre-fill equals the database state
(each section checked against an independent SQL query written here), notes, acknowledgement by
a different supervisor with their own password (the author refused; a wrong password refused
and audited), read-only once acknowledged in the service and in the database itself, history
search, the 30-minute flag, shifts across the clock changes, and the PDF read back with
pdftotext. Every person is invented.
"""

# ruff: noqa: S608  (the SQL text is built from this file's constants: no input)

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.exc import DBAPIError

from supportline.db import Database
from supportline.db.models import AuditEvent, Handover, User
from supportline.db.types import UTCDateTime
from supportline.enums import CallStatus, DutyRole, Role, Route, Urgency
from supportline.services import calls, followups, handover, rota
from supportline.services.actor import Actor
from supportline.services.errors import AuthenticationError, ConflictError, PermissionDeniedError
from supportline.services.handover import HandoverReadOnlyError, Section
from tests.conftest import IN_CI
from tests.factories import PASSWORD, full_call, make_admin, make_user, outcome, without_advice

LONDON = ZoneInfo("Europe/London")
# The shift 15:00-23:00 BST on Wednesday 10 June 2026, and the night after it (23:00-07:00).
START, END, NEXT_END = (
    datetime(2026, 6, 10, 14, tzinfo=UTC),
    datetime(2026, 6, 10, 22, tzinfo=UTC),
    datetime(2026, 6, 11, 6, tzinfo=UTC),
)
NOW = datetime(2026, 6, 10, 21, 40, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class World:
    db: Database
    admin: Actor
    sam: Actor  # the outgoing supervisor
    sue: Actor  # the incoming supervisor
    operator: Actor
    khan: Actor
    osei: Actor
    refs: dict[str, str]  # call name -> reference
    ids: dict[str, uuid.UUID]  # call and follow-up names -> id


def _call(
    w_db: Database, who: Actor, opened: datetime, urgency: Urgency, *, closed: bool
) -> calls.CallRecord:
    data = without_advice(
        full_call(
            id=uuid.uuid4(), opened_at=opened, persons=(), follow_ups=(), urgency=urgency,
            status=CallStatus.CLOSED if closed else CallStatus.OPEN,
            closed_at=opened + timedelta(minutes=30) if closed else None,
        )
    )  # fmt: skip
    return calls.save_call(w_db, who, data)


@pytest.fixture
def world(db: Database) -> World:
    admin = make_admin(db)
    sam = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    sue = make_user(db, admin, "sue.supervisor", Role.SUPERVISOR)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    khan = make_user(db, admin, "aisha.khan", Role.ADVISER)
    osei = make_user(db, admin, "joe.osei", Role.ADVISER)
    made = {
        "A": _call(db, operator, utc(2026, 6, 10, 14, 30), Urgency.CRISIS, closed=False),  # this shift, open
        "B": _call(db, operator, utc(2026, 6, 10, 15), Urgency.URGENT, closed=True),  # this shift, closed
        "C": _call(db, operator, utc(2026, 6, 10, 13), Urgency.CRISIS, closed=False),  # the shift before
        "D": _call(db, operator, utc(2026, 6, 10, 16), Urgency.ROUTINE, closed=False),
        "E": _call(db, operator, utc(2026, 6, 10, 20), Urgency.ROUTINE, closed=True),
        "F": _call(db, operator, utc(2026, 6, 10, 22), Urgency.CRISIS, closed=False),  # the next shift
    }
    refs = {k: v.reference for k, v in made.items()}
    ids: dict[str, uuid.UUID] = {k: v.id for k, v in made.items()}
    # The rota: Legal covered all day and night; Victim until 02:00 only; the others not at all.
    for who, start, end in ((khan, utc(2026, 6, 10, 6), END), (osei, END, NEXT_END)):
        rota.add_shift(db, sam, Route.LEGAL, DutyRole.DUTY, who.user_id, start, end)
    rota.add_shift(db, sam, Route.VICTIM, DutyRole.DUTY, osei.user_id, END, utc(2026, 6, 11, 2))
    booked = utc(2026, 6, 10, 14)

    def book(name: str, call: str, due: datetime, **kw: Any) -> followups.FollowUpRecord:
        f = followups.book_follow_up(db, operator, ids[call], due, now=booked, note=name, **kw)
        ids[name] = f.id
        return f

    book("f1 overdue", "A", utc(2026, 6, 10, 21))
    book("f2 next shift", "A", utc(2026, 6, 10, 23), assignee_id=khan.user_id)
    book("f3 later", "D", utc(2026, 6, 11, 7))
    done = book("f4 done", "D", utc(2026, 6, 10, 20))
    followups.complete_follow_up(
        db, operator, done.id, expected_version=done.version, outcome="ok", now=booked
    )
    snoozed = book("f5 snoozed", "C", utc(2026, 6, 10, 15))
    followups.snooze_follow_up(
        db, operator, snoozed.id, expected_version=snoozed.version, until=utc(2026, 6, 11, 1),
        reason="The DS is on a raid", now=booked,
    )  # fmt: skip
    book("f6 legal", "C", utc(2026, 6, 10, 23, 30), assignee_route=Route.LEGAL)
    waiting = followups.hand_to_duty_adviser(db, operator, ids["A"], Route.LEGAL, now=utc(2026, 6, 10, 15))
    taken = followups.hand_to_duty_adviser(db, operator, ids["D"], Route.LEGAL, now=utc(2026, 6, 10, 16))
    followups.take_handoff(db, khan, taken.id, expected_version=taken.version, now=utc(2026, 6, 10, 16, 5))
    ids["waiting"], ids["taken"] = waiting.id, taken.id
    return World(db, admin, sam, sue, operator, khan, osei, refs, ids)


# --- independent queries -------------------------------------------------------------------------


def _ids(db: Database, sql: str, **params: datetime) -> list[uuid.UUID]:
    statement = text(sql).bindparams(*(bindparam(k, type_=UTCDateTime()) for k in params))
    with db.engine.connect() as conn:
        return [uuid.UUID(str(v)) for v in conn.execute(statement, params).scalars()]


def test_the_prefill_equals_the_database(world: World) -> None:
    w, db = world, world.db
    got = handover.prefill(db, w.sam, START, END, now=NOW)
    assert (got.shift_start, got.shift_end, got.next_end) == (START, END, NEXT_END)

    def section(s: Section) -> list[uuid.UUID | None]:
        return [i.record_id for i in got.section(s)]

    open_calls = _ids(db, "SELECT id FROM calls WHERE status = 'open' ORDER BY opened_at")
    crisis = _ids(
        db,
        "SELECT id FROM calls WHERE opened_at >= :s AND opened_at < :e AND urgency IN ('crisis', 'urgent') "
        "ORDER BY opened_at",
        s=START, e=END,
    )  # fmt: skip
    next_due = "CASE WHEN status = 'snoozed' THEN snoozed_until ELSE due_at END"
    overdue = _ids(
        db, f"SELECT id FROM follow_ups WHERE status <> 'done' AND {next_due} < :e ORDER BY {next_due}", e=END
    )
    next_shift = _ids(
        db,
        f"SELECT id FROM follow_ups WHERE status <> 'done' AND {next_due} >= :e AND {next_due} < :n "
        f"ORDER BY {next_due}",
        e=END, n=NEXT_END,
    )  # fmt: skip
    waiting = _ids(db, "SELECT id FROM call_handoffs WHERE status = 'waiting' ORDER BY handed_at")
    assert section(Section.OPEN_CALLS) == open_calls
    assert section(Section.CRISIS_URGENT) == crisis
    assert section(Section.OVERDUE_FOLLOW_UPS) == overdue
    assert section(Section.FOLLOW_UPS_NEXT_SHIFT) == next_shift
    assert section(Section.HANDOFFS_WAITING) == waiting
    # And what those queries find is what the world was built to hold (so they test something).
    ids = w.ids
    assert open_calls == [ids["C"], ids["A"], ids["D"], ids["F"]]
    assert crisis == [ids["A"], ids["B"]]
    assert overdue == [ids["f1 overdue"]]
    assert next_shift == [ids["f2 next shift"], ids["f6 legal"], ids["f5 snoozed"]]
    assert waiting == [ids["waiting"]]
    # Each item names its call by reference (checked by a join of our own).
    with db.engine.connect() as conn:
        reference_of = {
            uuid.UUID(str(i)): r for i, r in conn.execute(text("SELECT id, reference FROM calls")).all()
        }
        follow_up_call = {
            uuid.UUID(str(i)): uuid.UUID(str(c))
            for i, c in conn.execute(text("SELECT id, call_id FROM follow_ups"))
        }
    for item in got.items:
        if item.section is Section.ROUTES_WITHOUT_DUTY:
            continue
        call = item.record_id if item.key.startswith(("open_calls", "crisis_urgent")) else None
        if item.key.startswith("follow_up:"):
            call = follow_up_call[item.record_id]  # type: ignore[index]
        if call is not None:
            assert item.call_id == call and item.reference == reference_of[call], item
    # Routes without a duty adviser in the next shift: computed from the rota by hand.
    gaps = {(i.reference, i.at) for i in got.section(Section.ROUTES_WITHOUT_DUTY)}
    assert gaps == {("Victim", utc(2026, 6, 11, 2)), ("Tactical", END), ("Immigration", END)}
    assert "no duty adviser from Thu 11 Jun 03:00 to Thu 11 Jun 07:00" in next(
        i.text for i in got.section(Section.ROUTES_WITHOUT_DUTY) if i.reference == "Victim"
    )
    # The shift's figures: counts of the calls opened in it.
    with db.engine.connect() as conn:
        window = text(
            "SELECT urgency, count(*) FROM calls WHERE opened_at >= :s AND opened_at < :e GROUP BY urgency"
        )
        window = window.bindparams(bindparam("s", type_=UTCDateTime()), bindparam("e", type_=UTCDateTime()))
        by_urgency = dict(conn.execute(window, {"s": START, "e": END}).all())
    assert got.figures.calls == sum(by_urgency.values()) == 4  # A, B, D, E
    assert {u.value: n for u, n in got.figures.by_urgency if n} == by_urgency
    # The route follow-up names who holds Legal when it falls due; nothing holds call content.
    legal = next(i for i in got.items if i.record_id == ids["f6 legal"])
    assert legal.text == "Callback to the officer; due Thu 11 Jun 00:30; for the Legal duty adviser (J. Osei)"
    snoozed = next(i for i in got.items if i.record_id == ids["f5 snoozed"])
    assert "snoozed" in snoozed.text and "raid" not in snoozed.text
    assert all("Tregarthen" not in i.text and "f1" not in i.text for i in got.items)


def test_start_stores_the_prefill_and_is_one_per_shift(world: World) -> None:
    w = world
    fresh = handover.prefill(w.db, w.sam, START, END, now=NOW)
    stored = handover.start_handover(w.db, w.sam, START, END, now=NOW)
    assert stored.items == fresh.items and stored.figures == fresh.figures
    assert (stored.author_name, stored.acknowledged, stored.prefilled_at) == ("Sam Supervisor", False, NOW)
    # The shift holding "now" by default; starting it again opens the same handover.
    again = handover.start_handover(w.db, w.sue, now=NOW)
    assert again.id == stored.id
    with w.db.read() as session:
        assert session.query(Handover).count() == 1


def test_notes_only_by_the_author_and_kept_when_refreshed(world: World) -> None:
    w = world
    h = handover.start_handover(w.db, w.sam, START, END, now=NOW)
    f1 = f"follow_up:{w.ids['f1 overdue']}"
    noted = handover.update_notes(
        w.db, w.sam, h.id, expected_version=h.version, notes="Quiet shift apart from Plymouth.",
        item_notes={f1: "DS promised a call back by 22:00", f"open_calls:{w.ids['A']}": "Watch this one"},
    )  # fmt: skip
    assert noted.notes == "Quiet shift apart from Plymouth." and noted.version == h.version + 1
    assert {i.key: i.note for i in noted.items if i.note} == {
        f1: "DS promised a call back by 22:00", f"open_calls:{w.ids['A']}": "Watch this one",
    }  # fmt: skip
    with pytest.raises(ConflictError):
        handover.update_notes(w.db, w.sam, h.id, expected_version=h.version, notes="stale")
    with pytest.raises(PermissionDeniedError, match="only the supervisor who wrote it"):
        handover.update_notes(w.db, w.sue, h.id, expected_version=noted.version, notes="mine")
    # f1 is done before the handover is signed: a refresh drops it but keeps it for its note.
    [f] = [x for x in followups.for_call(w.db, w.admin, w.ids["A"]) if x.id == w.ids["f1 overdue"]]
    followups.complete_follow_up(w.db, w.operator, f.id, expected_version=f.version, outcome="Done", now=NOW)
    refreshed = handover.refresh_handover(w.db, w.sam, h.id, expected_version=noted.version, now=NOW)
    kept = next(i for i in refreshed.items if i.key == f1)
    assert (kept.current, kept.note) == (False, "DS promised a call back by 22:00")
    assert next(i for i in refreshed.items if i.key == f"open_calls:{w.ids['A']}").note == "Watch this one"
    with w.db.read() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    assert [(e.action, e.actor_name, json.loads(e.details)["operation"]) for e in refused] == [
        ("handover.write", "sue.supervisor", "update")
    ]


def test_acknowledged_by_another_supervisor_with_their_own_password(world: World) -> None:
    w, db = world, world.db
    h = handover.start_handover(db, w.sam, START, END, now=NOW)
    # The author cannot sign their own handover.
    with pytest.raises(PermissionDeniedError, match="who wrote a handover cannot acknowledge it"):
        handover.acknowledge(db, w.sam, h.id, PASSWORD, expected_version=h.version)
    # A wrong password is refused, counted and audited; nothing is signed.
    with pytest.raises(AuthenticationError):
        handover.acknowledge(
            db, w.sam, h.id, "not her password", expected_version=h.version, username="sue.supervisor"
        )
    # An operator's password does not sign a handover either.
    with pytest.raises(PermissionDeniedError, match="may not acknowledge a shift handover"):
        handover.acknowledge(db, w.sam, h.id, PASSWORD, expected_version=h.version, username="olu.operator")
    assert not handover.get_handover(db, w.sam, h.id).acknowledged
    with db.read() as session:
        assert session.scalar(select(User.failed_logins).where(User.username == "sue.supervisor")) == 1
    # The incoming supervisor signs at the outgoing one's desk.
    at = NOW + timedelta(minutes=30)
    signed = handover.acknowledge(
        db, w.sam, h.id, PASSWORD, expected_version=h.version, username="sue.supervisor", now=at
    )
    assert (signed.acknowledged_at, signed.acknowledged_by_name) == (at, "Sue Supervisor")
    with db.read() as session:
        assert session.scalar(select(User.failed_logins).where(User.username == "sue.supervisor")) == 0
        wanted = AuditEvent.action.in_(["handover.acknowledge", "password.confirm"])
        events = session.scalars(select(AuditEvent).where(wanted).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_name, outcome(e)) for e in events] == [
        ("handover.acknowledge", "sam.supervisor", "refused"),  # his own
        ("password.confirm", "sue.supervisor", "refused"),  # the wrong password (counted)
        ("handover.acknowledge", "sam.supervisor", "refused"),  # and the acknowledgement it was for
        ("handover.acknowledge", "olu.operator", "refused"),  # not a supervisor
        ("handover.acknowledge", "sue.supervisor", "allowed"),
    ]
    assert json.loads(events[0].details)["reason"] == "own handover"
    assert json.loads(events[1].details) == {"purpose": "handover.acknowledge", "reason": "wrong password"}
    assert json.loads(events[-1].details)["at_workstation_of"] == str(w.sam.user_id)
    for e in events:
        assert "not her password" not in e.details and PASSWORD not in e.details


def test_an_acknowledged_handover_is_read_only_in_the_service_and_the_database(world: World) -> None:
    w, db = world, world.db
    h = handover.start_handover(db, w.sam, START, END, now=NOW)
    # Before it is signed the row may change (the trigger refuses only acknowledged rows).
    with db.engine.begin() as conn:
        conn.execute(update(Handover).where(Handover.id == h.id).values(notes="typed before signing"))
    h = handover.get_handover(db, w.sam, h.id)
    signed = handover.acknowledge(db, w.sue, h.id, PASSWORD, expected_version=h.version)
    for attempt in (
        lambda: handover.update_notes(db, w.sam, h.id, expected_version=signed.version, notes="changed"),
        lambda: handover.refresh_handover(db, w.sam, h.id, expected_version=signed.version),
        lambda: handover.acknowledge(db, w.osei, h.id, PASSWORD, expected_version=signed.version),
        lambda: handover.start_handover(db, w.sam, START, END),
    ):
        with pytest.raises((HandoverReadOnlyError, PermissionDeniedError)):
            attempt()
    with pytest.raises(HandoverReadOnlyError, match="read-only"):
        handover.update_notes(db, w.sam, h.id, expected_version=signed.version, notes="changed")
    # The database refuses too, whoever asks and however.
    for statement in (
        update(Handover).where(Handover.id == h.id).values(notes="rewritten"),
        update(Handover).where(Handover.id == h.id).values(acknowledged_at=None, acknowledged_by_id=None),
        delete(Handover).where(Handover.id == h.id),
    ):
        with (
            pytest.raises(DBAPIError, match="an acknowledged handover is read-only"),
            db.engine.begin() as conn,
        ):
            conn.execute(statement)
    after = handover.get_handover(db, w.sam, h.id)
    assert after == signed and after.notes == "typed before signing"


def test_history_search_and_the_audit_of_it(world: World) -> None:
    w, db = world, world.db
    h = handover.start_handover(db, w.sam, START, END, now=NOW)
    handover.update_notes(db, w.sam, h.id, expected_version=h.version, notes="Raid at the 50% car wash_site")
    earlier = handover.start_handover(db, w.sam, START - timedelta(hours=8), START, now=START)
    assert [x.id for x in handover.search_handovers(db, w.sue)] == [h.id, earlier.id]  # newest first
    assert [x.id for x in handover.search_handovers(db, w.sue, text="CAR WASH")] == [h.id]
    assert [x.id for x in handover.search_handovers(db, w.sue, text="50%")] == [
        h.id
    ]  # plain text, not a pattern
    assert handover.search_handovers(db, w.sue, text="5_%") == ()
    assert [x.id for x in handover.search_handovers(db, w.sue, text=w.refs["A"])] == [h.id, earlier.id]
    assert handover.search_handovers(db, w.sue, text="section") == ()  # the JSON's own keys do not match
    assert [
        x.id for x in handover.search_handovers(db, w.sue, acknowledged=False, end=START + timedelta(hours=1))
    ] == [earlier.id]
    with pytest.raises(PermissionDeniedError):
        handover.search_handovers(db, w.operator)
    with db.read() as session:
        searches = session.scalars(select(AuditEvent).where(AuditEvent.action == "handover.search")).all()
    assert json.loads(searches[1].details) == {"acknowledged": "", "results": 1, "text_length": 8}
    assert all("car wash" not in e.details.lower() for e in searches)


def test_a_shift_without_an_acknowledged_handover_30_minutes_in_is_flagged(world: World) -> None:
    w, db = world, world.db

    def check(now: datetime) -> handover.ShiftCheck:
        return next(c for c in handover.shift_checks(db, w.sue, now=now) if c.starts_at == END)

    assert not check(END + timedelta(minutes=29)).flagged
    assert check(END + timedelta(minutes=30)).flagged  # nothing written at all
    h = handover.start_handover(db, w.sam, START, END, now=NOW)
    assert check(END + timedelta(minutes=31)).flagged  # written, not acknowledged
    handover.acknowledge(
        db, w.sue, h.id, PASSWORD, expected_version=h.version, now=END + timedelta(minutes=40)
    )
    late = check(END + timedelta(minutes=35))
    assert late.flagged and late.handover_id == h.id  # as it was at 22:35
    after = check(END + timedelta(minutes=45))
    assert not after.flagged and after.acknowledged_late and after.handover_from == START


def test_shifts_follow_the_wall_clock_across_the_clock_changes() -> None:
    assert handover.shift_window(utc(2026, 10, 25, 3), LONDON) == (
        utc(2026, 10, 24, 22),
        utc(2026, 10, 25, 7),
    )
    assert handover.shift_window(utc(2026, 3, 29, 3), LONDON) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 6))
    assert handover.shift_window(utc(2026, 6, 10, 14), LONDON) == (START, END)  # a start is in its shift
    assert handover.previous_shift(utc(2026, 6, 10, 14), LONDON) == (utc(2026, 6, 10, 6), START)


# --- the PDF -----------------------------------------------------------------------------------------


@pytest.fixture
def poppler() -> None:
    missing = [t for t in ("pdftotext", "pdfinfo") if shutil.which(t) is None]
    if missing:
        message = f"poppler-utils missing ({', '.join(missing)}): apt-get install poppler-utils"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def test_the_pdf_has_the_marking_on_every_page_and_the_whole_handover(
    world: World, tmp_path: Path, poppler: None
) -> None:
    w, db = world, world.db
    h = handover.start_handover(db, w.sam, START, END, now=NOW)
    h = handover.update_notes(
        db, w.sam, h.id, expected_version=h.version, notes="Zoë on the NCA desk knows about call A",
        item_notes={f"open_calls:{w.ids['A']}": "Ring the DS at 23:30"},
    )  # fmt: skip
    signed = handover.acknowledge(db, w.sue, h.id, PASSWORD, expected_version=h.version, now=NOW)
    path = tmp_path / "handover.pdf"
    digest = handover.print_handover(
        db, w.sam, signed.id, path, marking="OFFICIAL-SENSITIVE HANDOVER", now=NOW
    )
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True).stdout
    pages = [p for p in out.decode("utf-8").split("\f") if p.strip()]
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert len(pages) == count >= 1
    for number, page in enumerate(pages, start=1):
        lines = [line for line in page.splitlines() if line.strip()]
        footer = " ".join(lines[-2:])  # the marking, "Page X of Y" and the stamp (a smaller font)
        assert "OFFICIAL-SENSITIVE HANDOVER" in lines[0] and "OFFICIAL-SENSITIVE HANDOVER" in footer
        assert f"Page {number} of {count}" in footer and "Printed" in footer
    whole = " ".join(" ".join(pages).split())
    assert "Shift handover" in whole
    assert "10 Jun 2026 15:00 to 10 Jun 2026 23:00 (Europe/London)" in whole
    assert "by Sue Supervisor at 10 Jun 2026 22:40" in whole
    assert "Zoë on the NCA desk knows about call A" in whole and "Ring the DS at 23:30" in whole
    for name in Section:
        assert f"{name.heading} ({len(signed.section(name))})" in whole
    for ref in (w.refs["A"], w.refs["B"], w.refs["C"], w.refs["D"]):
        assert ref in whole
    assert w.refs["E"] not in whole  # closed, routine: in no section
    assert "Printed 10 Jun 2026 22:40 by Sam Supervisor" in whole
    with db.read() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "handover.print")).all()
    assert json.loads(event.details) == {"acknowledged": True, "file_name": "handover.pdf", "sha256": digest}
    assert event.category.value == "disclosure"


def test_db_check_names_a_missing_or_disabled_read_only_trigger(db: Database) -> None:
    from supportline.cli.db_commands import schema_problem

    assert handover.missing_triggers(db) == [] and schema_problem(db) is None
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER handovers_acknowledged_no_delete"))
        assert handover.missing_triggers(db) == ["handovers_acknowledged_no_delete"]
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE handovers DISABLE TRIGGER handovers_read_only"))
        try:
            assert handover.missing_triggers(db) == ["handovers_read_only (disabled)"]
            problem = schema_problem(db)
        finally:
            with db.engine.begin() as conn:
                conn.execute(text("ALTER TABLE handovers ENABLE TRIGGER handovers_read_only"))
        assert problem is not None and "handovers_read_only (disabled)" in problem
        return
    problem = schema_problem(db)
    assert problem is not None and "acknowledged handovers are not read-only" in problem
