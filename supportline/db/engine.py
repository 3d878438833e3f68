"""Engines and sessions for the local SQLite file and the shared PostgreSQL database.

:class:`Database` is what every service takes. ``db.write()`` opens one transaction for one
operation (SQLite: ``BEGIN IMMEDIATE`` so writers queue on ``busy_timeout`` instead of failing
on a lock upgrade); ``db.read()`` a read-only one.

Every database call has a bounded time (docs/architecture.md, "Bounded time on every database
call"). On PostgreSQL each connection carries ``statement_timeout``, ``lock_timeout``,
``idle_in_transaction_session_timeout``, TCP keepalives and ``tcp_user_timeout``; and because a
network that goes silent while the kernel still acknowledges (a stalled proxy, a hung NAT) defeats
all of those, each ``write()``/``read()`` also has a client-side deadline: a watchdog thread shuts
the socket of a connection that has not finished in time, so the blocked call returns. A driver
failure leaves these blocks as :class:`DatabaseUnavailableError`, never a raw SQLAlchemy error.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from supportline.db.types import parse_stored
from supportline.private_files import private_sqlite_file

log = logging.getLogger(__name__)

DEFAULT_ZONE = "Europe/London"


class DatabaseUnavailableError(RuntimeError):
    """The database cannot be reached or opened; the message says which and why.

    ``retryable``: the same work may succeed if tried again at once (a dropped connection, not a
    time limit already spent). ``outcome_unknown``: the failure came while committing, so the
    work may have been applied (a retry must be idempotent; ``save_call``'s is).
    """

    def __init__(self, message: str, *, retryable: bool = False, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.outcome_unknown = outcome_unknown


class PasswordRequiredError(DatabaseUnavailableError):
    """The shared database asked for a password that neither the keyring nor the caller gave."""


@dataclass(frozen=True)
class Timeouts:
    """The time limits of one database (seconds; settings ``db_*_s``)."""

    connect_s: float = 5
    statement_s: float = 10
    lock_s: float = 5
    idle_in_transaction_s: float = 30
    #: A silent network is noticed after about this long (keepalives and ``tcp_user_timeout``).
    network_s: float = 10
    #: One write (e.g. a save, with its automatic retries) gives up after this long.
    write_s: float = 10
    #: One read (a page of the list, a call) gives up after this long.
    read_s: float = 30


class _Watchdog:
    """One thread that shuts the socket of a connection whose deadline has passed.

    Shutting the socket (not closing the descriptor, which the driver still owns) makes the
    blocked driver call return at once with "server closed the connection"; the pool then throws
    that connection away.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, tuple[Any, list[bool]]] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, dbapi_connection: Any, fired: list[bool]) -> int:
        with self._cond:
            token = next(self._ids)
            self._armed[token] = (dbapi_connection, fired)
            heapq.heappush(self._heap, (deadline, token))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="supportline-db-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
            return token

    def disarm(self, token: int) -> None:
        with self._cond:
            self._armed.pop(token, None)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)
                wait = self._heap[0][0] - time.monotonic() if self._heap else None
                if wait is None or wait > 0:
                    self._cond.wait(timeout=wait)
                    continue
                _deadline, token = heapq.heappop(self._heap)
                dbapi_connection, fired = self._armed.pop(token)
                fired[0] = True
                _shut(dbapi_connection)


def _shut(dbapi_connection: Any) -> None:
    try:
        fd = dbapi_connection.pgconn.socket
        sock = socket.socket(fileno=os.dup(fd))
    except Exception:  # already closed: nothing is waiting on it
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()
    log.warning("database connection gave no answer in time; closed it")


_WATCHDOG = _Watchdog()


class _Scope:
    """The deadline of the work this thread is doing on one database."""

    def __init__(self, deadline: float, limit_s: float) -> None:
        self.deadline = deadline
        self.limit_s = limit_s
        self.fired = [False]


