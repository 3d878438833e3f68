"""Full disk, read-only database, server refusing connections (issue 13, item 7): the save fails
with the app's own error, whose message names the cause in words, and the same save works once
the problem is put right — without restarting the app.

SQLite's read-only and full errors are SQLite's own (``tests/db/faults.py`` explains how they are
produced); PostgreSQL's read-only server is a role whose sessions default to read-only (as on a
standby), its full disk the server's own ``disk_full`` error (SQLSTATE 53100) raised by a trigger,
and refused connections a proxy with nothing listening.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from supportline.db import Database, DatabaseUnavailableError, create_database, shared_setup
from supportline.services import calls
from supportline.services.actor import Actor
from tests.conftest import PG_URL
from tests.db.faults import SHORT, SqliteMode, away_database
from tests.factories import full_call, make_admin


def _refused_then_saved(db: Database, admin: Actor, put_right: Callable[[], None], cause: str) -> float:
    """Save: refused naming ``cause``; put right; the same save again works. Returns how long
    the refusal took."""
    data = full_call(narrative="Two men at the back of a nail bar. " * 600)  # needs new pages
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailableError) as refused:
        calls.save_call(db, admin, data)
    took = time.monotonic() - started
    assert cause in str(refused.value)
    put_right()
    saved = calls.save_call(db, admin, data)
    assert calls.get_call(db, admin, saved.id).data.narrative == data.narrative
    return took


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("mode", "cause"),
    [
        ("read-only", "the local database file is read-only (check the permissions"),
        ("full", "the disk holding the local database file is full (free some space"),
    ],
)
def test_a_local_database_file_read_only_or_on_a_full_disk(
    db: Database, request: pytest.FixtureRequest, mode: SqliteMode, cause: str
) -> None:
    with away_database(db, request, mode=mode) as away:
        admin = make_admin(db)
        away.go_away()
        _refused_then_saved(db, admin, away.come_back, cause)


@pytest.fixture
def own_role(pg_db: Database, request: pytest.FixtureRequest) -> Iterator[tuple[Database, str]]:
    """The application as a least-privilege role of its own (its settings are this test's)."""
    schema: str = request.getfixturevalue("_pg_schema")
    role = f"sl_app_{uuid.uuid4().hex[:10]}"
    shared_setup.init_shared(pg_db, role)
    app = create_database(make_url(PG_URL).set(username=role), schema=schema, timeouts=SHORT)
    try:
        yield app, role
    finally:
        app.dispose()
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))


@pytest.mark.postgres
def test_a_read_only_shared_database(own_role: tuple[Database, str], pg_db: Database) -> None:
    app, role = own_role
    admin = make_admin(pg_db)
    calls.save_call(app, admin, full_call())  # the pool holds a connection from before
    with pg_db.engine.begin() as conn:
        # The server comes back read-only (a standby, or its administrator's doing).
        conn.execute(text(f'ALTER ROLE "{role}" SET default_transaction_read_only = on'))
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"), {"r": role}
        )

    def put_right() -> None:
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" RESET default_transaction_read_only'))

    # The connection opened while it was read-only stays so: it must be thrown away, not kept.
    _refused_then_saved(app, admin, put_right, "the shared database is read-only just now")


@pytest.mark.postgres
def test_a_shared_database_whose_server_disk_is_full(pg_db: Database) -> None:
    admin = make_admin(pg_db)
    with pg_db.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION sl_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'could not extend file: No space left on device' "
                "USING ERRCODE = 'disk_full'; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER sl_test_disk_full BEFORE INSERT ON calls "
                "FOR EACH ROW EXECUTE FUNCTION sl_test_disk_full()"
            )
        )

    def put_right() -> None:
        with pg_db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER sl_test_disk_full ON calls"))

    try:
        took = _refused_then_saved(
            pg_db, admin, put_right, "the server of the shared database has no disk space left"
        )
    finally:
        with pg_db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER IF EXISTS sl_test_disk_full ON calls"))
            conn.execute(text("DROP FUNCTION IF EXISTS sl_test_disk_full()"))
    assert took < 1  # not retried: trying again at once cannot help


@pytest.mark.postgres
def test_a_shared_database_server_refusing_connections(
    pg_db: Database, request: pytest.FixtureRequest
) -> None:
    admin = make_admin(pg_db)
    with away_database(pg_db, request) as away:
        calls.save_call(away.app, admin, full_call())  # connected before the server stopped
        away.go_away()
        took = _refused_then_saved(away.app, admin, away.come_back, "the shared database refuses connections")
    assert took < SHORT.write_s + 1  # retried within the write limit, then said


@pytest.mark.postgres
def test_a_server_silent_while_connecting_is_said_so_in_words(
    pg_db: Database, request: pytest.FixtureRequest
) -> None:
    """libpq's own "connection timeout expired" (``connect_timeout``) reads as the rest do."""
    admin = make_admin(pg_db)
    with away_database(pg_db, request) as away:
        away.silent = True
        away.go_away()  # before the first connection: it is the connect that waits
        with pytest.raises(DatabaseUnavailableError) as raised:
            calls.save_call(away.app, admin, full_call())
    assert "the shared database did not answer within" in str(raised.value)
    assert "timeout expired" not in str(raised.value)
