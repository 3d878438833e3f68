"""Human references (``SL-2026-000123``), allocated inside the saving transaction.

The counter row is bumped with an UPDATE, which holds its row lock until the transaction ends:
concurrent savers on PostgreSQL queue on it and each gets its own number; SQLite has one writer.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from supportline.db.models import ReferenceCounter

CALL_PREFIX = "SL"
CASE_PREFIX = "CASE"


def allocate(session: Session, kind: str, year: int, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers for ``kind`` in ``year``; returns the first."""
    if count < 1:
        raise ValueError("count must be at least 1")
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(ReferenceCounter).values(kind=kind, year=year, value=0).on_conflict_do_nothing())
    where = (ReferenceCounter.kind == kind) & (ReferenceCounter.year == year)
    session.execute(update(ReferenceCounter).where(where).values(value=ReferenceCounter.value + count))
    last = session.scalars(select(ReferenceCounter.value).where(where)).one()
    return last - count + 1


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"