@dataclass
class Database:
    """One database: its engine, its session factories and the line's time zone."""

    engine: Engine
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_ZONE))
    max_failed_logins: int = 5
    lockout_minutes: int = 10
    timeouts: Timeouts = field(default_factory=Timeouts)
    #: The throw-away training database (``supportline.training``): every window and every exported
    #: page says so. Only ``training.open_training_database`` sets it, on a file it has checked.
    training: bool = False

    def __post_init__(self) -> None:
        self._read = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._write = sessionmaker(writer, expire_on_commit=False)
        self._local = threading.local()
        if not self.is_sqlite:
            event.listen(self.engine, "checkout", self._on_checkout)
            event.listen(self.engine, "checkin", self._on_checkin)

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
            return f"{'TRAINING ' if self.training else ''}SQLite {url.database}"
        return f"PostgreSQL {url.username or ''}@{url.host or ''}/{url.database or ''}"

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed if the block ends normally, rolled back on any exception.
        Bounded by ``timeouts.write_s`` (or the enclosing :meth:`bounded` block)."""
        committing = False
        with self.bounded(self.timeouts.write_s):  # outside the try: the mapping reads its scope
            try:
                with self._write() as session, session.begin():
                    yield session
                    committing = True
            except (DBAPIError, PoolTimeoutError, _DeadlinePassed, _Dropped) as exc:
                mapped = self.unavailable(exc, during_commit=committing)
                if mapped is None:
                    raise
                raise mapped from exc

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading. Closing it ends the transaction and detaches (without expiring)
        what was loaded, so loaded attributes stay readable after the block. Bounded by
        ``timeouts.read_s`` (or the enclosing :meth:`bounded` block)."""
        with self.bounded(self.timeouts.read_s):
            try:
                with self._read() as session:
                    yield session
            except (DBAPIError, PoolTimeoutError, _DeadlinePassed, _Dropped) as exc:
                mapped = self.unavailable(exc, during_commit=False)
                if mapped is None:
                    raise
                raise mapped from exc

    @contextlib.contextmanager
    def bounded(self, seconds: float | None = None) -> Iterator[None]:
        """Everything this thread does on this database inside the block shares one deadline
        (``seconds`` from now, default ``timeouts.write_s``). Nested blocks keep the outer one."""
        if getattr(self._local, "scope", None) is not None:
            yield
            return
        limit = self.timeouts.write_s if seconds is None else seconds
        self._local.scope = _Scope(time.monotonic() + limit, limit)
        try:
            yield
        finally:
            self._local.scope = None

    def time_left(self) -> float:
        """Seconds left before the current :meth:`bounded` block's deadline (inf outside one)."""
        scope: _Scope | None = getattr(self._local, "scope", None)
        return float("inf") if scope is None else scope.deadline - time.monotonic()

    def _on_checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        scope: _Scope | None = getattr(self._local, "scope", None)
        if scope is None:
            return
        if time.monotonic() >= scope.deadline:
            scope.fired[0] = True
            raise _DeadlinePassed()
        record.info["watchdog"] = _WATCHDOG.arm(scope.deadline, dbapi_connection, scope.fired)
        # The pool's own pre-ping would run before this event, outside the deadline: ping here.
        try:
            self.engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            _WATCHDOG.disarm(record.info.pop("watchdog"))
            if scope.fired[0]:
                raise _DeadlinePassed() from exc
            if record.info.pop("pinged", False):
                # A pooled connection gone stale: the pool replaces it and checks out again.
                raise DisconnectionError("stale pooled connection") from exc
            # A new connection dropped at once: not the pool's to retry (it gives up with a bare
            # "connection is closed" after two); the caller's retry decides.
            raise _Dropped("the server closed a new connection at once") from exc
        record.info["pinged"] = True

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        token = record.info.pop("watchdog", None)
        if token is not None:
            _WATCHDOG.disarm(token)

    def unavailable(
        self, exc: BaseException, *, during_commit: bool = False
    ) -> DatabaseUnavailableError | None:
        """``exc`` (a driver error) as the app's own error, or None if it is not about the
        database being unreachable, busy or out of time (e.g. a constraint: a bug to surface)."""
        scope: _Scope | None = getattr(self._local, "scope", None)
        fired = scope is not None and scope.fired[0]
        invalidated = isinstance(exc, DBAPIError) and exc.connection_invalidated
        orig = exc.orig if isinstance(exc, DBAPIError) else None
        sqlstate = getattr(orig, "sqlstate", None)
        if not (
            fired
            or invalidated
            or sqlstate in _UNAVAILABLE_STATES
            or isinstance(
                exc, OperationalError | InterfaceError | PoolTimeoutError | _DeadlinePassed | _Dropped
            )
        ):
            return None
        first = _first_line(orig if orig is not None else exc)
        where = self.describe_short()
        if isinstance(exc, PoolTimeoutError):
            return DatabaseUnavailableError(
                f"every connection to {where} is busy; waited {self.timeouts.write_s:g} s", retryable=False
            )
        if fired:
            limit = scope.limit_s if scope is not None else self.timeouts.write_s
            return DatabaseUnavailableError(
                f"{where} did not answer within {limit:g} s (the network or the server is not responding)",
                outcome_unknown=during_commit,
            )
        if sqlstate == "57014":  # query_canceled: statement_timeout
            return DatabaseUnavailableError(
                f"{where} took longer than {self.timeouts.statement_s:g} s to answer (server overloaded)"
            )
        if sqlstate == "55P03":  # lock_not_available: lock_timeout
            return DatabaseUnavailableError(
                f"another workstation is holding this record; waited {self.timeouts.lock_s:g} s",
                retryable=True,
            )
        if sqlstate in _UNAVAILABLE_STATES:
            return DatabaseUnavailableError(_UNAVAILABLE_STATES[sqlstate].format(where=where))
        lowered = first.lower()
        if self.is_sqlite:
            if "locked" in lowered or "busy" in lowered:
                return DatabaseUnavailableError(
                    f"{where} is busy (another program is writing to it); try again in a moment"
                )
            if "readonly" in lowered or "read-only" in lowered:
                return DatabaseUnavailableError(
                    f"{where} is read-only (check the permissions of the file and its folder, and that "
                    "its disk is not mounted read-only)"
                )
            if "disk is full" in lowered:
                return DatabaseUnavailableError(f"the disk holding {where} is full (free some space on it)")
            return DatabaseUnavailableError(f"{where} cannot be written or read: {first}")
        if "timeout expired" in lowered:  # libpq's connect_timeout
            return DatabaseUnavailableError(
                f"{where} did not answer within {self.timeouts.connect_s:g} s when connecting (the "
                "network or the server is not responding)",
                retryable=True,
            )
        if "connection refused" in lowered:
            return DatabaseUnavailableError(
                f"{where} refuses connections (its server is stopped or restarting, or a firewall "
                f"turns this workstation away)",
                retryable=True,
            )
        return DatabaseUnavailableError(
            f"the connection to {where} was lost ({first})", retryable=True, outcome_unknown=during_commit
        )

    def describe_short(self) -> str:
        return "the local database file" if self.is_sqlite else "the shared database"

    def dispose(self) -> None:
        self.engine.dispose()


