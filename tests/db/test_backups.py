"""Backups: the daily copy (online, rotated, private), its settings, and pg_dump of a shared database.

Every name and number here is invented (phone numbers from Ofcom's drama range).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportline.config import ConfigError, Paths, Settings, daily_backup_folder, load_settings
from supportline.db import Database, create_database
from supportline.db.backup import (
    backup_postgresql,
    daily_backup_due,
    daily_copies,
    pg_dump_conninfo,
    take_daily_backup,
)
from supportline.db.restore import restore_sqlite
from supportline.services import accounts, calls
from tests.factories import PASSWORD, make_admin

ROOT = Path(__file__).resolve().parents[2]
DAY = datetime(2026, 11, 2, 3, 15, tzinfo=UTC)


def _stamps(folder: Path) -> list[datetime]:
    return [stamp for stamp, _path in daily_copies(folder)]


def test_a_copy_a_day_and_rotation_keeps_the_newest_n(sqlite_db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "daily"
    folder.mkdir()
    (folder / "supportline-20260101T000000Z-before-0007.db").write_bytes(b"a pre-migration copy")
    (folder / "notes.txt").write_text("not ours to remove", encoding="utf-8")
    for day in range(6):
        assert take_daily_backup(sqlite_db, folder, keep=3, now=DAY + timedelta(days=day)) is not None
    assert _stamps(folder) == [DAY + timedelta(days=d) for d in (3, 4, 5)]
    assert (folder / "notes.txt").exists()
    assert (folder / "supportline-20260101T000000Z-before-0007.db").exists()
    for _stamp, path in daily_copies(folder):
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_no_second_copy_within_24_hours_and_a_wrong_clock_does_not_stop_copies(
    sqlite_db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "daily"
    assert take_daily_backup(sqlite_db, folder, keep=7, now=DAY) is not None
    assert take_daily_backup(sqlite_db, folder, keep=7, now=DAY + timedelta(hours=23, minutes=59)) is None
    assert daily_backup_due(folder, DAY + timedelta(hours=24))
    assert take_daily_backup(sqlite_db, folder, keep=7, now=DAY + timedelta(hours=24)) is not None
    # A copy made while the clock was a year ahead does not count as "today's".
    (folder / "supportline-daily-20271102T031500Z.db").write_bytes(b"")
    assert daily_backup_due(folder, DAY + timedelta(hours=48))


def test_copies_are_0600_in_a_0700_folder(sqlite_db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "shared-looking"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)  # noqa: S103  # as a folder someone made by hand may be
    path = take_daily_backup(sqlite_db, folder, keep=2, now=DAY)
    assert path is not None
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == [path.name]  # no partial file left behind


@pytest.mark.postgres
def test_a_shared_database_gets_no_local_daily_copy(pg_db: Database, tmp_path: Path) -> None:
    assert take_daily_backup(pg_db, tmp_path / "daily", keep=7, now=DAY) is None
    assert not (tmp_path / "daily").exists()


def test_the_daily_settings(tmp_path: Path) -> None:
    paths = Paths.from_environment({"SUPPORTLINE_HOME": str(tmp_path)})
    defaults = Settings()
    assert (defaults.daily_backup, defaults.daily_backups_to_keep) == (True, 7)
    assert daily_backup_folder(defaults, paths) == tmp_path / "data" / "backups" / "daily"
    paths.config_dir.mkdir(parents=True)
    nightly = str(tmp_path / "nightly")
    text = f"daily_backup = false\ndaily_backups_to_keep = 30\ndaily_backup_dir = {nightly!r}\n"
    paths.settings_file.write_text(text, encoding="utf-8")
    settings = load_settings(paths, {})
    assert (settings.daily_backup, settings.daily_backups_to_keep) == (False, 30)
    assert daily_backup_folder(settings, paths) == tmp_path / "nightly"
    for bad, named in (("daily_backups_to_keep = 0", "out of range"), ("daily_backup = 1", "must be bool")):
        paths.settings_file.write_text(bad + "\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=named):
            load_settings(paths, {})


# --- the online backup while another process writes ---------------------------------------------

WRITER = """
import sys, uuid
from supportline.db import create_database
from supportline.services import accounts, calls
from tests.factories import PASSWORD, full_call

