"""``supportline db restore PATH``: a checked copy replaces the local SQLite file, which is kept aside.

Each test works on the database of its own SUPPORTLINE_HOME, through the command line as an
administrator would. Every name and number here is invented (phone numbers from Ofcom's drama range).
"""

from __future__ import annotations

import getpass
import json
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from supportline import bootstrap
from supportline.db import Database, create_database
from supportline.db.migrate import head_revision, upgrade
from supportline.db.models import AuditEvent, Call
from supportline.db.restore import database_in_use, known_revisions
from supportline.enums import Role
from supportline.services import calls, erasure
from supportline.services.actor import Actor
from tests.conftest import IN_CI, PG_URL, Run
from tests.factories import PASSWORD, full_call, make_admin, make_user


@pytest.fixture
def live(cli_db: Database) -> Path:
    """The CLI's database file, migrated, with an administrator."""
    make_admin(cli_db)
    return Path(str(cli_db.url.database))


def _add_calls(db: Database, n: int) -> list[uuid.UUID]:
    actor = _admin(db)
    return [calls.save_call(db, actor, full_call(id=uuid.uuid4())).id for _ in range(n)]


def _admin(db: Database) -> Actor:
    from supportline.services import accounts

    return accounts.authenticate(db, "ada.admin", PASSWORD)


def _call_ids(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {str(uuid.UUID(str(row[0]))) for row in conn.execute("SELECT id FROM calls")}
    finally:
        conn.close()


def _restore_events(path: Path) -> list[tuple[str, str, dict[str, object]]]:
    db = create_database(f"sqlite:///{path}")
    try:
        with db.read() as session:
            rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "database.restore")).all()
            return [(r.outcome, r.actor_name, json.loads(r.details)) for r in rows]
    finally:
        db.dispose()


def _backup(run: Run, target: Path) -> Path:
    result = run("db", "backup", str(target))
    assert result.code == 0, result.err
    return target


def test_a_good_copy_is_restored_and_the_current_file_kept_aside(
    run: Run, cli_db: Database, live: Path, tmp_path: Path
) -> None:
    before = {str(i) for i in _add_calls(cli_db, 3)}
    copy = _backup(run, tmp_path / "copy.db")
    after = {str(i) for i in _add_calls(cli_db, 2)}
    cli_db.dispose()

    result = run("db", "restore", str(copy))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == f"checked {copy}: integrity ok, schema revision {head_revision()}, 3 call(s)"
    [kept] = live.parent.glob("supportline-before-restore-*.db")
    assert lines[1] == f"the database it replaces is kept as {kept}"
    assert lines[2] == f"restored SQLite {live} from {copy}"
    assert result.err == ""

    assert _call_ids(live) == before
    assert _call_ids(kept) == before | after  # nothing lost: the replaced database is all there
    for path in (live, kept):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(live.parent.glob(".supportline.db.restoring-*"))
    [(outcome, who, details)] = _restore_events(live)
    assert (outcome, who) == ("allowed", f"os:{getpass.getuser()}")
    written = datetime.fromtimestamp(copy.stat().st_mtime, UTC).isoformat(timespec="seconds")
    assert details == {
        "calls": 3, "copy_revision": head_revision(), "copy_written_at": written, "erasures_undone": 0,
        "migrated_to": head_revision(),
    }  # fmt: skip
    assert run("audit", "verify", "--user", "ada.admin", "--password-stdin", stdin=f"{PASSWORD}\n").code == 0
    assert run("db", "check").code == 0


