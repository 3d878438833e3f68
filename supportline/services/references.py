"""Human references (``SL-2026-000123``), allocated inside the saving transaction.

The counter row is bumped with an upsert, which holds its row lock until the transaction ends:
concurrent savers on PostgreSQL queue on it and each gets its own number; SQLite has one writer.
Because every new call's save waits for that lock, on PostgreSQL ``save_call`` takes it as late
as it can: the call and its new case are inserted with a :func:`placeholder` reference and
:func:`number_new_call_sql` numbers both in one statement just before the audit event and the
commit (docs/performance.md, "Issue 13: load").
"""

from __future__ import annotations

import uuid
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


def placeholder(row_id: uuid.UUID) -> str:
    """A reference for a row whose number comes later in the same transaction: unique (it is
    the row's id), never committed, and no ``PREFIX-YEAR-NUMBER`` a person could see."""
    return "~" + row_id.hex[:19]


def number_new_call_sql(year: int, call_id: uuid.UUID, new_case_id: uuid.UUID | None) -> str:
    """PostgreSQL: the statement that numbers the call ``call_id`` (and its case ``new_case_id``,
    created in the same transaction), written over their placeholders: the counters' upsert
    (the call's first, as :func:`allocate` callers take them) and both references in one
    statement, formatted as :func:`format_reference`. Its row: the call's reference and the new
    case's (NULL without one). Literal SQL (an integer, UUIDs and this module's prefixes) so that
    it can go in one query with the audit chain's lock (``audit_chain.run_then_hold``)."""
    year, call = int(year), uuid.UUID(str(call_id))
    case = uuid.UUID(str(new_case_id)) if new_case_id is not None else uuid.UUID(int=0)
    rows = f"('{CALL_PREFIX}', {year}, 1)" + (f", ('{CASE_PREFIX}', {year}, 1)" if new_case_id else "")
    return f"""WITH counters AS (
    INSERT INTO reference_counters AS counter (kind, year, value)
    VALUES {rows}
    ON CONFLICT (kind, year) DO UPDATE SET value = counter.value + 1
    RETURNING kind, value
), numbered AS (
    SELECT kind, kind || '-{year}-'
        || CASE WHEN value < 1000000 THEN lpad(CAST(value AS text), 6, '0') ELSE CAST(value AS text) END
        AS reference
    FROM counters
), new_case AS (
    UPDATE cases SET reference = numbered.reference FROM numbered
    WHERE numbered.kind = '{CASE_PREFIX}' AND cases.id = '{case}'
    RETURNING cases.reference
)
UPDATE calls SET reference = numbered.reference FROM numbered
WHERE numbered.kind = '{CALL_PREFIX}' AND calls.id = '{call}'
RETURNING calls.reference AS call_reference, (SELECT reference FROM new_case) AS case_reference"""  # noqa: S608
