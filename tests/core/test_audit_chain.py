"""The audit trail as evidence (issue 12, item 3): append-only in the database, hash-chained,
verified in constant memory, anchored; an action whose audit event fails is not kept."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from supportline.db import Database
from supportline.db.models import AuditEvent, Call
from supportline.enums import AuditCategory, Role
from supportline.services import audit, audit_chain, calls
from supportline.services.audit import AuditFilter
from supportline.services.audit_chain import GENESIS_HASH, event_hash, verify
from supportline.services.errors import PermissionDeniedError
from tests.factories import full_call, make_admin, make_user


def _events(db: Database) -> list[AuditEvent]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _write_events(db: Database, actor, n: int, *, action: str = "call.view") -> None:
    for i in range(n):
        with db.write() as session:
            audit.record(session, actor, AuditCategory.CONSULTATION, action, "call", uuid.uuid4(), n=i)


@contextlib.contextmanager
def _as_owner_without_triggers(db: Database) -> Iterator[None]:
    """What the owner of the database can do: drop the append-only triggers (put back after)."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in audit_chain.SQLITE_TRIGGERS:
                conn.execute(text(f"DROP TRIGGER {name}"))
        else:
            for name in audit_chain.POSTGRESQL_TRIGGERS:
                conn.execute(text(f"DROP TRIGGER {name} ON audit_events"))
    try:
        yield
    finally:
        _restore_triggers(db)


def _restore_triggers(db: Database) -> None:
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in ("update", "delete"):
                conn.execute(
                    text(
                        f"CREATE TRIGGER IF NOT EXISTS audit_events_no_{name} BEFORE {name.upper()} "
                        "ON audit_events BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
                    )
                )
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events"))
            conn.execute(
                text(
                    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
                    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
                    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
                )
            )
    assert audit_chain.missing_triggers(db) == []


# --- the chain as it is written ------------------------------------------------------------------


def test_every_event_is_chained_with_its_workstation_and_outcome(db):
    admin = make_admin(db)
    calls.save_call(db, admin, full_call())
    with db.write() as session:  # two events in one transaction take consecutive places
        audit.record(session, admin, AuditCategory.ACCESS, "call.delete", "call", "x", outcome="refused")
        audit.record(session, admin, AuditCategory.CONSULTATION, "call.view", "call", "y")
    events = _events(db)
    assert [e.action for e in events] == ["user.create", "call.create", "call.delete", "call.view"]
    assert events[0].prev_hash == GENESIS_HASH
    for before, event in itertools.pairwise(events):
        assert event.prev_hash == before.event_hash
    for event in events:
        assert event.event_hash == event_hash(event, event.prev_hash)
        assert event.workstation == socket.gethostname()
    assert [e.outcome for e in events] == ["allowed", "allowed", "refused", "allowed"]
    report = verify(db)
    assert report.ok and report.events == 4 and report.head_hash == events[-1].event_hash
    assert audit_chain.head(db).event_hash == events[-1].event_hash


def test_an_outcome_other_than_allowed_or_refused_is_refused(db):
    admin = make_admin(db)
    with pytest.raises(ValueError, match="allowed, refused"), db.write() as session:
        audit.record(session, admin, AuditCategory.ACCESS, "x", outcome="maybe")
    with pytest.raises(DBAPIError), db.engine.begin() as conn:  # and the database checks it too
        conn.execute(
            insert(AuditEvent.__table__).values(
                at=datetime.now(UTC), actor_name="x", category="access", action="x", outcome="maybe"
            )
        )


def test_the_database_refuses_update_delete_and_truncate_of_audit_rows(db):
    make_admin(db)
    statements = ["UPDATE audit_events SET details = '{}'", "DELETE FROM audit_events"]
    if db.dialect == "postgresql":
        statements.append("TRUNCATE audit_events")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert [e.action for e in _events(db)] == ["user.create"]
    assert verify(db).ok


