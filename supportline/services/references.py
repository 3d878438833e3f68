"""Human references (``SL-2026-000123``), allocated inside the saving transaction.

The counter row is bumped with an upsert, which holds its row lock until the transaction ends:
concurrent savers on PostgreSQL queue on it and each gets its own number; SQLite has one writer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from supportline.db.models import ReferenceCounter
from supportline.db.upsert import dialect_insert

CALL_PREFIX = "SL"
CASE_PREFIX = "CASE"


def _counter_upsert(session: Session, kind: str, year: int, value: int, on_conflict: Any) -> Any:
    """INSERT the counter row with ``value``, or UPDATE it to ``on_conflict``: one statement (an
    upsert; SQLite >= 3.35, PostgreSQL >= 9.5) whose row lock on PostgreSQL queues concurrent
    savers until this transaction ends."""
    insert = dialect_insert(session.get_bind().dialect.name)
    return (
        insert(ReferenceCounter)
        .values(kind=kind, year=year, value=value)
        .on_conflict_do_update(
            index_elements=[ReferenceCounter.kind, ReferenceCounter.year], set_={"value": on_conflict}
        )
    )


def allocate(session: Session, kind: str, year: int, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers for ``kind`` in ``year``; returns the first."""
    if count < 1:
        raise ValueError("count must be at least 1")
    upsert = _counter_upsert(session, kind, year, count, ReferenceCounter.value + count)
    last = session.execute(upsert.returning(ReferenceCounter.value)).scalar_one()
    return int(last) - count + 1


def reserve_up_to(session: Session, kind: str, year: int, number: int) -> None:
    """Make sure the next number :func:`allocate` gives for ``kind`` in ``year`` is above
    ``number`` (an imported reference keeps its number; new ones never collide with it)."""
    at_least = sql_case((ReferenceCounter.value < number, number), else_=ReferenceCounter.value)
    session.execute(_counter_upsert(session, kind, year, number, at_least))


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"
