"""Writing rows in bulk with Core, past the ORM: a new call's rows (:func:`insert_rows`) and an
import's chunks (:func:`bulk_insert`).

Both take rows as dicts keyed by column name (every row of a table with the same keys, in the
same order), apply each column's own bind processing (the UTC conversion of ``UTCDateTime``,
an enumeration's value, a UUID's form on SQLite) once per value, and send driver-level SQL
through the session's connection, so SQLAlchemy's error handling (an outage becomes
``DatabaseUnavailableError``), its events and the database's time limits apply as to any
statement. What they leave out is SQLAlchemy's per-row parameter handling, which was most of
an import's time in SQLAlchemy (docs/performance.md, "import").
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Dialect, Table, bindparam, insert
from sqlalchemy.orm import Session

#: At most this many values in one statement: PostgreSQL allows 65,535 parameters, and a
#: statement this big no longer saves a noticeable share of its time in round trips.
MAX_PARAMETERS = 20_000


def insert_rows(session: Session, tables: Sequence[tuple[Table, Sequence[dict[str, Any]]]]) -> None:
    """INSERT the rows of each table, parents before children, in the session's transaction:
    a few rows each (one call's).

    PostgreSQL: one statement, a round trip (the later tables' INSERTs are data-modifying CTEs of
    the first; foreign keys are checked at the end of the statement, when every row is in).
    SQLite (or more than ``MAX_PARAMETERS`` values): :func:`bulk_insert` per table (no network,
    and SQLite has no data-modifying CTEs).
    """
    wanted = [(table, list(rows)) for table, rows in tables if rows]
    if not wanted:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql" or sum(len(rows) * len(rows[0]) for _t, rows in wanted) > MAX_PARAMETERS:
        for table, rows in wanted:
            bulk_insert(session, table, rows)
        return
    shape = tuple((table, tuple(rows[0]), len(rows)) for table, rows in wanted)
    parameters = {
        f"p{t}_{r}_{c}": value
        for t, (_table, rows) in enumerate(wanted)
        for r, row in enumerate(rows)
        for c, value in enumerate(row.values())
    }
    sql, processors = _cte_statement(shape, dialect)
    for name, process in processors:
        parameters[name] = process(parameters[name])
    session.connection().exec_driver_sql(sql, parameters)


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` into ``table`` in the session's transaction: any number of rows.

    SQLite: one ``executemany`` of the processed rows. PostgreSQL: one ``INSERT … SELECT FROM
    unnest(…)`` of an array per column (psycopg's ``executemany`` sends a statement per row, and
    a multi-row ``VALUES`` of thousands of placeholders is parsed again by psycopg every time)."""
    if not rows:
        return
    names = tuple(rows[0])
    dialect = session.get_bind().dialect
    processed = [(i, process) for i, process in enumerate(_processors(table, names, dialect)) if process]
    values: list[tuple[Any, ...]] = []
    for row in rows:
        value = list(row.values())
        for i, process in processed:
            value[i] = process(value[i])
        values.append(tuple(value))
    connection = session.connection()
    if dialect.name != "postgresql":
        connection.exec_driver_sql(_values_statement(table, names, dialect), values)
        return
    columns = tuple(list(column) for column in zip(*values, strict=True))
    connection.exec_driver_sql(_unnest_statement(table, names, dialect), columns)


@functools.lru_cache(maxsize=256)
def _processors(table: Table, names: tuple[str, ...], dialect: Dialect) -> tuple[Any, ...]:
    return tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)


@functools.lru_cache(maxsize=256)
def _values_statement(table: Table, names: tuple[str, ...], dialect: Dialect) -> str:
    """SQLite: ``INSERT INTO t (a, b) VALUES (?, ?)``, for an ``executemany``."""
    quote = dialect.identifier_preparer.quote
    marks = ", ".join("?" for _ in names)
    return f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) VALUES ({marks})"  # noqa: S608


@functools.lru_cache(maxsize=256)
def _unnest_statement(table: Table, names: tuple[str, ...], dialect: Dialect) -> str:
    """PostgreSQL: ``INSERT INTO t (a, b) SELECT * FROM unnest(%s::uuid[], %s::text[])``: every
    row in one statement of one parameter per column (an array), short enough for psycopg to
    parse once and keep. Text is cast to ``text``, not to the column's ``varchar(n)``: an
    explicit cast would cut a long value short where the column's own assignment refuses it."""
    quote = dialect.identifier_preparer.quote
    arrays = ", ".join(f"%s::{_array_type(table.c[name].type.compile(dialect=dialect))}" for name in names)
    return (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays})"
    )


def _array_type(compiled: str) -> str:
    base = compiled.split("(")[0].strip().upper()
    if base in {"VARCHAR", "CHAR", "TEXT", "CHARACTER VARYING"}:
        return "text[]"
    if base in {"NUMERIC", "DECIMAL"}:
        raise TypeError(f"bulk_insert would round a {compiled} column")  # none today
    return f"{compiled}[]"


@functools.lru_cache(maxsize=256)
def _cte_statement(shape: tuple[tuple[Table, tuple[str, ...], int], ...], dialect: Dialect) -> Any:
    """The one INSERT of :func:`insert_rows` for rows of this shape (table, columns, how many),
    with named parameters ``p{table}_{row}_{column}``: the same statement for the same shape,
    compiled once (a multi-row ``values()`` of literal rows is compiled on every execution)."""
    inserts = [
        insert(table).values(
            [
                {name: bindparam(f"p{t}_{r}_{c}", type_=table.c[name].type) for c, name in enumerate(names)}
                for r in range(count)
            ]
        )
        for t, (table, names, count) in enumerate(shape)
    ]
    first, *rest = inserts
    statement = first.add_cte(*(statement.cte(f"insert_{n}") for n, statement in enumerate(rest)))
    processors: list[tuple[str, Any]] = []
    for t, (table, names, count) in enumerate(shape):
        for c, process in enumerate(_processors(table, names, dialect)):
            if process is not None:
                processors.extend((f"p{t}_{r}_{c}", process) for r in range(count))
    return str(statement.compile(dialect=dialect)), tuple(processors)
