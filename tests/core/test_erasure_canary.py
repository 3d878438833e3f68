"""The canary: a call whose every text field holds a unique marker is created, viewed, searched,
exported, then erased. The marker is in no log file at any point (also after forced errors), and
after the erasure in no table, not in the full-text index, and (SQLite) not in the bytes of the
database file or its WAL."""

from __future__ import annotations

import logging
import random
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from supportline import bootstrap
from supportline.db import Database
from supportline.enums import ChecklistState, DutyRole, ReferralTarget, Role, Route
from supportline.exports import service as exports
from supportline.services import drafts, erasure, followups, rota
from supportline.services.call_types import (
    Caller,
    CallQuery,
    ChecklistEntry,
    FollowUpData,
    PersonData,
    ReferralData,
    RouteData,
)
from supportline.services.calls import get_call, list_calls, save_call
from supportline.services.errors import ValidationError
from tests.factories import full_call, make_admin, make_user


@pytest.fixture
def log_dir() -> Iterator[Path]:
    """The app's own log file, at DEBUG so that anything any module logs would be caught."""
    root = logging.getLogger()

    def drop() -> None:
        for handler in list(root.handlers):
            if isinstance(handler, logging.FileHandler):
                root.removeHandler(handler)
                handler.close()

    drop()
    level = root.level
    env = bootstrap.load_environment()
    log_file = bootstrap.configure_logging(env.paths, logging.DEBUG, retention_days=90)
    yield log_file.parent
    drop()
    root.setLevel(level)


class Canary:
    def __init__(self) -> None:
        self.word = f"Canary{uuid.uuid4().hex[:16]}"
        self.digits = f"7700900{random.randint(500, 999)}"  # Ofcom's drama range
        self.phone = f"0{self.digits[:4]} {self.digits[4:]}"

    def needles(self) -> list[bytes]:
        # FTS5 prefix-compresses terms: the end of the word is what any copy of it contains.
        return [self.word.lower()[-12:].encode(), self.digits.encode()]

    def found_in(self, data: bytes | str) -> list[bytes]:
        raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
        raw = raw.lower()
        return [n for n in self.needles() if n in raw]


def canary_call(c: Canary, opened: datetime):
    w = c.word
    return full_call(
        opened_at=opened,
        caller=Caller(
            name=f"{w} name",
            agency_type="police",
            rank=f"{w} rank",
            organisation=f"{w} org",  # type: ignore[arg-type]
            collar_number=f"{w}-collar",
            phone=c.phone,
            email=f"{w.lower()}@example.org",
        ),
        summary=f"{w} summary",
        narrative=f"{w} narrative " + "padding " * 600,  # long enough for an overflow page
        force_area=f"{w} force",
        persons=(
            PersonData(age_group="adult", sex="female", name=f"{w} person", notes=f"{w} notes"),  # type: ignore[arg-type]
        ),
        routes=(
            RouteData(
                route=Route.VICTIM,
                suggested=True,
                suggestion_reasons=(f"{w} reason",),
                template_id="victim-adult",
                advice_summary=f"{w} advice",
                checklist=(
                    ChecklistEntry(
                        "safety", ChecklistState.SKIPPED, opened + timedelta(minutes=2), f"{w} skip"
                    ),
                ),
            ),
        ),
        referrals=(
            ReferralData(
                target=ReferralTarget.POLICE, organisation=f"{w} agency", reference=f"{w}-ref", notes=f"{w} n"
            ),
        ),
        follow_ups=(FollowUpData(due_at=opened + timedelta(days=1), note=f"{w} follow-up"),),
    )


def logs_clean(log_dir: Path, c: Canary, when: str) -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
    files = [p for p in log_dir.iterdir() if p.is_file()]
    assert files, "the log file exists"
    for path in files:
        assert not c.found_in(path.read_bytes()), f"{when}: the canary is in {path.name}"


def tables_clean(db: Database, c: Canary) -> None:
    with db.engine.connect() as conn:
        if db.is_sqlite:
            names = [
                r[0]
                for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
                if r[0] != "calls_fts"  # the virtual table reads ``calls``; its shadow tables are checked
            ]
        else:
            names = inspect(conn).get_table_names()
        assert "calls" in names
        for name in names:
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):  # noqa: S608  (names from the catalogue)
                for value in row:
                    data = value if isinstance(value, bytes | memoryview) else str(value)
                    found = c.found_in(bytes(data) if isinstance(data, memoryview) else data)
                    assert not found, f"the canary is in table {name}"


