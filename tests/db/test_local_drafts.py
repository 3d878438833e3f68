"""Drafts while the database does not take them (issue 13: "drafts are autosaved to the same
database, so while the shared database is unreachable, unsaved input exists only in memory").

The draft goes to this computer's own file (journal.db, ``synchronous=FULL``), only its user sees
it, it survives a restart, and it moves to the database — keeping the time it was typed — when
the database is back; a saved or journaled call takes it away. On PostgreSQL the database is
unreachable (a proxy refusing connections); on SQLite the file is read-only or the disk is full.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from supportline.db import Database, DatabaseUnavailableError
from supportline.db.models import AuditEvent
from supportline.enums import Role
from supportline.services import call_codec, calls, drafts
from supportline.services.actor import Actor
from supportline.sync.journal import Journal
from supportline.sync.local_drafts import LocalDrafts
from supportline.sync.local_store import LOCAL_FILE
from supportline.sync.recovery import recover
from tests.db.faults import Away, away_database
from tests.factories import full_call, make_admin, make_user


@pytest.fixture
def away(db: Database, request: pytest.FixtureRequest) -> Iterator[Away]:
    """The application's view of ``db``, able to go away (PostgreSQL: refusing connections;
    SQLite: read-only)."""
    with away_database(db, request) as found:
        yield found


def _cause(away: Away) -> str:
    if not away.app.is_sqlite:
        return "the shared database refuses connections"
    assert away.fault is not None
    return "is read-only" if away.fault.wanted == "read-only" else "is full"


def _draft(
    keeper: LocalDrafts, db: Database, actor: Actor, *, call: Any = None, draft_id: uuid.UUID | None = None
):
    data = call or full_call(narrative="Officer at a car wash; four men, one may be 16. " * 400)
    return keeper.save(
        db,
        actor,
        draft_id=draft_id or uuid.uuid4(),
        call_id=data.id,
        is_edit=False,
        title="New call 03:41",
        payload={"call": call_codec.to_jsonable(data), "ui": {"phone_text": "07700 900123"}},
    )


def _draft_events(db: Database, draft_id: uuid.UUID) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.record_id == str(draft_id)).order_by(AuditEvent.id)
            )
        )


def test_a_draft_the_database_does_not_take_is_kept_here_for_its_user_only_and_moved_when_back(
    away: Away, tmp_path: Path
) -> None:
    _kept_for_its_user_and_moved(away, tmp_path)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_draft_is_kept_here_while_the_local_database_s_disk_is_full(
    db: Database, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    with away_database(db, request, mode="full") as full:
        _kept_for_its_user_and_moved(full, tmp_path)


def _kept_for_its_user_and_moved(away: Away, tmp_path: Path) -> None:
    db = away.app
    admin = make_admin(db)
    other = make_user(db, admin, "olu.operator", Role.OPERATOR)
    keeper = LocalDrafts(tmp_path / LOCAL_FILE)

    away.go_away()
    written = _draft(keeper, db, admin)
    assert written.kept_locally
    assert _cause(away) in written.kept_locally_because
    # Durable here, for its user only, after a restart of the app too.
    again = LocalDrafts(tmp_path / LOCAL_FILE)
    listing = again.list_drafts(db, admin)
    assert [d.id for d in listing.drafts] == [written.record.id]
    assert listing.drafts[0].payload == written.record.payload
    assert listing.problems  # the database was not (all) there: said
    assert again.list_drafts(db, other).drafts == ()
    assert stat.S_IMODE(os.stat(tmp_path / LOCAL_FILE).st_mode) == 0o600

    away.come_back()
    listing = again.list_drafts(db, admin)  # the restore prompt at the next sign-in
    assert listing.problems == ()
    assert [(d.id, d.updated_at) for d in listing.drafts] == [(written.record.id, written.record.updated_at)]
    [stored] = drafts.list_drafts(away.owner, admin)
    assert (stored.id, stored.updated_at, stored.payload) == (
        written.record.id,
        written.record.updated_at,  # the time it was typed, not the time it moved
        written.record.payload,
    )
    assert again.local_drafts(admin) == ()
    assert _draft_events(away.owner, written.record.id) == ["draft.create"]
    assert drafts.list_drafts(away.owner, other) == ()


def test_the_next_autosave_that_reaches_the_database_takes_the_local_copy_away(
    away: Away, tmp_path: Path
) -> None:
    db = away.app
    admin = make_admin(db)
    keeper = LocalDrafts(tmp_path / LOCAL_FILE)
    away.go_away()
    first = _draft(keeper, db, admin)
    assert first.kept_locally
    away.come_back()
    second = _draft(keeper, db, admin, draft_id=first.record.id)
    assert not second.kept_locally
    assert keeper.local_drafts(admin) == ()
    assert LocalDrafts(tmp_path / LOCAL_FILE).local_drafts(admin) == ()  # gone from the file
    assert [d.id for d in keeper.list_drafts(db, admin).drafts] == [first.record.id]


def test_a_discard_while_away_is_done_when_back(away: Away, tmp_path: Path) -> None:
    db = away.app
    admin = make_admin(db)
    keeper = LocalDrafts(tmp_path / LOCAL_FILE)
    before = _draft(keeper, db, admin)  # written to the database before the outage
    assert not before.kept_locally
    away.go_away()
    assert keeper.discard(db, admin, before.record.id, before.record.call_id) is False  # remembered
    assert keeper.list_drafts(db, admin).drafts == ()  # not offered, even where it can be read
    away.come_back()
    assert keeper.list_drafts(db, admin).drafts == ()
    assert drafts.list_drafts(away.owner, admin) == ()
    assert _draft_events(away.owner, before.record.id) == ["draft.create", "draft.discard"]
    with keeper._connect() as conn:  # nothing is left behind in the file
        assert conn.execute("SELECT count(*) FROM local_drafts").fetchone()[0] == 0


def test_saving_the_call_takes_its_local_draft_away(away: Away, tmp_path: Path) -> None:
    db = away.app
    admin = make_admin(db)
    keeper = LocalDrafts(tmp_path / LOCAL_FILE)
    data = full_call()
    away.go_away()
    written = _draft(keeper, db, admin, call=data)
    assert written.kept_locally
    away.come_back()
    calls.save_call(db, admin, data)
    assert keeper.discard(db, admin, written.record.id, data.id) is True  # what the form does on save
    assert keeper.list_drafts(db, admin).drafts == ()
    assert keeper.local_drafts(admin) == ()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_drafts_a_journaled_save_superseded_are_not_offered_and_go_when_it_is_sent(
    away: Away, tmp_path: Path
) -> None:
    db = away.app
    admin = make_admin(db)
    keeper = LocalDrafts(tmp_path / LOCAL_FILE)
    journal = Journal(tmp_path / LOCAL_FILE)  # the same file, its own table
    data = full_call()
    away.go_away()
    older = _draft(keeper, db, admin, call=data)
    journal.add(admin, data, expected_version=None)  # the operator pressed Save: journaled
    newer = _draft(keeper, db, admin, call=dataclasses.replace(data, summary="typed after the save"))
    offered = keeper.list_drafts(db, admin, superseded=journal.waiting_calls(admin.user_id)).drafts
    assert [d.id for d in offered] == [newer.record.id]  # the journal holds what the older one did

    away.come_back()
    result = recover(db, admin, journal, keeper)
    assert [r.id for r in result.sent] == [data.id] and result.unavailable is None
    assert keeper.local_drafts(admin) == ()
    assert [d.id for d in drafts.list_drafts(db, admin)] == [newer.record.id]
    assert older.record.id not in {d.id for d in keeper.list_drafts(db, admin).drafts}


def test_recovery_waits_while_the_database_is_away(away: Away, tmp_path: Path) -> None:
    db = away.app
    admin = make_admin(db)
    keeper = LocalDrafts(tmp_path / LOCAL_FILE)
    journal = Journal(tmp_path / LOCAL_FILE)
    away.go_away()
    written = _draft(keeper, db, admin)
    if db.is_sqlite:  # a read-only or full file still answers a probe: the push is refused instead
        journal.add(admin, full_call(), expected_version=None)
        result = recover(db, admin, journal, keeper)
        assert result.unavailable is not None and result.remaining == 1
    else:
        result = recover(db, admin, journal, keeper)
        assert isinstance(result.unavailable, DatabaseUnavailableError)
    assert [d.id for d in keeper.local_drafts(admin)] == [written.record.id]  # still here
    away.come_back()
    assert recover(db, admin, journal, keeper).unavailable is None
    assert keeper.local_drafts(admin) == ()
    assert [d.id for d in drafts.list_drafts(db, admin)] == [written.record.id]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_when_this_computer_cannot_keep_it_either_both_causes_are_named(away: Away, tmp_path: Path) -> None:
    db = away.app
    admin = make_admin(db)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    keeper = LocalDrafts(blocker / LOCAL_FILE)
    away.go_away()
    with pytest.raises(DatabaseUnavailableError) as raised:
        _draft(keeper, db, admin)
    message = str(raised.value)
    assert "the local database file" in message and "nor could the draft be kept on this computer" in message
