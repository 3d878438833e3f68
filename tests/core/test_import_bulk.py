"""The import's bulk path (issue 15): Core INSERTs a chunk at a time, the audit events chained
in one statement, the same rows a save writes. Both dialects; invented data only."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from supportline.db import Database
from supportline.db.models import AuditEvent, Base, Call, Case, FollowUp, Person, User
from supportline.enums import FollowUpStatus, Role
from supportline.exports.common import ExportFormat
from supportline.services import accounts, audit_chain, call_import, calls, followups
from supportline.services.actor import Actor
from supportline.services.call_import import import_calls
from supportline.services.call_types import FollowUpData
from supportline.services.demo import generate_demo
from tests.core.test_import import DEMO_PASSWORD, export_file, read_csv, write_csv
from tests.factories import full_call, make_admin, make_user


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


def _stored_rows(db: Database, call_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table an import writes for one call, every column, in a stable order
    (a route's rows keyed by its route: its id is new on each save)."""
    tables = Base.metadata.tables
    out: dict[str, list[dict[str, Any]]] = {}
    with db.engine.connect() as conn:

        def rows(name: str, where: Any, *order: Any) -> list[dict[str, Any]]:
            table = tables[name]
            return [dict(r._mapping) for r in conn.execute(select(table).where(where).order_by(*order))]

        calls_t, persons, routes = tables["calls"], tables["persons"], tables["route_advice"]
        out["calls"] = rows("calls", calls_t.c.id == call_id)
        for name in ("call_exploitation_types", "call_indicators", "call_outcomes"):
            t = tables[name]
            out[name] = rows(name, t.c.call_id == call_id, t.c.value)
        out["persons"] = rows("persons", persons.c.call_id == call_id, persons.c.position)
        person_ids = select(persons.c.id).where(persons.c.call_id == call_id).scalar_subquery()
        for name in ("person_nationalities", "person_languages"):
            t = tables[name]
            out[name] = rows(name, t.c.person_id.in_(person_ids), t.c.person_id, t.c.position)
        out["route_advice"] = rows("route_advice", routes.c.call_id == call_id, routes.c.position)
        route_of = {r["id"]: r["route"] for r in out["route_advice"]}
        ticks = tables["checklist_ticks"]
        out["checklist_ticks"] = rows(
            "checklist_ticks",
            ticks.c.route_advice_id.in_(list(route_of)),
            ticks.c.route_advice_id,
            ticks.c.position,
        )
        for tick in out["checklist_ticks"]:
            tick["route_advice_id"] = route_of[tick["route_advice_id"]]
        out["checklist_ticks"].sort(key=lambda t: (t["route_advice_id"], t["position"]))
        for route in out["route_advice"]:
            route["id"] = route["route"]
        for name in ("referrals", "follow_ups"):
            t = tables[name]
            out[name] = rows(name, t.c.call_id == call_id, t.c.position)
    return out