def forced_errors(db: Database, admin, c: Canary) -> None:
    log = logging.getLogger("supportline.test.canary")
    try:
        datetime.fromisoformat(c.word)  # Python puts the bad value in the message
    except ValueError:
        log.exception("reading a date failed")
    try:
        save_call(
            db, admin, full_call(caller=Caller(name=c.word, agency_type="police", email=f"{c.word} not mail"))
        )  # type: ignore[arg-type]
    except ValidationError:
        log.exception("saving a call failed")
    try:
        with db.write() as session:  # a duplicate key, with the canary among the parameters
            session.execute(
                text("INSERT INTO reference_counters (kind, year, value) VALUES (:k, 1, 0), (:k, 1, 0)"),
                {"k": c.word[:10]},
            )
    except IntegrityError:
        log.exception("database error")
    try:
        raise RuntimeError(f"unexpected: {c.word} {c.phone}")
    except RuntimeError:
        log.critical("unhandled", exc_info=True)
    log.warning("%s", "a warning with no data")


def test_the_canary_leaves_no_trace(db: Database, log_dir: Path, tmp_path: Path) -> None:
    c = Canary()
    admin = make_admin(db)
    first = make_user(db, admin, "sam.first", Role.SUPERVISOR)
    second = make_user(db, admin, "kim.second", Role.SUPERVISOR)
    opened = datetime.now(UTC) - timedelta(hours=3)

    call = save_call(db, admin, canary_call(c, opened))  # collection
    # Issue 14: what becomes of a follow-up, and a hand-off's note, are the call's data too.
    now = datetime.now(UTC)
    rota.add_shift(
        db,
        first,
        Route.LEGAL,
        DutyRole.DUTY,
        admin.user_id,
        now - timedelta(hours=1),
        now + timedelta(hours=1),
    )
    [booked] = followups.for_call(db, admin, call.id)
    snoozed = followups.snooze_follow_up(
        db, admin, booked.id, expected_version=booked.version, until=now + timedelta(hours=1),
        reason=f"{c.word} snoozed",
    )  # fmt: skip
    followups.complete_follow_up(
        db, admin, booked.id, expected_version=snoozed.version, outcome=f"{c.word} done"
    )
    followups.hand_to_duty_adviser(db, admin, call.id, Route.LEGAL, note=f"{c.word} handed")
    for title in ("draft", "draft, autosaved again"):
        drafts.save_draft(
            db, admin, draft_id=uuid.UUID(int=7), call_id=call.id, is_edit=True, title=title,
            payload={"narrative": f"{c.word} typed {title}", "phone": c.phone},
        )  # fmt: skip
    logs_clean(log_dir, c, "after saving")
    assert get_call(db, admin, call.id).data.caller.name == f"{c.word} name"  # consultation
    found = list_calls(db, admin, CallQuery(text=c.word)).rows
    assert [r.id for r in found] == [call.id]
    assert [r.id for r in list_calls(db, admin, CallQuery(text=c.phone)).rows] == [call.id]
    logs_clean(log_dir, c, "after viewing and searching")
    out = tmp_path / "export.csv"
    exports.export(
        db, first, format="csv", query=CallQuery(), profile="full", path=out, purpose="Canary check"
    )
    assert c.word in out.read_text(encoding="utf-8")  # the export is the one place it must be
    logs_clean(log_dir, c, "after exporting")
    forced_errors(db, admin, c)
    logs_clean(log_dir, c, "after forced errors")

    request = erasure.request_erasure(db, first, "call", call.reference, "Recorded in error")
    result = erasure.approve_erasure(db, second, request.id)
    logs_clean(log_dir, c, "after erasing")

    if db.is_sqlite:
        # While the app still has the database open (its WAL in use), then after it closed it.
        path = Path(str(db.url.database))
        wal = path.with_name(path.name + "-wal")
        assert wal.exists()
        for file in (path, wal):
            assert not c.found_in(file.read_bytes()), f"the canary is in the bytes of {file.name}"
    assert list_calls(db, admin, CallQuery(text=c.word)).rows == ()
    tables_clean(db, c)
    if db.is_sqlite:
        assert result.scrub == erasure.ScrubResult(search_index_optimised=True, wal_truncated=True)
        db.dispose()  # nothing held open: the file is as a copy or a backup would see it
        con = sqlite3.connect(path)
        try:
            blocks = b"".join(bytes(r[0]) for r in con.execute("SELECT block FROM calls_fts_data"))
        finally:
            con.close()
        assert not c.found_in(blocks), "the canary is in the FTS5 index"
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                assert not c.found_in(file.read_bytes()), f"the canary is in the bytes of {file.name}"
