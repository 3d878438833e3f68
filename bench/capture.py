"""Baselines made of the app's own SQL: statements captured while the app runs, replayed raw.

:class:`Recorder` listens to SQLAlchemy's ``before_cursor_execute`` and keeps every statement
with its parameters exactly as the driver got them. :class:`Raw` is a plain driver connection to
the same database (``sqlite3``, or ``psycopg`` without SQLAlchemy) that replays them: the reads
with every row fetched, or the writes in one transaction and a commit. What the app adds over the
replay is everything around the SQL: building the statements, SQLAlchemy, the objects made from
rows, the checks.

A statement is a write when it changes rows (an INSERT, UPDATE or DELETE, also inside a ``WITH``:
PostgreSQL's one-statement insert of a new call is a ``WITH`` of data-modifying CTEs). Of a query
of several statements (the app's numbering, notification and chain lock in one round trip) only
the parts that change rows are replayed: the baseline is the rows written, not the notification
or the lock.

Writes are replayed with **fresh keys**: every UUID the app wrote (but the users', which other
rows point at), in the parameters or as a literal in the SQL, and every call or case reference
is replaced, consistently within one replay, so the same rows are inserted again as new rows.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

T = TypeVar("T")
_READS = ("SELECT", "WITH")
_HEX_UUID = re.compile(r"^[0-9a-f]{32}$")
#: :func:`supportline.services.references.placeholder`: "~" and 19 hex digits of the row's id.
_PLACEHOLDER = re.compile(r"^~[0-9a-f]{19}$")
_REFERENCE = re.compile(r"^(SL|CASE)-(\d{4})-\d+$")
#: What changes rows, wherever it stands in a statement (``ON CONFLICT DO UPDATE SET`` is in an INSERT).
_CHANGES_ROWS = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\w+(\s+AS\s+\w+)?\s+SET|DELETE\s+FROM)\b", re.I)
_UUID_LITERAL = re.compile(r"'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'")


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any
    many: bool

    @property
    def is_read(self) -> bool:
        return self.sql.lstrip().upper().startswith(_READS) and not _CHANGES_ROWS.search(self.sql)


class Recorder:
    """The statements (with driver-level parameters) an engine sends while :meth:`capture` runs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[Statement] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if self.on:
            self.statements.append(Statement(statement, parameters, many))

    def capture(self, fn: Callable[[], T]) -> tuple[T, list[Statement]]:
        self.statements = []
        self.on = True
        try:
            result = fn()
        finally:
            self.on = False
        return result, list(self.statements)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def reads(statements: Sequence[Statement]) -> list[Statement]:
    return [s for s in statements if s.is_read]


def writes(statements: Sequence[Statement]) -> list[Statement]:
    """The statements that change rows (not the reads, nor BEGIN/COMMIT, nor the chain's lock):
    of a query of several statements (literal SQL, no parameters), the parts that change rows."""
    found: list[Statement] = []
    for s in statements:
        if s.is_read or s.sql.lstrip().upper().startswith(("BEGIN", "COMMIT")):
            continue
        if s.parameters or ";\n" not in s.sql:
            found.append(s)
            continue
        parts = (part.strip() for part in s.sql.split(";\n"))
        found += [Statement(part.rstrip(";"), None, False) for part in parts if _CHANGES_ROWS.search(part)]
    return found


