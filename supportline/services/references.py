"""Human references (``SL-2026-000123``), allocated inside the saving transaction.

The counter row is bumped with an upsert, which holds its row lock until the transaction ends:
concurrent savers on PostgreSQL queue on it and each gets its own number; SQLite has one writer.
"""

from __future__ import annotations

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
    # One statement (an upsert returning the new value; SQLite >= 3.35, PostgreSQL >= 9.5): the row
    # lock it takes on PostgreSQL queues concurrent savers until this transaction ends.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    upsert = (
        insert(ReferenceCounter)
        .values(kind=kind, year=year, value=count)
        .on_conflict_do_update(
            index_elements=[ReferenceCounter.kind, ReferenceCounter.year],
            set_={"value": ReferenceCounter.value + count},
        )
        .returning(ReferenceCounter.value)
    )
    last = session.execute(upsert).scalar_one()
    return int(last) - count + 1


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"