def test_if_the_audit_event_cannot_be_written_the_action_is_not_kept(db):
    admin = make_admin(db)
    # The database refuses the next audit insert (as a full disk or a lost connection would).
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(
                text(
                    "CREATE TRIGGER audit_fails BEFORE INSERT ON audit_events "
                    "BEGIN SELECT RAISE(ABORT, 'audit insert failed'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION audit_fails() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'audit insert failed'; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER audit_fails BEFORE INSERT ON audit_events "
                    "FOR EACH ROW EXECUTE FUNCTION audit_fails()"
                )
            )
    try:
        with pytest.raises(DBAPIError, match="audit insert failed"):
            calls.save_call(db, admin, full_call())
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER audit_fails" + ("" if db.is_sqlite else " ON audit_events")))
            if not db.is_sqlite:
                conn.execute(text("DROP FUNCTION audit_fails()"))
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 0
    assert [e.action for e in _events(db)] == ["user.create"]
    # Without the fault the same save is kept, with its event.
    calls.save_call(db, admin, full_call())
    assert [e.action for e in _events(db)] == ["user.create", "call.create"]
    assert verify(db).ok


# --- tampering by the database's owner: verify names the first broken event ------------------------


def _trail(db: Database, n: int = 9) -> list[AuditEvent]:
    admin = make_admin(db)
    _write_events(db, admin, n)
    assert verify(db).ok
    return _events(db)


def test_verify_names_an_altered_event(db):
    events = _trail(db)
    target = events[4]
    with _as_owner_without_triggers(db), db.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET details = :d WHERE id = :id"),
            {"d": json.dumps({"n": 999}), "id": target.id},
        )
    report = verify(db)
    assert report.broken is not None
    assert (report.broken.event_id, report.broken.kind) == (target.id, "altered")


def test_verify_names_where_an_event_was_removed(db):
    events = _trail(db)
    with _as_owner_without_triggers(db), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[3].id})
    report = verify(db)
    assert report.broken is not None
    assert (report.broken.event_id, report.broken.kind) == (events[4].id, "removed")
    assert f"after event {events[2].id}" in report.broken.message


def test_verify_names_a_removed_first_event(db):
    events = _trail(db)
    with _as_owner_without_triggers(db), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[0].id})
    report = verify(db)
    assert report.broken is not None
    assert (report.broken.event_id, report.broken.kind) == (events[1].id, "removed")


@pytest.mark.parametrize("apart", [1, 3])
def test_verify_names_swapped_events(db, apart):
    events = _trail(db)
    a, b = events[2].id, events[2 + apart].id
    with _as_owner_without_triggers(db), db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET id = -1 WHERE id = :a"), {"a": a})
        conn.execute(text("UPDATE audit_events SET id = :a WHERE id = :b"), {"a": a, "b": b})
        conn.execute(text("UPDATE audit_events SET id = :b WHERE id = -1"), {"b": b})
    report = verify(db)
    assert report.broken is not None
    assert (report.broken.event_id, report.broken.kind) == (a, "reordered")


def _renumber_by_ten(db: Database) -> None:
    """Room between the ids (the owner can renumber anything): the chain does not depend on them."""
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET id = -id"))
        conn.execute(text("UPDATE audit_events SET id = -id * 10"))


def test_renumbered_ids_alone_do_not_break_the_chain(db):
    _trail(db)
    with _as_owner_without_triggers(db):
        _renumber_by_ten(db)
    assert verify(db).ok


@pytest.mark.parametrize("forger", ["knows the hash", "naive"])
def test_verify_names_an_inserted_forged_event(db, forger):
    events = _trail(db)
    with _as_owner_without_triggers(db):
        _renumber_by_ten(db)
        after = _events(db)[3]
        forged = {
            "at": after.at + timedelta(milliseconds=1),
            "actor_id": after.actor_id,
            "actor_name": after.actor_name,
            "workstation": after.workstation,
            "category": AuditCategory.CONSULTATION,
            "action": "call.view",
            "record_type": "call",
            "record_id": str(uuid.uuid4()),
            "outcome": "allowed",
            "details": "{}",
        }
        digest = event_hash(forged, after.event_hash) if forger == "knows the hash" else "f" * 64
        with db.engine.begin() as conn:
            conn.execute(
                insert(AuditEvent.__table__).values(
                    id=after.id + 5, prev_hash=after.event_hash, event_hash=digest, **forged
                )
            )
    report = verify(db)
    assert len(_events(db)) == len(events) + 1
    assert report.broken is not None
    assert (report.broken.event_id, report.broken.kind) == (after.id + 5, "inserted")


