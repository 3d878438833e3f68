"""A new call is written with Core INSERTs (``calls._insert_new_call``), not the ORM's unit of
work: what ``save_call`` returns is exactly what is stored (``get_call`` and the fast reader), on
both dialects; on PostgreSQL every row goes in one statement; the audit events are the same as
before; a save that fails half way leaves nothing behind.

Every person, number and address here is invented; phone numbers are from Ofcom's drama range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from supportline.db import Database
from supportline.db.models import Call, Case, FollowUp, Person
from supportline.enums import FollowUpStatus, Role
from supportline.services import audit, audit_chain
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, FollowUpData, PersonData
from supportline.services.calls import get_call, read_records, save_call
from supportline.services.errors import ValidationError
from tests.factories import full_call, make_admin, make_user

ODD = "Zoë Ærøskøbing-Ñúñez 👩🏽‍⚕️ Ωμέγα Дарья مرحبا 中文 e\u0301 \u200b\u00a0tab\there =SUM(A1)"


@pytest.fixture
def admin(db: Database) -> Actor:
    return make_admin(db)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL sent to the database while in the block, one item per execute."""
    sent: list[str] = []

    def listen(_c: Any, _cursor: Any, statement: str, _p: Any, _ctx: Any, _many: bool) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def rich_call() -> CallData:
    """Every child table filled, odd text, a done and an open follow-up, several reasons."""
    base = full_call()
    return dataclasses.replace(
        base,
        narrative=ODD + "\n" + "line two\r\nline three",
        persons=(*base.persons, PersonData(name=ODD, nationalities=(), languages=())),
        follow_ups=(
            FollowUpData(due_at=base.opened_at + timedelta(days=1), note="Call back the DS"),
            FollowUpData(
                due_at=base.opened_at + timedelta(hours=3),
                note=ODD,
                done_at=base.opened_at + timedelta(hours=2),
            ),
        ),
    )


def test_the_returned_record_is_what_is_stored(db: Database, admin: Actor) -> None:
    data = rich_call()
    saved = save_call(db, admin, data)
    stored = get_call(db, admin, data.id, audit_view=False)
    assert saved == stored
    with db.read() as session:
        [fast] = read_records(session, select(Call).where(Call.id == data.id))
    assert fast == stored
    assert saved.reference.startswith("SL-2026-") and saved.case_reference.startswith("CASE-2026-")
    assert [f.status for f in saved.data.follow_ups] == [FollowUpStatus.OPEN, FollowUpStatus.DONE]
    assert saved.data.routes[0].suggestion_reasons == ("a child may be present", "victim present at scene")
    assert saved.version == 1 and saved.handler_name == admin.display_name
    # And it saves again at that version like any other call.
    again = save_call(db, admin, dataclasses.replace(saved.data, summary="Edited"), expected_version=1)
    assert again.version == 2 and again.data.summary == "Edited"


def test_a_minimal_call_and_one_into_an_existing_case(db: Database, admin: Actor) -> None:
    first = save_call(db, admin, full_call())
    minimal = CallData(caller=full_call().caller, opened_at=full_call().opened_at, case_id=first.data.case_id)
    second = save_call(db, admin, minimal)
    assert second == get_call(db, admin, minimal.id, audit_view=False)
    assert second.case_reference == first.case_reference
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
    # The audit trail names what happened, as the ORM path did: created, then linked into the case.
    events = audit.events_for(db, admin, minimal.id)
    assert [e.action for e in events[:2]] == ["call.create", "call.link"]
    assert events[0].details == {"reference": second.reference, "case": first.case_reference}
    assert events[1].details["case_id"] == str(first.data.case_id)
    assert events[1].details["previous_case_id"] == ""
    assert audit_chain.verify(db).ok


def test_a_new_call_and_its_case_have_one_create_event(db: Database, admin: Actor) -> None:
    data = full_call()
    saved = save_call(db, admin, data)
    events = audit.events_for(db, admin, data.id)
    assert [e.action for e in events] == ["call.create"]
    assert events[0].details == {"reference": saved.reference, "case": saved.case_reference}
    assert events[0].actor_id == admin.user_id
    assert audit_chain.verify(db).ok


@pytest.mark.postgres
def test_postgresql_writes_every_row_of_a_new_call_in_one_statement(pg_db: Database) -> None:
    admin = make_admin(pg_db)
    save_call(pg_db, admin, full_call())  # the statement's shape is compiled once, before counting
    with statements(pg_db) as sent:
        save_call(pg_db, admin, full_call())
    row_inserts = [s for s in sent if "INSERT INTO persons" in s or "INSERT INTO calls" in s]
    assert len(row_inserts) == 1, row_inserts
    [one] = row_inserts
    for table in ("cases", "calls", "persons", "route_advice", "checklist_ticks", "referrals", "follow_ups"):
        assert f"INSERT INTO {table} " in one
    # Besides reads, the save sends: the rows; the notification, numbering, audit lock and head;
    # the audit event. (The ORM's unit of work sent an INSERT per table, each a round trip.)
    writes = [s for s in sent if not s.startswith("SELECT") or "pg_notify" in s]
    assert len(writes) == 3, writes


def test_an_entry_recorded_on_another_call_is_refused_by_name(db: Database, admin: Actor) -> None:
    """A follow-up or referral id already used by another call is named, as a person's is,
    before anything is written (it was an IntegrityError, retried until the save's time ran out)."""
    first = save_call(db, admin, full_call())
    clash = dataclasses.replace(
        full_call(),
        follow_ups=(FollowUpData(due_at=first.data.opened_at, id=first.data.follow_ups[0].id),),
        referrals=(dataclasses.replace(first.data.referrals[0]),),
    )
    with pytest.raises(ValidationError) as raised:
        save_call(db, admin, clash)
    assert {(e.field, e.message) for e in raised.value.errors} >= {
        ("follow_ups[0]", "this follow-up is recorded on another call"),
        ("referrals[0]", "this referral is recorded on another call"),
    }
    with db.read() as session:
        assert session.get(Call, clash.id) is None


def test_a_save_failing_half_way_leaves_nothing(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows are in when the audit event fails (a full disk, say): the save is rolled back
    whole, with the reference counter, the cases and the audit trail as they were."""
    first = save_call(db, admin, full_call())

    def full_disk(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit, "record_many", full_disk)
    data = full_call()
    with pytest.raises(OSError, match="No space left"):
        save_call(db, admin, data)
    monkeypatch.undo()
    with db.read() as session:
        assert session.get(Call, data.id) is None
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        assert session.scalar(select(func.count()).select_from(Person)) == len(first.data.persons)
        assert session.scalar(select(func.count()).select_from(FollowUp)) == len(first.data.follow_ups)
    after = save_call(db, admin, data)  # and the same call saves once the problem is gone
    assert int(after.reference[-6:]) == int(first.reference[-6:]) + 1  # no number was used up
    assert audit_chain.verify(db).ok


def test_an_operator_may_save_a_new_call_without_advice(db: Database, admin: Actor) -> None:
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    data = CallData(caller=full_call().caller, opened_at=full_call().opened_at, summary=ODD)
    saved = save_call(db, operator, data)
    assert saved == get_call(db, operator, data.id, audit_view=False)
    assert saved.handler_id == operator.user_id


def test_validation_still_comes_first(db: Database, admin: Actor) -> None:
    bad = dataclasses.replace(full_call(), closed_at=full_call().opened_at - timedelta(hours=1))
    with pytest.raises(ValidationError):
        save_call(db, admin, bad)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 0