#: PostgreSQL refusals that say the server cannot take the work just now (not a bug to surface),
#: in words: SQLSTATE → message. A read-only server (a standby, or made read-only by its
#: administrator) also has its connections thrown away (``_read_only_is_a_disconnect``), so that
#: once it is fixed — or a failover made another host the primary — new connections are made.
_UNAVAILABLE_STATES: dict[str, str] = {
    "53100": "the server of {where} has no disk space left (its administrator must free some)",
    "53200": "the server of {where} is out of memory; try again in a moment",
    "53300": "{where} has no free connections (too many workstations or programs are connected)",
    "25006": "{where} is read-only just now (a standby server, or made read-only by its administrator)",
    "57P03": "{where} is starting up or shutting down; try again in a moment",
}


def _read_only_is_a_disconnect(context: Any) -> None:
    """``handle_error``: a connection to a read-only server is of no more use for writing."""
    orig = getattr(context, "original_exception", None)
    if getattr(orig, "sqlstate", None) in {"25006", "57P03"}:
        context.is_disconnect = True


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


class _DeadlinePassed(Exception):
    """The deadline passed before a connection could be checked out."""


class _Dropped(Exception):
    """A connection was dropped as soon as it was made."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
    timeouts: Timeouts | None = None,
    application_name: str = "supportline",
    training: bool = False,
) -> Database:
    """An engine for ``url`` with this project's settings on every pooled connection.

    ``password`` (PostgreSQL) comes from the keyring or a prompt, never from a file. ``schema``
    puts every table in a PostgreSQL schema (tests use a schema per test session). ``timeouts``
    bounds every call (defaults: :class:`Timeouts`).
    """
    limits = timeouts or Timeouts()
    from sqlalchemy.engine import make_url

    url = make_url(url) if isinstance(url, str) else url
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    if training and url.get_backend_name() != "sqlite":
        # A shared database is always live data: training never opens one (supportline.training).
        raise DatabaseUnavailableError("training mode opens only its own local file, never a shared database")
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
        connect_args = postgresql_connect_args(limits, application_name=application_name, schema=schema)
        # ``options`` in the URL (e.g. ``-csearch_path=…``) would be replaced by ours: keep both,
        # the URL's last, so an administrator's own ``-c`` settings win.
        own_options = url.query.get("options")
        if own_options:
            extra = own_options if isinstance(own_options, str) else " ".join(own_options)
            connect_args["options"] = f"{connect_args['options']} {extra}"
            url = url.difference_update_query(["options"])
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            # No pool_pre_ping: it runs outside the deadline. Database._on_checkout pings instead.
            pool_timeout=limits.write_s,
            connect_args=connect_args,
        )
        event.listen(engine, "handle_error", _read_only_is_a_disconnect)
    else:
        raise DatabaseUnavailableError(
            f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql+psycopg"
        )
    return Database(
        engine=engine,
        zone=tz,
        max_failed_logins=max_failed_logins,
        lockout_minutes=lockout_minutes,
        timeouts=limits,
        training=training,
    )


def postgresql_connect_args(
    limits: Timeouts, *, application_name: str = "supportline", schema: str | None = None
) -> dict[str, Any]:
    """libpq parameters that bound every call on a PostgreSQL connection."""
    network = max(limits.network_s, 3.0)
    options = [
        f"-cstatement_timeout={int(limits.statement_s * 1000)}",
        f"-clock_timeout={int(limits.lock_s * 1000)}",
        f"-cidle_in_transaction_session_timeout={int(limits.idle_in_transaction_s * 1000)}",
    ]
    if schema:
        options.append(f"-csearch_path={schema}")
    return {
        "connect_timeout": max(1, round(limits.connect_s)),
        "application_name": application_name,
        "options": " ".join(options),
        # A peer that vanished (cable, crashed host, failover) is noticed after about ``network_s``.
        "keepalives": 1,
        "keepalives_idle": max(1, int(network / 2)),
        "keepalives_interval": max(1, int(network / 6)),
        "keepalives_count": 3,
        "tcp_user_timeout": int(network * 1000),
    }


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
