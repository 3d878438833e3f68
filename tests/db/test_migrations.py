from __future__ import annotations

import uuid

import pytest
from sqlalchemy import inspect, text

from supportline.db import create_database
from supportline.db.migrate import current_revision, downgrade, head_revision, schema_diff, upgrade
from supportline.db.models import Base
from tests.conftest import PG_URL


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


def test_sqlite_file_is_copied_before_migrating(tmp_path):
    db = _fresh_sqlite(tmp_path)
    upgrade(db, "0001")
    backups = tmp_path / "backups"
    # At head already: nothing to migrate, so no copy.
    assert upgrade(db, backup_dir=backups) is None
    assert not backups.exists() or not list(backups.iterdir())


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
