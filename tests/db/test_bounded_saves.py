"""Issue 13, "Measured today": bounded time on every database call, the app's own error for a
dropped connection, retried saves that are never applied twice, no silent overwrite."""

from __future__ import annotations

import dataclasses
import random
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from supportline.db import Database, DatabaseUnavailableError, Timeouts, create_database
from supportline.db.models import AuditEvent, Call
from supportline.enums import AgencyType
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, Caller
from supportline.services.errors import ConflictError
from tests.conftest import PG_URL
from tests.db.tcp_proxy import TcpProxy
from tests.factories import full_call, make_admin

SHORT = Timeouts(
    connect_s=2, statement_s=2, lock_s=1, idle_in_transaction_s=5, network_s=3, write_s=2, read_s=2
)


def _call(n: int = 0) -> CallData:
    return CallData(
        id=uuid.uuid4(),
        caller=Caller(name=f"PC Test Caller {n}", agency_type=AgencyType.POLICE, phone="07700 900123"),
        opened_at=datetime(2026, 7, 1, 10, tzinfo=UTC) + timedelta(seconds=n),
    )


def _audit_actions(db: Database, call_id: uuid.UUID) -> Counter[str]:
    with db.read() as session:
        rows = session.scalars(select(AuditEvent.action).where(AuditEvent.record_id == str(call_id)))
        return Counter(a for a in rows if a.startswith("call.") and a != "call.view")


# --- no silent overwrite (both dialects) --------------------------------------------------------


def test_a_save_without_a_version_never_overwrites_a_stored_call(db: Database) -> None:
    admin = make_admin(db)
    saved = calls.save_call(db, admin, full_call())
    theirs = calls.save_call(
        db, admin, dataclasses.replace(saved.data, summary="their newer save"), expected_version=saved.version
    )
    assert theirs.version == 2
    with pytest.raises(ConflictError, match="already saved") as caught:
        calls.save_call(db, admin, dataclasses.replace(saved.data, summary="mine, without a version"))
    assert caught.value.expected_version is None
    assert caught.value.stored_version == 2
    assert isinstance(caught.value.theirs, calls.CallRecord)
    assert caught.value.theirs.data.summary == "their newer save"
    stored = calls.get_call(db, admin, saved.id)
    assert (stored.version, stored.data.summary) == (2, "their newer save")


def test_a_stale_version_is_refused_with_both_versions_and_their_record(db: Database) -> None:
    admin = make_admin(db)
    saved = calls.save_call(db, admin, full_call())
    calls.save_call(db, admin, dataclasses.replace(saved.data, summary="first editor"), expected_version=1)
    with pytest.raises(ConflictError) as caught:
        calls.save_call(
            db, admin, dataclasses.replace(saved.data, summary="second editor"), expected_version=1
        )
    assert (caught.value.expected_version, caught.value.stored_version) == (1, 2)
    assert caught.value.theirs.data.summary == "first editor"
    assert calls.get_call(db, admin, saved.id).data.summary == "first editor"


def test_repeating_a_save_with_its_save_id_applies_it_once(db: Database) -> None:
    """What a retry after a lost commit reply does: the second try finds the first applied."""
    admin = make_admin(db)
    created = calls.save_call(db, admin, full_call())
    edit = dataclasses.replace(created.data, summary="edited once")
    token = uuid.uuid4()
    first = calls.save_call(db, admin, edit, expected_version=created.version, save_id=token)
    again = calls.save_call(db, admin, edit, expected_version=created.version, save_id=token)
    assert first.version == again.version == 2
    assert again.data.summary == "edited once"
    assert _audit_actions(db, created.id) == Counter({"call.create": 1, "call.update": 1})
    # A new save (another id) with the old version is a conflict, not a repeat.
    with pytest.raises(ConflictError):
        calls.save_call(db, admin, edit, expected_version=created.version)


# --- SQLite: a lock held by another program ------------------------------------------------------


def test_sqlite_save_behind_another_writer_gives_up_in_time_with_the_apps_error(sqlite_db: Database) -> None:
    admin = make_admin(sqlite_db)
    path = sqlite_db.url.database
    assert path
    db = create_database(sqlite_db.url, busy_timeout_ms=300)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailableError, match="busy"):
            calls.save_call(db, admin, _call())
        assert time.monotonic() - started < 3
        holder.execute("ROLLBACK")
        assert calls.save_call(db, admin, _call(1)).version == 1  # once free, saving works
    finally:
        holder.close()
        db.dispose()


# --- PostgreSQL through a proxy ------------------------------------------------------------------


@pytest.fixture
def pg_schema(request: pytest.FixtureRequest) -> str:
    """The test session's PostgreSQL schema (``pg_db`` empties it before each test)."""
    schema: str = request.getfixturevalue("_pg_schema")
    return schema


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    url = make_url(PG_URL)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as p:
        yield p