def test_a_damaged_copy_is_refused_and_nothing_changes(
    run: Run, cli_db: Database, live: Path, tmp_path: Path
) -> None:
    ids = {str(i) for i in _add_calls(cli_db, 3)}
    copy = _backup(run, tmp_path / "copy.db")
    conn = sqlite3.connect(copy)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    [(root,)] = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_calls_1'")
    conn.close()
    with copy.open("r+b") as handle:  # scribble over the cell pointers of an index page of the calls
        handle.seek((root - 1) * page_size + 8)
        handle.write(b"\xff" * 64)
    cli_db.dispose()

    result = run("db", "restore", str(copy))
    assert result.code == 1
    # integrity_check lists what it found, or stops on a page it cannot read: damaged, either way.
    assert result.err.startswith(f"supportline: error: {copy} is damaged: PRAGMA integrity_check ")
    assert result.err.rstrip().endswith("; nothing was changed")
    assert _call_ids(live) == ids
    assert not list(live.parent.glob("supportline-before-restore-*"))
    assert not list(live.parent.glob(".supportline.db.restoring-*"))
    [(outcome, _who, details)] = _restore_events(live)
    assert (outcome, details) == ("refused", {"reason": "damaged"})


def test_a_copy_whose_schema_page_is_damaged_is_refused(
    run: Run, cli_db: Database, live: Path, tmp_path: Path
) -> None:
    copy = _backup(run, tmp_path / "copy.db")
    with copy.open("r+b") as handle:  # page 1, after the 100-byte file header: the schema's own page
        handle.seek(100 + 8)
        handle.write(b"\xff" * 32)
    cli_db.dispose()
    result = run("db", "restore", str(copy))
    assert result.code == 1
    damaged = f"{copy} is damaged: PRAGMA integrity_check could not finish (database disk image is malformed)"
    assert damaged in result.err
    [(_outcome, _who, details)] = _restore_events(live)
    assert details == {"reason": "damaged"}


def test_a_file_that_is_not_a_database_is_refused(
    run: Run, cli_db: Database, live: Path, tmp_path: Path
) -> None:
    cli_db.dispose()
    notes = tmp_path / "notes.db"
    notes.write_text("shift notes, not a database\n" * 200, encoding="utf-8")
    result = run("db", "restore", str(notes))
    assert result.code == 1
    assert f"{notes} is not a SQLite database (file is not a database); nothing was changed" in result.err
    missing = run("db", "restore", str(tmp_path / "nowhere.db"))
    assert (
        missing.code == 1 and f"{tmp_path / 'nowhere.db'} is not a file; nothing was changed" in missing.err
    )
    itself = run("db", "restore", str(live))
    assert itself.code == 1 and "is the database itself" in itself.err
    assert [d["reason"] for _o, _w, d in _restore_events(live)] == ["damaged", "no copy", "same file"]


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("0099", "is at schema revision 0099, newer than this version of Supportline"),
        ("f00dcafe", "is at schema revision f00dcafe, unknown to this version of Supportline"),
        (None, "is not a Supportline database (it has no schema revision)"),
    ],
)
def test_a_copy_of_a_newer_or_foreign_schema_is_refused(
    run: Run, cli_db: Database, live: Path, tmp_path: Path, revision: str | None, message: str
) -> None:
    ids = {str(i) for i in _add_calls(cli_db, 2)}
    copy = _backup(run, tmp_path / "copy.db")
    conn = sqlite3.connect(copy)
    if revision is None:
        conn.execute("DROP TABLE alembic_version")
    else:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.commit()
    conn.close()
    cli_db.dispose()
    result = run("db", "restore", str(copy))
    assert result.code == 1
    assert f"{copy} {message}" in result.err
    assert _call_ids(live) == ids


def test_an_older_copy_is_migrated_as_it_is_restored(
    run: Run, cli_db: Database, live: Path, tmp_path: Path
) -> None:
    older = known_revisions()[-2]
    copy = tmp_path / "older.db"
    db = create_database(f"sqlite:///{copy}")
    upgrade(db, older)
    with db.engine.begin() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    db.dispose()
    cli_db.dispose()
    result = run("db", "restore", str(copy))
    assert result.code == 0, result.err
    assert f"migrated from revision {older} to {head_revision()}" in result.out
    assert run("db", "check").code == 0