class Raw:
    """A plain driver connection to the database at ``url`` (the app's pragmas on SQLite; on
    PostgreSQL, the tables in ``schema`` if one is given, as the app's ``schema`` option does)."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self.conn: Any
        if self.dialect == "sqlite":
            from supportline.db.engine import LOCAL_HOUR_FUNCTION, _local_hour, _unicode_lower

            self.conn = sqlite3.connect(parsed.database or "", isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "secure_delete=ON"):
                self.conn.execute(f"PRAGMA {pragma}")
            # The functions the app's connections have (the SQL may call them).
            self.conn.create_function("lower", 1, _unicode_lower, deterministic=True)
            self.conn.create_function(LOCAL_HOUR_FUNCTION, 2, _local_hour, deterministic=True)
        else:
            import psycopg

            self.conn = psycopg.connect(
                host=parsed.host or "127.0.0.1",
                port=parsed.port or 5432,
                user=parsed.username or "postgres",
                dbname=parsed.database or "postgres",
                autocommit=True,
                options=f"-csearch_path={schema}" if schema else "",
            )

    def cursor(self) -> Any:
        return self.conn.cursor()

    def read(self, statements: Sequence[Statement]) -> int:
        """Run the reads, fetching every row; the number of rows."""
        rows = 0
        cursor = self.conn.cursor()
        for s in statements:
            cursor.execute(s.sql, s.parameters)
            rows += len(cursor.fetchall())
        cursor.close()
        return rows

    def write(self, statements: Sequence[Statement]) -> None:
        """Run the writes in one transaction and commit."""
        cursor = self.conn.cursor()
        cursor.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        for s in statements:
            if s.many:
                cursor.executemany(s.sql, s.parameters)
            else:
                cursor.execute(s.sql, s.parameters)
        cursor.execute("COMMIT")
        cursor.close()

    def scalar(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        cursor = self.conn.cursor()
        cursor.execute(sql, parameters)
        row = cursor.fetchone()
        cursor.close()
        return row[0] if row else None

    def close(self) -> None:
        self.conn.close()


class FreshKeys:
    """Copies of captured writes with new keys: ``next(copies)`` is one replay's statements."""

    def __init__(self, statements: Sequence[Statement], keep: set[Any]) -> None:
        self.statements = list(statements)
        self.keep = keep
        self.counter = count(1)

    def __iter__(self) -> Iterator[list[Statement]]:
        return self

    def __next__(self) -> list[Statement]:
        mapping: dict[Any, Any] = {}
        n = next(self.counter)
        return [
            Statement(self._map_literals(s.sql, mapping), self._map(s.parameters, mapping, n), s.many)
            for s in self.statements
        ]

    def _map_literals(self, sql: str, mapping: dict[Any, Any]) -> str:
        """The SQL with each quoted UUID replaced as the same UUID in the parameters is."""

        def fresh(found: re.Match[str]) -> str:
            old = uuid.UUID(found.group(1))
            return f"'{old}'" if old in self.keep else f"'{mapping.setdefault(old, uuid.uuid4())}'"

        return _UUID_LITERAL.sub(fresh, sql)

    def _map(self, value: Any, mapping: dict[Any, Any], n: int) -> Any:
        if isinstance(value, dict):
            return {k: self._map(v, mapping, n) for k, v in value.items()}
        if isinstance(value, list):
            return [self._map(v, mapping, n) for v in value]
        if isinstance(value, tuple):
            return tuple(self._map(v, mapping, n) for v in value)
        if value in self.keep:
            return value
        if isinstance(value, uuid.UUID):
            return mapping.setdefault(value, uuid.uuid4())
        if isinstance(value, str):
            if _HEX_UUID.match(value):
                return mapping.setdefault(value, uuid.uuid4().hex)
            if _PLACEHOLDER.match(value):  # a reference written before its number (PostgreSQL)
                return mapping.setdefault(value, "~" + uuid.uuid4().hex[:19])
            match = _REFERENCE.match(value)
            if match:
                return mapping.setdefault(value, f"{match[1]}-{match[2]}-X{n:06d}{len(mapping) % 100:02d}")
        return value


def user_ids(raw: Raw) -> set[Any]:
    """Every user id in the driver's form (hex text on SQLite, UUIDs on PostgreSQL): kept as they are."""
    cursor = raw.cursor()
    cursor.execute("SELECT id FROM users")
    ids = {row[0] for row in cursor.fetchall()}
    cursor.close()
    return ids