@pytest.mark.slow
def test_an_intact_trail_of_100000_events_verifies_in_constant_memory(db):
    def peak_of_verify(events: int) -> int:
        tracemalloc.start()
        try:
            report = verify(db)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert report.ok and report.events == events
        return peak

    _bulk_trail(db, 10_000)
    small = peak_of_verify(10_000)
    _bulk_trail(db, 90_000)
    large = peak_of_verify(100_000)
    # A walk that kept the events (or their hashes) would need ~10 x the memory here.
    assert large < small * 1.5, (small, large)


def _bulk_trail(db: Database, n: int) -> None:
    """``n`` more chained events, written fast (the chain computed as the listener computes it)."""
    head = audit_chain.head(db)
    prev = head.event_hash if head else GENESIS_HASH
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC) + timedelta(seconds=head.event_id if head else 0)
    rows: list[dict[str, object]] = []
    with db.engine.begin() as conn:
        for i in range(n):
            values: dict[str, object] = {
                "at": start + timedelta(seconds=i, microseconds=i % 997),
                "actor_id": None,
                "actor_name": "demo-operator",
                "workstation": "ws-07",
                "category": AuditCategory.CONSULTATION,
                "action": "call.view",
                "record_type": "call",
                "record_id": str(uuid.UUID(int=i)),
                "outcome": "allowed",
                "details": "{}",
            }
            digest = event_hash(values, prev)
            rows.append({**values, "prev_hash": prev, "event_hash": digest})
            prev = digest
            if len(rows) == 5000:
                conn.execute(insert(AuditEvent.__table__), rows)
                rows = []
        if rows:
            conn.execute(insert(AuditEvent.__table__), rows)


# --- anchors ------------------------------------------------------------------------------------


def test_an_anchor_proves_nothing_before_it_changed(db):
    admin = make_admin(db)
    _write_events(db, admin, 5)
    head = audit_chain.anchor_trail(db, admin)
    assert head is not None
    anchor_event = _events(db)[-1]
    assert anchor_event.action == "audit.anchor"
    assert json.loads(anchor_event.details) == {"head_hash": head.event_hash}
    _write_events(db, admin, 3)
    report = verify(db, head.event_hash)
    assert report.ok and report.anchor_event_id == head.event_id

    # The owner rewrites an event before the anchor and recomputes every hash after it: the chain
    # is consistent again, but the anchor is no longer in it.
    with _as_owner_without_triggers(db), db.engine.begin() as conn:
        rows = conn.execute(select(AuditEvent.__table__).order_by(AuditEvent.id)).all()
        prev = GENESIS_HASH
        for row in rows:
            values = dict(row._mapping)
            if row.id == rows[2].id:
                values["details"] = json.dumps({"n": 42})
            digest = event_hash(values, prev)
            conn.execute(
                text("UPDATE audit_events SET details = :d, prev_hash = :p, event_hash = :h WHERE id = :id"),
                {"d": values["details"], "p": prev, "h": digest, "id": row.id},
            )
            prev = digest
    assert verify(db).ok  # without an anchor this cannot be seen
    report = verify(db, head.event_hash)
    assert report.broken is not None and report.broken.kind == "anchor"


def test_an_anchor_must_be_a_hash(db):
    with pytest.raises(ValueError, match="64 hexadecimal"):
        verify(db, "not-a-hash")


def test_verify_and_anchor_are_for_supervisors_and_admins_and_a_refusal_is_audited(db):
    admin = make_admin(db)
    operator = make_user(db, admin, "olly.operator", Role.OPERATOR)
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    for attempt in (
        lambda: audit_chain.verify_trail(db, operator),
        lambda: audit_chain.anchor_trail(db, operator),
        lambda: audit.list_events(db, operator),
    ):
        with pytest.raises(PermissionDeniedError):
            attempt()
    refused = [(e.action, e.outcome, e.actor_name) for e in _events(db) if e.outcome == "refused"]
    assert refused == [
        ("audit.verify", "refused", "olly.operator"),
        ("audit.anchor", "refused", "olly.operator"),
        ("audit.list", "refused", "olly.operator"),
    ]
    report = audit_chain.verify_trail(db, supervisor)
    assert report.ok
    last = _events(db)[-1]
    assert (last.action, last.actor_name) == ("audit.verify", "sam.supervisor")
    assert json.loads(last.details) == {"events": report.events, "ok": True}