def _through(proxy: TcpProxy, schema: str, timeouts: Timeouts = SHORT) -> Database:
    url = make_url(PG_URL).set(host="127.0.0.1", port=proxy.port)
    return create_database(url, schema=schema, timeouts=timeouts)


@pytest.mark.postgres
def test_a_network_gone_silent_makes_a_save_give_up_within_the_bound(
    pg_db: Database, pg_schema: str, proxy: TcpProxy
) -> None:
    admin = make_admin(pg_db)
    db = _through(proxy, pg_schema)
    try:
        calls.save_call(db, admin, _call(0))  # the pool now holds a live connection via the proxy
        proxy.go_silent()
        outcome: dict[str, object] = {}

        def save() -> None:
            started = time.monotonic()
            try:
                calls.save_call(db, admin, _call(1))
                outcome["result"] = "saved"
            except BaseException as exc:
                outcome["result"] = exc
            outcome["seconds"] = time.monotonic() - started

        worker = threading.Thread(target=save, daemon=True)
        worker.start()
        worker.join(timeout=20)
        assert not worker.is_alive(), "save_call still blocked after 20 s on a silent network"
        assert isinstance(outcome["result"], DatabaseUnavailableError), outcome["result"]
        assert "did not answer within 2 s" in str(outcome["result"])
        assert outcome["seconds"] < SHORT.write_s + 1.5
        proxy.resume()
        assert calls.save_call(db, admin, _call(2)).version == 1  # and it works again at once
    finally:
        proxy.resume()
        db.dispose()


@pytest.mark.postgres
def test_a_read_on_a_silent_network_gives_up_too(pg_db: Database, pg_schema: str, proxy: TcpProxy) -> None:
    admin = make_admin(pg_db)
    db = _through(proxy, pg_schema)
    try:
        calls.count_calls(db, admin)
        proxy.go_silent()
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailableError, match="did not answer"):
            calls.count_calls(db, admin)
        assert time.monotonic() - started < SHORT.read_s + 1.5
    finally:
        proxy.resume()
        db.dispose()


@pytest.mark.postgres
def test_pg_connections_carry_the_time_limits(pg_db: Database) -> None:
    db = create_database(PG_URL, timeouts=SHORT)
    try:
        with db.read() as session:
            shown = {
                name: session.execute(text(f"SHOW {name}")).scalar()
                for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
            }
            raw = session.connection().connection.dbapi_connection
            assert raw is not None
            params = raw.info.get_parameters()
        assert shown == {
            "statement_timeout": "2s",
            "lock_timeout": "1s",
            "idle_in_transaction_session_timeout": "5s",
        }
        dsn = raw.info.dsn
        for key in ("keepalives=1", "keepalives_idle=", "keepalives_interval=", "keepalives_count=3"):
            assert key in dsn
        assert "tcp_user_timeout=3000" in dsn
        assert "connect_timeout=2" in dsn
        assert params  # a live connection
    finally:
        db.dispose()


@pytest.mark.postgres
def test_a_commit_whose_reply_is_lost_is_retried_and_applied_once(
    pg_db: Database, pg_schema: str, proxy: TcpProxy
) -> None:
    admin = make_admin(pg_db)
    db = _through(proxy, pg_schema)
    try:
        data = _call()
        proxy.cut_after_next_commit()
        created = calls.save_call(db, admin, data)  # the first try's reply is lost; the retry sees it
        assert proxy.commits_cut == 1
        assert created.version == 1
        proxy.cut_after_next_commit()
        edited = calls.save_call(
            db, admin, dataclasses.replace(created.data, summary="after a lost reply"), expected_version=1
        )
        assert proxy.commits_cut == 2
        assert (edited.version, edited.data.summary) == (2, "after a lost reply")
        with pg_db.read() as session:
            assert session.scalar(select(func.count()).select_from(Call)) == 1
        assert _audit_actions(pg_db, data.id) == Counter({"call.create": 1, "call.update": 1})
    finally:
        db.dispose()


# --- PostgreSQL: ≥ 100 random kills of the writer's backends --------------------------------------

KILLS = 100


