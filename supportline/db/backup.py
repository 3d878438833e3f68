"""Consistent copies of the database: SQLite's online backup API, or pg_dump for PostgreSQL.

Three kinds of copy are made: ``supportline db backup PATH`` on request; before every migration
of a SQLite file (``supportline-<time>-before-<revision>.db``, ``backups_to_keep`` of them); and
the daily copy the app takes of a local SQLite database while it runs
(``supportline-daily-<time>.db`` in ``daily_backup_dir``, ``daily_backups_to_keep`` of them:
:func:`take_daily_backup`). All are files of mode 0600 in folders of mode 0700.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from supportline.db.engine import Database, postgresql_connect_args
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
    """Run pg_dump (custom format) into ``target`` atomically, mode 0600.

    pg_dump connects as the app does: the same host(s), user, password, TLS settings and schema,
    and the same bounds on connecting and on a network gone silent (``db_connect_timeout_s``,
    ``db_network_timeout_s``: keepalives and ``tcp_user_timeout``); a dump has no statement limit.
    """
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not installed; install the PostgreSQL client tools")
    target = Path(target)
    private_folder(target.parent, tighten=False)
    tmp = target.with_name(f".{target.name}.partial")
    private_file(tmp)  # the dump holds the calls: 0600, as the SQLite copies are
    env = dict(os.environ)
    if db.url.password:
        env["PGPASSWORD"] = str(db.url.password)
    args = [pg_dump, "--format=custom", f"--file={tmp}", f"--dbname={pg_dump_conninfo(db)}"]
    schema = _current_schema(db)
    if schema and schema != "public":  # a schema of its own (one per organisation): only that
        args.append(f"--schema={schema}")
    # pg_dump writes into the 0600 file; the umask covers any file it makes itself.
    result = subprocess.run(
        args, env=env, capture_output=True, text=True, check=False, umask=0o077 if os.name == "posix" else -1
    )
    if result.returncode != 0:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise BackupError(f"pg_dump failed: {result.stderr.strip() or result.returncode}")
    os.replace(tmp, target)
    return target


#: libpq parameters that bound pg_dump's connection (from ``postgresql_connect_args``).
_BOUNDS = ("connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
           "tcp_user_timeout")  # fmt: skip


def pg_dump_conninfo(db: Database) -> str:
    """The libpq connection string for pg_dump: the app's own connection, without the password
    (which goes in PGPASSWORD) and without its statement limits."""
    from psycopg.conninfo import make_conninfo

    url = db.url
    params: dict[str, str] = {}
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else ",".join(value)
    if "host" in params and ":" in params["host"] and "port" not in params:
        # SQLAlchemy's multi-host form ?host=h1:5432&host=h2:5432 is libpq's host=h1,h2 port=5432,5432
        hosts = [h.rpartition(":") if ":" in h else (h, "", "") for h in params["host"].split(",")]
        params["host"] = ",".join(h[0] for h in hosts)
        params["port"] = ",".join(h[2] or "5432" for h in hosts)
    if url.host:
        params.setdefault("host", url.host)
    if url.port:
        params.setdefault("port", str(url.port))
    if url.username:
        params["user"] = url.username
    params["dbname"] = url.database or ""
    params.pop("password", None)
    limits = postgresql_connect_args(db.timeouts)
    for key in _BOUNDS:
        params.setdefault(key, str(limits[key]))
    params.setdefault("application_name", "supportline-backup")
    return make_conninfo(**params)


def _current_schema(db: Database) -> str | None:
    from sqlalchemy import text

    with db.read() as session:
        value = session.execute(text("SELECT current_schema()")).scalar()
    return str(value) if value else None


def backup(db: Database, target: Path) -> Path:
    return backup_sqlite(db, target) if db.is_sqlite else backup_postgresql(db, target)


def prune_backups(folder: Path, keep: int) -> None:
    """Keep the newest ``keep`` automatic copies in ``folder``."""
    copies = sorted(folder.glob("supportline-*-before-*.db"))
    for old in copies[: max(0, len(copies) - keep)]:
        with contextlib.suppress(OSError):
            old.unlink()


# --- the daily copy ---------------------------------------------------------------------------

DAILY_PREFIX = "supportline-daily-"
_STAMP = "%Y%m%dT%H%M%SZ"
_DAILY_NAME = re.compile(r"^supportline-daily-(\d{8}T\d{6}Z)\.db$")
#: A new daily copy is due this long after the newest one.
DAILY_INTERVAL = timedelta(hours=24)
#: A copy stamped later than this ahead of now was made under a wrong clock: it does not count.
_CLOCK_SLACK = timedelta(minutes=5)


def daily_copies(folder: Path) -> list[tuple[datetime, Path]]:
    """The daily copies in ``folder`` with the times in their names, oldest first (other files
    are never looked at, nor removed)."""
    found: list[tuple[datetime, Path]] = []
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        match = _DAILY_NAME.match(path.name)
        if match and path.is_file():
            found.append((datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC), path))
    return sorted(found)


def daily_backup_due(folder: Path, now: datetime) -> bool:
    """No daily copy was made in the last 24 hours (by the times in the names)."""
    made = [stamp for stamp, _path in daily_copies(folder) if stamp <= now + _CLOCK_SLACK]
    return not made or made[-1] <= now - DAILY_INTERVAL


def prune_daily(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` daily copies; returns what was removed."""
    copies = daily_copies(folder)
    removed: list[Path] = []
    for _stamp, path in copies[: max(0, len(copies) - keep)]:
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def take_daily_backup(db: Database, folder: Path, keep: int, *, now: datetime | None = None) -> Path | None:
    """The day's copy of a local SQLite database, if one is due: written with the online backup
    API (writers carry on meanwhile; the copy is the database as it was at one instant) into
    ``folder`` (made 0700), then all but the newest ``keep`` copies removed. None when no copy
    was due, or the database is not a SQLite file (a shared database is backed up on its server).
    """
    if not db.is_sqlite:
        return None
    now = now or datetime.now(UTC)
    private_folder(folder)
    if not daily_backup_due(folder, now):
        return None
    target = folder / f"{DAILY_PREFIX}{now.strftime(_STAMP)}.db"
    backup_sqlite(db, target)
    prune_daily(folder, keep)
    return target
