"""The audit trail on the shared PostgreSQL database: the application's role may add and read
audit events, never change, delete or truncate them; concurrent writers keep one chain; and
migration 0005 chains the events already stored (on SQLite too)."""

from __future__ import annotations

import multiprocessing
import uuid

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from supportline.db import create_database
from supportline.db.migrate import current_revision, downgrade, head_revision, schema_diff, upgrade
from supportline.db.models import AuditEvent
from supportline.enums import AuditCategory, Role
from supportline.services import accounts, audit, audit_chain, calls
from supportline.services.actor import Actor
from tests.conftest import PG_URL
from tests.db.test_migrations import _save_at
from tests.factories import full_call, make_admin


@pytest.mark.postgres
def test_the_application_role_may_insert_and_select_audit_events_only(pg_db):
    admin = make_admin(pg_db)
    role = f"sl_app_{uuid.uuid4().hex[:10]}"
    with pg_db.engine.begin() as conn:
        current_schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{current_schema}" TO "{role}"'))
        conn.execute(
            text(
                f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{current_schema}" TO "{role}"'
            )
        )
        for statement in audit_chain.role_grants_sql(role):
            conn.execute(text(statement))
    app = create_database(PG_URL.replace("postgres@", f"{role}@"), schema=current_schema)
    try:
        # What the application does: audited actions, chained.
        calls.save_call(app, admin, full_call())
        with app.write() as session:
            audit.record(session, admin, AuditCategory.CONSULTATION, "call.view", "call", "x")
        assert audit_chain.verify(app).ok
        for statement, refused in (
            ("UPDATE audit_events SET details = '{}'", "permission denied"),
            ("DELETE FROM audit_events", "permission denied"),
            ("TRUNCATE audit_events", "permission denied"),
            ("DROP TRIGGER audit_events_append_only ON audit_events", "must be owner"),
            ("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only", "must be owner"),
        ):
            with pytest.raises(ProgrammingError, match=refused), app.engine.begin() as conn:
                conn.execute(text(statement))
        assert audit_chain.missing_triggers(pg_db) == []
        assert audit_chain.verify(pg_db).events == 3
    finally:
        app.dispose()
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))


def test_role_grants_quote_the_role_name():
    assert audit_chain.role_grants_sql('odd"name') == [
        'REVOKE ALL ON TABLE "audit_events" FROM "odd""name"',
        'GRANT SELECT, INSERT ON TABLE "audit_events" TO "odd""name"',
        'GRANT USAGE ON SEQUENCE "audit_events_id_seq" TO "odd""name"',
    ]


def test_init_shared_and_the_audit_trail_grant_the_audit_table_from_one_definition():
    """``db init-shared`` gives the audit table what ``role_grants_sql`` does: one definition."""
    from supportline.db import roles

    assert roles.table_grants_sql("sl_app", "audit_events", "s") == [
        'REVOKE ALL ON TABLE "s"."audit_events" FROM "sl_app"',
        'GRANT SELECT, INSERT ON TABLE "s"."audit_events" TO "sl_app"',
    ]
    assert audit_chain.role_grants_sql("sl_app")[:2] == [
        line.replace('"s".', "") for line in roles.table_grants_sql("sl_app", "audit_events", "s")
    ]
    assert roles.privileges("calls") == ("SELECT", "INSERT", "UPDATE", "DELETE")


def test_db_check_sees_missing_or_disabled_triggers(db):
    assert audit_chain.missing_triggers(db) == []
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            conn.execute(text("DROP TRIGGER audit_events_no_truncate ON audit_events"))
    try:
        if db.is_sqlite:
            assert audit_chain.missing_triggers(db) == ["audit_events_no_delete"]
        else:
            assert audit_chain.missing_triggers(db) == [
                "audit_events_append_only (disabled)",
                "audit_events_no_truncate",
            ]
    finally:
        with db.engine.begin() as conn:
            if db.is_sqlite:
                conn.execute(
                    text(
                        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
                    )
                )
            else:
                conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
                conn.execute(
                    text(
                        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
                        "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
                    )
                )
    assert audit_chain.missing_triggers(db) == []


# --- 8 processes at once --------------------------------------------------------------------------

WRITERS = 8
ACTIONS_EACH = 15


def _writer(schema: str, actor: Actor, start: object, n: int) -> None:
    """One process, its own engine: ``n`` audited actions (call saves and views) as fast as it can."""
    db = create_database(PG_URL, schema=schema)
    try:
        start.wait(30)  # type: ignore[attr-defined]
        for i in range(n):
            if i % 3 == 0:
                calls.save_call(db, actor, full_call())
            else:
                with db.write() as session:
                    audit.record(
                        session, actor, AuditCategory.CONSULTATION, "call.view", "call", uuid.uuid4(), n=i
                    )
    finally:
        db.dispose()


@pytest.mark.postgres
def test_eight_processes_writing_at_once_keep_one_chain(pg_db):
    admin = make_admin(pg_db)
    with pg_db.engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    pg_db.engine.dispose()  # no pooled connection crosses the fork
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WRITERS)
    processes = [
        context.Process(target=_writer, args=(schema, admin, start, ACTIONS_EACH)) for _ in range(WRITERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(180)
    assert [p.exitcode for p in processes] == [0] * WRITERS
    report = audit_chain.verify(pg_db)
    assert report.ok, report.broken
    assert report.events == 1 + WRITERS * ACTIONS_EACH
    with pg_db.read() as session:
        hashes = session.scalars(select(AuditEvent.prev_hash)).all()
    assert len(set(hashes)) == len(hashes)  # no two events claim the same place


# --- migration 0005 -------------------------------------------------------------------------------


def _events_at_0003_then_head(db) -> None:
    upgrade(db, "0003")
    admin, _saved = _save_at(db, "0003", full_call())
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2
    upgrade(db)
    assert current_revision(db) == head_revision() and schema_diff(db) == []
    assert audit_chain.missing_triggers(db) == []
    report = audit_chain.verify(db)
    assert report.ok and report.events == 2
    with db.read() as session:
        outcomes = session.scalars(select(AuditEvent.outcome)).all()
    assert outcomes == ["allowed", "allowed"]
    # New events follow the chained old ones.
    accounts.create_user(
        db, admin, "sam.supervisor", "Sam Supervisor", Role.SUPERVISOR, "correct horse battery staple"
    )
    assert audit_chain.verify(db).events == 3
    downgrade(db, "0003")
    columns = {c["name"] for c in inspect(db.engine).get_columns("audit_events")}
    assert not columns & {"workstation", "outcome", "prev_hash", "event_hash"}
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))
    upgrade(db)
    assert audit_chain.verify(db).events == 3


def test_sqlite_0005_chains_the_stored_events_and_downgrades(tmp_path):
    db = create_database(f"sqlite:///{tmp_path / 'mig.db'}")
    try:
        _events_at_0003_then_head(db)
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgresql_0005_chains_the_stored_events_and_downgrades(pg_db):
    schema = f"sl_mig_{uuid.uuid4().hex[:10]}"
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = create_database(PG_URL, schema=schema)
    try:
        _events_at_0003_then_head(db)
    finally:
        db.dispose()
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
