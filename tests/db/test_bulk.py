"""``supportline.db.bulk``: rows written past the ORM keep every column's own conversion (UTC
times, enumerations, UUIDs, odd text) on both dialects, a value too long is refused, not cut
short, and a failure leaves the session's transaction to roll back as any statement's would.

Every name here is invented.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError

from supportline.db import Database
from supportline.db.bulk import bulk_insert, insert_rows
from supportline.db.models import Base, Call, CallIndicator, Case
from supportline.enums import Indicator
from supportline.services.calls import save_call
from tests.factories import full_call, make_admin

ODD = "Zoë Ærøskøbing 👩🏽‍⚕️ Дарья مرحبا e\u0301 =SUM(A1) '; DROP TABLE cases; -- %s %(x)s ?"
TABLES = Base.metadata.tables


def _case(actor_id: uuid.UUID, n: int, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": uuid.uuid4(),
        "reference": f"CASE-2031-{n:06d}",
        "title": f"{ODD} {n}",
        # Not UTC: stored as the same instant.
        "created_at": datetime(2031, 3, 30, 1, 30, tzinfo=timezone(timedelta(hours=5, minutes=45))),
        "created_by_id": actor_id,
        "is_demo": n % 2 == 0,
        "version": 1,
    }
    row.update(changes)
    return row


def _not_on(indicators: object, n: int) -> list[Indicator]:
    return [i for i in Indicator if i not in indicators][:n]  # type: ignore[operator]


def test_rows_keep_their_columns_conversions(db: Database) -> None:
    admin = make_admin(db)
    call = save_call(db, admin, full_call())
    cases = [_case(admin.user_id, n) for n in range(2500)]
    with db.write() as session:
        bulk_insert(session, TABLES["cases"], cases)
        bulk_insert(
            session,
            TABLES["call_indicators"],
            [{"call_id": call.data.id, "value": v} for v in _not_on(call.data.indicators, 2)],
        )
    with db.read() as session:
        stored = {c.id: c for c in session.scalars(select(Case).where(Case.reference.like("CASE-2031-%")))}
        indicators = set(
            session.scalars(select(CallIndicator.value).where(CallIndicator.call_id == call.data.id))
        )
    assert len(stored) == 2500
    for row in cases[:3] + cases[-3:]:
        case = stored[row["id"]]  # type: ignore[index]
        assert (case.reference, case.title, case.is_demo) == (row["reference"], row["title"], row["is_demo"])
        assert (
            case.created_at == datetime(2031, 3, 29, 19, 45, tzinfo=UTC)
            and case.created_at.tzinfo is not None
        )
    assert indicators == set(call.data.indicators) | set(_not_on(call.data.indicators, 2))


def test_a_failed_bulk_insert_leaves_nothing(db: Database) -> None:
    admin = make_admin(db)
    rows = [_case(admin.user_id, 1), _case(admin.user_id, 1)]  # the same reference twice

    def both() -> None:
        with db.write() as session:
            bulk_insert(session, TABLES["cases"], rows[:1])
            bulk_insert(session, TABLES["cases"], rows[1:])

    with pytest.raises(DBAPIError):
        both()
    with db.read() as session:
        assert session.scalars(select(Case.id).where(Case.reference == "CASE-2031-000001")).all() == []


def test_insert_rows_writes_parents_and_children_in_one_go(db: Database) -> None:
    admin = make_admin(db)
    data = full_call()
    saved = save_call(db, admin, data)
    case = _case(admin.user_id, 7)
    (extra,) = _not_on(saved.data.indicators, 1)
    with db.write() as session:
        insert_rows(
            session,
            [
                (TABLES["cases"], [case]),
                (TABLES["call_indicators"], [{"call_id": saved.data.id, "value": extra}]),
                (TABLES["call_outcomes"], []),
            ],
        )
    with db.read() as session:
        assert session.get(Case, case["id"]) is not None
        assert session.get(Call, saved.data.id) is not None
        assert (
            Indicator.DEBT_BONDAGE
            in session.scalars(
                select(CallIndicator.value).where(CallIndicator.call_id == saved.data.id)
            ).all()
        )


@pytest.mark.postgres
def test_a_value_too_long_is_refused_not_cut_short(pg_db: Database) -> None:
    """PostgreSQL: text goes in as ``text[]`` and the column's own ``varchar(n)`` refuses what
    does not fit (an explicit cast to ``varchar(n)`` would have cut it short without a word)."""
    admin = make_admin(pg_db)
    too_long = _case(admin.user_id, 9, title="x" * 5000)
    with pytest.raises(DBAPIError, match="too long"), pg_db.write() as session:
        bulk_insert(session, TABLES["cases"], [too_long])
    with pg_db.read() as session:
        assert session.get(Case, too_long["id"]) is None


def test_values_are_stored_exactly_as_sqlalchemys_own_insert_stores_them(db: Database) -> None:
    """Byte for byte, read back raw: on SQLite a time is text, and a time stored as
    ``2031-03-29 19:45:00`` (sqlite3's own adapter) instead of ``2031-03-29 19:45:00.000000``
    (the column type's) sorts and compares wrongly against every other row's, so range filters
    and figures miscount at the edges (the first version of this module did that)."""
    admin = make_admin(db)
    ours, theirs = _case(admin.user_id, 11, is_demo=True), _case(admin.user_id, 12, is_demo=True)
    with db.write() as session:
        bulk_insert(session, TABLES["cases"], [ours])
        session.execute(insert(TABLES["cases"]), [theirs])
    query = (
        "SELECT reference, title, created_at, created_by_id, is_demo, version FROM cases"
        " WHERE reference IN ('CASE-2031-000011', 'CASE-2031-000012') ORDER BY reference"
    )
    with db.engine.connect() as conn:
        first, second = conn.exec_driver_sql(query).all()
    assert first[2:] == second[2:] and first[1][:-2] == second[1][:-2]
