"""Shared fixtures: a fresh SQLite database per test, a PostgreSQL schema per test session.

PostgreSQL: ``SUPPORTLINE_TEST_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
With ``CI=true`` an unreachable server fails the run; on a laptop without PostgreSQL those tests
skip with the reason.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from supportline import bootstrap, cli
from supportline.db import Database, create_database
from supportline.db.migrate import upgrade
from supportline.db.models import Base
from supportline.gui_hooks import GuiHooks

PG_URL = os.environ.get("SUPPORTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config, data and logs of every test live in a fresh folder, never the developer's own."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SUPPORTLINE_HOME", str(home))
    monkeypatch.delenv("SUPPORTLINE_DB_URL", raising=False)
    return home


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = create_database(f"sqlite:///{path}")
    upgrade(db)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def sqlite_db(_sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "supportline.db"
    shutil.copyfile(_sqlite_template, path)
    db = create_database(f"sqlite:///{path}")
    yield db
    db.dispose()


def _pg_unavailable(reason: str) -> None:
    message = f"PostgreSQL test server unavailable at {PG_URL}: {reason}"
    if IN_CI:
        pytest.fail(message + " (CI=true: PostgreSQL tests must run)", pytrace=False)
    pytest.skip(message)


def _migrated_pg_schema(prefix: str) -> Iterator[str]:
    """A schema of its own for this test session, migrated to head, dropped at the end."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_database(PG_URL)
    try:
        with admin.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        _pg_unavailable(str(exc).splitlines()[0])
    db = create_database(PG_URL, schema=schema)
    try:
        upgrade(db)
    finally:
        db.dispose()
    yield schema
    with admin.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str]:
    yield from _migrated_pg_schema("sl_test")


@pytest.fixture
def pg_db(_pg_schema: str) -> Iterator[Database]:
    """A PostgreSQL database emptied before each test (TRUNCATE is much faster than re-migrating)."""
    db = create_database(PG_URL, schema=_pg_schema)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # past the audit triggers
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on both dialects."""
    name = "sqlite_db" if request.param == "sqlite" else "pg_db"
    database: Database = request.getfixturevalue(name)
    return database


@pytest.fixture(scope="session")
def _pg_schema_2() -> Iterator[str]:
    """A second PostgreSQL schema for this test session (for tests that need two databases)."""
    yield from _migrated_pg_schema("sl_test2")


@pytest.fixture
def other_db(db: Database, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A second, empty database on the same dialect as ``db`` (e.g. to import an export into)."""
    if db.dialect == "postgresql":
        schema: str = request.getfixturevalue("_pg_schema_2")
        other = create_database(PG_URL, schema=schema)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with other.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # past the audit triggers
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    else:
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "other.db"
        shutil.copyfile(template, path)
        other = create_database(f"sqlite:///{path}")
    yield other
    other.dispose()


# --- the command line, in-process -----------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``supportline …`` in-process: exit code, standard output and error (never a traceback)."""

    def invoke(*argv: str, stdin: str | io.StringIO | None = None, gui: GuiHooks | None = None) -> Result:
        source = io.StringIO(stdin) if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", source if source is not None else io.StringIO(""))
        code = cli.main(list(argv), gui=gui)
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return Result(code, out, err)

    return invoke


@pytest.fixture
def cli_db() -> Iterator[Database]:
    """The database the CLI uses in this test, opened the way the CLI opens it."""
    env = bootstrap.load_environment()
    db = bootstrap.open_database(env)
    bootstrap.migrate(env, db)
    yield db
    db.dispose()
