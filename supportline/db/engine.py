"""Engines and sessions for the local SQLite file and the shared PostgreSQL database.

:class:`Database` is what every service takes. ``db.write()`` opens one transaction for one
operation (SQLite: ``BEGIN IMMEDIATE`` so writers queue on ``busy_timeout`` instead of failing
on a lock upgrade); ``db.read()`` a read-only one.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from supportline.db.types import parse_stored
from supportline.private_files import private_sqlite_file

log = logging.getLogger(__name__)

DEFAULT_ZONE = "Europe/London"


class DatabaseUnavailableError(RuntimeError):
    """The database cannot be reached or opened; the message says which and why."""


class PasswordRequiredError(DatabaseUnavailableError):
    """The shared database asked for a password that neither the keyring nor the caller gave."""


@dataclass
class Database:
    """One database: its engine, its session factories and the line's time zone."""

    engine: Engine
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_ZONE))
    max_failed_logins: int = 5
    lockout_minutes: int = 10

    def __post_init__(self) -> None:
        self._read = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._write = sessionmaker(writer, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def url(self) -> URL:
        return self.engine.url

    def describe(self) -> str:
        """The database for people: never includes a password."""
        url = self.engine.url
        if self.is_sqlite:
            return f"SQLite {url.database}"
        return f"PostgreSQL {url.username or ''}@{url.host or ''}/{url.database or ''}"

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed if the block ends normally, rolled back on any exception."""
        with self._write() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading. Closing it ends the transaction and detaches (without expiring)
        what was loaded, so loaded attributes stay readable after the block."""
        with self._read() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy (not the driver) decide where transactions begin: see _sqlite_begin.
        dbapi_connection.isolation_level = None
        # SQLite's own lower() folds ASCII only; searches must match "Zoë" with "ZOË" as PostgreSQL does.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        # SQLite has no time zones: the local hour of a stored UTC time (the call list's hour filter).
        dbapi_connection.create_function(LOCAL_HOUR_FUNCTION, 2, _local_hour, deterministic=True)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted content is overwritten with zeros, whatever SQLite was compiled with: erased
            # personal data must be gone from the file, not only unreachable (services/erasure.py).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        finally:
            cursor.close()

    return on_connect


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


#: ``supportline_local_hour(opened_at, 'Europe/London')``: the hour of day (0-23) there.
LOCAL_HOUR_FUNCTION = "supportline_local_hour"


def _local_hour(stored: object, zone_key: object) -> int | None:
    """The local hour in ``zone_key`` of a time SQLAlchemy stored (naive UTC text)."""
    if not isinstance(stored, str) or not isinstance(zone_key, str):
        return None
    return parse_stored(stored).astimezone(ZoneInfo(zone_key)).hour


def _sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "")
    conn.exec_driver_sql(f"BEGIN {mode}".strip())


def create_database(
    url: URL | str,
    *,
    zone: str | ZoneInfo = DEFAULT_ZONE,
    password: str | None = None,
    schema: str | None = None,
    busy_timeout_ms: int = 5000,
    max_failed_logins: int = 5,
    lockout_minutes: int = 10,
    echo: bool = False,
) -> Database:
    """An engine for ``url`` with this project's settings on every pooled connection.

    ``password`` (PostgreSQL) comes from the keyring or a prompt, never from a file. ``schema``
    puts every table in a PostgreSQL schema (tests use a schema per test session).
    """
    from sqlalchemy.engine import make_url

    url = make_url(url) if isinstance(url, str) else url
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            # 0600 in a 0700 folder before SQLite creates it (its -wal and -shm take its mode).
            private_sqlite_file(Path(url.database))
        engine = create_engine(url, echo=echo, hide_parameters=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        event.listen(engine, "begin", _sqlite_begin)
    elif url.get_backend_name() == "postgresql":
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        if password is not None:
            url = url.set(password=password)
        connect_args: dict[str, Any] = {"connect_timeout": 10, "application_name": "supportline"}
        if schema:
            connect_args["options"] = f"-csearch_path={schema}"
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            pool_pre_ping=True,
            connect_args=connect_args,
        )
    else:
        raise DatabaseUnavailableError(
            f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql+psycopg"
        )
    return Database(
        engine=engine, zone=tz, max_failed_logins=max_failed_logins, lockout_minutes=lockout_minutes
    )


def check_connection(db: Database) -> None:
    """Connect once, turning driver errors into a message a person can act on."""
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        text = str(exc.orig) if exc.orig is not None else str(exc)
        if "password" in text.lower() and ("no password" in text.lower() or "authentication" in text.lower()):
            raise PasswordRequiredError(f"{db.describe()}: the server asks for a password") from exc
        first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
        raise DatabaseUnavailableError(f"cannot open {db.describe()}: {first}") from exc
