"""``supportline users disable|enable|set-role|reset-password|unlock|password`` (and list)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from supportline.db import Database
from supportline.db.models import AuditEvent
from supportline.services import accounts
from tests.conftest import Run
from tests.core.test_cli import ADMIN_PW, NEW_PW, add_first_admin

TEMP_PW = "Larch-and-lichen-93"


def _add(run: Run, name: str, role: str = "operator", *extra: str) -> None:
    result = run(
        "users", "add", name, "--role", role, "--user", "ada.admin", *extra,
        "--password-stdin", stdin=f"{ADMIN_PW}\n{NEW_PW}\n",
    )  # fmt: skip
    assert result.code == 0, result.err


def _as_admin(run: Run, *argv: str, more: str = ""):
    return run(*argv, "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n{more}")


def _actions(db: Database, prefix: str) -> list[str]:
    with db.read() as session:
        rows = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    return [a for a in rows if a.startswith(prefix)]


def test_disable_and_enable(run: Run, cli_db: Database) -> None:
    add_first_admin(run)
    _add(run, "ben.okafor")
    result = _as_admin(run, "users", "disable", "ben.okafor")
    assert result.code == 0, result.err
    assert "disabled ben.okafor" in result.out
    listed = _as_admin(run, "users", "list")
    assert "disabled" in next(line for line in listed.out.splitlines() if "ben.okafor" in line)
    refused = run("users", "list", "--user", "ben.okafor", "--password-stdin", stdin=f"{NEW_PW}\n")
    assert refused.code == 1 and "disabled" in refused.err
    assert _as_admin(run, "users", "enable", "ben.okafor").code == 0
    assert accounts.authenticate(cli_db, "ben.okafor", NEW_PW).username == "ben.okafor"
    assert _actions(cli_db, "user.") == ["user.create", "user.create", "user.disable", "user.enable"]


def test_an_admin_cannot_disable_or_demote_themselves(run: Run, cli_db: Database) -> None:
    add_first_admin(run)
    result = _as_admin(run, "users", "disable", "ada.admin")
    assert result.code != 0
    assert result.err.startswith("supportline: error: you cannot disable your own account")
    assert len(result.err.strip().splitlines()) == 1
    result = _as_admin(run, "users", "set-role", "ada.admin", "operator")
    assert result.code != 0 and "your own role" in result.err
    assert _actions(cli_db, "user.") == ["user.create", "user.disable.refused", "user.role.refused"]


def test_set_role_and_unknown_names(run: Run, cli_db: Database) -> None:
    add_first_admin(run)
    _add(run, "ben.okafor")
    result = _as_admin(run, "users", "set-role", "ben.okafor", "supervisor")
    assert result.code == 0, result.err
    assert "ben.okafor is now Supervisor" in result.out
    missing = _as_admin(run, "users", "unlock", "no.such.person")
    assert missing.code == 1 and "no account 'no.such.person'" in missing.err
    bad_role = _as_admin(run, "users", "set-role", "ben.okafor", "overlord")
    assert bad_role.code == 2 and "invalid choice" in bad_role.err


def test_lockout_is_shown_and_lifted_by_unlock(run: Run, cli_db: Database) -> None:
    add_first_admin(run)
    _add(run, "ben.okafor")
    for _ in range(cli_db.max_failed_logins):
        run("users", "list", "--user", "ben.okafor", "--password-stdin", stdin="not-his-password\n")
    locked = run("users", "list", "--user", "ben.okafor", "--password-stdin", stdin=f"{NEW_PW}\n")
    assert locked.code == 1 and "locked" in locked.err
    listed = _as_admin(run, "users", "list")
    assert "locked until" in next(line for line in listed.out.splitlines() if "ben.okafor" in line)
    assert _as_admin(run, "users", "unlock", "ben.okafor").code == 0
    assert accounts.authenticate(cli_db, "ben.okafor", NEW_PW).username == "ben.okafor"


def test_reset_password_then_the_person_changes_it(run: Run, cli_db: Database) -> None:
    add_first_admin(run)
    _add(run, "ben.okafor")
    weak = _as_admin(run, "users", "reset-password", "ben.okafor", more="password1234\npassword1234\n")
    assert weak.code == 1 and "common" in weak.err and "password1234" not in weak.err
    reset = _as_admin(run, "users", "reset-password", "ben.okafor", more=f"{TEMP_PW}\n{TEMP_PW}\n")
    assert reset.code == 0, reset.err
    assert "must be changed at the next sign-in" in reset.out
    assert TEMP_PW not in reset.out + reset.err
    listed = _as_admin(run, "users", "list")
    assert "must change password" in next(line for line in listed.out.splitlines() if "ben.okafor" in line)
    blocked = run("users", "list", "--user", "ben.okafor", "--password-stdin", stdin=f"{TEMP_PW}\n")
    assert blocked.code == 1 and "users password --user ben.okafor" in blocked.err
    changed = run(
        "users", "password", "--user", "ben.okafor", "--password-stdin",
        stdin=f"{TEMP_PW}\nQuiet-estuary-at-dawn\nQuiet-estuary-at-dawn\n",
    )  # fmt: skip
    assert changed.code == 0, changed.err
    assert accounts.authenticate(cli_db, "ben.okafor", "Quiet-estuary-at-dawn").username == "ben.okafor"
    with cli_db.read() as session:
        details = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action.like("user.password.%"))
        ).all()
    assert [json.loads(d) for d in details] == [{"must_change_password": True}, {"at_sign_in": False}]


def test_a_temporary_first_password(run: Run, cli_db: Database) -> None:
    add_first_admin(run)
    _add(run, "ben.okafor", "operator", "--temporary")
    with pytest.raises(accounts.PasswordChangeRequiredError):
        accounts.authenticate(cli_db, "ben.okafor", NEW_PW)


def test_a_non_admin_is_refused_and_the_refusal_is_audited(run: Run, cli_db: Database) -> None:
    add_first_admin(run)
    _add(run, "ben.okafor")
    result = run(
        "users", "disable", "ada.admin", "--user", "ben.okafor", "--password-stdin", stdin=f"{NEW_PW}\n"
    )
    assert result.code != 0
    assert "may not disable, enable, unlock or change the role of an account" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert _actions(cli_db, "user.change") == ["user.change"]  # the table's action, outcome refused
    with cli_db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.change")).one()
    assert (event.outcome, json.loads(event.details)["operation"]) == ("refused", "user.disable")
    assert accounts.get_user(cli_db, accounts.authenticate(cli_db, "ada.admin", ADMIN_PW), "ada.admin").active