@pytest.mark.postgres
@pytest.mark.slow
def test_random_backend_kills_during_saves_lose_and_duplicate_nothing(
    pg_db: Database, pg_schema: str
) -> None:
    admin = make_admin(pg_db)
    name = f"sl-writer-{uuid.uuid4().hex[:8]}"
    writer_db = create_database(PG_URL, schema=pg_schema, application_name=name)
    acknowledged: dict[uuid.UUID, int] = {}  # call id -> version the save returned
    app_errors: list[DatabaseUnavailableError] = []
    unexpected: list[BaseException] = []
    kills = 0
    stop = threading.Event()
    rng = random.Random(13)

    def kill_loop() -> None:
        nonlocal kills
        killer = create_database(PG_URL)
        query = text(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :name"
        )
        try:
            with killer.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                while kills < KILLS and not stop.is_set():
                    time.sleep(rng.uniform(0.0, 0.03))
                    kills += int(conn.execute(query, {"name": name}).scalar() or 0)
        finally:
            killer.dispose()

    never_saved: list[uuid.UUID] = []

    def save_retrying(admin: Actor, data: CallData, version: int | None) -> int | None:
        token = uuid.uuid4()  # the same id for every manual retry of this one save
        for _ in range(5):
            try:
                return calls.save_call(
                    writer_db, admin, data, expected_version=version, save_id=token
                ).version
            except DatabaseUnavailableError as exc:
                app_errors.append(exc)
        never_saved.append(data.id)
        return None

    def write_loop() -> None:
        n = 0
        try:
            while not stop.is_set() and (kills < KILLS or n < 20):
                data = _call(n)
                created = save_retrying(admin, data, None)
                if created is not None:
                    acknowledged[data.id] = created
                    edited = save_retrying(admin, dataclasses.replace(data, summary=f"edit {n}"), created)
                    if edited is not None:
                        acknowledged[data.id] = edited
                n += 1
        except BaseException as exc:  # anything but the app's own error fails the test
            unexpected.append(exc)

    killer = threading.Thread(target=kill_loop, daemon=True)
    writer = threading.Thread(target=write_loop, daemon=True)
    killer.start()
    writer.start()
    writer.join(timeout=60)
    stop.set()
    killer.join(timeout=10)
    writer_db.dispose()

    assert not writer.is_alive()
    assert unexpected == []
    assert never_saved == []  # five manual retries with the same save id always got through
    assert kills >= KILLS
    assert acknowledged, "no save was acknowledged"
    with pg_db.read() as session:
        stored = {row[0]: row[1] for row in session.execute(select(Call.id, Call.version))}
        events = Counter(
            (record_id, action)
            for record_id, action in session.execute(
                select(AuditEvent.record_id, AuditEvent.action).where(
                    AuditEvent.action.in_(["call.create", "call.update"])
                )
            )
        )
    missing = [i for i in acknowledged if i not in stored]
    assert missing == []
    # Nothing applied twice: a call has at most one create and one update, and its version says so.
    assert all(v <= 2 for v in stored.values())
    assert all(count == 1 for count in events.values())
    for call_id, version in acknowledged.items():
        assert stored[call_id] >= version
    gave_up = [a for a in stored if a not in acknowledged]
    assert len(gave_up) <= 1  # at most the save in flight when the test stopped


def test_guidance_ticks_follow_the_same_version_rule(db: Database) -> None:
    """Ticks are saved with their call: a tick on a stale version is refused, never merged silently."""
    from supportline.enums import ChecklistState
    from supportline.sync import merge

    admin = make_admin(db)
    saved = calls.save_call(db, admin, full_call())
    route = saved.data.routes[0]

    def ticked(item: str) -> CallData:
        at = saved.data.opened_at + timedelta(minutes=9)
        entry = dataclasses.replace(route.checklist[0], item_id=item, state=ChecklistState.TICKED, at=at)
        routes = (dataclasses.replace(route, checklist=(*route.checklist, entry)), *saved.data.routes[1:])
        return dataclasses.replace(saved.data, routes=routes)

    theirs = calls.save_call(db, admin, ticked("their-item"), expected_version=saved.version)
    with pytest.raises(ConflictError) as caught:
        calls.save_call(db, admin, ticked("my-item"), expected_version=saved.version)
    assert caught.value.theirs.data.routes == theirs.data.routes
    assert [d.key for d in merge.differences(saved.data, theirs.data, ticked("my-item"))] == ["routes"]


@pytest.mark.postgres
def test_options_in_the_url_are_kept_beside_the_time_limits(pg_db: Database, pg_schema: str) -> None:
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={pg_schema} -clock_timeout=7s"})
    db = create_database(url, timeouts=SHORT)
    try:
        with db.read() as session:
            assert session.execute(text("SELECT current_schema()")).scalar() == pg_schema
            assert session.execute(text("SHOW lock_timeout")).scalar() == "7s"  # the URL's own wins
            assert session.execute(text("SHOW statement_timeout")).scalar() == "2s"
    finally:
        db.dispose()


@pytest.mark.postgres
def test_migrations_are_not_cut_short_by_the_statement_limit(pg_db: Database) -> None:
    from supportline.db import migrate

    schema = f"sl_mig_{uuid.uuid4().hex[:10]}"
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = create_database(PG_URL, schema=schema, timeouts=dataclasses.replace(SHORT, statement_s=0.1))
    try:
        with pytest.raises(DatabaseUnavailableError, match="took longer than"), db.read() as session:
            session.execute(text("SELECT pg_sleep(0.3)"))  # an application statement is cut at 0.1 s
        with db.engine.begin() as conn:  # a migration's transaction is not
            migrate._no_statement_limit(db, conn)
            conn.execute(text("SELECT pg_sleep(0.3)"))
        migrate.upgrade(db)
        assert migrate.current_revision(db) == migrate.head_revision()
        migrate.downgrade(db, "base")
    finally:
        db.dispose()
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
