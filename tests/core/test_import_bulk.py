"""The import's bulk path (issue 15): Core INSERTs a chunk at a time, the audit events chained
in one statement, the same rows a save writes. Both dialects; invented data only."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from supportline.db import Database
from supportline.db.models import AuditEvent, Base
from supportline.enums import FollowUpStatus
from supportline.exports.common import ExportFormat
from supportline.services import audit_chain, call_import, calls
from supportline.services.actor import Actor
from supportline.services.call_import import import_calls
from supportline.services.demo import generate_demo
from tests.core.test_import import DEMO_PASSWORD, export_file, read_csv, write_csv
from tests.factories import full_call, make_admin


def test_an_imported_calls_rows_fill_every_column_of_their_tables() -> None:
    """The Core rows name every column (a column added later cannot be left to chance)."""
    data = full_call(datetime(2026, 6, 14, 9, 30, tzinfo=UTC))
    done = dataclasses.replace(data.follow_ups[0], done_at=data.opened_at + timedelta(hours=1))
    data = dataclasses.replace(data, follow_ups=(done,))
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in calls.IMPORT_TABLES}
    handler, importer = uuid.uuid4(), uuid.uuid4()
    calls.import_rows(
        data, reference="SL-2026-000001", case_id=uuid.uuid4(), handler_id=handler,
        now=datetime.now(UTC), actor_id=importer, into=rows,
    )  # fmt: skip
    for name, table_rows in rows.items():
        columns = set(Base.metadata.tables[name].columns.keys())
        for row in table_rows:
            assert set(row) == columns, name
    assert rows["calls"] and rows["persons"] and rows["route_advice"] and rows["checklist_ticks"]
    follow_up = rows["follow_ups"][0]
    # As a save books a follow-up not stored yet: by the person importing, done at once.
    assert (follow_up["done_by_id"], follow_up["created_by_id"], follow_up["status"]) == (
        importer,
        importer,
        FollowUpStatus.DONE,
    )


def _import_counting(db: Database, actor: Actor, path: Path) -> tuple[call_import.ImportResult, int]:
    statements: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = import_calls(db, actor, path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return result, len(statements)


def test_statements_do_not_grow_with_the_calls_and_the_chain_holds(
    db: Database, other_db: Database, tmp_path: Path
) -> None:
    """60 calls take the statements 15 calls take (within one chunk): no statement per call. The
    audit trail is a sound chain afterwards, one call.import event per call in the file's order."""
    generate_demo(db, calls=60, password=DEMO_PASSWORD, seed=11, batch_size=60)
    from supportline.services import accounts

    exporter = accounts.authenticate(db, "demo-admin", DEMO_PASSWORD)
    whole = export_file(db, exporter, tmp_path / "all.csv", ExportFormat.CSV)
    rows = read_csv(whole)
    few = write_csv(tmp_path / "few.csv", rows[:16])
    target = make_admin(other_db)
    small, small_statements = _import_counting(other_db, target, few)
    assert small.imported == 15
    # The rest, into the same database: calls and users already there are looked up, not written.
    rest = write_csv(tmp_path / "rest.csv", [rows[0], *rows[16:]])
    large, large_statements = _import_counting(other_db, target, rest)
    assert large.imported == 45
    assert large_statements <= small_statements + 3, (small_statements, large_statements)

    report = audit_chain.verify(other_db)
    assert report.ok, report.broken
    with other_db.read() as session:
        imported = session.scalars(
            select(AuditEvent.record_id).where(AuditEvent.action == "call.import").order_by(AuditEvent.id)
        ).all()
    assert imported == [r[0] for r in rows[1:]]  # the file's order is the chain's
