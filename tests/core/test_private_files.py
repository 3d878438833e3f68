"""The database, its WAL and SHM files, the log and backups are 0600 in a 0700 folder.

Before: ``supportline.db`` and ``supportline.log`` were created 0644 (readable by every local
account) in 0755 folders. Secure delete is set by the app, not left to how SQLite was built.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from supportline import bootstrap, logging_setup
from supportline.db.backup import backup_sqlite
from tests.factories import full_call, make_admin

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual desktop umask (022), under which files are 0644 unless the app says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def no_file_log() -> Iterator[None]:
    """No log file handler of an earlier test on the root logger, none left behind."""

    def drop() -> None:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if isinstance(handler, logging.FileHandler):
                root.removeHandler(handler)
                handler.close()

    drop()
    yield
    drop()


def test_database_and_its_wal_and_shm_are_private(loose_umask: None) -> None:
    env = bootstrap.load_environment()
    db = bootstrap.open_database(env)
    try:
        bootstrap.migrate(env, db)
        make_admin(db)
        with db.engine.connect() as conn:  # a reader holds the WAL open: both files exist now
            conn.execute(text("SELECT count(*) FROM users"))
            file = env.paths.default_database
            assert mode(env.paths.data_dir) == 0o700
            assert mode(file) == 0o600
            for suffix in ("-wal", "-shm"):
                companion = file.with_name(file.name + suffix)
                assert companion.exists(), suffix
                assert mode(companion) == 0o600, suffix
    finally:
        db.dispose()


def test_an_existing_loose_database_is_tightened(loose_umask: None, tmp_path: Path) -> None:
    from supportline.db import create_database

    path = tmp_path / "old" / "supportline.db"
    path.parent.mkdir()
    path.write_bytes(b"")
    os.chmod(path, 0o644)
    db = create_database(f"sqlite:///{path}")
    db.dispose()
    assert mode(path) == 0o600


def test_secure_delete_is_on_for_every_connection(sqlite_db) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_log_file_and_folder_are_private(loose_umask: None, no_file_log: None) -> None:
    env = bootstrap.load_environment()
    log_file = bootstrap.configure_logging(env.paths, retention_days=90)
    logging.getLogger("supportline.test").warning("a line")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert log_file.exists()
    assert mode(log_file) == 0o600
    assert mode(env.paths.log_dir) == 0o700


def test_a_rolled_over_log_is_private_too(loose_umask: None, no_file_log: None) -> None:
    env = bootstrap.load_environment()
    log_file = bootstrap.configure_logging(env.paths, retention_days=90)
    logging.getLogger("supportline.test").warning("before")
    handler = next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging_setup.PrivateTimedRotatingFileHandler)
    )
    handler.doRollover()
    logging.getLogger("supportline.test").warning("after")
    handler.flush()
    files = sorted(env.paths.log_dir.glob("supportline.log*"))
    assert len(files) == 2
    assert all(mode(f) == 0o600 for f in files), [(f.name, oct(mode(f))) for f in files]
    assert log_file.read_text(encoding="utf-8").count("after") == 1


def test_a_backup_copy_is_private(loose_umask: None, sqlite_db, tmp_path: Path) -> None:
    target = backup_sqlite(sqlite_db, tmp_path / "copies" / "copy.db")
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700


def test_app_folders_are_private(loose_umask: None) -> None:
    env = bootstrap.load_environment()
    env.paths.ensure()
    for folder in (env.paths.config_dir, env.paths.data_dir, env.paths.log_dir):
        assert mode(folder) == 0o700, folder


def test_a_call_saved_leaves_the_file_private(loose_umask: None) -> None:
    env = bootstrap.load_environment()
    db = bootstrap.open_database(env)
    try:
        bootstrap.migrate(env, db)
        from supportline.services.calls import save_call

        save_call(db, make_admin(db), full_call())
        assert mode(env.paths.default_database) == 0o600
    finally:
        db.dispose()
