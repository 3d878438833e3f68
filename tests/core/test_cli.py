"""The ``supportline`` command line, run in-process against the per-test SUPPORTLINE_HOME.

All people and numbers are invented; phone numbers come from Ofcom's drama range.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from supportline import __version__, bootstrap
from supportline.bootstrap import Environment
from supportline.cli import calls_commands
from supportline.cli import common as cli_common
from supportline.config import SecretsUnavailableError
from supportline.db import Database, create_database
from supportline.db.migrate import current_revision, head_revision
from supportline.db.models import AuditEvent
from supportline.enums import AgencyType, Route, Urgency
from supportline.gui_hooks import Finding, GuiHooks
from supportline.resources import resources_dir
from supportline.services import accounts
from supportline.services.call_types import CallData, Caller, RouteData
from supportline.services.calls import save_call
from tests.conftest import IN_CI, PG_URL, Run

ADMIN_PW = "Saffron-kettle-41"
NEW_PW = "Marram-grass-dune-7"


class TtyInput(io.StringIO):
    """Standard input that claims to be a terminal (getpass itself is replaced in the test)."""

    def isatty(self) -> bool:
        return True


@dataclass
class FakeGui:
    fail_with: Exception | None = None
    checked: list[Database] = field(default_factory=list)
    ran: list[list[str]] = field(default_factory=list)
    qt: list[Finding] = field(default_factory=lambda: [Finding("Qt platform plugins", True, "xcb loads")])

    def run(self, argv: list[str]) -> int:
        self.ran.append(argv)
        return 0

    def check_main_window(self, env: Environment, db: Database) -> None:
        self.checked.append(db)
        if self.fail_with is not None:
            raise self.fail_with

    @property
    def hooks(self) -> GuiHooks:
        return GuiHooks(run=self.run, check_main_window=self.check_main_window, check_qt=lambda: self.qt)


@pytest.fixture
def home() -> Path:
    return Path(os.environ["SUPPORTLINE_HOME"])


def add_first_admin(run: Run) -> None:
    result = run(
        "users", "add", "ada.admin", "--role", "admin", "--display-name", "Ada Admin",
        "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert result.code == 0, result.err


# --- version, GUI, usage ---------------------------------------------------------------------


def test_version(run: Run) -> None:
    result = run("--version")
    assert result.code == 0
    assert result.out.strip() == f"supportline {__version__}" == "supportline 0.1.0"


def test_no_command_starts_the_gui_with_its_arguments(run: Run) -> None:
    gui = FakeGui()
    assert run(gui=gui.hooks).code == 0
    assert run("-style", "fusion", gui=gui.hooks).code == 0
    assert gui.ran == [[], ["-style", "fusion"]]


def test_no_gui_in_this_installation(run: Run) -> None:
    result = run()
    assert result.code == 2
    assert "supportline: error: the GUI is not available in this installation" in result.err


@pytest.mark.parametrize(
    "argv",
    [["--bogus"], ["frobnicate"], ["users", "add", "x"], ["db"], ["calls", "list", "--from", "2026-13-01"]],
)
def test_usage_mistakes_exit_2(run: Run, argv: list[str]) -> None:
    gui = FakeGui()
    result = run(*argv, gui=gui.hooks)
    assert result.code == 2
    assert "error:" in result.err
    assert gui.ran == []


def test_entry_point_prints_the_version() -> None:
    script = Path(sys.executable).with_name("supportline")
    found = shutil.which("supportline")
    command = (
        [str(script)] if script.exists() else [found] if found else [sys.executable, "-m", "ui.launcher"]
    )
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"supportline {__version__}"


LIST_ALL_AS_JSON = (
    "calls",
    "list",
    "--from",
    "2000-01-01",
    "--to",
    "2099-12-31",
    "--format",
    "json",
    "--limit",
    "200",
)


def test_a_reader_that_goes_away_stops_the_command_quietly(run: Run, home: Path) -> None:
    """``supportline calls list … | head -1``: no traceback and no error line, the status a tool
    killed by SIGPIPE has (141), as Unix tools behave."""
    assert run("demo", "--calls", "200", "--seed", "5", "--password-stdin", stdin=f"{NEW_PW}\n").code == 0
    script = Path(sys.executable).with_name("supportline")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ui.launcher"]
    listing = subprocess.Popen(  # more than a pipe's buffer of JSON (about 100 kB)
        [*command, *LIST_ALL_AS_JSON, "--user", "demo-supervisor", "--password-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "SUPPORTLINE_HOME": str(home)},
    )
    assert listing.stdin is not None and listing.stdout is not None and listing.stderr is not None
    listing.stdin.write(f"{NEW_PW}\n".encode())
    listing.stdin.close()
    assert listing.stdout.readline().strip() == b"["
    listing.stdout.close()  # what head does after its first line
    assert listing.wait(timeout=120) == 141
    assert listing.stderr.read().decode() == ""
    listing.stderr.close()


def test_malformed_settings_exit_2_naming_the_key(run: Run, home: Path) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.toml").write_text('colour_scheme = "dark"\n', encoding="utf-8")
    result = run("db", "upgrade")
    assert result.code == 2
    assert result.err.startswith("supportline: error: configuration:")
    assert "colour_scheme" in result.err
    assert len(result.err.strip().splitlines()) == 1


# --- users ---------------------------------------------------------------------------------


def test_first_admin_then_a_second_user_needs_an_admin(run: Run, cli_db: Database) -> None:
    add_first_admin(run)
    assert accounts.authenticate(cli_db, "ada.admin", ADMIN_PW).role.value == "admin"

    without_admin = run(
        "users", "add", "ben.okafor", "--role", "operator", "--password-stdin", stdin=f"{NEW_PW}\n"
    )
    assert without_admin.code == 1
    assert "--user" in without_admin.err

    added = run(
        "users", "add", "ben.okafor", "--role", "operator", "--display-name", "Ben Okafor",
        "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n{NEW_PW}\n",
    )  # fmt: skip
    assert added.code == 0, added.err
    assert "ben.okafor" in added.out
    assert ADMIN_PW not in added.out + added.err and NEW_PW not in added.out + added.err
    actor = accounts.authenticate(cli_db, "ben.okafor", NEW_PW)
    assert (actor.display_name, actor.role.value) == ("Ben Okafor", "operator")

    listed = run("users", "list", "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert listed.code == 0
    assert "ada.admin" in listed.out and "ben.okafor" in listed.out and "Operator" in listed.out


def test_wrong_admin_password_is_refused(run: Run, cli_db: Database) -> None:
    add_first_admin(run)
    result = run(
        "users", "add", "cara.lindqvist", "--role", "adviser", "--user", "ada.admin",
        "--password-stdin", stdin=f"not-the-password\n{NEW_PW}\n",
    )  # fmt: skip
    assert result.code == 1
    assert result.err == "supportline: error: wrong user name or password\n"
    assert "not-the-password" not in result.out + result.err
    assert [
        u.username for u in accounts.list_users(cli_db, accounts.authenticate(cli_db, "ada.admin", ADMIN_PW))
    ] == ["ada.admin"]


def test_the_first_account_must_be_an_admin(run: Run, cli_db: Database) -> None:
    result = run("users", "add", "dev.patel", "--role", "operator", "--password-stdin", stdin=f"{NEW_PW}\n")
    assert result.code == 1
    assert "the first account must be an admin" in result.err
    assert accounts.count_users(cli_db) == 0


def test_user_flag_on_an_empty_database_is_refused(run: Run) -> None:
    result = run(
        "users", "add", "ada.admin", "--role", "admin", "--user", "someone",
        "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert result.code == 1
    assert "no accounts yet" in result.err


def test_an_operator_may_not_add_accounts(run: Run) -> None:
    add_first_admin(run)
    run(
        "users", "add", "ben.okafor", "--role", "operator", "--user", "ada.admin",
        "--password-stdin", stdin=f"{ADMIN_PW}\n{NEW_PW}\n",
    )  # fmt: skip
    result = run(
        "users", "add", "eve.tamsin", "--role", "admin", "--user", "ben.okafor",
        "--password-stdin", stdin=f"{NEW_PW}\n{NEW_PW}\n",
    )  # fmt: skip
    assert result.code == 3  # refused: PermissionDeniedError exits 3
    assert "ben.okafor (Operator) may not add an account: it needs the 'user.admin' permission" in result.err


def test_invalid_account_lists_every_field(run: Run) -> None:
    result = run("users", "add", "Not Valid!", "--role", "admin", "--password-stdin", stdin="tiny-pw\n")
    assert result.code == 1
    assert "username:" in result.err and "password:" in result.err
    assert "tiny-pw" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_missing_password_lines(run: Run) -> None:
    add_first_admin(run)
    result = run(
        "users", "add", "ben.okafor", "--role", "operator", "--user", "ada.admin",
        "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert result.code == 2
    assert "line 2" in result.err


def test_no_terminal_and_no_password_stdin(run: Run) -> None:
    result = run("users", "add", "ada.admin", "--role", "admin")
    assert result.code == 2
    assert "--password-stdin" in result.err


def test_prompts_ask_twice_for_a_new_password(
    run: Run, monkeypatch: pytest.MonkeyPatch, cli_db: Database
) -> None:
    answers = iter([NEW_PW, "Something-else-entirely"])
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    result = run("users", "add", "ada.admin", "--role", "admin", stdin=TtyInput(""))
    assert result.code == 1
    assert "not the same" in result.err
    assert len(prompts) == 2
    assert accounts.count_users(cli_db) == 0

    answers = iter([NEW_PW, NEW_PW])
    result = run("users", "add", "ada.admin", "--role", "admin", stdin=TtyInput(""))
    assert result.code == 0, result.err
    assert NEW_PW not in result.out + result.err


def test_password_stdin_on_a_terminal_prompts_without_echo(
    run: Run, monkeypatch: pytest.MonkeyPatch, cli_db: Database
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PW)
    result = run("users", "add", "ada.admin", "--role", "admin", "--password-stdin", stdin=TtyInput(""))
    assert result.code == 0, result.err
    assert accounts.authenticate(cli_db, "ada.admin", NEW_PW).username == "ada.admin"


# --- calls list ----------------------------------------------------------------------------


def _call(opened_at: datetime, summary: str, caller: str = "DC Imogen Ashdown") -> CallData:
    return CallData(
        caller=Caller(
            name=caller, agency_type=AgencyType.POLICE, organisation="Wessex Police", phone="07700 900123"
        ),
        opened_at=opened_at,
        urgency=Urgency.URGENT,
        force_area="Wessex Police",
        summary=summary,
        routes=(RouteData(route=Route.VICTIM), RouteData(route=Route.IMMIGRATION)),
    )


@pytest.fixture
def october_calls(run: Run, cli_db: Database) -> dict[str, str]:
    """Calls either side of local midnights around the October 2026 change (BST → GMT on the 25th)."""
    add_first_admin(run)
    actor = accounts.authenticate(cli_db, "ada.admin", ADMIN_PW)
    times = {
        "24th late": datetime(2026, 10, 24, 22, 30, tzinfo=UTC),  # 23:30 BST on the 24th
        "25th first": datetime(2026, 10, 24, 23, 30, tzinfo=UTC),  # 00:30 BST on the 25th
        "25th last": datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # 23:30 GMT on the 25th (hour 25)
        "26th early": datetime(2026, 10, 26, 0, 30, tzinfo=UTC),  # 00:30 GMT on the 26th
    }
    long_summary = "Nail bar workers\nsleeping on site; " + "documents held by the owner " * 5
    return {
        name: save_call(cli_db, actor, _call(at, f"{name}: {long_summary}")).reference
        for name, at in times.items()
    }


def test_calls_list_json_uses_local_days_across_dst(run: Run, october_calls: dict[str, str]) -> None:
    result = run(
        "calls", "list", "--from", "2026-10-25", "--to", "2026-10-25", "--format", "json",
        "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [r["reference"] for r in rows] == [october_calls["25th first"], october_calls["25th last"]]
    assert [r["opened_at"] for r in rows] == ["2026-10-25T00:30:00+01:00", "2026-10-25T23:30:00+00:00"]
    assert datetime.fromisoformat(rows[0]["opened_at"]) == datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    first = rows[0]
    assert first["routes"] == ["victim", "immigration"]
    assert (first["urgency"], first["status"], first["caller_agency_type"]) == ("urgent", "open", "police")
    assert first["caller_name"] == "DC Imogen Ashdown" and first["handler_name"] == "Ada Admin"
    assert first["closed_at"] is None


def test_calls_list_table_is_aligned_and_truncated(run: Run, october_calls: dict[str, str]) -> None:
    result = run(
        "calls", "list", "--from", "2026-10-24", "--to", "2026-10-25",
        "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    header, rule, *rows = lines
    assert header.split() == [
        "reference", "opened", "urgency", "status", "caller", "agency", "force", "routes", "summary",
    ]  # fmt: skip
    assert [r.split()[0] for r in rows] == [
        october_calls["24th late"], october_calls["25th first"], october_calls["25th last"],
    ]  # fmt: skip
    assert "2026-10-24 23:30" in rows[0] and "2026-10-25 00:30" in rows[1] and "2026-10-25 23:30" in rows[2]
    summary_at = header.index("summary")
    assert all(row[summary_at:].startswith(("24th", "25th")) for row in rows)
    assert all(row.endswith("…") and "\n" not in row for row in rows)
    assert "Urgent" in rows[0] and "victim, immigration" in rows[0]
    assert set(rule) <= {"-", " "}


def test_calls_list_pages_and_limits(
    run: Run, october_calls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calls_commands, "MAX_PAGE", 1)
    args = (
        "calls",
        "list",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-31",
        "--format",
        "json",
        "--user",
        "ada.admin",
    )
    everything = run(*args, "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert [r["reference"] for r in json.loads(everything.out)] == list(october_calls.values())
    limited = run(*args, "--limit", "3", "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert len(json.loads(limited.out)) == 3


def test_calls_list_empty_range_and_bad_range(run: Run) -> None:
    add_first_admin(run)
    base = ("calls", "list", "--user", "ada.admin", "--password-stdin")
    empty = run(
        *base, "--from", "2026-03-29", "--to", "2026-03-29", "--format", "json", stdin=f"{ADMIN_PW}\n"
    )
    assert (empty.code, json.loads(empty.out)) == (0, [])
    table = run(*base, "--from", "2026-03-29", "--to", "2026-03-29", stdin=f"{ADMIN_PW}\n")
    assert table.code == 0 and "no calls" in table.out
    backwards = run(*base, "--from", "2026-03-29", "--to", "2026-03-28", stdin=f"{ADMIN_PW}\n")
    assert backwards.code == 2 and "before" in backwards.err


def test_calls_list_wrong_password(run: Run) -> None:
    add_first_admin(run)
    result = run(
        "calls", "list", "--from", "2026-01-01", "--to", "2026-01-02", "--user", "ada.admin",
        "--password-stdin", stdin="Guessing-again-99\n",
    )  # fmt: skip
    assert result.code == 1
    assert "wrong user name or password" in result.err
    assert result.out == ""


# --- sign-out: every command's session ends in the audit trail ---------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_cli_db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """The database the CLI uses in this test, a SQLite file or a PostgreSQL schema of its own."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_url")
    env = bootstrap.load_environment()
    db = bootstrap.open_database(env)
    bootstrap.migrate(env, db)
    yield db
    db.dispose()


