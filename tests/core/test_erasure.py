"""Erasure on request under the two-person rule, and what it leaves: an erasure record with ids,
never content; nothing in the search index (the FTS5 fault: a removed call's lower-cased words
stayed in ``calls_fts_data``, even after VACUUM)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportline.db import Database
from supportline.db.models import AuditEvent, Call, Draft, ErasureRequest, Person, Referral, RouteAdvice
from supportline.enums import Role
from supportline.services import drafts, erasure, retention
from supportline.services.call_types import CallQuery
from supportline.services.calls import get_call, list_calls, save_call
from supportline.services.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from tests.factories import full_call, make_admin, make_user


def make_people(db: Database):
    admin = make_admin(db)
    first = make_user(db, admin, "sam.first", Role.SUPERVISOR)
    second = make_user(db, admin, "kim.second", Role.SUPERVISOR)
    operator = make_user(db, admin, "oli.operator", Role.OPERATOR)
    return admin, first, second, operator


@pytest.fixture
def people(db: Database):
    return make_people(db)


def actions(db: Database, action: str) -> list[dict]:
    with db.read() as session:
        return [
            {**json.loads(e.details), "outcome": e.outcome}
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


def test_the_requester_cannot_approve_their_own_request(db: Database, people) -> None:
    admin, first, second, _operator = people
    call = save_call(db, admin, full_call())
    request = erasure.request_erasure(db, first, "call", call.reference, "Subject access request DSR-2026-04")
    assert request.status == "pending" and request.target_reference == call.reference

    with pytest.raises(PermissionDeniedError, match="two-person rule"):
        erasure.approve_erasure(db, first, request.id)
    assert [d["outcome"] for d in actions(db, "erasure.approve")] == ["refused"]
    assert get_call(db, admin, call.id, audit_view=False).id == call.id  # nothing erased
    assert erasure.list_requests(db, second, status="pending")[0].id == request.id

    result = erasure.approve_erasure(db, second, request.id)
    assert result.request.status == "done"
    assert result.request.approved_by == "kim.second"
    with pytest.raises(NotFoundError):
        get_call(db, admin, call.id, audit_view=False)
    with pytest.raises(ConflictError):
        erasure.approve_erasure(db, admin, request.id)
    assert [d["outcome"] for d in actions(db, "erasure.approve")] == ["refused", "allowed"]


def test_an_operator_can_neither_request_nor_approve(db: Database, people) -> None:
    admin, first, _second, operator = people
    call = save_call(db, admin, full_call())
    with pytest.raises(PermissionDeniedError):
        erasure.request_erasure(db, operator, "call", call.reference, "mistake")
    request = erasure.request_erasure(db, first, "call", call.reference, "Recorded in error")
    with pytest.raises(PermissionDeniedError):
        erasure.approve_erasure(db, operator, request.id)
    assert [d["outcome"] for d in actions(db, "erasure.request")] == ["refused", "allowed"]
    assert actions(db, "erasure.approve")[0]["outcome"] == "refused"


def test_a_request_needs_a_reason_and_an_existing_target(db: Database, people) -> None:
    admin, first, _second, _operator = people
    call = save_call(db, admin, full_call())
    with pytest.raises(ValidationError) as caught:
        erasure.request_erasure(db, first, "call", call.reference, "   ")
    assert caught.value.fields == ("reason",)
    with pytest.raises(NotFoundError):
        erasure.request_erasure(db, first, "call", "SL-1999-000001", "why")
    with pytest.raises(ValidationError):
        erasure.request_erasure(db, first, "case", call.reference, "why")
    erasure.request_erasure(db, first, "call", str(call.id), "why")
    with pytest.raises(ConflictError):
        erasure.request_erasure(db, first, "call", call.reference, "again")


def test_a_call_is_erased_from_every_table_and_the_record_keeps_no_content(db: Database, people) -> None:
    admin, first, second, _operator = people
    call = save_call(db, admin, full_call())
    neighbour = save_call(db, admin, full_call(case_id=call.data.case_id, summary="Another call"))
    drafts.save_draft(
        db, second, draft_id=uuid.uuid4(), call_id=call.id, is_edit=True, title=call.reference,
        payload={"narrative": "Morwenna said more"},
    )  # fmt: skip
    request = erasure.request_erasure(db, first, "call", call.reference, "Recorded in error")
    result = erasure.approve_erasure(db, second, request.id)

    with db.read() as session:
        for model, column in ((Call, Call.id), (Person, Person.call_id), (RouteAdvice, RouteAdvice.call_id),
                              (Referral, Referral.call_id), (Draft, Draft.call_id)):  # fmt: skip
            assert session.scalar(select(func.count()).select_from(model).where(column == call.id)) == 0, (
                model
            )
        assert session.get(Call, neighbour.id) is not None  # the case lives on with its other call
    assert {
        "calls",
        "persons",
        "route_advice",
        "checklist_ticks",
        "referrals",
        "follow_ups",
        "drafts",
    } <= set(result.erased)
    assert result.erased["cases"]["action"] == "emptied"  # its title came from the erased call

    (record,) = erasure.list_records(db, admin)
    assert (record.basis, record.target_id, record.reason) == ("request", call.id, "Recorded in error")
    assert (record.requested_by, record.erased_by) == ("sam.first", "kim.second")
    stored = json.dumps(record.erased)
    for secret in ("Tregarthen", "7700900417", "Person A", "Plymouth", "Morwenna", "passports"):
        assert secret not in stored
    erase_events = actions(db, "call.erase")
    assert len(erase_events) == 1 and "Tregarthen" not in json.dumps(erase_events)
    if db.is_sqlite:
        assert result.scrub.search_index_optimised and result.scrub.wal_truncated


def test_one_person_is_erased_and_the_rest_of_the_call_stays(db: Database, people) -> None:
    admin, first, second, _operator = people
    call = save_call(db, admin, full_call())
    victim = next(p for p in call.data.persons if p.name == "Person A")
    drafts.save_draft(
        db, admin, draft_id=uuid.uuid4(), call_id=call.id, is_edit=True, title="edit",
        payload={"persons": [{"name": "Person A"}]},
    )  # fmt: skip
    request = erasure.request_erasure(db, first, "person", str(victim.id), "Data subject's request")
    erasure.approve_erasure(db, second, request.id)
    after = get_call(db, admin, call.id, audit_view=False)
    assert [p.name for p in after.data.persons] == [""]  # the other potential victim stays
    with db.read() as session:
        assert session.get(Person, victim.id) is None
        assert session.scalar(select(func.count()).select_from(Draft)) == 0


def test_a_case_on_legal_hold_cannot_be_erased(db: Database, people) -> None:
    admin, first, second, _operator = people
    call = save_call(db, admin, full_call())
    request = erasure.request_erasure(db, first, "call", call.reference, "error")
    with db.read() as session:
        case = session.scalar(select(Call.case_id).where(Call.id == call.id))
    retention.place_hold(db, admin, str(case), "Preservation order")
    with pytest.raises(erasure.LegalHoldError):
        erasure.approve_erasure(db, second, request.id)
    with pytest.raises(erasure.LegalHoldError):
        erasure.request_erasure(db, first, "person", str(call.data.persons[0].id), "error")
    assert get_call(db, admin, call.id, audit_view=False).id == call.id
    with db.read() as session:
        assert session.scalar(select(ErasureRequest.status)) == "pending"
    assert [(d["outcome"], d["reason"]) for d in actions(db, "erasure.approve")] == [
        ("refused", "legal hold")
    ]
    assert [d["outcome"] for d in actions(db, "erasure.request")] == ["allowed", "refused"]


# --- the FTS5 fault -------------------------------------------------------------------------------


def fts_blocks(path: Path) -> bytes:
    con = sqlite3.connect(path)
    try:
        return b"".join(bytes(row[0]) for row in con.execute("SELECT block FROM calls_fts_data"))
    finally:
        con.close()


def test_an_erased_calls_words_leave_the_full_text_index(sqlite_db: Database) -> None:
    """Before: the FTS5 'delete' of an external-content table only adds a delete marker; the old
    terms stay in calls_fts_data until segments merge (VACUUM does not merge them)."""
    admin, first, second, _operator = make_people(sqlite_db)
    word = "Quarrendale" + uuid.uuid4().hex[:10]
    call = save_call(sqlite_db, admin, full_call(narrative=f"the caller said {word} twice"))
    path = Path(str(sqlite_db.url.database))
    assert word.lower().encode() in fts_blocks(path)
    assert list_calls(sqlite_db, admin, CallQuery(text=word)).rows

    request = erasure.request_erasure(sqlite_db, first, "call", call.reference, "error")
    erasure.approve_erasure(sqlite_db, second, request.id)

    assert not list_calls(sqlite_db, admin, CallQuery(text=word)).rows
    tail = word.lower()[-12:].encode()  # terms are prefix-compressed: look for the word's end
    assert tail not in fts_blocks(path)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("INSERT INTO calls_fts(calls_fts, rank) VALUES ('integrity-check', 1)")
        con.execute("VACUUM")
    finally:
        con.close()
    assert tail not in fts_blocks(path)