def test_a_database_in_use_is_refused(run: Run, cli_db: Database, live: Path, tmp_path: Path) -> None:
    copy = _backup(run, tmp_path / "copy.db")
    cli_db.dispose()
    app = create_database(f"sqlite:///{live}")  # as a running app holds it: an idle pooled connection
    with app.read() as session:
        session.execute(text("SELECT 1"))
    try:
        assert database_in_use(live)
        result = run("db", "restore", str(copy))
        assert result.code == 1
        assert f"{live} is in use: close Supportline" in result.err
        assert not list(live.parent.glob("supportline-before-restore-*"))
    finally:
        app.dispose()
    assert not database_in_use(live)
    assert run("db", "restore", str(copy)).code == 0
    assert [o for o, _w, _d in _restore_events(live)] == ["allowed"]  # the copy's trail, then this restore


def test_restoring_where_there_is_no_database_yet(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    db = create_database(f"sqlite:///{source}")
    upgrade(db)
    make_admin(db)
    _add_calls(db, 2)
    db.dispose()
    live = bootstrap.load_environment().paths.default_database
    assert not live.exists()
    result = run("db", "restore", str(source))
    assert result.code == 0, result.err
    assert "kept as" not in result.out
    assert len(_call_ids(live)) == 2


def test_erasures_the_copy_does_not_hold_are_named(
    run: Run, cli_db: Database, live: Path, tmp_path: Path
) -> None:
    admin = _admin(cli_db)
    [call_id] = _add_calls(cli_db, 1)
    copy = _backup(run, tmp_path / "copy.db")
    asker = make_user(cli_db, admin, "sam.supervisor", Role.SUPERVISOR)
    approver = make_user(cli_db, admin, "tess.supervisor", Role.SUPERVISOR)
    request = erasure.request_erasure(
        cli_db, asker, "call", str(call_id), "The caller asked for it (DPA s.47)"
    )
    erasure.approve_erasure(cli_db, approver, request.id)
    with cli_db.read() as session:
        assert session.get(Call, call_id) is None
    cli_db.dispose()

    result = run("db", "restore", str(copy))
    assert result.code == 0, result.err
    assert "warning: 1 erasure(s) recorded after this copy was made are not in it" in result.err
    assert _call_ids(live) == {str(call_id)}  # the erased call is back: the warning is why
    [(_o, _w, details)] = _restore_events(live)
    assert details["erasures_undone"] == 1


# --- PostgreSQL: refused, with the documented procedure -----------------------------------------


@pytest.fixture
def pg_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The CLI pointed at a migrated PostgreSQL schema of its own."""
    schema = f"sl_restore_{uuid.uuid4().hex[:12]}"
    admin = create_database(PG_URL)
    try:
        with admin.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        message = f"PostgreSQL test server unavailable at {PG_URL}: {str(exc).splitlines()[0]}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    separator = "&" if "?" in PG_URL else "?"
    monkeypatch.setenv("SUPPORTLINE_DB_URL", f"{PG_URL}{separator}options=-csearch_path%3D{schema}")
    monkeypatch.setattr(bootstrap, "get_database_password", lambda url: None)
    db = create_database(PG_URL, schema=schema)
    upgrade(db)
    yield db
    db.dispose()
    with admin.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.mark.postgres
def test_postgresql_is_refused_with_the_documented_procedure(
    run: Run, pg_home: Database, tmp_path: Path
) -> None:
    copy = tmp_path / "shared.dump"
    copy.write_bytes(b"PGDMP")
    result = run("db", "restore", str(copy))
    assert result.code == 1
    assert "restored on its server with pg_restore" in result.err
    assert 'docs/administration.md, "Backups and restore"' in result.err
    with pg_home.read() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "database.restore")).all()
    assert (event.outcome, json.loads(event.details)) == ("refused", {"reason": "postgresql"})
    docs = (Path(__file__).resolve().parents[2] / "docs" / "administration.md").read_text(encoding="utf-8")
    assert "## Backups and restore" in docs and "pg_restore" in docs
