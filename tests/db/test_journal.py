"""The local journal (issue 13, item 5): saves made while the shared database is unreachable are
kept on disk and pushed, in order, exactly once, when it is back."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from supportline.db import Database, DatabaseUnavailableError, Timeouts, create_database
from supportline.db.models import AuditEvent, Call
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallData
from supportline.sync.journal import Journal
from tests.conftest import PG_URL
from tests.db.tcp_proxy import TcpProxy
from tests.factories import full_call, make_admin

SHORT = Timeouts(
    connect_s=1, statement_s=2, lock_s=1, idle_in_transaction_s=5, network_s=3, write_s=1, read_s=2
)


def _save_or_journal(
    db: Database, actor: Actor, journal: Journal, data: CallData, version: int | None
) -> str:
    """What the form does: save; when the database cannot be reached, journal the same save."""
    save_id = uuid.uuid4()
    try:
        return calls.save_call(db, actor, data, expected_version=version, save_id=save_id).reference
    except DatabaseUnavailableError:
        return journal.add(actor, data, expected_version=version, save_id=save_id).provisional_reference


def _events(db: Database, call_id: uuid.UUID) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.record_id == str(call_id))))


def test_push_sends_in_order_once_and_chains_saves_of_one_call(db: Database, tmp_path: Path) -> None:
    admin = make_admin(db)
    journal = Journal(tmp_path / "journal.db")
    first, second = full_call(), full_call()
    journal.add(admin, first, expected_version=None)
    journal.add(admin, second, expected_version=None)
    # The operator saved the first call again during the outage, on the version the form had.
    journal.add(admin, dataclasses.replace(first, summary="second thoughts"), expected_version=None)
    assert [e.provisional_reference for e in journal.entries()] == [
        "PENDING-0001",
        "PENDING-0002",
        "PENDING-0003",
    ]

    result = journal.push(db, admin)
    assert (len(result.sent), result.conflicts, result.remaining) == (3, [], 0)
    assert [r.reference for r in result.sent[:2]] == ["SL-2026-000001", "SL-2026-000002"]  # in order
    stored = calls.get_call(db, admin, first.id)
    assert (stored.version, stored.data.summary) == (2, "second thoughts")
    assert _events(db, first.id).count("call.create") == 1
    # Pushing again sends nothing.
    assert journal.push(db, admin).sent == []


def test_a_journaled_save_that_conflicts_is_kept_with_their_record(db: Database, tmp_path: Path) -> None:
    admin = make_admin(db)
    journal = Journal(tmp_path / "journal.db")
    saved = calls.save_call(db, admin, full_call())
    mine = journal.add(admin, dataclasses.replace(saved.data, summary="mine, offline"), expected_version=1)
    journal.add(admin, dataclasses.replace(saved.data, summary="mine again"), expected_version=1)
    other = journal.add(admin, full_call(), expected_version=None)
    calls.save_call(db, admin, dataclasses.replace(saved.data, summary="theirs"), expected_version=1)

    result = journal.push(db, admin)
    assert [entry.seq for entry, _ in result.conflicts] == [mine.seq]
    assert result.conflicts[0][1].theirs.data.summary == "theirs"
    assert [r.id for r in result.sent] == [other.call_id]  # another call is not held up
    assert result.remaining == 2  # the conflicting save and the one made after it, both kept
    assert journal.entries()[0].conflict and "changed by someone else" in journal.entries()[0].conflict
    assert calls.get_call(db, admin, saved.id).data.summary == "theirs"


def test_the_journal_survives_a_crash(tmp_path: Path, sqlite_db: Database) -> None:
    admin = make_admin(sqlite_db)
    path = tmp_path / "journal.db"
    script = textwrap.dedent(
        f"""
        import os, signal, uuid
        from pathlib import Path
        from supportline.services.actor import Actor
        from supportline.enums import Role
        from supportline.sync.journal import Journal
        from tests.factories import full_call
        actor = Actor(user_id=uuid.UUID({str(admin.user_id)!r}), username="ada.admin",
                      display_name="Ada Admin", role=Role.ADMIN)
        entry = Journal(Path({str(path)!r})).add(actor, full_call(), expected_version=None)
        print(entry.call_id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == -9, done.stderr
    printed = uuid.UUID(done.stdout.strip())
    journal = Journal(path)
    assert [e.call_id for e in journal.entries()] == [printed]
    assert [r.id for r in journal.push(sqlite_db, admin).sent] == [printed]


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    url = make_url(PG_URL)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as p:
        yield p


@pytest.mark.postgres
def test_an_outage_journals_saves_and_recovery_pushes_them_exactly_once_in_order(
    pg_db: Database, request: pytest.FixtureRequest, proxy: TcpProxy, tmp_path: Path
) -> None:
    schema: str = request.getfixturevalue("_pg_schema")
    admin = make_admin(pg_db)
    shared = create_database(
        make_url(PG_URL).set(host="127.0.0.1", port=proxy.port), schema=schema, timeouts=SHORT
    )
    journal = Journal(tmp_path / "journal.db")
    try:
        assert _save_or_journal(shared, admin, journal, full_call(), None).startswith("SL-")
        proxy.go_silent()  # the shared database becomes unreachable
        during = [full_call() for _ in range(4)]
        shown = [_save_or_journal(shared, admin, journal, data, None) for data in during]
        assert shown == ["PENDING-0001", "PENDING-0002", "PENDING-0003", "PENDING-0004"]
        # The app is quit and started again during the outage: the journal is still there.
        journal = Journal(tmp_path / "journal.db")
        assert journal.count() == 4
        assert journal.push(shared, admin).unavailable is not None  # still down: nothing lost
        assert journal.count() == 4
        proxy.resume()
        result = journal.push(shared, admin)
        assert result.remaining == 0 and result.conflicts == []
        assert [r.id for r in result.sent] == [d.id for d in during]
        with pg_db.read() as session:
            stored = dict(session.execute(select(Call.id, Call.reference)).all())
        assert all(d.id in stored for d in during)
        references = [stored[d.id] for d in during]
        assert references == sorted(references)  # allocated at sync, in the order saved
        assert all(_events(pg_db, d.id).count("call.create") == 1 for d in during)
    finally:
        proxy.resume()
        shared.dispose()


def test_a_journaled_save_the_database_refuses_is_kept_and_said(db: Database, tmp_path: Path) -> None:
    """Some checks need the database (here: a guidance version it does not know); they run at push."""
    from supportline.enums import Route
    from supportline.services.call_types import RouteData
    from supportline.services.errors import ValidationError

    admin = make_admin(db)
    journal = Journal(tmp_path / "journal.db")
    odd = full_call(routes=(RouteData(route=Route.LEGAL, template_id="legal", template_hash="0" * 64),))
    refused = journal.add(admin, odd, expected_version=None)
    fine = journal.add(admin, full_call(), expected_version=None)
    result = journal.push(db, admin)
    assert [(e.seq, type(err)) for e, err in result.refused] == [(refused.seq, ValidationError)]
    assert [r.id for r in result.sent] == [fine.call_id]
    assert [e.seq for e in journal.entries()] == [refused.seq]
    assert "unknown guidance version" in (journal.entries()[0].conflict or "")
