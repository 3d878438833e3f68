"""Consistent copies of the database: SQLite's online backup API, or pg_dump for PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from supportline.db.engine import Database
from supportline.private_files import private_file, private_folder


class BackupError(RuntimeError):
    """The copy could not be made; nothing was left at the target path."""


def backup_sqlite(db: Database, target: Path) -> Path:
    """Copy a live SQLite database (WAL included) to ``target`` atomically."""
    target = Path(target)
    private_folder(target.parent, tighten=False)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        private_file(tmp)  # a copy of the database: 0600 like the database itself
        with db.engine.connect() as conn:
            source = conn.connection.dbapi_connection
            assert isinstance(source, sqlite3.Connection)
            dest = sqlite3.connect(tmp)
            try:
                source.backup(dest)
            finally:
                dest.close()
        os.replace(tmp, target)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise BackupError(f"could not write the backup {target}: {exc}") from exc
    return target


def backup_postgresql(db: Database, target: Path) -> Path:
    """Run pg_dump (custom format) into ``target`` atomically."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not installed; install the PostgreSQL client tools")
    url = db.url
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = [pg_dump, "--format=custom", f"--file={tmp}", f"--dbname={url.database or ''}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise BackupError(f"pg_dump failed: {result.stderr.strip() or result.returncode}")
    os.replace(tmp, target)
    return target


def backup(db: Database, target: Path) -> Path:
    return backup_sqlite(db, target) if db.is_sqlite else backup_postgresql(db, target)


def prune_backups(folder: Path, keep: int) -> None:
    """Keep the newest ``keep`` automatic copies in ``folder``."""
    copies = sorted(folder.glob("supportline-*-before-*.db"))
    for old in copies[: max(0, len(copies) - keep)]:
        with contextlib.suppress(OSError):
            old.unlink()