def _as_written_by(
    rows: dict[str, list[dict[str, Any]]], actor: uuid.UUID, since: datetime
) -> dict[str, list[dict[str, Any]]]:
    """``rows`` with what only says who wrote them and when (the actor's id, the time of the
    writing, a save's idempotency key) named rather than given; the times checked first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, table_rows in rows.items():
        out[name] = []
        for row in table_rows:
            row = dict(row)
            for column in ("created_at", "updated_at"):
                if column in row:
                    assert row[column] >= since, (name, column)
                    row[column] = "<when written>"
            for column, value in row.items():
                if value == actor:
                    row[column] = "<actor>"
            if name == "calls":
                row["last_save_id"] = "<save key>" if row["last_save_id"] is not None else None
            out[name].append(row)
    return out


def test_the_rows_an_import_writes_are_the_rows_a_save_writes(
    db: Database, other_db: Database, tmp_path: Path
) -> None:
    """Column for column, in every table, on the database itself: a call saved through the ORM
    in one database and the same call imported by the bulk path into another, with one follow-up
    open and one done at once (the columns of migration 0009 included). Only who wrote them and
    when differ, and the save's idempotency key, which an import has no use for."""
    since = datetime.now(UTC) - timedelta(seconds=1)
    saver = make_admin(db)
    data = full_call(datetime(2026, 6, 14, 9, 30, tzinfo=UTC))
    open_one = data.follow_ups[0]
    done_one = FollowUpData(
        due_at=data.opened_at + timedelta(hours=2),
        note="Checked the hostel has a bed",
        assignee_id=make_user(db, saver, "sam.adviser", Role.ADVISER).user_id,
        done_at=data.opened_at + timedelta(hours=3),
    )
    data = dataclasses.replace(data, follow_ups=(open_one, done_one))
    saved = calls.save_call(db, saver, data)
    path = export_file(db, saver, tmp_path / "one.csv", ExportFormat.CSV)

    importer = make_admin(other_db, "ian.importer")
    assert import_calls(other_db, importer, path).imported == 1

    written = _as_written_by(_stored_rows(other_db, saved.data.id), importer.user_id, since)
    expected = _as_written_by(_stored_rows(db, saved.data.id), saver.user_id, since)
    # The save's handler is the person saving; the import keeps the file's handler (a placeholder).
    assert written["calls"][0]["handler_id"] == saver.user_id
    written["calls"][0]["handler_id"] = "<actor>"
    expected["calls"][0]["last_save_id"] = None
    assert written == expected
    follow_ups = written["follow_ups"]
    assert [(f["status"], f["done_by_id"], f["version"]) for f in follow_ups] == [
        (FollowUpStatus.OPEN, None, 1),
        (FollowUpStatus.DONE, "<actor>", 1),
    ]

    # The follow-ups service takes an imported follow-up up like any other (its version counter).
    done = followups.complete_follow_up(
        other_db, importer, open_one.id, expected_version=1, outcome="Spoke to the DS"
    )
    assert done.status is FollowUpStatus.DONE


def test_a_problem_in_a_late_chunk_undoes_the_chunks_written_before_it(
    db: Database, other_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing with chunks written as they pass: ten calls in chunks of three, the tenth's
    reference already taken in the target (only the database can say so, in the last chunk).
    The nine written before are rolled back with their cases, placeholders and audit events;
    the refusal is audited and the chain still verifies."""
    monkeypatch.setattr(call_import, "CHUNK", 3)
    generate_demo(db, calls=10, password=DEMO_PASSWORD, seed=23, batch_size=10)
    exporter = accounts.authenticate(db, "demo-admin", DEMO_PASSWORD)
    rows = read_csv(export_file(db, exporter, tmp_path / "all.csv", ExportFormat.CSV))
    assert len(rows) == 11
    target = make_admin(other_db)
    reference_at = rows[0].index("reference")
    taken = full_call(datetime(2026, 1, 5, 10, 0, tzinfo=UTC), follow_ups=())
    taken_record = calls.save_call(other_db, target, taken)
    assert all(row[reference_at] != "SL-2019-000777" for row in rows)
    with other_db.write() as session:  # references no call or case in the file has (another system's)
        session.execute(
            update(Call).where(Call.id == taken_record.data.id).values(reference="SL-2019-000777")
        )
        session.execute(
            update(Case).where(Case.id == taken_record.data.case_id).values(reference="CASE-2019-000777")
        )
    rows[10][reference_at] = "SL-2019-000777"
    path = write_csv(tmp_path / "clash.csv", rows)

    models = (Call, Case, User, FollowUp, Person, AuditEvent)

    def counts() -> list[int]:
        with other_db.read() as session:
            return [session.scalar(select(func.count()).select_from(m)) or 0 for m in models]

    before = counts()
    statements: list[str] = []

    def note(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO CALLS "):
            statements.append(statement)

    event.listen(other_db.engine, "before_cursor_execute", note)
    try:
        with pytest.raises(call_import.ImportRefusedError) as refused:
            import_calls(other_db, target, path)
    finally:
        event.remove(other_db.engine, "before_cursor_execute", note)
    assert [(p.line, p.column, p.message) for p in refused.value.problems] == [
        (11, "reference", "is another call's reference in this database")
    ]
    assert len(statements) == 3  # three chunks of calls were written before the fourth was refused
    after = counts()
    assert after[:-1] == before[:-1]  # no call, case, placeholder, follow-up or person stayed
    assert after[-1] == before[-1] + 1  # the refusal's own event
    with other_db.read() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert (last.action, last.outcome) == ("calls.import", "refused")
        assert session.scalar(select(func.count()).where(AuditEvent.action == "call.import")) == 0
    report = audit_chain.verify(other_db)
    assert report.ok, report.broken
