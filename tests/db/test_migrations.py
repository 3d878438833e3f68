from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import inspect, text

from supportline.db import create_database, migrate, schema_version
from supportline.db.backup import prune_backups
from supportline.db.migrate import current_revision, downgrade, head_revision, schema_diff, upgrade
from supportline.db.models import Base
from supportline.services import calls
from supportline.services.call_types import CallQuery
from tests.conftest import PG_URL
from tests.factories import full_call, make_admin


def _fresh_sqlite(tmp_path):
    return create_database(f"sqlite:///{tmp_path / 'fresh.db'}")


def test_upgrade_head_on_empty_sqlite_equals_models(tmp_path):
    db = _fresh_sqlite(tmp_path)
    upgrade(db)
    assert current_revision(db) == head_revision()
    assert schema_diff(db) == []
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_downgrade_base_on_sqlite_removes_everything(tmp_path):
    db = _fresh_sqlite(tmp_path)
    upgrade(db)
    downgrade(db, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade(db)
    assert schema_diff(db) == []


@pytest.mark.postgres
def test_upgrade_head_and_downgrade_base_on_empty_postgresql(pg_db):
    # A schema of its own, empty: the session fixture's schema is already migrated.
    schema = f"sl_mig_{uuid.uuid4().hex[:10]}"
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = create_database(PG_URL, schema=schema)
    try:
        upgrade(db)
        assert current_revision(db) == head_revision()
        assert schema_diff(db) == []
        downgrade(db, "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    finally:
        db.dispose()
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_sqlite_file_is_copied_before_migrating(tmp_path, monkeypatch):
    db = _fresh_sqlite(tmp_path)
    backups = tmp_path / "backups"
    # A new, empty database has nothing worth copying.
    assert upgrade(db, backup_dir=backups) is None
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO reference_counters (kind, year, value) VALUES ('SL', 2026, 41)"))
    # At head already: nothing to migrate, so no copy.
    assert upgrade(db, backup_dir=backups) is None
    # A newer program (a head this database is not at) copies the file before migrating.
    at = head_revision()
    monkeypatch.setattr(migrate, "head_revision", lambda: "9999")
    copy = upgrade(db, backup_dir=backups)
    assert copy is not None and copy.parent == backups and f"before-{at}" in copy.name
    check = create_database(f"sqlite:///{copy}")
    with check.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM reference_counters")).scalar() == 41
    check.dispose()


def test_old_automatic_copies_are_pruned(tmp_path):
    for i in range(5):
        (tmp_path / f"supportline-2026010{i}T000000Z-before-0001.db").write_bytes(b"")
    (tmp_path / "keep-me.db").write_bytes(b"")
    prune_backups(tmp_path, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "keep-me.db",
        "supportline-20260103T000000Z-before-0001.db",
        "supportline-20260104T000000Z-before-0001.db",
    ]


def test_pragmas_hold_on_every_pooled_connection(sqlite_db):
    engine = sqlite_db.engine
    conns = [engine.connect() for _ in range(4)]  # distinct pooled connections at once
    try:
        for conn in conns:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        for conn in conns:
            conn.close()
    engine.dispose()  # new connections after a dispose get them too
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


# Columns the models have that a revision does not yet: added for the length of a save with
# today's models, then taken away again so the database is exactly at that revision. Each is
# (table, column, SQL type on SQLite, on PostgreSQL, the revision that adds it).
_BOOL = "BOOLEAN NOT NULL DEFAULT false"
_TEXT = "VARCHAR(100) NOT NULL DEFAULT ''"
LATER_COLUMNS = (
    ("calls", "suspect_may_be_victim", _BOOL, _BOOL, "0003"),
    ("calls", "victim_at_scene", _BOOL, _BOOL, "0003"),
    ("persons", "age_years", "SMALLINT", "SMALLINT", "0004"),
    ("persons", "date_of_birth", "DATE", "DATE", "0004"),
    ("audit_events", "workstation", _TEXT, _TEXT, "0005"),
    ("audit_events", "outcome", _TEXT, _TEXT, "0005"),
    ("audit_events", "prev_hash", _TEXT, _TEXT, "0005"),
    ("audit_events", "event_hash", _TEXT, _TEXT, "0005"),
    ("users", "locked_until", "TIMESTAMP", "TIMESTAMP", "0006"),
    ("users", "must_change_password", _BOOL, _BOOL, "0006"),
    ("calls", "last_save_id", "CHAR(32)", "UUID", "0008"),
    ("follow_ups", "kind", _TEXT, _TEXT, "0009"),
    ("follow_ups", "priority", _TEXT, _TEXT, "0009"),
    ("follow_ups", "assignee_route", "VARCHAR(11)", "VARCHAR(11)", "0009"),
    ("follow_ups", "status", _TEXT, _TEXT, "0009"),
    ("follow_ups", "outcome", _TEXT, _TEXT, "0009"),
    ("follow_ups", "snooze_reason", _TEXT, _TEXT, "0009"),
    ("follow_ups", "snoozed_until", "TIMESTAMP", "TIMESTAMP", "0009"),
    ("follow_ups", "created_at", "TIMESTAMP", "TIMESTAMP", "0009"),
    ("follow_ups", "created_by_id", "CHAR(32)", "UUID", "0009"),
    ("follow_ups", "updated_at", "TIMESTAMP", "TIMESTAMP", "0009"),
    ("follow_ups", "updated_by_id", "CHAR(32)", "UUID", "0009"),
    ("follow_ups", "version", "INTEGER NOT NULL DEFAULT 1", "INTEGER NOT NULL DEFAULT 1", "0009"),
)


def later_columns(revision: str, dialect: str) -> list[tuple[str, str, str]]:
    """(table, column, type) of every column the models have that ``revision`` lacks."""
    return [
        (table, column, pg if dialect == "postgresql" else lite)
        for table, column, lite, pg, added in LATER_COLUMNS
        if added > revision
    ]


def _save_at(db, revision, data, admin=None):
    columns = later_columns(revision, db.dialect)
    with db.engine.begin() as conn:
        for table, name, kind in columns:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"))
    admin = admin or make_admin(db)
    saved = calls.save_call(db, admin, data)
    with db.engine.begin() as conn:
        for table, name, _kind in columns:
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {name}"))
    return admin, saved


def _calls_at_0001_then_head(db) -> None:
    """Calls saved before the full-text index existed are found once it does (0002 fills it)."""
    upgrade(db, "0001")
    admin, saved = _save_at(db, "0001", full_call())
    assert current_revision(db) == "0001"
    upgrade(db)
    assert schema_diff(db) == []
    found = calls.list_calls(db, admin, CallQuery(text="tregarth")).rows
    assert [r.reference for r in found] == [saved.reference]
    assert calls.count_calls(db, admin, CallQuery(text="car wash passports")) == 1
    # Back to 0001: the full-text objects and the sort indexes go, the calls stay.
    downgrade(db, "0001")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM calls")).scalar() == 1
    names = set(inspect(db.engine).get_table_names())
    assert not {n for n in names if n.startswith("calls_fts")}
    columns = {c["name"] for c in inspect(db.engine).get_columns("calls")}
    assert "search_vector" not in columns
    indexes = {i["name"] for i in inspect(db.engine).get_indexes("calls")}
    assert "ix_calls_opened_at" in indexes and "ix_calls_opened_at_id" not in indexes


def test_sqlite_upgrade_fills_the_full_text_index_and_downgrade_removes_it(tmp_path):
    db = _fresh_sqlite(tmp_path)
    try:
        _calls_at_0001_then_head(db)
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgresql_upgrade_fills_the_full_text_index_and_downgrade_removes_it(pg_db):
    schema = f"sl_mig_{uuid.uuid4().hex[:10]}"
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = create_database(PG_URL, schema=schema)
    try:
        _calls_at_0001_then_head(db)
    finally:
        db.dispose()
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_schema_diff_ignores_only_the_full_text_objects(tmp_path):
    assert migrate.is_full_text_object("calls_fts", "table", {})
    assert migrate.is_full_text_object("calls_fts_data", "table", {})
    assert migrate.is_full_text_object("search_vector", "column", {"table_name": "calls"})
    assert migrate.is_full_text_object("ix_calls_search_vector", "index", {"table_name": "calls"})
    assert not migrate.is_full_text_object("calls", "table", {})
    assert not migrate.is_full_text_object("search_vector", "column", {"table_name": "cases"})
    assert not migrate.is_full_text_object("ix_calls_opened_at_id", "index", {"table_name": "calls"})
    # A stray index is still reported.
    db = _fresh_sqlite(tmp_path)
    upgrade(db)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE INDEX ix_calls_stray ON calls (summary)"))
    assert [d[0] for d in schema_diff(db)] == ["remove_index"]
    db.dispose()


def test_the_start_up_check_knows_the_newest_migration(db):
    """``HEAD_REVISION`` (checked at every start without Alembic) must follow the scripts."""
    assert head_revision() == schema_version.HEAD_REVISION
    assert schema_version.stored_revision(db) == head_revision()
    assert schema_version.is_current(db)


def test_the_start_up_check_sees_an_old_or_new_database(tmp_path):
    db = create_database(f"sqlite:///{tmp_path / 'check.db'}")
    try:
        assert schema_version.stored_revision(db) is None
        upgrade(db, "0001")
        assert schema_version.stored_revision(db) == "0001"
        assert not schema_version.is_current(db)
        upgrade(db)
        assert schema_version.is_current(db)
    finally:
        db.dispose()


def _calls_at_0002_then_head(db) -> None:
    """0003 adds the two guidance facts as false to existing calls, and its downgrade keeps the calls
    (and, on SQLite, the full-text index keyed by their rowids)."""
    upgrade(db, "0002")
    admin, saved = _save_at(db, "0002", full_call())
    upgrade(db)
    assert schema_diff(db) == []
    record = calls.get_call(db, admin, saved.id)
    assert (record.data.suspect_may_be_victim, record.data.victim_at_scene) == (False, False)
    flagged = dataclasses.replace(record.data, suspect_may_be_victim=True, victim_at_scene=True)
    again = calls.save_call(db, admin, flagged, expected_version=record.version)
    assert (again.data.suspect_may_be_victim, again.data.victim_at_scene) == (True, True)
    downgrade(db, "0002")
    columns = {c["name"] for c in inspect(db.engine).get_columns("calls")}
    assert not columns & {"suspect_may_be_victim", "victim_at_scene"}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM calls")).scalar() == 1
        if db.dialect == "sqlite":
            triggers = set(
                conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
            )
            assert {"calls_fts_ai", "calls_fts_ad", "calls_fts_au"} <= triggers
            found = conn.execute(
                text("SELECT count(*) FROM calls_fts WHERE calls_fts MATCH 'tregarthen'")
            ).scalar()
            assert found == 1
    upgrade(db)
    assert schema_diff(db) == []


def test_sqlite_0003_adds_the_guidance_facts_and_downgrade_keeps_the_calls(tmp_path):
    db = _fresh_sqlite(tmp_path)
    try:
        _calls_at_0002_then_head(db)
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgresql_0003_adds_the_guidance_facts_and_downgrade_keeps_the_calls(pg_db):
    schema = f"sl_mig_{uuid.uuid4().hex[:10]}"
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = create_database(PG_URL, schema=schema)
    try:
        _calls_at_0002_then_head(db)
    finally:
        db.dispose()
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def _persons_at_0003_then_head(db) -> None:
    """0004 adds a person's age (years) and date of birth, empty for people already recorded; its
    downgrade keeps the people."""
    upgrade(db, "0003")
    admin, saved = _save_at(db, "0003", full_call())
    upgrade(db)
    assert schema_diff(db) == []
    record = calls.get_call(db, admin, saved.id)
    assert [(p.age_years, p.date_of_birth) for p in record.data.persons] == [(None, None)] * len(
        record.data.persons
    )
    first = dataclasses.replace(record.data.persons[0], age_years=15, date_of_birth=None)
    aged = dataclasses.replace(record.data, persons=(first, *record.data.persons[1:]))
    again = calls.save_call(db, admin, aged, expected_version=record.version)
    assert again.data.persons[0].age_years == 15
    downgrade(db, "0003")
    columns = {c["name"] for c in inspect(db.engine).get_columns("persons")}
    assert not columns & {"age_years", "date_of_birth"}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM persons")).scalar() == len(record.data.persons)
    upgrade(db)
    assert schema_diff(db) == []


def test_sqlite_0004_adds_a_persons_age_and_downgrade_keeps_the_people(tmp_path):
    db = _fresh_sqlite(tmp_path)
    try:
        _persons_at_0003_then_head(db)
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgresql_0004_adds_a_persons_age_and_downgrade_keeps_the_people(pg_db):
    schema = f"sl_mig_{uuid.uuid4().hex[:10]}"
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = create_database(PG_URL, schema=schema)
    try:
        _persons_at_0003_then_head(db)
    finally:
        db.dispose()
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def _follow_ups_at_0008_then_head(db) -> None:
    """0009 gives follow-ups already stored a status by their ``done_at``, and their call's handler
    and creation time as who booked them; its downgrade keeps them (and drops the new tables)."""
    from datetime import UTC, datetime, timedelta

    from supportline.enums import FollowUpStatus
    from supportline.services import followups
    from supportline.services.call_types import FollowUpData

    upgrade(db, "0008")
    opened = datetime(2026, 6, 14, 2, 17, tzinfo=UTC)
    data = dataclasses.replace(
        full_call(opened_at=opened),
        follow_ups=(
            FollowUpData(due_at=opened + timedelta(days=1), note="Call back the DS"),
            FollowUpData(
                due_at=opened + timedelta(hours=2), note="Chase the NRM", done_at=opened + timedelta(hours=3)
            ),
        ),
    )
    admin, saved = _save_at(db, "0008", data)
    upgrade(db)
    assert schema_diff(db) == []
    stored = followups.for_call(db, admin, saved.id)
    assert [(f.note, f.status, f.created_by_name, f.created_at, f.version) for f in stored] == [
        ("Call back the DS", FollowUpStatus.OPEN, "Ada Admin", saved.created_at, 1),
        ("Chase the NRM", FollowUpStatus.DONE, "Ada Admin", saved.created_at, 1),
    ]
    downgrade(db, "0008")
    names = set(inspect(db.engine).get_table_names())
    assert not names & {"rota_shifts", "call_handoffs"}
    columns = {c["name"] for c in inspect(db.engine).get_columns("handovers")}
    assert "to_user_id" in columns and "acknowledged_by_id" not in columns
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM follow_ups")).scalar() == 2
    upgrade(db)
    assert schema_diff(db) == []


def test_sqlite_0009_gives_stored_follow_ups_a_status_and_downgrade_keeps_them(tmp_path):
    db = _fresh_sqlite(tmp_path)
    try:
        _follow_ups_at_0008_then_head(db)
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgresql_0009_gives_stored_follow_ups_a_status_and_downgrade_keeps_them(pg_db):
    schema = f"sl_mig_{uuid.uuid4().hex[:10]}"
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = create_database(PG_URL, schema=schema)
    try:
        _follow_ups_at_0008_then_head(db)
    finally:
        db.dispose()
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