# --- list and export ------------------------------------------------------------------------------


def test_list_events_filters_by_user_action_record_time_and_outcome(db):
    admin = make_admin(db)
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    saved = calls.save_call(db, admin, full_call())
    calls.get_call(db, supervisor, saved.id)
    with db.write() as session:
        audit.record(
            session, supervisor, AuditCategory.ACCESS, "call.delete", "call", saved.id, outcome="refused"
        )
    by_sam = audit.list_events(db, admin, AuditFilter(user="sam.supervisor"))
    assert [e.action for e in by_sam] == ["call.delete", "call.view"]  # newest first
    on_call = audit.list_events(db, admin, AuditFilter(record_id=str(saved.id)))
    assert [e.action for e in on_call] == ["call.delete", "call.view", "call.create"]
    assert [e.action for e in audit.list_events(db, admin, AuditFilter(action="call.*"))] == [
        "call.delete",
        "call.view",
        "call.create",
    ]
    assert [e.action for e in audit.list_events(db, admin, AuditFilter(outcome="refused"))] == ["call.delete"]
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert audit.list_events(db, admin, AuditFilter(since=later)) == []
    assert len(audit.list_events(db, admin, AuditFilter(until=later, action="user.create"))) == 2
    # Each reading of the trail is itself in it, with its filter and never any call content.
    listed = [e for e in _events(db) if e.action == "audit.list"]
    assert len(listed) == 6
    assert json.loads(listed[0].details) == {"filters": {"user": "sam.supervisor"}, "rows": 2}
    assert verify(db).ok


def test_export_writes_the_selection_as_csv_and_is_audited_as_a_disclosure(db, tmp_path):
    import csv

    admin = make_admin(db)
    _write_events(db, admin, 3)
    target = tmp_path / "trail.csv"
    rows = audit.export_csv(db, admin, AuditFilter(action="call.view"), target)
    assert rows == 3
    with target.open(newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == list(audit.CSV_COLUMNS)
    assert [line[5] for line in lines[1:]] == ["call.view"] * 3
    assert (target.stat().st_mode & 0o777) == 0o600
    last = _events(db)[-1]
    assert (last.action, last.category) == ("audit.export", AuditCategory.DISCLOSURE)
    assert json.loads(last.details) == {
        "file_name": "trail.csv",
        "filters": {"action": "call.view"},
        "format": "csv",
        "rows": 3,
    }


def test_filter_text_that_is_not_a_user_action_or_id_is_recorded_only_by_its_length(db):
    admin = make_admin(db)
    typed = AuditFilter(user="Morwenna Tregarthen", action="07700 900417", record_id="SL-2026-000012")
    assert audit.list_events(db, admin, typed) == []
    last = _events(db)[-1]
    assert "Tregarthen" not in last.details and "900417" not in last.details
    assert json.loads(last.details)["filters"] == {
        "user": "(other text, 19 characters)",
        "action": "(other text, 12 characters)",
        "record_id": "SL-2026-000012",
    }


def test_a_rolled_back_event_leaves_no_hole_in_the_chain(db):
    admin = make_admin(db)

    def fails_after_its_event_was_flushed() -> None:
        with db.write() as session:
            audit.record(session, admin, AuditCategory.CONSULTATION, "call.view", "call", "a")
            session.flush()
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        fails_after_its_event_was_flushed()
    with db.write() as session:
        audit.record(session, admin, AuditCategory.CONSULTATION, "call.view", "call", "b")
        session.flush()
        savepoint = session.begin_nested()
        audit.record(session, admin, AuditCategory.CONSULTATION, "call.view", "call", "c")
        session.flush()
        savepoint.rollback()
        audit.record(session, admin, AuditCategory.CONSULTATION, "call.view", "call", "d")
    assert [e.record_id for e in _events(db)][1:] == ["b", "d"]
    assert verify(db).ok
