"""Live updates (issue 13, item 4): a call saved in one session reaches another's change feed
within 2 s, on both dialects; the PostgreSQL feed reconnects when its connection is killed."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from supportline.db import Database, create_database
from supportline.services import calls
from supportline.sync.changes import ChangeFeed
from tests.conftest import PG_URL
from tests.factories import full_call, make_admin


@pytest.fixture
def other_session(db: Database, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A second session on the same database, as another workstation (or window) would open."""
    if db.is_sqlite:
        other = create_database(db.url)
    else:
        schema: str = request.getfixturevalue("_pg_schema")
        name = f"sl-feed-{uuid.uuid4().hex[:8]}"
        other = create_database(PG_URL, schema=schema, application_name=name)
    yield other
    other.dispose()


class Seen:
    def __init__(self) -> None:
        self.events: list[dict[uuid.UUID, int] | None] = []
        self.changed = threading.Event()

    def __call__(self, saved: dict[uuid.UUID, int] | None) -> None:
        self.events.append(saved)
        self.changed.set()

    def wait_for(self, call_id: uuid.UUID, timeout: float) -> float:
        """Seconds until an event covering ``call_id`` (None covers every call)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if any(e is None or call_id in e for e in self.events):
                return time.monotonic() - started
            self.changed.wait(0.05)
            self.changed.clear()
        raise AssertionError(f"no change seen within {timeout} s; events: {self.events}")


def test_a_save_in_one_session_reaches_the_others_feed_within_2_s(
    db: Database, other_session: Database
) -> None:
    admin = make_admin(db)
    seen = Seen()
    feed = ChangeFeed(other_session, seen)
    feed.start()
    try:
        assert feed.listening.wait(5)
        seen.events.clear()
        saved = calls.save_call(db, admin, full_call())
        assert seen.wait_for(saved.id, timeout=2.0) < 2.0
        if not db.is_sqlite:
            assert seen.events[-1] == {saved.id: 1}  # PostgreSQL says which call, at which version
    finally:
        feed.stop()


def test_a_refused_save_announces_nothing(db: Database, other_session: Database) -> None:
    from supportline.services.errors import ConflictError

    admin = make_admin(db)
    saved = calls.save_call(db, admin, full_call())
    seen = Seen()
    feed = ChangeFeed(other_session, seen)
    feed.start()
    try:
        assert feed.listening.wait(5)
        with pytest.raises(ConflictError):
            calls.save_call(db, admin, saved.data)  # no version: refused, rolled back
        time.sleep(0.8)
        assert [e for e in seen.events if e is None or saved.id in e] == []
    finally:
        feed.stop()


@pytest.mark.postgres
def test_the_postgresql_feed_reconnects_after_its_connection_is_killed(
    pg_db: Database, request: pytest.FixtureRequest
) -> None:
    schema: str = request.getfixturevalue("_pg_schema")
    admin = make_admin(pg_db)
    name = f"sl-feed-{uuid.uuid4().hex[:8]}"
    listener_db = create_database(PG_URL, schema=schema, application_name=name)
    seen = Seen()
    feed = ChangeFeed(listener_db, seen)
    feed.start()
    try:
        assert feed.listening.wait(5)
        with pg_db.engine.begin() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :n"
                ),
                {"n": name},
            ).scalar()
        assert killed == 1
        deadline = time.monotonic() + 5
        while feed.reconnects == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert feed.reconnects >= 1
        assert feed.listening.wait(5)
        seen.events.clear()
        saved = calls.save_call(pg_db, admin, full_call())
        assert seen.wait_for(saved.id, timeout=2.0) < 2.0
    finally:
        feed.stop()
        listener_db.dispose()
