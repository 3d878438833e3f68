"""``supportline audit verify|anchor|list|export`` and ``db check``'s view of the audit triggers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import select, text

from supportline.db import Database
from supportline.db.models import AuditEvent
from tests.conftest import Run

ADMIN_PW = "Saffron-kettle-41"
OPERATOR_PW = "Marram-grass-dune-7"


def _admin(run: Run) -> None:
    result = run(
        "users", "add", "ada.admin", "--role", "admin", "--display-name", "Ada Admin",
        "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert result.code == 0, result.err


def _audit(run: Run, *args: str, user: str = "ada.admin", password: str = ADMIN_PW):
    return run("audit", *args, "--user", user, "--password-stdin", stdin=f"{password}\n")


def _actions(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        return [(e.action, e.outcome) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_verify_an_intact_trail_then_a_tampered_one(run: Run, cli_db: Database) -> None:
    _admin(run)
    ok = _audit(run, "verify")
    assert ok.code == 0, ok.err
    assert "ok: the hash chain is intact" in ok.out and "events checked: 2" in ok.out  # user.create, login.ok
    with cli_db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text('UPDATE audit_events SET details = \'{"role": "operator"}\' WHERE id = 1'))
    broken = _audit(run, "verify")
    assert broken.code == 1
    assert "the audit trail is broken at event 1 (altered)" in broken.err
    # db check says the trail is no longer protected, naming the trigger.
    check = run("db", "check")
    assert check.code == 1
    assert "audit_events_no_update" in check.err and "ok" not in check.out.splitlines()[-1]


def test_anchor_prints_the_head_and_verify_checks_it(run: Run, cli_db: Database) -> None:
    _admin(run)
    anchored = _audit(run, "anchor")
    assert anchored.code == 0, anchored.err
    anchor = anchored.out.strip()
    assert len(anchor) == 64
    with cli_db.read() as session:
        last, after = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).all()[::-1]
    assert last.action == "audit.anchor" and after.action == "logout"  # the command's sign-out follows
    assert json.loads(last.details) == {"head_hash": anchor}
    checked = _audit(run, "verify", "--anchor", anchor.upper())
    assert checked.code == 0, checked.err
    assert "the anchor is event 2: nothing up to it has changed" in checked.out
    unknown = _audit(run, "verify", "--anchor", "ab" * 32)
    assert unknown.code == 1 and "is not in the chain" in unknown.err
    bad = _audit(run, "verify", "--anchor", "1234")
    assert bad.code == 2 and "64 hexadecimal digits" in bad.err


def test_list_and_export_with_filters_are_audited(run: Run, cli_db: Database, tmp_path: Path) -> None:
    _admin(run)
    listed = _audit(run, "list", "--action", "user.*")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert lines[0].split() == ["id", "at", "user", "workstation", "action", "outcome", "record"]
    assert len(lines) == 3 and "user.create" in lines[2]
    as_json = _audit(run, "list", "--by", "ada.admin", "--action", "login.ok", "--format", "json")
    assert [e["action"] for e in json.loads(as_json.out)] == ["login.ok", "login.ok"]
    none = _audit(run, "list", "--since", "2001-01-01", "--until", "2001-01-02")
    assert none.out.strip() == "no audit events match"
    target = tmp_path / "trail.csv"
    exported = _audit(run, "export", "--output", str(target), "--action", "audit.list")
    assert exported.code == 0, exported.err
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["action"] for r in rows] == ["audit.list"] * 3
    assert _actions(cli_db)[-2:] == [("audit.export", "allowed"), ("logout", "allowed")]


def test_bad_filters_are_named(run: Run) -> None:
    _admin(run)
    result = _audit(run, "list", "--since", "14/06/2026")
    assert result.code == 2 and "--since '14/06/2026'" in result.err and "YYYY-MM-DD" in result.err
    result = _audit(run, "list", "--since", "2026-06-14", "--until", "2026-06-01")
    assert result.code == 2 and "is not after" in result.err


def test_an_operator_is_refused_and_the_refusal_is_in_the_trail(run: Run, cli_db: Database) -> None:
    _admin(run)
    added = run(
        "users", "add", "ben.okafor", "--role", "operator", "--display-name", "Ben Okafor",
        "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n{OPERATOR_PW}\n",
    )  # fmt: skip
    assert added.code == 0, added.err
    refused = _audit(run, "list", user="ben.okafor", password=OPERATOR_PW)
    assert refused.code != 0 and "audit.read" in refused.err
    assert ("audit.list", "refused") in _actions(cli_db)
