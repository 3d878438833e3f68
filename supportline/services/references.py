"""Human references (``SL-2026-000123``), allocated inside the saving transaction.

The counter row is bumped with an upsert, which holds its row lock until the transaction ends:
concurrent savers on PostgreSQL queue on it and each gets its own number; SQLite has one writer.
Because every new call's save waits for that lock, on PostgreSQL ``save_call`` takes it as late
as it can: the call and its new case are inserted with a :func:`placeholder` reference and
:func:`number_new_call` numbers both in one statement just before the audit event and the
commit (docs/performance.md, "Many workstations at once").
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import text
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


_NUMBER_NEW_CALL = """
WITH counters AS (
    INSERT INTO reference_counters AS counter (kind, year, value)
    VALUES {rows}
    ON CONFLICT (kind, year) DO UPDATE SET value = counter.value + 1
    RETURNING kind, value
), numbered AS (
    SELECT kind, kind || '-' || CAST(:year AS text) || '-'
        || CASE WHEN value < 1000000 THEN lpad(CAST(value AS text), 6, '0') ELSE CAST(value AS text) END
        AS reference
    FROM counters
), new_case AS (
    UPDATE cases SET reference = numbered.reference FROM numbered
    WHERE numbered.kind = :case_kind AND cases.id = :case_id
    RETURNING cases.reference
)
UPDATE calls SET reference = numbered.reference FROM numbered
WHERE numbered.kind = :call_kind AND calls.id = :call_id
RETURNING calls.reference AS call_reference, (SELECT reference FROM new_case) AS case_reference
"""


def number_new_call(
    session: Session, year: int, call_id: uuid.UUID, new_case_id: uuid.UUID | None
) -> tuple[str, str | None]:
    """PostgreSQL: give the call ``call_id`` (and its case ``new_case_id``, created in this
    transaction) their references, written over their placeholders; one statement, which
    takes the counters' row locks (call's first, as :func:`allocate` callers do). Returns the
    call's reference and the new case's (None without one). Formats as :func:`format_reference`."""
    rows = "(:call_kind, :year, 1)" + (", (:case_kind, :year, 1)" if new_case_id is not None else "")
    row = session.execute(
        text(_NUMBER_NEW_CALL.format(rows=rows)),
        {
            "year": year,
            "call_kind": CALL_PREFIX,
            "case_kind": CASE_PREFIX,
            "call_id": call_id,
            "case_id": new_case_id or uuid.UUID(int=0),
        },
    ).one()
    call_reference, case_reference = row
    if new_case_id is not None and case_reference is None:
        raise RuntimeError(f"the new case {new_case_id} of call {call_id} was not numbered")
    return str(call_reference), None if case_reference is None else str(case_reference)
