"""The save benchmark's baseline (``bench.capture``) replays every row a new call's save
writes, on both dialects: on PostgreSQL the save is one ``WITH`` of data-modifying CTEs plus a
query of several statements (notification, numbering, the chain's lock), and a baseline that
took them for reads replayed the audit row alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bench.capture import FreshKeys, Raw, Recorder, user_ids, writes
from supportline.db import Database
from supportline.db.models import Base, Call
from supportline.enums import Role
from supportline.services.calls import save_call
from tests.conftest import PG_URL
from tests.factories import full_call, make_admin, make_user


def _counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


def _raw(db: Database) -> Raw:
    if db.engine.dialect.name == "sqlite":
        return Raw(str(db.engine.url))
    with db.engine.connect() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
    return Raw(PG_URL, schema=schema)


def test_a_replay_writes_the_same_rows_as_the_save(db: Database) -> None:
    adviser = make_user(db, make_admin(db), "ada.adviser", Role.ADVISER)
    save_call(db, adviser, full_call())  # a first save warms the caches (and makes the counters)
    before = _counts(db)
    recorder = Recorder(db.engine)
    record, captured = recorder.capture(lambda: save_call(db, adviser, full_call()))
    recorder.close()
    saved = _counts(db)
    grew = {name: saved[name] - before[name] for name in saved if saved[name] != before[name]}
    assert grew["calls"] == 1 and grew["audit_events"] == 1 and grew["persons"] >= 1

    raw = _raw(db)
    try:
        replays = FreshKeys(writes(captured), keep=user_ids(raw))
        raw.write(next(replays))
        raw.write(next(replays))
    finally:
        raw.close()
    after = _counts(db)
    # Each replay adds what the save added, table by table, as new rows.
    assert {name: after[name] - saved[name] for name in after if after[name] != saved[name]} == {
        name: 2 * n for name, n in grew.items()
    }
    # The replayed calls were numbered, as the save's was: no placeholder reference is left.
    with db.read() as session:
        references = session.scalars(select(Call.reference)).all()
    assert len(set(references)) == len(references) and not any(r.startswith("~") for r in references)
    assert record.reference in references


def test_writes_keep_only_the_parts_that_change_rows() -> None:
    from bench.capture import Statement

    query = Statement(
        "SELECT pg_notify('c', 'x');\nWITH counters AS (INSERT INTO reference_counters VALUES (1))"
        " UPDATE calls SET reference = 'a' WHERE id = 'b';\nSELECT pg_advisory_xact_lock(1, 2);\n"
        "SELECT event_hash FROM audit_events ORDER BY id DESC LIMIT 1",
        {},
        False,
    )
    insert: Any = Statement(
        "WITH insert_0 AS (INSERT INTO calls (id) VALUES (%(p0_0_0)s)) SELECT 1", {"p0_0_0": 1}, False
    )
    read = Statement("WITH x AS (SELECT 1) SELECT * FROM x", {}, False)
    found = writes([read, insert, query])
    assert [s.sql[:30] for s in found] == [insert.sql[:30], "WITH counters AS (INSERT INTO "]
    assert read.is_read and not insert.is_read and not query.is_read
