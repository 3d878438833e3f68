"""The shared database's backup and restore, done exactly as docs/administration.md ("Backups and
restore") tells an administrator: a read-only backup role, ``pg_dump``, ``pg_restore`` into a new
database as its owner, checks, then the swap by renaming. Runs against the real PostgreSQL server
with databases and roles of its own (random names), all removed afterwards.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from supportline import bootstrap
from tests.conftest import IN_CI, PG_URL, Run

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SERVER = make_url(PG_URL)
HOST, PORT, SUPERUSER = SERVER.host or "127.0.0.1", str(SERVER.port or 5432), SERVER.username or "postgres"
DEMO_PASSWORD = "demo passphrase 2026"


def _tools() -> None:
    missing = [t for t in ("psql", "createdb", "pg_dump", "pg_restore") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"the PostgreSQL client tools are not installed: {', '.join(missing)}")


def psql(sql: str, *, database: str = "postgres") -> str:
    done = subprocess.run(
        ["psql", "-h", HOST, "-p", PORT, "-U", SUPERUSER, "-d", database, "-v", "ON_ERROR_STOP=1",
         "-Atc", sql],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def tool(*args: str) -> None:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{args[0]}: {done.stderr}"


@pytest.fixture
def names() -> Iterator[dict[str, str]]:
    _tools()
    suffix = uuid.uuid4().hex[:8]
    n = {
        "owner": f"sl_owner_{suffix}", "app": f"sl_app_{suffix}", "backup": f"sl_backup_{suffix}",
        "db": f"sl_proc_{suffix}", "restored": f"sl_proc_{suffix}_restored",
        "kept": f"sl_proc_{suffix}_before",
    }  # fmt: skip
    try:
        psql("SELECT 1")
    except AssertionError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL test server unavailable: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL test server unavailable: {exc}")
    yield n
    for database in (n["db"], n["restored"], n["kept"]):
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    for role in (n["backup"], n["app"], n["owner"]):
        psql(f'DROP ROLE IF EXISTS "{role}"')


def _calls(run: Run) -> int:
    listed = run(
        "calls", "list", "--from", "2000-01-01", "--to", "2100-01-01", "--format", "json",
        "--user", "demo-supervisor", "--password-stdin", stdin=f"{DEMO_PASSWORD}\n",
    )  # fmt: skip
    assert listed.code == 0, listed.err
    return len(json.loads(listed.out))


def test_the_documented_backup_and_restore_of_the_shared_database(
    run: Run, names: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(bootstrap, "get_database_password", lambda url: None)
    n = names

    def use(database: str, role: str | None = None) -> None:
        monkeypatch.setenv(
            "SUPPORTLINE_DB_URL", f"postgresql+psycopg://{role or n['app']}@{HOST}:{PORT}/{database}"
        )

    # Set-up ("Setting up the shared database"): an owner, the database, init-shared, data.
    psql(f'CREATE ROLE "{n["owner"]}" LOGIN CREATEROLE')
    psql(f'CREATE DATABASE "{n["db"]}" OWNER "{n["owner"]}"')
    owner_url = f"postgresql+psycopg://{n['owner']}@{HOST}:{PORT}/{n['db']}"
    assert run("db", "init-shared", "--url", owner_url, "--role", n["app"]).code == 0
    use(n["db"])
    assert (
        run("demo", "--calls", "12", "--seed", "5", "--password-stdin", stdin=f"{DEMO_PASSWORD}\n").code == 0
    )

    # Backup: a role that may read everything and change nothing, then pg_dump as it.
    psql(f'CREATE ROLE "{n["backup"]}" LOGIN IN ROLE pg_read_all_data')
    dump = tmp_path / "supportline.dump"
    tool(
        "pg_dump",
        "--format=custom",
        f"--file={dump}",
        f"host={HOST} port={PORT} dbname={n['db']} user={n['backup']}",
    )
    assert (
        run("demo", "--calls", "5", "--seed", "6", "--password-stdin", stdin=f"{DEMO_PASSWORD}\n").code == 0
    )
    assert _calls(run) == 17  # five calls after the dump: the restore must bring back twelve

    # Restore into a new database, as its owner, and check it before anyone uses it.
    psql(f'CREATE DATABASE "{n["restored"]}" OWNER "{n["owner"]}"')
    tool(
        "pg_restore", "--exit-on-error", "--single-transaction", "--no-owner",
        "-h", HOST, "-p", PORT, "-U", n["owner"], f"--dbname={n['restored']}", str(dump),
    )  # fmt: skip
    use(n["restored"])
    check = run("db", "check")
    assert check.code == 0, check.out + check.err
    assert "least privilege" in check.out  # the dump's GRANTs to the application role came back
    assert (
        run("audit", "verify", "--user", "demo-admin", "--password-stdin", stdin=f"{DEMO_PASSWORD}\n").code
        == 0
    )

    # The swap: no new connections, the old sessions ended, then the two names exchanged.
    psql(f'ALTER DATABASE "{n["db"]}" ALLOW_CONNECTIONS false')
    # The names are this test's own, made above: no outside text reaches the SQL.
    sessions = f"FROM pg_stat_activity WHERE datname = '{n['db']}'"
    psql(f"SELECT count(pg_terminate_backend(pid)) {sessions}")
    psql(f'ALTER DATABASE "{n["db"]}" RENAME TO "{n["kept"]}"')
    psql(f'ALTER DATABASE "{n["restored"]}" RENAME TO "{n["db"]}"')
    use(n["db"])
    assert run("db", "check").code == 0
    assert _calls(run) == 12
    allowed = f"SELECT datallowconn FROM pg_database WHERE datname = '{n['kept']}'"  # noqa: S608
    assert psql(allowed) == "f"  # the replaced database is kept, and nobody can use it by mistake
