from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from supportline.db.models import Call, Case, ReferenceCounter
from supportline.enums import AgencyType
from supportline.services import calls
from supportline.services.call_types import CallData, Caller
from tests.factories import make_admin

THREADS = 8
PER_THREAD = 25


def _save_concurrently(db, admin) -> tuple[list[str], list[BaseException]]:
    references: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)
    opened = datetime(2026, 7, 1, 10, tzinfo=UTC)

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(PER_THREAD):
                data = CallData(
                    id=uuid.uuid4(),
                    caller=Caller(name=f"PC Worker {n}-{i}", agency_type=AgencyType.POLICE),
                    opened_at=opened + timedelta(seconds=n * 1000 + i),
                )
                ref = calls.save_call(db, admin, data).reference
                with lock:
                    references.append(ref)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return references, errors


@pytest.mark.postgres
def test_eight_threads_saving_at_once_on_postgresql_get_distinct_references(pg_db):
    admin = make_admin(pg_db)
    references, errors = _save_concurrently(pg_db, admin)
    assert errors == []
    assert len(references) == THREADS * PER_THREAD
    assert len(set(references)) == THREADS * PER_THREAD
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references)
    assert numbers == list(range(1, THREADS * PER_THREAD + 1))  # no gaps, no repeats
    with pg_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == THREADS * PER_THREAD
        assert session.scalar(select(func.count(func.distinct(Call.reference)))) == THREADS * PER_THREAD
        assert session.scalar(select(func.count()).select_from(Case)) == THREADS * PER_THREAD


def test_eight_threads_saving_at_once_on_sqlite_queue_on_the_write_lock(sqlite_db):
    admin = make_admin(sqlite_db)
    references, errors = _save_concurrently(sqlite_db, admin)
    assert errors == []
    assert len(set(references)) == THREADS * PER_THREAD


# --- numbering a new call (issue 13, the load benchmark) ------------------------------------------


def _set_counter(db, kind: str, year: int, value: int) -> None:
    with db.write() as session:
        session.merge(ReferenceCounter(kind=kind, year=year, value=value))


def test_references_past_999999_and_a_call_joining_a_case_are_numbered_as_ever(db):
    """Written by one SQL statement on PostgreSQL (services/references.py): the same text as
    format_reference, a seventh digit after 999999, and no case number for a call that joins
    an existing case."""
    from tests.factories import full_call

    admin = make_admin(db)
    _set_counter(db, "SL", 2026, 999_998)
    _set_counter(db, "CASE", 2026, 999_998)
    first = calls.save_call(db, admin, full_call())
    second = calls.save_call(db, admin, full_call(id=uuid.uuid4()))
    joining = calls.save_call(db, admin, full_call(id=uuid.uuid4(), case_id=first.data.case_id))
    assert [first.reference, second.reference, joining.reference] == [
        "SL-2026-999999",
        "SL-2026-1000000",
        "SL-2026-1000001",
    ]
    assert [first.case_reference, second.case_reference] == ["CASE-2026-999999", "CASE-2026-1000000"]
    assert joining.case_reference == first.case_reference
    stored = calls.get_call(db, admin, joining.id)
    assert (stored.reference, stored.case_reference) == ("SL-2026-1000001", "CASE-2026-999999")
    with db.read() as session:
        stored_refs = {*session.scalars(select(Call.reference)), *session.scalars(select(Case.reference))}
    assert not any(r.startswith("~") for r in stored_refs)  # no placeholder is ever committed
    with db.read() as session:
        counters = dict(session.execute(select(ReferenceCounter.kind, ReferenceCounter.value)).all())
    assert counters == {"SL": 1_000_001, "CASE": 1_000_000}


@pytest.mark.postgres
def test_a_new_call_waits_for_the_reference_counter_only_at_the_end(pg_db, request):
    """Every new call's save waits for the counter's row lock: on PostgreSQL it is taken by the
    last statement before the audit event, after the call and its children are inserted (so it
    is held for the audit event and the commit only)."""
    from sqlalchemy import text

    from supportline.db import create_database
    from tests.conftest import PG_URL
    from tests.factories import full_call

    schema = request.getfixturevalue("_pg_schema")
    admin = make_admin(pg_db)
    calls.save_call(pg_db, admin, full_call())  # the counter rows exist
    name = f"sl-numbering-{uuid.uuid4().hex[:8]}"
    writer = create_database(PG_URL, schema=schema, application_name=name)
    holder = pg_db.engine.connect()
    saved = {}
    try:
        holder.execute(text("UPDATE reference_counters SET value = value WHERE kind = 'SL'"))  # row lock
        thread = threading.Thread(
            target=lambda: saved.update(record=calls.save_call(writer, admin, full_call(id=uuid.uuid4())))
        )
        thread.start()
        waiting = None
        for _ in range(100):
            with pg_db.engine.connect() as probe:
                waiting = probe.execute(
                    text(
                        "SELECT query FROM pg_stat_activity WHERE application_name = :name "
                        "AND wait_event_type = 'Lock'"
                    ),
                    {"name": name},
                ).scalar()
            if waiting:
                break
            time.sleep(0.03)
        assert waiting is not None, "the save never waited for the counter"
        # The change notification, the numbering and the audit chain's lock go in one round
        # trip, after the INSERT of the call and its children (no INSERT INTO calls waits).
        assert waiting.lstrip().startswith("SELECT pg_notify("), waiting
        assert "WITH counters" in waiting and "INSERT INTO calls" not in waiting, waiting
        assert "pg_advisory_xact_lock" in waiting  # the audit chain's lock in the same round trip
        holder.rollback()
        thread.join(timeout=10)
        assert saved["record"].reference == "SL-2026-000002"
    finally:
        holder.rollback()
        holder.close()
        writer.dispose()


@pytest.mark.postgres
def test_run_then_hold_holds_the_audit_chain_and_its_head_serves_the_next_event(pg_db):
    """audit_chain.run_then_hold takes the chain's lock with the statement it runs: another
    transaction's audit event waits until this one commits, and then chains after its event."""
    from sqlalchemy import text

    from supportline.db.models import AuditEvent
    from supportline.enums import AuditCategory
    from supportline.services import audit, audit_chain

    admin = make_admin(pg_db)
    done = threading.Event()

    def other_event() -> None:
        with pg_db.write() as session:
            audit.record(session, admin, AuditCategory.ACCESS, "test.other")
        done.set()

    with pg_db.write() as session:
        assert audit_chain.run_then_hold(session, "SELECT 41 + 1") == (42,)
        other = threading.Thread(target=other_event)
        other.start()
        time.sleep(0.5)
        assert not done.is_set(), "another transaction's audit event did not wait for the chain"
        with pg_db.engine.connect() as probe:
            waits = probe.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND classid = :lock_class AND objid = 'audit_events'::regclass::oid"
                ),
                {"lock_class": audit_chain.ADVISORY_LOCK_CLASS},
            ).scalar()
        assert waits == 1
        audit.record(session, admin, AuditCategory.ACCESS, "test.held")
    other.join(timeout=10)
    assert done.is_set()
    with pg_db.read() as session:
        order = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.in_(["test.held", "test.other"]))
                .order_by(AuditEvent.id)
            )
        )
    assert order == ["test.held", "test.other"]
    assert audit_chain.verify(pg_db).ok
