"""The daily copy while the app runs: on the task runner's own lane, never on the GUI thread."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from supportline.bootstrap import Environment, load_environment
from supportline.db import Database
from supportline.db import backup as backup_module
from supportline.db.backup import daily_copies
from ui import daily_backup
from ui.daily_backup import DailyBackup
from ui.tasks import TaskRunner


def _env(tmp_path: Path, db: Database | None = None, **settings: object) -> Environment:
    """The settings of an installation whose configured database is ``db``."""
    env = load_environment()
    values = {"daily_backup_dir": str(tmp_path / "daily"), **settings}
    if db is not None:
        values["database_url"] = db.url.render_as_string(hide_password=False)
    return dataclasses.replace(env, settings=dataclasses.replace(env.settings, **values))


def test_the_copy_is_taken_in_the_background_soon_after_start(
    qtbot: QtBot, sqlite_db: Database, tasks: TaskRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real = backup_module.take_daily_backup

    def take(db: Database, folder: Path, keep: int) -> Path | None:
        threads.append(threading.current_thread().name)
        return real(db, folder, keep)

    monkeypatch.setattr(daily_backup, "take_daily_backup", take)
    env = _env(tmp_path, sqlite_db, daily_backups_to_keep=3)
    backups = DailyBackup(env, sqlite_db, tasks, first_check_ms=0)
    with qtbot.waitSignal(backups.written, timeout=10_000) as written:
        backups.start()
    [(_stamp, path)] = daily_copies(tmp_path / "daily")
    assert written.args == [str(path)]
    assert threads and threads[0] != threading.main_thread().name
    # The next checks within the day find nothing due.
    backups.check()
    tasks.wait_until_idle()
    assert len(daily_copies(tmp_path / "daily")) == 1
    backups.stop()


def test_switched_off_it_takes_no_copy(
    qtbot: QtBot, sqlite_db: Database, tasks: TaskRunner, tmp_path: Path
) -> None:
    backups = DailyBackup(_env(tmp_path, sqlite_db, daily_backup=False), sqlite_db, tasks, first_check_ms=0)
    assert not backups.enabled
    backups.start()
    backups.check()
    qtbot.wait(50)
    tasks.wait_until_idle()
    assert not (tmp_path / "daily").exists()


def test_a_failure_is_reported_and_tried_again(
    qtbot: QtBot, sqlite_db: Database, tasks: TaskRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "daily").write_text("a file where the folder should be", encoding="utf-8")
    backups = DailyBackup(_env(tmp_path, sqlite_db), sqlite_db, tasks)
    with qtbot.waitSignal(backups.failed, timeout=10_000) as failed:
        backups.check()
    assert failed.args == ["FileExistsError"]
    (tmp_path / "daily").unlink()
    with qtbot.waitSignal(backups.written, timeout=10_000):
        backups.check()


@pytest.mark.postgres
def test_nothing_for_a_shared_database(pg_db: Database, tasks: TaskRunner, tmp_path: Path) -> None:
    assert not DailyBackup(_env(tmp_path, pg_db), pg_db, tasks).enabled


def test_nothing_for_a_database_other_than_the_configured_one(
    qtbot: QtBot, sqlite_db: Database, tasks: TaskRunner, tmp_path: Path
) -> None:
    """A training or demo file opened instead of the configured database: its copies would
    rotate the real ones out of the folder."""
    backups = DailyBackup(_env(tmp_path), sqlite_db, tasks, first_check_ms=0)  # configured: the home's file
    assert not backups.enabled
    backups.start()
    backups.check()
    qtbot.wait(50)
    tasks.wait_until_idle()
    assert not (tmp_path / "daily").exists()
