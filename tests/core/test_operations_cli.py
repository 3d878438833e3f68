"""``supportline followups due``, ``rota show`` and ``handover list|show|pdf`` (issue 14), run
in-process against the per-test SUPPORTLINE_HOME: output, exit codes, refusals, the audit.
Every person is invented."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from supportline.db import Database
from supportline.db.models import AuditEvent
from supportline.enums import DutyRole, Role, Route
from supportline.services import calls, followups, handover, rota
from supportline.services.actor import Actor
from tests.conftest import IN_CI, Run
from tests.factories import PASSWORD, full_call, make_admin, make_user, without_advice

STDIN = f"{PASSWORD}\n"


@dataclass
class World:
    db: Database
    admin: Actor
    supervisor: Actor
    operator: Actor
    khan: Actor
    reference: str
    call_id: uuid.UUID


@pytest.fixture
def world(cli_db: Database) -> World:
    db = cli_db
    admin = make_admin(db)
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    khan = make_user(db, admin, "aisha.khan", Role.ADVISER)
    call = calls.save_call(
        db,
        operator,
        without_advice(full_call(id=uuid.uuid4(), persons=(), closed_at=None, status="open", follow_ups=())),
    )
    return World(db, admin, supervisor, operator, khan, call.reference, call.id)


def _as(user: str) -> tuple[str, ...]:
    return ("--user", user, "--password-stdin")


def test_followups_due_as_a_table_and_as_json(run: Run, world: World) -> None:
    w = world
    now = datetime.now(UTC)
    earlier = now - timedelta(hours=2)
    followups.book_follow_up(
        w.db, w.operator, w.call_id, now - timedelta(hours=1), now=earlier, note="Overdue callback"
    )
    followups.book_follow_up(w.db, w.operator, w.call_id, now + timedelta(hours=1), note="Soon | with a pipe")
    followups.book_follow_up(w.db, w.operator, w.call_id, now + timedelta(hours=10), note="Tonight",
                             assignee_route=Route.LEGAL)  # fmt: skip
    rota.add_shift(w.db, w.supervisor, Route.LEGAL, DutyRole.DUTY, w.khan.user_id, now - timedelta(hours=1),
                   now + timedelta(hours=12))  # fmt: skip
    followups.hand_to_duty_adviser(w.db, w.operator, w.call_id, Route.LEGAL, note="s.45 question")

    table = run("followups", "due", *_as("olu.operator"), stdin=STDIN)
    assert table.code == 0, table.err
    assert "1 overdue, 0 due now, 1 in the next 4 h, 1 waiting for an adviser" in table.out
    assert (
        "Overdue callback" in table.out and "Soon | with a pipe" in table.out and "Tonight" not in table.out
    )
    assert w.reference in table.out and "Aisha Khan" in table.out  # the hand-off's adviser

    wide = run("followups", "due", "--hours", "12", "--format", "json", *_as("olu.operator"), stdin=STDIN)
    assert wide.code == 0, wide.err
    out = json.loads(wide.out)
    assert out["counts"] == {"overdue": 1, "due_now": 0, "upcoming": 2, "handoffs": 1}
    [tonight] = [i for i in out["upcoming"] if i["note"] == "Tonight"]
    assert (tonight["assignee_route"], tonight["holder"], tonight["reference"]) == (
        "legal",
        "Aisha Khan",
        w.reference,
    )
    assert datetime.fromisoformat(tonight["due_at"]).utcoffset() is not None  # local, with its offset
    assert out["handoffs"][0]["adviser"] == "Aisha Khan"

    mine = run("followups", "due", "--hours", "12", "--assignee", "aisha.khan", "--format", "json",
               *_as("aisha.khan"), stdin=STDIN)  # fmt: skip
    listed = json.loads(mine.out)
    # Hers: the route follow-up and the hand-off; the two unassigned ones are anyone's.
    assert {i["note"] for i in listed["upcoming"] + listed["overdue"]} == {"Tonight", "Soon | with a pipe",
                                                                          "Overdue callback"}  # fmt: skip
    assert len(listed["handoffs"]) == 1
    victim = run(
        "followups", "due", "--route", "tactical", "--format", "json", *_as("olu.operator"), stdin=STDIN
    )
    assert json.loads(victim.out)["counts"] == {"overdue": 0, "due_now": 0, "upcoming": 0, "handoffs": 0}
    nobody = run("followups", "due", "--assignee", "no.one", *_as("olu.operator"), stdin=STDIN)
    assert nobody.code == 2 and "no such user" in nobody.err
    with w.db.read() as session:
        audited = session.scalars(select(AuditEvent).where(AuditEvent.action == "followup.due")).all()
    assert [e.actor_name for e in audited] == ["olu.operator", "olu.operator", "aisha.khan", "olu.operator"]


def test_rota_show_at_a_time_and_the_repeated_hour(run: Run, world: World) -> None:
    w = world
    start, end = datetime(2026, 10, 24, 19, 0), datetime(2026, 10, 25, 7, 0)  # London wall-clock times
    rota.add_shift(w.db, w.supervisor, Route.LEGAL, DutyRole.DUTY, w.khan.user_id, start, end)
    shown = run("rota", "show", "--at", "2026-10-24 23:00", *_as("olu.operator"), stdin=STDIN)
    assert shown.code == 0, shown.err
    assert "Duty rota at 2026-10-24 23:00 (Europe/London)" in shown.out
    assert "Legal: duty adviser A. Khan until 07:00, then no one on the rota" in shown.out
    assert "Tactical: no duty adviser on the rota in the next 12 hours" in shown.out
    assert "No duty adviser in the next 12 hours:" in shown.out
    assert "  Legal: 2026-10-25 07:00 to 2026-10-25 10:00" in shown.out  # 12 hours from 23:00 BST
    ambiguous = run("rota", "show", "--at", "2026-10-25 01:30", *_as("olu.operator"), stdin=STDIN)
    assert ambiguous.code == 1
    assert "at: 01:30 on 25 October 2026 happens twice" in ambiguous.err and "fold 1" in ambiguous.err
    second = run("rota", "show", "--at", "2026-10-25 01:30", "--fold", "1", "--format", "json",
                 *_as("olu.operator"), stdin=STDIN)  # fmt: skip
    assert second.code == 0, second.err
    out = json.loads(second.out)
    assert out["at"] == "2026-10-25T01:30:00+00:00"
    legal = next(r for r in out["routes"] if r["route"] == "legal")
    assert (legal["duty"], legal["duty_until"]) == ("Aisha Khan", "2026-10-25T07:00:00+00:00")
    gone = run("rota", "show", "--at", "2026-03-29 01:30", *_as("olu.operator"), stdin=STDIN)
    assert gone.code == 1 and "does not exist" in gone.err
    bad = run("rota", "show", "--at", "tomorrow", *_as("olu.operator"), stdin=STDIN)
    assert bad.code == 2 and "is not a time" in bad.err


@pytest.fixture
def written(world: World) -> handover.HandoverRecord:
    w = world
    start = datetime(2026, 6, 10, 14, tzinfo=UTC)
    h = handover.start_handover(
        w.db, w.supervisor, start, start + timedelta(hours=8), now=start + timedelta(hours=7)
    )
    return handover.update_notes(
        w.db, w.supervisor, h.id, expected_version=h.version, notes="Quiet apart from the car wash",
        item_notes={h.items[0].key: "Ring the DS back"},
    )  # fmt: skip


def test_handover_list_show_and_refusals(run: Run, world: World, written: handover.HandoverRecord) -> None:
    listed = run("handover", "list", *_as("sam.supervisor"), stdin=STDIN)
    assert listed.code == 0, listed.err
    assert str(written.id) in listed.out and "not yet" in listed.out
    assert run("handover", "list", "--text", "nothing like it", *_as("sam.supervisor"), stdin=STDIN).out == (
        "no handovers found\n"
    )
    shown = run("handover", "show", str(written.id), *_as("sam.supervisor"), stdin=STDIN)
    assert shown.code == 0, shown.err
    assert "Shift: 2026-06-10 15:00 to 2026-06-10 23:00 (Europe/London)" in shown.out
    assert "Not acknowledged yet" in shown.out and "Overall note: Quiet apart from the car wash" in shown.out
    assert "Calls still open (1)" in shown.out and f"  {world.reference}  " in shown.out
    assert "      note: Ring the DS back" in shown.out
    as_json = json.loads(run("handover", "show", str(written.id), "--format", "json", *_as("sam.supervisor"),
                             stdin=STDIN).out)  # fmt: skip
    assert as_json["items"][0]["note"] == "Ring the DS back" and as_json["acknowledged_at"] is None
    refused = run("handover", "show", str(written.id), *_as("olu.operator"), stdin=STDIN)
    assert refused.code == 3 and "may not read and search the shift handovers" in refused.err
    missing = run("handover", "show", str(uuid.uuid4()), *_as("sam.supervisor"), stdin=STDIN)
    assert missing.code == 1 and "there is no such handover" in missing.err
    bad = run("handover", "show", "not-an-id", *_as("sam.supervisor"), stdin=STDIN)
    assert bad.code == 2 and "is not a handover id" in bad.err


def test_handover_pdf(run: Run, world: World, written: handover.HandoverRecord, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        if IN_CI:
            pytest.fail("poppler-utils missing: apt-get install poppler-utils", pytrace=False)
        pytest.skip("poppler-utils missing")
    path = tmp_path / "handover.pdf"
    made = run("handover", "pdf", str(written.id), "--output", str(path), "--marking", "OFFICIAL",
               *_as("sam.supervisor"), stdin=STDIN)  # fmt: skip
    assert made.code == 0, made.err
    assert made.out.startswith(f"wrote {path}\nsha256 ")
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    assert "OFFICIAL" in text and "Ring the DS back" in text and "NOT ACKNOWLEDGED" in text
    no_file = str(tmp_path / "no.pdf")
    refused = run("handover", "pdf", str(written.id), "--output", no_file, *_as("olu.operator"), stdin=STDIN)
    assert refused.code == 3 and not (tmp_path / "no.pdf").exists()
    folder = run(
        "handover", "pdf", str(written.id), "--output", str(tmp_path), *_as("sam.supervisor"), stdin=STDIN
    )
    assert folder.code == 2