def _sessions(db: Database, since: int = 0) -> list[tuple[str, str, str, str]]:
    """(user, action, outcome, how it ended) of the audit events after event ``since``, in order."""
    with db.read() as session:
        rows = session.execute(
            select(AuditEvent.actor_name, AuditEvent.action, AuditEvent.outcome, AuditEvent.details)
            .where(AuditEvent.id > since)
            .order_by(AuditEvent.id)
        ).all()
    return [(who, action, result, json.loads(info).get("ended", "")) for who, action, result, info in rows]


def _last_event(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.max(AuditEvent.id))) or 0


def test_each_command_that_signs_in_records_its_sign_out(run: Run, any_cli_db: Database) -> None:
    db = any_cli_db
    add_first_admin(run)
    mark = _last_event(db)
    listed = run(
        "calls", "list", "--from", "2026-01-01", "--to", "2026-01-02", "--user", "ada.admin",
        "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert listed.code == 0, listed.err
    added = run(
        "users", "add", "ben.okafor", "--role", "operator", "--user", "ada.admin",
        "--password-stdin", stdin=f"{ADMIN_PW}\n{NEW_PW}\n",
    )  # fmt: skip
    assert added.code == 0, added.err
    assert _sessions(db, mark) == [
        ("ada.admin", "login.ok", "allowed", ""),
        ("ada.admin", "call.list", "allowed", ""),
        ("ada.admin", "logout", "allowed", "ok"),
        ("ada.admin", "login.ok", "allowed", ""),
        ("ada.admin", "user.create", "allowed", ""),
        ("ada.admin", "logout", "allowed", "ok"),
    ]
    with db.read() as session:
        reason = session.scalar(select(AuditEvent.details).where(AuditEvent.action == "logout").limit(1))
    assert json.loads(reason or "{}")["reason"] == "command ended"


def test_a_command_that_fails_after_signing_in_still_records_the_sign_out(
    run: Run, any_cli_db: Database
) -> None:
    db = any_cli_db
    add_first_admin(run)
    run(
        "users", "add", "ben.okafor", "--role", "operator", "--user", "ada.admin",
        "--password-stdin", stdin=f"{ADMIN_PW}\n{NEW_PW}\n",
    )  # fmt: skip
    mark = _last_event(db)
    refused = run("users", "list", "--user", "ben.okafor", "--password-stdin", stdin=f"{NEW_PW}\n")
    assert refused.code == 3, refused.err
    admin = ("--user", "ada.admin", "--password-stdin")
    own = run("users", "disable", "ada.admin", *admin, stdin=f"{ADMIN_PW}\n")
    assert own.code == 3, own.err  # a rule's refusal
    missing = run("users", "enable", "nobody.here", *admin, stdin=f"{ADMIN_PW}\n")
    assert missing.code == 1 and "no account" in missing.err
    short = run(
        "users", "add", "cara.lindqvist", "--role", "adviser", "--user", "ada.admin",
        "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert short.code == 2 and "line 2" in short.err
    wrong = run("users", "list", "--user", "ada.admin", "--password-stdin", stdin="Guessing-again-99\n")
    assert wrong.code == 1
    assert _sessions(db, mark) == [
        ("ben.okafor", "login.ok", "allowed", ""),
        ("ben.okafor", "user.list", "refused", ""),
        ("ben.okafor", "logout", "allowed", "error"),
        ("ada.admin", "login.ok", "allowed", ""),
        ("ada.admin", "user.disable.refused", "refused", ""),
        ("ada.admin", "logout", "allowed", "error"),
        ("ada.admin", "login.ok", "allowed", ""),
        ("ada.admin", "logout", "allowed", "error"),  # no such account: exit 1
        ("ada.admin", "login.ok", "allowed", ""),
        ("ada.admin", "logout", "allowed", "error"),  # the new password's line was missing: exit 2
        ("ada.admin", "login.refused", "refused", ""),  # never signed in: no sign-out
    ]


def test_an_interrupted_command_records_the_sign_out(
    run: Run, any_cli_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = any_cli_db
    add_first_admin(run)
    mark = _last_event(db)

    def interrupted(*_args: object, **_kwargs: object) -> Iterator[object]:
        raise KeyboardInterrupt  # Ctrl+C while the calls are being read

    monkeypatch.setattr(calls_commands, "iter_calls", interrupted)
    result = run(
        "calls", "list", "--from", "2026-01-01", "--to", "2026-01-02", "--user", "ada.admin",
        "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert result.code == 130
    assert _sessions(db, mark) == [
        ("ada.admin", "login.ok", "allowed", ""),
        ("ada.admin", "logout", "allowed", "interrupted"),
    ]


def test_sign_in_outside_an_opened_database_is_a_programming_error(cli_db: Database) -> None:
    with pytest.raises(RuntimeError, match="opened_database"):
        cli_common.sign_in(cli_db, "ada.admin", cli_common.Passwords(from_stdin=True))


# --- db ------------------------------------------------------------------------------------


def test_db_check_upgrade_check(run: Run) -> None:
    before = run("db", "check")
    assert before.code == 1
    assert "supportline db upgrade" in before.err

    upgraded = run("db", "upgrade")
    assert upgraded.code == 0, upgraded.err
    assert f"database is at revision {head_revision()}" in upgraded.out

    again = run("db", "upgrade")
    assert again.code == 0 and "migrated" not in again.out

    after = run("db", "check")
    assert after.code == 0, after.err
    assert "ok" in after.out


def test_db_check_reports_a_schema_difference(run: Run, cli_db: Database) -> None:
    with cli_db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stray_notes (id INTEGER PRIMARY KEY)")
    result = run("db", "check")
    assert result.code == 1
    assert "schema differs" in result.err and "stray_notes" in result.err


def test_db_backup_writes_a_valid_sqlite_file(run: Run, tmp_path: Path) -> None:
    add_first_admin(run)
    target = tmp_path / "copies" / "line.db"
    result = run("db", "backup", str(target))
    assert result.code == 0, result.err
    assert str(target) in result.out
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT username FROM users").fetchall() == [("ada.admin",)]

    again = run("db", "backup", str(target))
    assert again.code == 1 and "already exists" in again.err

    into_folder = run("db", "backup", str(target.parent))
    assert into_folder.code == 0
    assert len(list(target.parent.glob("supportline-*.db"))) == 1


def test_db_password_is_only_for_postgresql(run: Run) -> None:
    result = run("db", "password", "--password-stdin", stdin="Tidal-lock-310\n")
    assert result.code == 2
    assert "PostgreSQL" in result.err


def test_db_password_stores_in_the_keyring(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTLINE_DB_URL", "postgresql+psycopg://line_user@db.example.invalid/supportline")
    stored: list[tuple[str, str]] = []
    monkeypatch.setattr(
        "supportline.config.set_database_password", lambda url, pw: stored.append((str(url.host), pw))
    )
    result = run("db", "password", "--no-check", "--password-stdin", stdin="Tidal-lock-310\n")
    assert result.code == 0, result.err
    assert stored == [("db.example.invalid", "Tidal-lock-310")]
    assert "Tidal-lock-310" not in result.out + result.err


def test_db_password_without_a_keyring(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTLINE_DB_URL", "postgresql+psycopg://line_user@db.example.invalid/supportline")

    def no_keyring(url: object, password: str) -> None:
        raise SecretsUnavailableError("the OS keyring cannot store the password (no backend)")

    monkeypatch.setattr("supportline.config.set_database_password", no_keyring)
    result = run("db", "password", "--no-check", "--password-stdin", stdin="Tidal-lock-310\n")
    assert result.code == 1
    assert "keyring" in result.err


def test_db_password_is_tried_before_it_is_stored(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTLINE_DB_URL", "postgresql+psycopg://line_user@127.0.0.1:9/supportline")
    stored: list[object] = []
    monkeypatch.setattr("supportline.config.set_database_password", lambda url, pw: stored.append(url))
    result = run("db", "password", "--password-stdin", stdin="Tidal-lock-310\n")
    assert result.code == 1
    assert "not stored" in result.err
    assert stored == []


# --- self-test -----------------------------------------------------------------------------


def test_self_test_passes_on_a_migrated_database(run: Run) -> None:
    assert run("db", "upgrade").code == 0
    gui = FakeGui()
    result = run("self-test", gui=gui.hooks)
    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "ok   configuration", "ok   database", "ok   schema", "ok   resources", "ok   guidance",
        "ok   training scripts", "ok   fonts", "ok   PostgreSQL driver", "ok   Qt platform plugins",
        "ok   main window",
    ]  # fmt: skip
    assert lines[-1] == "self-test passed"
    assert len(gui.checked) == 1


def test_self_test_names_a_missing_resource(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert run("db", "upgrade").code == 0
    copy = tmp_path / "resources"
    shutil.copytree(resources_dir(), copy)
    (copy / "icons" / "supportline-256.png").unlink()
    (copy / "passwords" / "common-passwords.txt").write_bytes(b"")
    monkeypatch.setattr("supportline.resources.resources_dir", lambda: copy)
    result = run("self-test", gui=FakeGui().hooks)
    assert result.code == 1
    missing = "passwords/common-passwords.txt (empty), icons/supportline-256.png"
    assert f"FAIL resources: missing from {copy}: {missing}" in result.out
    assert "self-test failed: resources" in result.err


def test_self_test_finds_the_help_pages_and_the_training_scripts(run: Run) -> None:
    assert run("db", "upgrade").code == 0
    result = run("self-test", gui=FakeGui().hooks)
    (resources,) = [x for x in result.out.splitlines() if x.startswith("ok   resources")]
    assert "help" in resources.split(":")[1] and "training" in resources.split(":")[1]
    assert "ok   training scripts: 1 scripted call(s) in" in result.out


def test_self_test_names_a_missing_help_page_and_a_broken_training_script(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert run("db", "upgrade").code == 0
    copy = tmp_path / "resources"
    shutil.copytree(resources_dir(), copy)
    (copy / "help" / "call-form.md").unlink()
    (copy / "training" / "car-wash.toml").write_text("id = 'x'\ntitle = 'X'\n", encoding="utf-8")
    monkeypatch.setattr("supportline.resources.resources_dir", lambda: copy)
    result = run("self-test", gui=FakeGui().hooks)
    assert result.code == 1
    assert f"FAIL resources: missing from {copy}: help/call-form.md" in result.out
    assert "FAIL training scripts: " in result.out and "at least one [[step]]" in result.out
    assert "self-test failed: resources, training scripts" in result.err


def test_self_test_names_a_training_folder_with_no_script(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert run("db", "upgrade").code == 0
    copy = tmp_path / "resources"
    shutil.copytree(resources_dir(), copy)
    shutil.rmtree(copy / "training")
    monkeypatch.setattr("supportline.resources.resources_dir", lambda: copy)
    result = run("self-test", gui=FakeGui().hooks)
    assert result.code == 1
    assert f"FAIL training scripts: no scripted training call (*.toml) in {copy / 'training'}" in result.out


def test_self_test_names_broken_pdf_fonts(run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert run("db", "upgrade").code == 0
    copy = tmp_path / "resources"
    shutil.copytree(resources_dir(), copy)
    (copy / "fonts" / "DejaVuSans-Bold.ttf").write_bytes(b"not a font")
    monkeypatch.setattr("supportline.resources.resources_dir", lambda: copy)
    result = run("self-test", gui=FakeGui().hooks)
    assert result.code == 1
    (line,) = [x for x in result.out.splitlines() if x.startswith("FAIL fonts")]
    assert "the PDF fonts cannot be loaded" in line


def test_self_test_names_a_missing_postgresql_driver(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("db", "upgrade").code == 0
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed: import fails
    result = run("self-test", gui=FakeGui().hooks)
    assert result.code == 1
    assert "FAIL PostgreSQL driver: ModuleNotFoundError: import of psycopg halted" in result.out
    assert "self-test failed: PostgreSQL driver" in result.err


def test_self_test_in_a_bundle_refuses_a_driver_without_its_own_libpq(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from psycopg import pq

    assert run("db", "upgrade").code == 0
    monkeypatch.setattr(pq, "__impl__", "python")
    assert run("self-test", gui=FakeGui().hooks).code == 0  # an installation from PyPI may use the system's
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    result = run("self-test", gui=FakeGui().hooks)
    assert result.code == 1
    assert "the bundle lacks psycopg's binary package" in result.out


def test_self_test_reports_every_qt_finding(run: Run) -> None:
    assert run("db", "upgrade").code == 0
    gui = FakeGui(
        qt=[
            Finding("Qt platform plugins", False, "xcb: Cannot load library libqxcb.so: libxcb-cursor.so.0"),
            Finding("Qt image formats", True, "png, svg, ico read"),
        ]
    )
    result = run("self-test", gui=gui.hooks)
    assert result.code == 1
    assert "FAIL Qt platform plugins: xcb: Cannot load library libqxcb.so: libxcb-cursor.so.0" in result.out
    assert "ok   Qt image formats: png, svg, ico read" in result.out
    assert "self-test failed: Qt platform plugins" in result.err


def test_self_test_names_a_broken_main_window(run: Run) -> None:
    assert run("db", "upgrade").code == 0
    gui = FakeGui(fail_with=RuntimeError("the call list did not load"))
    result = run("self-test", gui=gui.hooks)
    assert result.code == 1
    assert "FAIL main window: RuntimeError: the call list did not load" in result.out
    assert "self-test failed: main window" in result.err


def test_self_test_does_not_migrate(run: Run, home: Path) -> None:
    gui = FakeGui()
    result = run("self-test", gui=gui.hooks)
    assert result.code == 1
    assert "FAIL schema: the database has no schema yet: run `supportline db upgrade`" in result.out
    assert "FAIL main window: skipped" in result.out
    assert gui.checked == []
    assert "schema" in result.err and "main window" in result.err
    db = create_database(f"sqlite:///{home / 'data' / 'supportline.db'}")
    try:
        assert current_revision(db) is None
    finally:
        db.dispose()


def test_self_test_without_gui_and_with_bad_settings(run: Run, home: Path) -> None:
    assert run("db", "upgrade").code == 0
    no_gui = run("self-test")
    assert no_gui.code == 1
    assert "FAIL Qt: skipped: the GUI is not available" in no_gui.out
    assert "FAIL main window: skipped: the GUI is not available" in no_gui.out

    (home / "config" / "settings.toml").write_text("idle_lock_minutes = 'ten'\n", encoding="utf-8")
    bad = run("self-test", gui=FakeGui().hooks)
    assert bad.code == 1
    assert "FAIL configuration" in bad.out and "idle_lock_minutes" in bad.out
    assert "FAIL database: not checked" in bad.out


# --- demo ----------------------------------------------------------------------------------


def test_demo_reports_progress_on_a_terminal_and_refuses_a_second_run_with_real_data(
    run: Run, cli_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_common, "stderr_is_tty", lambda: True)
    result = run("demo", "--calls", "12", "--seed", "3", "--password-stdin", stdin=f"{NEW_PW}\n")
    assert result.code == 0, result.err
    assert "12 calls in" in result.out
    assert "demo-operator, demo-adviser, demo-supervisor, demo-admin" in result.out
    assert "\rgenerating demo calls: 12 of 12 (100%)\n" in result.err
    assert NEW_PW not in result.out + result.err
    assert current_revision(cli_db) == head_revision()

    # A second run on demo data adds more calls; the accounts already exist.
    again = run("demo", "--calls", "3", "--seed", "4", "--password-stdin", stdin=f"{NEW_PW}\n")
    assert again.code == 0, again.err
    assert "demo accounts created" not in again.out

    assert run("demo", "--calls", "0", "--password-stdin", stdin=f"{NEW_PW}\n").code == 2


def test_demo_refuses_a_database_with_real_users(run: Run, cli_db: Database) -> None:
    add_first_admin(run)
    result = run("demo", "--calls", "5", "--seed", "7", "--password-stdin", stdin=f"{NEW_PW}\n")
    assert result.code == 1
    assert result.err.startswith("supportline: error: ")
    assert [
        u.username for u in accounts.list_users(cli_db, accounts.authenticate(cli_db, "ada.admin", ADMIN_PW))
    ] == ["ada.admin"]


def test_demo_fills_a_new_database(run: Run, cli_db: Database) -> None:
    result = run("demo", "--calls", "30", "--seed", "7", "--password-stdin", stdin=f"{NEW_PW}\n")
    assert result.code == 0, result.err
    assert "30 calls" in result.out
    assert result.err == ""  # no progress on a stderr that is not a terminal
    actor = accounts.authenticate(cli_db, "demo-supervisor", NEW_PW)
    listed = run(
        "calls", "list", "--from", "2000-01-01", "--to", "2100-12-31", "--format", "json",
        "--user", actor.username, "--password-stdin", stdin=f"{NEW_PW}\n",
    )  # fmt: skip
    assert listed.code == 0 and len(json.loads(listed.out)) == 30


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture
def pg_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty schema of its own, reached through the URL (``options=-csearch_path=…``)."""
    schema = f"sl_cli_{uuid.uuid4().hex[:12]}"
    admin = create_database(PG_URL)
    try:
        with admin.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        message = f"PostgreSQL test server unavailable at {PG_URL}: {str(exc).splitlines()[0]}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    monkeypatch.setenv("SUPPORTLINE_DB_URL", url)
    monkeypatch.setattr(bootstrap, "get_database_password", lambda url: None)  # never the developer's keyring
    yield url
    with admin.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.mark.postgres
def test_postgresql_from_empty_schema_to_listing_calls(run: Run, pg_url: str) -> None:
    assert run("db", "check").code == 1
    add_first_admin(run)  # migrates the empty schema first
    assert run("db", "check").code == 0
    listed = run(
        "calls", "list", "--from", "2026-10-25", "--to", "2026-10-25", "--format", "json",
        "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert (listed.code, json.loads(listed.out)) == (0, [])
    result = run("self-test", gui=FakeGui().hooks)
    assert result.code == 0, result.out
    assert "PostgreSQL" in result.out