db = create_database(f"sqlite:///{sys.argv[1]}")
actor = accounts.authenticate(db, "ada.admin", PASSWORD)
for _ in range(int(sys.argv[2])):
    record = calls.save_call(db, actor, full_call(id=uuid.uuid4()))
    print(record.id, flush=True)  # acknowledged: the save has committed
db.dispose()
"""


@pytest.mark.slow
def test_a_copy_taken_while_another_process_writes_restores_whole(tmp_path: Path) -> None:
    """The issue's proof: a backup taken while another process saves calls restores to a database
    that passes integrity_check and holds every call acknowledged before the backup began."""
    live = tmp_path / "live" / "supportline.db"
    db = create_database(f"sqlite:///{live}")
    from supportline.db.migrate import upgrade

    upgrade(db)
    make_admin(db)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(live), "400"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged: list[str] = []
    try:
        while len(acknowledged) < 40:
            line = writer.stdout.readline()
            assert line, writer.stderr.read() if writer.stderr else "the writer stopped"
            acknowledged.append(line.strip())
        before_backup = set(acknowledged)  # every id printed so far had committed
        started = time.monotonic()
        copy = take_daily_backup(db, tmp_path / "daily", keep=7)
        took = time.monotonic() - started
        for line in writer.stdout:  # the writer carried on meanwhile, and after
            acknowledged.append(line.strip())
        assert writer.wait(timeout=120) == 0, writer.stderr.read() if writer.stderr else ""
    finally:
        if writer.poll() is None:
            writer.kill()
        db.dispose()
    assert copy is not None
    assert len(acknowledged) == 400

    restored = tmp_path / "restored" / "supportline.db"
    result = restore_sqlite(copy, restored)
    with sqlite3.connect(restored) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        in_copy = {str(uuid.UUID(str(row[0]))) for row in conn.execute("SELECT id FROM calls")}
    assert before_backup <= in_copy, f"lost {len(before_backup - in_copy)} acknowledged call(s)"
    assert in_copy <= set(acknowledged)
    assert result.calls == len(in_copy) < 400, (result.calls, took)  # the copy is of one instant mid-way
    restored_db = create_database(f"sqlite:///{restored}")
    try:
        actor = accounts.authenticate(restored_db, "ada.admin", PASSWORD)
        some = next(iter(before_backup))
        assert str(calls.get_call(restored_db, actor, uuid.UUID(some)).id) == some
    finally:
        restored_db.dispose()


# --- pg_dump ---------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_pg_dump_writes_a_private_file_of_the_apps_own_schema(pg_db: Database, tmp_path: Path) -> None:
    if not _has("pg_dump") or not _has("pg_restore"):
        pytest.skip("the PostgreSQL client tools are not installed")
    target = tmp_path / "dumps" / "shared.dump"
    backup_postgresql(pg_db, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    listing = subprocess.run(
        ["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True
    ).stdout
    with pg_db.read() as session:
        from sqlalchemy import text

        schema = str(session.execute(text("SELECT current_schema()")).scalar())
    tables = [line.split() for line in listing.splitlines() if " TABLE " in line and "DATA" not in line]
    assert tables and {row[row.index("TABLE") + 1] for row in tables} == {schema}  # no other schema
    assert "calls" in {row[row.index("TABLE") + 2] for row in tables}


def test_pg_dump_connects_as_the_app_does_with_its_bounds_and_no_password() -> None:
    db = create_database(
        "postgresql+psycopg://sl_app:Secret-in-keyring-9@db1.example.org:5433/supportline?sslmode=verify-full"
    )
    try:
        conninfo = pg_dump_conninfo(db)
    finally:
        db.dispose()
    parts = dict(part.split("=", 1) for part in conninfo.split())
    assert parts["host"] == "db1.example.org" and parts["port"] == "5433"
    assert parts["user"] == "sl_app" and parts["dbname"] == "supportline"
    assert parts["sslmode"] == "verify-full"
    assert (parts["connect_timeout"], parts["keepalives"], parts["tcp_user_timeout"]) == ("5", "1", "10000")
    assert "Secret" not in conninfo and "password" not in parts


def _has(tool: str) -> bool:
    import shutil

    return shutil.which(tool) is not None
